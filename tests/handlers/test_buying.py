"""Buying in the chat, scenario by scenario of acme-discounts-carts.txt, with its prices.

Every test runs the whole bot (sandbox ACME in-process, real Redis) and checks both what the
fan reads and what ACME's cart really holds, so a message can never claim a price ACME
would not charge.
"""

from __future__ import annotations

import pytest

from bot.app.bootstrap import Usher
from bot.buying.carts import CART, MEMBERSHIP
from bot.messages import Fan
from tests.support.chat import Chat
from tests.support.shop import (
    ADULT,
    MARCUS_CARD,
    MARCUS_MEMBERSHIP,
    TOUR,
    become_member,
    cart_of,
    chat_with_link,
    unit_prices,
)

PERSONAL = ("Marcus", "marcus.lee", "212", "0147", "Individual", "New York")


async def state_of(chat: Chat) -> dict[str, object]:
    state = await chat.usher.store.get_json(
        chat.usher.store.fan_key("state", Fan("console", chat.user))
    )
    assert isinstance(state, dict)
    return state


# -- Update a Shopping Cart & Get Member Pricing for an Event ---------------------------------


async def test_member_price_shows_next_to_full_price(usher: Usher) -> None:
    chat = await chat_with_link(usher, "m1")
    assert "Adult × 1 · $32.00 each — $32.00" in chat.text
    await become_member(chat)
    assert "Adult × 1 · $24.00 each (member price; full price $32.00) — $24.00" in chat.text
    assert "Total $24.00" in chat.text
    cart = await cart_of(chat)
    assert cart.membership_ids == [MARCUS_MEMBERSHIP]
    assert unit_prices(cart) == ["24.00"]
    state = await state_of(chat)
    assert state[MEMBERSHIP] == MARCUS_MEMBERSHIP  # the internal id, never the card number
    # Only the fan's own words (kept for an agent who takes over) still hold the card number.
    assert MARCUS_CARD not in str({k: v for k, v in state.items() if k != "history"})
    assert not any(word in chat.text for word in PERSONAL)


async def test_a_membership_without_a_cart_waits_for_the_next_one(usher: Usher) -> None:
    chat = Chat(usher, "m2")
    await chat.say("I'm a member")
    assert "membership number" in chat.text
    await chat.say(MARCUS_CARD)
    await chat.say("lee")
    assert "Member prices will apply to your next cart" in chat.text
    made = await usher.shop.links.create(
        event_id=TOUR, ticketing_type_id=ADULT, quantity=1, created_by="U1"
    )
    await chat.say(f"/start {made.code}")
    assert "$24.00 each (member price; full price $32.00)" in chat.text


@pytest.mark.parametrize(
    ("card", "last_name"), [(MARCUS_CARD, "Smith"), ("7700000000", "Lee"), ("7700000000", "X")]
)
async def test_a_wrong_card_or_last_name_reads_the_same_and_changes_nothing(
    usher: Usher, card: str, last_name: str
) -> None:
    chat = await chat_with_link(usher, "m3")
    await chat.say(f"membership {card}")
    await chat.say(last_name)
    assert chat.text == (
        "I couldn't find a membership with that number and last name. Check both and try again."
    )
    cart = await cart_of(chat)
    assert cart.membership_ids is None
    assert unit_prices(cart) == ["32.00"]
    assert MEMBERSHIP not in await state_of(chat)


@pytest.mark.unthrottled
async def test_guessing_memberships_is_limited(usher: Usher) -> None:
    chat = Chat(usher, "m4")
    for n in range(10):
        await chat.say(f"membership 77000000{n:02d}")
        await chat.say("Lee")
        assert "couldn't find a membership" in chat.text
    await chat.say(f"membership {MARCUS_CARD}")
    await chat.say("Lee")
    assert "Too many tries" in chat.text


# -- Entitlements Validation / Selling Tickets with Membership Discounts ----------------------


