"""Confirming a checkout page's order: never trusted, confirmed with ACME, handled once.

The payment itself is made here with the sandbox's server checkout (the browser's CORS checkout
is tested in tests/adapters/pages/test_checkout_page.py); what matters is what Usher does with
the order the page reports.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from itsdangerous import TimestampSigner

from bot.acme.cart_models import CheckoutRequest
from bot.acme.models import Order
from bot.app.bootstrap import Usher
from bot.buying.carts import CartRecord
from bot.buying.checkout import (
    CHECKOUT_LINK_MAX_AGE,
    CONFIRM_GRACE,
    CheckoutExpired,
    CheckoutGone,
    CheckoutInvalid,
    NotConfirmed,
    order_note,
)
from bot.messages import Fan
from tests.support.chat import Chat, Outbox
from tests.support.shop import RecordingSender, chat_with_link

BUYER = "new.buyer@example.com"


async def pay_link(usher: Usher, user: str) -> tuple[Chat, str, CartRecord]:
    chat = await chat_with_link(usher, user, quantity=2)
    await chat.press("cart:pay")
    [url] = chat.urls
    token = url.rsplit("/", 1)[1]
    _, record = await usher.shop.checkouts.record_for(token)
    return chat, token, record


async def pay(usher: Usher, record: CartRecord, *, note: str | None = None) -> Order:
    """What the page's script does, made here with the server checkout of the sandbox."""
    request = CheckoutRequest(
        shopping_cart_id=record.cart_id,
        email=BUYER,
        contact_first_name="New",
        contact_last_name="Buyer",
        manual_entry_card_number="4242424242424242",
        exp_date="1239",
        cvc="123",
        notes=order_note(record) if note is None else note,
    )
    return await usher.acme.checkout(
        request, request_uuid=str(uuid.uuid4()), browser_ip="203.0.113.7"
    )


@pytest.fixture
def sender(usher: Usher) -> RecordingSender:
    recording = RecordingSender()
    usher.messenger.add("console", recording)
    return recording


async def test_the_reported_order_is_confirmed_once_and_the_fan_told_once(
    usher: Usher, sender: RecordingSender, outbox: Outbox
) -> None:
    chat, token, record = await pay_link(usher, "k1")
    order = await pay(usher, record)
    confirmed = await usher.shop.checkouts.confirm(token, order_id=order.id, email=None)
    assert confirmed.order.id == order.id
    assert confirmed.chat
    for again in (
        usher.shop.checkouts.confirm(token, order_id=order.id, email=None),
        usher.shop.checkouts.confirm(token, order_id=None, email=BUYER),
    ):
        assert (await again).order.id == order.id
    [(chat_id, [message])] = sender.sent
    assert chat_id == "k1"
    assert f"#{order.order_number}" in message.text
    # Paying proves nothing about the email typed on the page: a code goes to it.
    assert "n***r@example.com" in message.text
    assert message.buttons == ()
    [(_, stats)] = await usher.shop.links.report()
    assert stats["purchases"] == 1
    assert not (await usher.identity.verified(Fan("console", "k1"))).anything
    await chat.say(outbox.last_code(BUYER))  # the fan's next message answers the code
    assert len(chat.qr_values) == 2
    await chat.say("my cart")
    assert "You don't have a cart open" in chat.text


async def test_a_fan_who_holds_the_email_gets_the_tickets_button_at_once(
    usher: Usher, sender: RecordingSender, outbox: Outbox
) -> None:
    chat, token, record = await pay_link(usher, "k1b")
    await chat.say(BUYER)
    await chat.say(outbox.last_code(BUYER))
    mails = len(outbox.sent)
    order = await pay(usher, record)
    await usher.shop.checkouts.confirm(token, order_id=order.id, email=None)
    [(_, [message])] = sender.sent
    assert [b.payload for b in message.buttons] == [f"tickets:{order.id}"]
    assert len(outbox.sent) == mails
    await chat.press(f"tickets:{order.id}")
    assert len(chat.qr_values) == 2


async def test_concurrent_reports_message_the_fan_once(
    usher: Usher, sender: RecordingSender
) -> None:
    _, token, record = await pay_link(usher, "k2")
    order = await pay(usher, record)
    results = await asyncio.gather(
        *(usher.shop.checkouts.confirm(token, order_id=order.id, email=None) for _ in range(4)),
        usher.shop.checkouts.confirm(token, order_id=None, email=BUYER),
    )
    assert {r.order.id for r in results} == {order.id}
    assert len(sender.sent) == 1


async def test_the_order_after_a_409_is_found_by_the_buyers_email(
    usher: Usher, sender: RecordingSender
) -> None:
    _, token, record = await pay_link(usher, "k3")
    order = await pay(usher, record)
    confirmed = await usher.shop.checkouts.confirm(token, order_id=None, email=BUYER.upper())
    assert confirmed.order.id == order.id
    assert len(sender.sent) == 1


@pytest.mark.parametrize("whose", ["documented", "another cart", "no note"])
async def test_an_order_that_is_not_this_carts_is_refused(
    usher: Usher, sender: RecordingSender, whose: str
) -> None:
    chat, token, _ = await pay_link(usher, "k4")
    if whose == "documented":
        order_id = "30263798"  # Jane's order: real, paid, not this cart's
    else:
        _, _, other = await pay_link(usher, "k4-other")
        note = order_note(other) if whose == "another cart" else ""
        order_id = (await pay(usher, other, note=note)).id
    with pytest.raises(NotConfirmed):
        await usher.shop.checkouts.confirm(token, order_id=order_id, email=None)
    with pytest.raises(NotConfirmed):
        await usher.shop.checkouts.confirm(token, order_id=None, email=BUYER)
    assert sender.sent == []
    await chat.press(f"tickets:{order_id}")
    assert chat.qr_values == []
    assert not (await usher.identity.verified(Fan("console", "k4"))).anything


async def test_links_that_are_altered_expired_or_someone_elses_are_refused(
    usher: Usher, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, token, record = await pay_link(usher, "k5")
    checkouts = usher.shop.checkouts
    with pytest.raises(CheckoutInvalid):
        await checkouts.record_for(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    other_fan = checkouts.links.token(record.cart_id, Fan("console", "mallory"), "en")
    with pytest.raises(CheckoutGone):
        await checkouts.record_for(other_fan)
    anonymous = checkouts.links.token(record.cart_id, None, "en")
    with pytest.raises(CheckoutGone):
        await checkouts.record_for(anonymous)
    made_at = int(time.time()) - CHECKOUT_LINK_MAX_AGE - 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: made_at)
    old = checkouts.links.token(record.cart_id, Fan("console", "k5"), "en")
    monkeypatch.undo()
    with pytest.raises(CheckoutExpired):
        await checkouts.record_for(old)
    # A page opened in time may still report its order a while after the link's hour.
    order = await pay(usher, record)
    assert (await checkouts.confirm(old, order_id=order.id, email=None)).order.id == order.id
    made_at = int(time.time()) - CHECKOUT_LINK_MAX_AGE - CONFIRM_GRACE - 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: made_at)
    too_old = checkouts.links.token(record.cart_id, Fan("console", "k5"), "en")
    monkeypatch.undo()
    with pytest.raises(CheckoutExpired):
        await checkouts.confirm(too_old, order_id=order.id, email=None)
