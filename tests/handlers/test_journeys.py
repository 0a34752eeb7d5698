"""Fan journeys end to end: verify, find orders, show tickets, on the sandbox and real Redis."""

from __future__ import annotations

import re

import pytest

from bot.app.bootstrap import Usher
from bot.messages import Fan
from tests.support.chat import Chat, Outbox

ALEX = "alex.rivera@example.com"
ALEX_PHONE = "+14155550134"
NOAH = "noah.kim@example.com"
JANE = "janedoe@gmail.com"


async def verify_by_code(chat: Chat, outbox: Outbox, email: str) -> None:
    await chat.say(email)
    assert "6-digit code" in chat.text
    await chat.say(outbox.last_code(email))
    assert "verified" in chat.text


async def test_where_are_my_tickets_asks_who_you_are_first(usher: Usher) -> None:
    chat = Chat(usher, "u1")
    await chat.say("where are my tickets??")
    assert "make sure it's you" in chat.text
    assert "verify:order" in chat.payloads
    assert chat.qr_values == []


async def test_code_verification_then_tickets_as_qr_codes_of_the_ticket_uuids(
    usher: Usher, outbox: Outbox
) -> None:
    chat = Chat(usher, "u2")
    await chat.say("wheres my qr")
    await verify_by_code(chat, outbox, ALEX)
    expected: set[str] = set()
    async for summary in usher.acme.iter_orders(email=ALEX):
        order = await usher.acme.get_order(summary.id)
        for item in order.order_items:
            expected.update(
                t.uuid for t in item.ticket_vos if (t.ticket_status or "").lower() == "normal"
            )
    shown = chat.qr_values
    assert shown, chat.text
    assert set(shown) <= expected
    assert all(value.startswith("at") for value in shown)
    alts = [i["alt"] for reply in chat.last for i in reply["images"]]
    assert all(" · " in alt for alt in alts)


def orders_counted(chat: Chat) -> int:
    """Upcoming plus past orders, as the upcoming list's header and its past button count them."""
    upcoming = re.search(r"of (\d+) upcoming\)", chat.text)
    labels = " ".join(b["label"] for reply in chat.last for b in reply["buttons"])
    past = re.search(r"Past orders \((\d+)\)", labels)
    assert upcoming, chat.text
    assert past, labels
    return int(upcoming.group(1)) + int(past.group(1))


async def test_find_my_orders_lists_upcoming_then_pages_the_past_with_details(
    usher: Usher, outbox: Outbox
) -> None:
    chat = Chat(usher, "u3")
    await chat.say("i paid but got nothing??")
    await verify_by_code(chat, outbox, ALEX)
    # 24 of Alex's 25 orders: order 100150014 stores "Alex.Rivera@Example.com", and ACME's
    # search matches as stored, so the verified (lowercase) address does not reach it. His
    # phone does (test_contact_verifies_the_phone_and_finds_orders_in_any_format).
    assert "Your orders (1–" in chat.text
    assert orders_counted(chat) == 24
    await chat.press("orders:past:1")
    assert "Your past orders (1–5 of " in chat.text
    assert "orders:past:2" in chat.payloads
    first_detail = next(p for p in chat.payloads if p.startswith("order:"))
    await chat.press("orders:past:2")
    assert "Your past orders (6–10 of " in chat.text
    texts = chat.text
    for page in range(3, 6):
        await chat.press(f"orders:past:{page}")
        texts += chat.text
    assert "#100150014" not in texts
    await chat.press(first_detail)
    assert "Total $" in chat.text


async def test_order_number_plus_email_shows_the_status_and_mails_a_code(
    usher: Usher, outbox: Outbox
) -> None:
    """A lookup key, not a proof (it used to prove the order for 30 days): tests/handlers/
    test_lookup.py has the stranger's side."""
    chat = Chat(usher, "u4")
    await chat.say(f"my order 100148401 {JANE}")
    assert "Order #100148401: Paid" in chat.text
    assert "Code sent to j***e@gmail.com" in chat.text
    assert "$255.00" not in chat.text
    await chat.say(outbox.last_code(JANE))
    assert "Order #100148401" in chat.text
    assert "$255.00" in chat.text