async def test_an_individual_member_is_told_one_is_allowed_and_offered_the_second_at_full_price(
    usher: Usher,
) -> None:
    chat = await chat_with_link(usher, "e1", quantity=2)
    await become_member(chat)
    # Checked before it is said: no "member prices are in your cart" taken back next line.
    assert "Member prices are in your cart" not in chat.text
    assert "doesn't cover member prices for every ticket" in chat.text
    assert "Adult × 2 · $24.00 each (member price; full price $32.00)" in chat.text
    assert "1 a day per membership, 1 left for you that day" in chat.text
    assert "the rest (1) at full price, $32.00 each" in chat.text
    assert "cart:split" in chat.payloads
    assert chat.urls == []  # no way to pay a cart ACME would refuse

    await chat.press("cart:split")
    assert "Adult × 1 · $24.00 each (member price; full price $32.00) — $24.00" in chat.text
    assert "Adult × 1 · $32.00 each (full price) — $32.00" in chat.text
    assert "Total $56.00" in chat.text
    [pay_url] = chat.urls
    assert "/checkout/" in pay_url
    cart = await cart_of(chat)
    assert [(i.quantity, i.is_retail, f"{i.unit_price}") for i in cart.items] == [
        (1, False, "24.00"),
        (1, True, "32.00"),
    ]
    assert (await usher.acme.validate_entitlements(cart)).valid


async def test_paying_checks_the_entitlements_again(usher: Usher) -> None:
    chat = await chat_with_link(usher, "e2", quantity=1)
    await become_member(chat)
    await chat.press("cart:qty")
    await chat.press("qty:3")
    assert "Adult × 3 · $24.00 each" in chat.text
    await chat.press("cart:pay")
    assert chat.urls == []
    assert "the rest (2) at full price, $32.00 each" in chat.text
    await chat.press("cart:split")
    assert unit_prices(await cart_of(chat)) == ["24.00", "32.00", "32.00"]
    assert len(chat.urls) == 1


# -- Selling Tickets with a Coupon Discount ------------------------------------------------------


async def test_a_coupon_on_every_ticket_then_on_one_ticket(usher: Usher) -> None:
    chat = await chat_with_link(usher, "c1", quantity=2)
    await chat.say("coupon AAA5")
    assert "Code AAA5 applied" in chat.text
    assert "Adult × 2 · $27.00 each (code AAA5; full price $32.00) — $54.00" in chat.text
    cart = await cart_of(chat)
    assert cart.coupon_codes == ["AAA5"]  # cart level
    assert all(item.coupon_codes is None for item in cart.items)

    await chat.press("coupon:one:AAA5")
    assert "Code AAA5 applied to one ticket" in chat.text
    assert "Adult × 1 · $32.00 each — $32.00" in chat.text
    assert "Adult × 1 · $27.00 each (code AAA5; full price $32.00) — $27.00" in chat.text
    cart = await cart_of(chat)
    assert not cart.coupon_codes  # ticket level now, as the document's example
    assert [(i.quantity, i.coupon_codes, f"{i.unit_price}") for i in cart.items] == [
        (1, None, "32.00"),
        (1, ["AAA5"], "27.00"),
    ]


async def test_a_coupon_typed_after_being_asked(usher: Usher) -> None:
    chat = await chat_with_link(usher, "c2")
    await chat.say("i have a promo code")
    assert "Send me the coupon code" in chat.text
    await chat.say("aaa5")
    assert "Adult × 1 · $27.00 each (code AAA5; full price $32.00)" in chat.text


@pytest.mark.parametrize(
    ("send", "answer"),
    [
        ("coupon NOPE99", "NOPE99 isn't a valid code"),
        ("coupon SUMMER21", "Code SUMMER21 has expired"),
        (
            "coupon SAVE10",
            "With code SAVE10 on every ticket you'd pay $64.00; without it you pay $64.00",
        ),
        ("button:coupon:one:SAVE10", "Code SAVE10 can't be used for these tickets"),
    ],
)
async def test_bad_expired_and_ineligible_coupons_leave_the_cart_as_it_was(
    usher: Usher, send: str, answer: str
) -> None:
    chat = await chat_with_link(usher, "c3", quantity=2)
    before = await cart_of(chat)
    if send.startswith("button:"):
        await chat.press(send.removeprefix("button:"))
    else:
        await chat.say(send)
    assert answer in chat.text
    assert "Adult × 2 · $32.00 each — $64.00" in chat.text
    after = await cart_of(chat)
    assert after.coupon_codes == before.coupon_codes
    assert [(i.quantity, i.coupon_codes, i.unit_price) for i in after.items] == [
        (i.quantity, i.coupon_codes, i.unit_price) for i in before.items
    ]


