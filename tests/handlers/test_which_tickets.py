"""Which tickets: the event the fan names, else tonight's or the next, never everything."""

from __future__ import annotations

import re

from bot.app.bootstrap import Usher
from tests.support.chat import Chat, Outbox
from tests.support.jane import JANE_ORDER_ID, give_jane_tickets
from tests.support.tickets import live_tickets

ALEX = "alex.rivera@example.com"
ALEX_PHONE = "+14155550134"
LENA = "lena.park@example.com"
JANE = "janedoe@gmail.com"
MARCUS = "marcus.lee@example.com"


async def by_phone(usher: Usher, user: str, *, locale: str | None = None) -> Chat:
    chat = Chat(usher, user, locale=locale)
    await chat.say("my orders")
    await chat.share(ALEX_PHONE)
    return chat


async def by_code(usher: Usher, outbox: Outbox, user: str, email: str) -> Chat:
    chat = Chat(usher, user)
    await chat.say(email)
    await chat.say(outbox.last_code(email))
    assert "verified" in chat.text
    return chat


def events_shown(chat: Chat) -> set[str]:
    """The events named in the headers of the ticket messages."""
    return {m.group(1) for m in re.finditer(r"🎟️ ([^\n]+)\n", chat.text)}


async def test_tickets_for_the_jazz_concert_are_only_the_jazz_concerts(usher: Usher) -> None:
    chat = await by_phone(usher, "w1")
    await chat.say("tickets for the jazz concert")
    jazz = await live_tickets(usher, ALEX, "jazz")
    assert set(chat.qr_values) == jazz
    assert events_shown(chat) == {"Evening Jazz Concert"}
    assert [len(reply["images"]) for reply in chat.last if reply["images"]] == [
        len(chat.qr_values)
    ], "one event: one message carrying all its codes"


async def test_without_a_name_one_event_and_a_button_for_each_other(usher: Usher) -> None:
    chat = await by_phone(usher, "w2")
    await chat.say("my tickets")
    assert len(events_shown(chat)) == 1
    others = [p for p in chat.payloads if p.startswith("tickets:ev:")]
    assert others, chat.payloads
    assert "also have tickets for these events" in chat.text
    shown_codes = set(chat.qr_values)
    await chat.press(others[0])
    assert len(events_shown(chat)) == 1
    assert chat.qr_values
    assert not set(chat.qr_values) & shown_codes
    assert set(chat.qr_values) <= await live_tickets(usher, ALEX, upcoming=False)


async def test_spanish_and_day_words_name_the_event(usher: Usher) -> None:
    chat = await by_phone(usher, "w3", locale="es")
    await chat.say("entradas para el concierto de jazz")
    assert events_shown(chat) == {"Evening Jazz Concert"}
    assert "Enseña un código por persona" in chat.text


async def test_an_event_the_fan_does_not_hold_sends_no_code(usher: Usher) -> None:
    chat = await by_phone(usher, "w4")
    await chat.say("tickets for the winter gala")
    assert chat.qr_values == []
    assert 'upcoming tickets of yours for "winter gala"' in chat.text
    assert any(p.startswith("tickets:ev:") for p in chat.payloads)


async def test_an_event_button_is_checked_against_the_fans_own_events(
    usher: Usher, outbox: Outbox
) -> None:
    lena = await by_code(usher, outbox, "w5", LENA)
    await lena.say("my tickets")
    button = next(p for p in lena.payloads if p.startswith("tickets:ev:"))
    stranger = await by_code(usher, outbox, "w6", "noah.kim@example.com")
    await stranger.press(button)
    assert stranger.qr_values == []
    assert "couldn't find an order" in stranger.text


async def test_a_group_organisers_twelve_tickets_are_one_message(
    usher: Usher, outbox: Outbox
) -> None:
    lena = await by_code(usher, outbox, "w7", LENA)
    await lena.say("tickets for the jazz night")
    assert len(lena.qr_values) == 12
    assert set(lena.qr_values) == await live_tickets(usher, LENA, "jazz")
    assert len(lena.last) == 1


async def test_past_orders_are_named_as_past_not_missing(usher: Usher, outbox: Outbox) -> None:
    jane = await by_code(usher, outbox, "w8", JANE)
    await jane.say("my tickets")
    assert jane.qr_values == []
    assert "no upcoming tickets" in jane.text
    assert "#100148401" in jane.text
    assert "the event is over" in jane.text
    assert "couldn't find any tickets" not in jane.text


async def test_voided_and_refunded_orders_say_so(usher: Usher, outbox: Outbox) -> None:
    marcus = await by_code(usher, outbox, "w9", MARCUS)
    await marcus.say("my orders")
    voided = 30270203  # Marcus's voided jazz order (adapters/sandbox/acme/seed.py)
    await marcus.press(f"tickets:{voided}")
    assert marcus.qr_values == []
    assert "voided" in marcus.text
    alex = await by_phone(usher, "w10")
    refunded = 30270007  # Alex's refunded order
    await alex.press(f"tickets:{refunded}")
    assert alex.qr_values == []
    assert "refunded" in alex.text


async def test_an_asked_for_past_order_shows_its_codes_as_over(
    usher: Usher, outbox: Outbox
) -> None:
    assert usher.sandbox is not None
    codes = give_jane_tickets(usher.sandbox.acme.state.acme)
    jane = await by_code(usher, outbox, "w11", JANE)
    await jane.say("my tickets")
    assert jane.qr_values == [], "an event that is over is not what a fan at the door wants"
    await jane.press(f"tickets:{JANE_ORDER_ID}")
    assert sorted(jane.qr_values) == sorted(codes)
    assert "This event is over" in jane.text
