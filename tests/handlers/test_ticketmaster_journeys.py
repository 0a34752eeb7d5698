"""Ticketmaster orders in the chat: SafeTix links, barcode QR codes, delayed delivery."""

from __future__ import annotations

from adapters.pages.tm_orders_api import order_ref
from adapters.sandbox.faults import Fault
from adapters.sandbox.ticketmaster.fulfil import decode_token
from adapters.sandbox.ticketmaster.seed import (
    BARCODE_ORDER_TOKEN,
    DELAYED_ORDER_TOKEN,
    DEMO_ACCOUNT_ID,
    NO_BARCODES_ORDER_TOKEN,
    SAFETIX_ORDER_TOKEN,
)
from bot.app.bootstrap import Usher
from bot.messages import Fan
from bot.ticketmaster.ports import TmOrderRef
from tests.support.chat import Chat


async def give(usher: Usher, user: str, token: str, name: str) -> str:
    fan = Fan("console", user)
    ref = order_ref(fan, token)
    await usher.tm_orders.register(
        TmOrderRef(ref, fan, token, third_party_account_id=DEMO_ACCOUNT_ID, event_name=name)
    )
    return ref


async def test_safetix_becomes_a_page_link_and_the_token_never_enters_the_chat(
    usher: Usher,
) -> None:
    await give(usher, "t1", SAFETIX_ORDER_TOKEN, "Skyline Live")
    chat = Chat(usher, "t1")
    await chat.say("my tickets")
    assert "Skyline Live" in chat.text
    [url] = chat.urls
    assert url.startswith(str(usher.settings.public_url).rstrip("/") + "/t/")
    tokens = await usher.tm_orders.tokens(order_ref(Fan("console", "t1"), SAFETIX_ORDER_TOKEN))
    assert tokens, "order management's tokens are cached"
    for cached in tokens.values():
        assert cached.token not in str(chat.last)
    assert chat.qr_values == []


async def test_barcode_only_tickets_become_qr_codes_of_their_barcodes(usher: Usher) -> None:
    await give(usher, "t2", BARCODE_ORDER_TOKEN, "Harbour Lights")
    chat = Chat(usher, "t2")
    await chat.say("show tickets")
    assert chat.qr_values == ["8001000100010001", "8001000100010002"]
    assert chat.urls == []


async def test_delayed_delivery_tells_the_date(usher: Usher) -> None:
    await give(usher, "t3", DELAYED_ORDER_TOKEN, "Winter Gala")
    chat = Chat(usher, "t3")
    await chat.say("tickets")
    assert "will be ready on" in chat.text
    assert chat.qr_values == []
    assert chat.urls == []


async def test_ticketmaster_down_at_first_load_is_explained(usher: Usher) -> None:
    await give(usher, "t4", SAFETIX_ORDER_TOKEN, "Skyline Live")
    assert usher.sandbox is not None
    usher.sandbox.faults.add(Fault("/partners/v1/orders", status=503))
    chat = Chat(usher, "t4")
    await chat.say("my tickets")
    assert "couldn't load your Ticketmaster tickets" in chat.text


async def test_known_order_shown_from_cache_when_ticketmaster_is_down(usher: Usher) -> None:
    await give(usher, "t5", BARCODE_ORDER_TOKEN, "Harbour Lights")
    chat = Chat(usher, "t5")
    await chat.say("my tickets")
    first = chat.qr_values
    assert usher.sandbox is not None
    usher.sandbox.faults.add(Fault("/partners/v1", status=503))
    await chat.say("my tickets")
    assert chat.qr_values == first


async def test_another_fans_ticketmaster_order_is_not_reachable_by_button(usher: Usher) -> None:
    ref = await give(usher, "owner", SAFETIX_ORDER_TOKEN, "Skyline Live")
    thief = Chat(usher, "thief")
    await thief.press(f"tickets:tm-{ref}")
    assert "couldn't find an order" in thief.text
    assert thief.urls == []


async def test_the_device_id_is_sticky_per_fan(usher: Usher) -> None:
    one = await usher.tm_orders.device_id(Fan("console", "d1"))
    assert one == await usher.tm_orders.device_id(Fan("console", "d1"))
    assert one != await usher.tm_orders.device_id(Fan("console", "d2"))


async def test_a_view_with_cached_tokens_makes_one_render_attempt_then_shows_them(
    usher: Usher,
) -> None:
    ref = await give(usher, "r1", SAFETIX_ORDER_TOKEN, "Skyline Live")
    order = await usher.safetix.owned(Fan("console", "r1"), ref)
    await usher.safetix.load(order)
    cached = {b: t.token for b, t in (await usher.tm_orders.tokens(ref)).items()}
    assert usher.sandbox is not None
    failing = usher.sandbox.faults.add(Fault("/marketplace", status=503, times=2))
    tickets = await usher.safetix.refresh(order)
    assert failing.hits == 1, "no retry at view time when every ticket has a cached token"
    assert {t.key: t.token for t in tickets} == cached
    assert not any(t.fresh for t in tickets)


async def test_a_view_without_a_cached_token_retries_the_render(usher: Usher) -> None:
    ref = await give(usher, "r2", SAFETIX_ORDER_TOKEN, "Skyline Live")
    order = await usher.safetix.owned(Fan("console", "r2"), ref)
    await usher.safetix.load(order)
    await usher.store.redis.delete(usher.store.key("tm", "tokens", ref))
    assert usher.sandbox is not None
    failing = usher.sandbox.faults.add(Fault("/marketplace", status=503, times=1))
    tickets = await usher.safetix.refresh(order)
    assert failing.hits == 1
    assert tickets
    assert all(t.fresh for t in tickets), "the retry got fresh tokens"


async def test_tickets_answered_without_barcodes_keep_one_token_each(usher: Usher) -> None:
    ref = await give(usher, "nb", NO_BARCODES_ORDER_TOKEN, "Skyline Live")
    chat = Chat(usher, "nb")
    await chat.say("my tickets")
    assert len(chat.urls) == 1, chat.text
    cached = await usher.tm_orders.tokens(ref)
    assert "" not in cached
    assert sorted(cached) == ["seat:1A005E6A9C3B4D01:50529001", "seat:1A005E6A9C3B4D01:50529002"]
    order = await usher.safetix.owned(Fan("console", "nb"), ref)
    assert usher.sandbox is not None
    renders = usher.sandbox.faults.add(Fault("/marketplace", status=503))
    shown = await usher.safetix.refresh(order)
    assert renders.hits == 0, "no secure render for tickets without a barcode"
    assert [decode_token(t.token)["s"] for t in shown] == ["50529001", "50529002"]
    assert all(t.fresh for t in shown)