async def test_a_coupon_that_would_cost_a_member_more_is_not_kept(usher: Usher) -> None:
    chat = await chat_with_link(usher, "c4")
    await become_member(chat)
    await chat.say("coupon AAA5")
    assert "a coupon price replaces the member price" in chat.text
    # What the fan would really pay with the code, and without it.
    assert "With code AAA5 on every ticket you'd pay $27.00" in chat.text
    assert "without it you pay $24.00" in chat.text
    assert "$24.00 each (member price; full price $32.00)" in chat.text
    assert unit_prices(await cart_of(chat)) == ["24.00"]


# -- Member Discounts, Coupon Discounts, and Full Price tickets (all in one) -------------------


@pytest.mark.unthrottled
async def test_member_price_full_price_and_coupon_price_in_one_cart(usher: Usher) -> None:
    chat = await chat_with_link(usher, "a1", quantity=2)
    await become_member(chat)
    await chat.press("cart:split")
    await chat.press("cart:qty")
    await chat.press("qty:3")
    await chat.press("cart:pay")
    await chat.press("cart:split")
    await chat.say("coupon AAA5")
    # On every ticket it would cost more, and the fan is told by how much; on one ticket it
    # saves (the button), which the answer does not deny.
    assert "With code AAA5 on every ticket you'd pay $91.00" in chat.text
    assert "without it you pay $88.00" in chat.text
    assert "It may still save on one ticket" in chat.text
    await chat.press("coupon:one:AAA5")
    assert "$24.00 each (member price; full price $32.00) — $24.00" in chat.text
    assert "Adult × 1 · $32.00 each (full price) — $32.00" in chat.text
    assert "Adult × 1 · $27.00 each (code AAA5; full price $32.00) — $27.00" in chat.text
    assert "Total $83.00" in chat.text
    cart = await cart_of(chat)
    assert [(i.is_retail, i.coupon_codes, f"{i.unit_price}") for i in cart.items] == [
        (False, None, "24.00"),
        (True, None, "32.00"),
        (False, ["AAA5"], "27.00"),
    ]
    await chat.press("cart:pay")
    assert len(chat.urls) == 1  # the coupon ticket does not count against the member limit


# -- the cart itself -------------------------------------------------------------------------


async def test_the_cart_can_be_resumed_later(usher: Usher) -> None:
    chat = await chat_with_link(usher, "r1", quantity=2)
    opened = chat.text
    await chat.say("hi")
    assert "Here's what I can do" in chat.text
    for words in ("my cart", "/cart", "checkout"):
        await chat.say(words)
        assert "Adult × 2 · $32.00 each — $64.00" in chat.text, words
        assert chat.text in opened
    await chat.say("mi carrito")  # in Spanish, since the fan wrote Spanish
    assert "Adult × 2 · $32.00 c/u — $64.00" in chat.text
    await chat.say("no idea what to say")
    assert "didn't get that" in chat.text


async def test_changing_the_count_and_emptying_the_cart(usher: Usher) -> None:
    chat = await chat_with_link(usher, "r2")
    await chat.press("cart:qty")
    assert "How many tickets" in chat.text
    await chat.say("4")
    assert "Adult × 4 · $32.00 each — $128.00" in chat.text
    await chat.say("my cart")
    cart_id = (await state_of(chat))[CART]
    await chat.press("cart:drop")
    assert "your cart is empty and closed" in chat.text
    assert usher.sandbox is not None
    assert cart_id not in usher.sandbox.acme.state.acme.carts
    await chat.say("my cart")
    assert "You don't have a cart open" in chat.text
    await chat.press("cart:pay")
    assert "You don't have a cart open" in chat.text


# -- purchase links --------------------------------------------------------------------------


