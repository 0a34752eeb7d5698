"""SafeTix keys each ticket by its own identity, on the document's Delay-OFF sample verbatim.

That sample (``tests/data/tm/order_management_response.json``) has ``"barcode_id": ""`` next
to a token. Secure render requires the barcode (the document's FAQ 2), so such a ticket is never
sent there with a blank one; its tokens come from order management and are cached under the
ticket's seat, so two tickets of one order never overwrite each other.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis_asyncio

from adapters.store.store import Store
from adapters.store.tm_orders import RedisTmOrderStore
from bot.errors import ServerError
from bot.messages import Fan
from bot.ticketmaster.cart_models import Availability
from bot.ticketmaster.models import (
    OrderManagementResponse,
    RenderTicketRequest,
    SecureRenderResponse,
)
from bot.ticketmaster.ports import TmOrderRef
from bot.ticketmaster.safetix import SafeTix, viewer_of
from tests.conftest import TEST_REDIS_URL

DATA = Path(__file__).parents[2] / "data" / "tm"
SAMPLE_KEY = "seat:3F005105D843DFA3:67174428"


def delay_off_sample() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / "order_management_response.json").read_text())
    return loaded


class FakeTicketmaster:
    """Answers order management with a given body (a new token per call) and records calls."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.managed = 0
        self.rendered: list[list[dict[str, Any]]] = []
        self.render_devices: list[tuple[str, str | None]] = []
        self.render_answer = SecureRenderResponse(tickets=[])
        self.fail_management = False

    async def order_management(
        self,
        order_token: str,
        *,
        device_id: str,
        device_type: str,
        device_os: str,
        third_party_account_id: str,
    ) -> OrderManagementResponse:
        if self.fail_management:
            raise ServerError("down", service="tm", endpoint="order_management", status=503)
        self.managed += 1
        body = copy.deepcopy(self.body)
        for ticket in body["tickets"]:
            ticket["secure_entry_data"]["token"] += f"-{self.managed}"
        return OrderManagementResponse.model_validate(body)

    async def secure_render(
        self,
        *,
        user_id: str,
        device_id: str,
        device_type: str,
        device_os: str,
        tickets: Sequence[RenderTicketRequest],
        user_agent: str | None = None,
        retry: bool = True,
    ) -> SecureRenderResponse:
        self.rendered.append([t.model_dump(mode="json", exclude_none=True) for t in tickets])
        self.render_devices.append((device_os, user_agent))
        return self.render_answer

    async def availability(self, event_id: str) -> Availability:
        return Availability.model_validate({"event": {"id": event_id}})


@pytest.fixture
async def store(real_redis: redis_asyncio.Redis) -> AsyncIterator[RedisTmOrderStore]:
    client = redis_asyncio.Redis.from_url(TEST_REDIS_URL)
    yield RedisTmOrderStore(Store(client, prefix="t:"))
    await client.aclose()


async def registered(store: RedisTmOrderStore) -> TmOrderRef:
    order = TmOrderRef("ref1", Fan("console", "raine"), "order-token", "12313131", "ECAPI1")
    await store.register(order)
    return order


async def test_the_delay_off_sample_is_cached_under_its_seat_never_under_blank(
    store: RedisTmOrderStore,
) -> None:
    api = FakeTicketmaster(delay_off_sample())
    safetix = SafeTix(api, store)
    order = await registered(store)
    await safetix.load(order)
    cached = await store.tokens(order.ref)
    assert list(cached) == [SAMPLE_KEY]
    assert cached[SAMPLE_KEY].token.startswith("eyJiIjoiMDExODg1NjY5ODg2NTM5NiIs")


async def test_a_page_view_renews_blank_barcode_tickets_through_order_management(
    store: RedisTmOrderStore,
) -> None:
    api = FakeTicketmaster(delay_off_sample())
    safetix = SafeTix(api, store)
    order = await registered(store)
    await safetix.load(order)
    [ticket] = await safetix.refresh(order)
    assert api.rendered == [], "secure render requires a barcode: never sent a blank one"
    assert api.managed == 2
    assert ticket.key == SAMPLE_KEY
    assert ticket.fresh
    assert ticket.token.endswith("-2")
    assert ticket.seat == ("BALC2L", "B", "9")


async def test_two_blank_barcode_tickets_keep_their_own_tokens(
    store: RedisTmOrderStore,
) -> None:
    body = delay_off_sample()
    second = copy.deepcopy(body["tickets"][0]) | {"seat_id": "67174429", "seat_name": "10"}
    second["secure_entry_data"]["token"] = "SECOND-TICKET-TOKEN"
    body["tickets"].append(second)
    api = FakeTicketmaster(body)
    safetix = SafeTix(api, store)
    order = await registered(store)
    await safetix.load(order)
    cached = await store.tokens(order.ref)
    assert sorted(cached) == [SAMPLE_KEY, "seat:3F005105D843DFA3:67174429"]
    assert cached["seat:3F005105D843DFA3:67174429"].token == "SECOND-TICKET-TOKEN-1"
    shown = await safetix.refresh(order)
    assert [t.seat for t in shown] == [("BALC2L", "B", "9"), ("BALC2L", "B", "10")]
    assert len({t.token for t in shown}) == 2