async def test_order_number_then_email_in_two_messages(usher: Usher) -> None:
    chat = Chat(usher, "u5")
    await chat.say("where is my order")
    await chat.press("verify:order")
    await chat.say("100148401")
    assert "email address on order 100148401" in chat.text
    await chat.say(JANE)
    assert "Order #100148401: Paid" in chat.text
    assert "Code sent to j***e@gmail.com" in chat.text


async def test_someone_elses_order_number_reads_like_not_found(usher: Usher) -> None:
    mallory = Chat(usher, "mallory")
    await mallory.say(f"order 100148401 {ALEX}")
    refused = mallory.text
    await mallory.say(f"order 999999999 {ALEX}")
    assert mallory.text == refused
    await mallory.say("order 100148401 nobody@example.com")
    assert mallory.text == refused
    assert "couldn't find an order" in refused


async def test_a_verified_fan_cannot_open_another_fans_order_by_button(
    usher: Usher, outbox: Outbox
) -> None:
    chat = Chat(usher, "u6")
    await chat.say("my orders")
    await verify_by_code(chat, outbox, ALEX)
    await chat.press("order:30263798")
    forged = chat.text
    await chat.press("tickets:30263798")
    assert chat.text == forged
    await chat.press("order:00000001")
    assert chat.text == forged
    assert "Jane" not in forged
    assert "255" not in forged


async def test_contact_verifies_the_phone_and_finds_orders_in_any_format(usher: Usher) -> None:
    chat = Chat(usher, "u7")
    await chat.say("my orders")
    await chat.share("+1 415 555 0134")
    assert "phone number is verified" in chat.text
    assert orders_counted(chat) == 25


async def test_a_fan_with_no_orders_is_told_so(usher: Usher, outbox: Outbox) -> None:
    chat = Chat(usher, "u8")
    await chat.say("find my order")
    await verify_by_code(chat, outbox, NOAH)
    assert "couldn't find any orders" in chat.text


async def test_wrong_codes_count_down_then_lock_out(usher: Usher, outbox: Outbox) -> None:
    chat = Chat(usher, "u9")
    await chat.say("my tickets")
    await chat.say(ALEX)
    code = outbox.last_code(ALEX)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    await chat.say(wrong)
    assert "4 more tries" in chat.text
    for _ in range(3):
        await chat.say(wrong)
    assert "1 more try" in chat.text
    await chat.say(wrong)
    assert "Too many wrong codes" in chat.text
    await chat.say(code)
    assert "verified" not in chat.text
    await chat.say("show my tickets")
    assert chat.qr_values == []


async def test_cancel_and_help_work_at_any_point(usher: Usher, outbox: Outbox) -> None:
    chat = Chat(usher, "u10")
    await chat.say("my tickets")
    await chat.say(ALEX)
    await chat.say("help")
    assert "Here's what I can do" in chat.text
    await chat.say("cancel")
    assert "stopped" in chat.text
    await chat.say(outbox.last_code(ALEX))
    assert "verified" not in chat.text  # the voided code now reads as an order number
    await chat.say("nvm")
    assert "stopped" in chat.text
    await chat.say("cancel")
    assert "Nothing to cancel" in chat.text


async def test_spanish_fans_get_spanish(usher: Usher) -> None:
    chat = Chat(usher, "u11", locale="es-AR")
    await chat.say("entradas por favor")
    assert "comprobar que eres tú" in chat.text


@pytest.mark.parametrize(
    "event",
    [
        {"text": "x" * 1_000_000},
        {"button": "order:" + "9" * 500},
        {"button": "no-such-button"},
        {"text": "\x00\x07\u202e"},
    ],
)
async def test_bad_input_gets_a_clear_answer_and_changes_nothing(
    usher: Usher, event: dict[str, str]
) -> None:
    chat = Chat(usher, "u12")
    await chat.say("my tickets")
    before = await usher.store.get_json(usher.store.fan_key("state", Fan("console", "u12")))
    replies = await chat.send(**event)
    assert replies
    assert replies[0]["text"]
    after = await usher.store.get_json(usher.store.fan_key("state", Fan("console", "u12")))
    assert after.get("awaiting") == before.get("awaiting")