async def test_each_opening_of_a_link_is_a_fresh_cart_counted_on_the_link(usher: Usher) -> None:
    made = await usher.shop.links.create(
        event_id=TOUR, ticketing_type_id=ADULT, quantity=2, coupon_code="AAA5", created_by="U1"
    )
    chat = Chat(usher, "l1")
    await chat.say(f"/start {made.code}")
    assert "Adult × 2 · $27.00 each (code AAA5; full price $32.00) — $54.00" in chat.text
    first = (await state_of(chat))[CART]
    await chat.press("qty:1")
    await chat.say(f"/start {made.code}")
    second = (await state_of(chat))[CART]
    assert second != first
    assert "Adult × 2" in chat.text
    assert usher.sandbox is not None
    assert first not in usher.sandbox.acme.state.acme.carts  # the old cart is deleted
    [(_, stats)] = await usher.shop.links.report()
    assert stats == {"clicks": 2, "carts": 2, "purchases": 0}


async def test_a_link_without_a_ticket_type_asks_with_member_prices(usher: Usher) -> None:
    chat = Chat(usher, "l2")
    await become_member(chat)
    made = await usher.shop.links.create(event_id=TOUR, quantity=1, created_by="U1")
    await chat.say(f"/start {made.code}")
    assert "which ticket would you like" in chat.text
    labels = [b["label"] for reply in chat.last for b in reply["buttons"]]
    assert "Adult · $24.00 (full price $32.00)" in labels
    await chat.press("ptype:not-a-type")
    assert "expired" in chat.text
    await chat.press(f"ptype:{ADULT}")
    assert "Adult × 1 · $24.00 each (member price; full price $32.00)" in chat.text
    await chat.press(f"ptype:{ADULT}")  # pressed again: the pending link is used up
    assert "That button has expired" in chat.text


async def test_a_links_expired_coupon_still_opens_the_cart(usher: Usher) -> None:
    chat = await chat_with_link(usher, "l3", coupon_code="SUMMER21")
    assert "code SUMMER21 can no longer be used" in chat.text
    assert "Adult × 1 · $32.00 each — $32.00" in chat.text


async def test_a_revoked_link_opens_nothing(usher: Usher) -> None:
    made = await usher.shop.links.create(event_id=TOUR, created_by="U1")
    await usher.shop.links.revoke(made.code)
    chat = Chat(usher, "l4")
    await chat.say(f"/start {made.code}")
    assert "expired or was switched off" in chat.text
    assert CART not in await state_of(chat)


async def test_an_unanswered_question_does_not_swallow_what_comes_next(usher: Usher) -> None:
    chat = await chat_with_link(usher, "q1")
    await chat.say("I have a coupon")
    await chat.say("thanks")  # small talk is answered in passing; the question stands
    assert "You're welcome" in chat.text
    await chat.say("not a code!")
    assert "doesn't look like a coupon code" in chat.text
    await chat.say("my cart")
    assert "Adult × 1 · $32.00 each — $32.00" in chat.text
    await chat.say("VIP")  # no longer waiting for a code
    assert "didn't get that" in chat.text
    await chat.say(f"membership {MARCUS_CARD}")
    await chat.say("where is my order?")
    assert "make sure it's you" in chat.text
    state = await state_of(chat)
    assert state["awaiting"] == "email"
    assert "member_card" not in state
    await chat.press("cart:qty")
    await chat.say("coupon AAA5")
    assert "Code AAA5 applied" in chat.text


async def test_spanish_fans_buy_in_spanish(usher: Usher) -> None:
    made = await usher.shop.links.create(
        event_id=TOUR, ticketing_type_id=ADULT, quantity=2, created_by="U1"
    )
    chat = Chat(usher, "es1", locale="es-MX")
    await chat.say(f"/start {made.code}")
    assert "Adult × 2 · $32.00 c/u — $64.00" in chat.text
    await chat.say("cupón AAA5")
    assert "Código AAA5 aplicado" in chat.text
    assert "(código AAA5; precio completo $32.00)" in chat.text
    await chat.press("cart:pay")
    assert "página de pago segura" in chat.text