async def test_when_order_management_is_down_the_cached_seat_token_is_shown(
    store: RedisTmOrderStore,
) -> None:
    api = FakeTicketmaster(delay_off_sample())
    safetix = SafeTix(api, store)
    order = await registered(store)
    await safetix.load(order)
    api.fail_management = True
    [ticket] = await safetix.refresh(order)
    assert (ticket.key, ticket.fresh) == (SAMPLE_KEY, False)
    assert ticket.token.endswith("-1")


IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15"


@pytest.mark.parametrize(
    ("agent", "os"),
    [
        (IPHONE, "ios"),
        ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X)", "ios"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/126.0 Mobile", "android"),
        ("Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0", "other"),
        (None, "other"),
    ],
)
def test_the_browser_says_which_device_os_to_send(agent: str | None, os: str) -> None:
    """order management's table: device_os "Acceptable Values: ios, android, other"."""
    viewer = viewer_of(agent)
    assert viewer.os == os
    assert viewer.user_agent == agent


async def test_an_iphone_view_sends_its_os_and_user_agent_and_keeps_the_wallet_pass(
    store: RedisTmOrderStore,
) -> None:
    """The secure render 200 sample, verbatim, answers the sample request's first ticket with
    ``passData.ios.pkPassId``; the page gets it with the token (and so does the cache)."""
    body = json.loads((DATA / "order_management_delayed_response.json").read_text())
    ticket = body["tickets"][0]
    ticket |= {"event_id": "3F005237E5CB39EA", "section": "G", "row": "17", "seat_name": "1"}
    ticket["barcode_id"] = "964537283421"
    api = FakeTicketmaster(body)
    api.render_answer = SecureRenderResponse.model_validate_json(
        (DATA / "secure_render_200_response.json").read_bytes()
    )
    safetix = SafeTix(api, store)
    order = await registered(store)
    await safetix.load(order)
    [shown] = await safetix.refresh(order, viewer=viewer_of(IPHONE))
    assert api.render_devices == [("ios", IPHONE)]
    assert shown.fresh
    assert shown.pk_pass_id == "b5d02b52-4b21-4233-b41a-722f20467535"
    assert (await store.tokens(order.ref))["964537283421"].pk_pass_id == shown.pk_pass_id


async def test_a_view_that_read_the_cache_with_the_registration_does_not_read_it_again(
    store: RedisTmOrderStore,
) -> None:
    """The ticket page reads the registration, the answer and the tokens in one round trip
    (``get_with_cache``) and hands them to refresh; what it hands over is what is used."""
    api = FakeTicketmaster(delay_off_sample())
    safetix = SafeTix(api, store)
    order = await registered(store)
    await safetix.load(order)
    api.fail_management = True
    found, cached = await store.get_with_cache(order.ref, tokens=True)
    assert found == order
    assert cached.answer is not None
    assert cached.tokens == await store.tokens(order.ref)
    # Gone from Redis since: the view still has what it read.
    await store.redis.delete("t:tm:tokens:ref1", "t:tm:answer:ref1")
    [ticket] = await safetix.refresh(order, cached=cached)
    assert (ticket.key, ticket.fresh) == (SAMPLE_KEY, False)
    assert ticket.token.endswith("-1")


async def test_a_view_of_an_order_never_loaded_loads_it_and_reads_the_new_tokens(
    store: RedisTmOrderStore,
) -> None:
    api = FakeTicketmaster(delay_off_sample())
    safetix = SafeTix(api, store)
    order = await registered(store)
    found, cached = await store.get_with_cache(order.ref, tokens=True)
    assert (found, cached.answer, cached.tokens) == (order, None, {})
    [ticket] = await safetix.refresh(order, cached=cached)
    assert api.managed == 1
    assert ticket.fresh
    assert ticket.token.endswith("-1")
    assert (await store.get_with_cache("unknown", tokens=False))[0] is None


async def test_a_view_takes_the_event_read_with_the_registration(
    store: RedisTmOrderStore,
) -> None:
    """Whether the event hides seats comes from what the view read with the registration
    (the pipeline), not from a second read."""
    api = FakeTicketmaster(delay_off_sample())
    safetix = SafeTix(api, store)
    order = await registered(store)
    answer = await safetix.load(order)
    event_id = answer.tickets[0].event_id
    restricted = Availability.model_validate(
        {"event": {"id": event_id, "locRowSeatRestrict": True}}
    )
    await store.save_event(event_id, restricted, 60)
    _, cached = await store.get_with_cache(order.ref, tokens=True)
    assert cached.events == {event_id: restricted}
    await store.redis.delete(f"t:tm:event:{event_id}")  # a second read would find none
    [ticket] = await safetix.refresh(order, cached=cached)
    assert ticket.seat is None  # hidden, as the event read with the registration says
    [ticket] = await safetix.refresh(order)
    assert ticket.seat == ("BALC2L", "B", "9")  # read on its own: the fake's unrestricted one
