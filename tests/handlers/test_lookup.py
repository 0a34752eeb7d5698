"""An order number plus an email is a lookup key, not a proof (real Redis, the sandbox).

Think like the stranger who found Jane's receipt: they know order #100148401 and
janedoe@gmail.com. They may learn the order's status, and a code goes to Jane's mailbox; only
the code (which only Jane's mailbox has) opens the tickets.
"""

from __future__ import annotations

import pytest
import redis.asyncio as redis_asyncio

from bot.app.bootstrap import Usher
from bot.messages import Fan
from tests.support.chat import Chat, Outbox
from tests.support.jane import (
    JANE_EMAIL,
    JANE_ORDER_ID,
    JANE_ORDER_NUMBER,
    give_jane_tickets,
)

ALEX = "alex.rivera@example.com"


@pytest.fixture
def jane_tickets(usher: Usher) -> list[str]:
    assert usher.sandbox is not None
    return give_jane_tickets(usher.sandbox.acme.state.acme)


def assert_no_credentials(chat: Chat, uuids: list[str]) -> None:
    assert chat.qr_values == []
    assert chat.urls == []
    for uuid in uuids:
        assert uuid not in str(chat.last)
    assert "Section" not in chat.text
    assert "$" not in chat.text  # no amounts either


async def test_a_stranger_sees_the_status_and_the_code_goes_to_janes_mailbox(
    usher: Usher, outbox: Outbox, jane_tickets: list[str]
) -> None:
    stranger = Chat(usher, "stranger")
    await stranger.say(f"my tickets, order #{JANE_ORDER_NUMBER} {JANE_EMAIL}")
    assert f"Order #{JANE_ORDER_NUMBER}: Paid" in stranger.text
    assert "Sailing, Hiking" in stranger.text
    assert "Tickets: 4" in stranger.text
    assert "Code sent to j***e@gmail.com" in stranger.text
    assert JANE_EMAIL not in stranger.text
    assert_no_credentials(stranger, jane_tickets)
    [(to, _, _)] = outbox.sent
    assert to == JANE_EMAIL

    # Guessing gets nowhere, and nothing was proven by the lookup.
    await stranger.say("123456")
    assert_no_credentials(stranger, jane_tickets)
    for payload in (f"tickets:{JANE_ORDER_ID}", f"order:{JANE_ORDER_ID}"):
        await stranger.press(payload)
        assert_no_credentials(stranger, jane_tickets)
        assert "Sailing" not in stranger.text
    assert not (await usher.identity.verified(Fan("console", "stranger"))).anything


async def test_the_code_from_janes_mailbox_opens_the_tickets(
    usher: Usher, outbox: Outbox, jane_tickets: list[str]
) -> None:
    jane = Chat(usher, "jane")
    await jane.say("where are my tickets?")
    await jane.press("verify:order")
    await jane.say(JANE_ORDER_NUMBER)
    assert f"email address on order {JANE_ORDER_NUMBER}" in jane.text
    await jane.say("JaneDoe@Gmail.com")
    assert "Code sent to j***e@gmail.com" in jane.text
    assert_no_credentials(jane, jane_tickets)
    await jane.say(outbox.last_code(JANE_EMAIL))
    assert f"{JANE_EMAIL} is verified" in jane.text
    assert sorted(jane.qr_values) == sorted(jane_tickets)
    # The email is what was verified: every order on it is open now.
    assert (await usher.identity.verified(Fan("console", "jane"))).emails == {JANE_EMAIL}


async def test_a_fan_who_already_holds_the_email_goes_straight_to_the_order(
    usher: Usher, outbox: Outbox, jane_tickets: list[str]
) -> None:
    jane = Chat(usher, "jane2")
    await jane.say(f"my orders {JANE_EMAIL}")
    await jane.say(outbox.last_code(JANE_EMAIL))
    mails = len(outbox.sent)
    await jane.say(f"my tickets order {JANE_ORDER_NUMBER} {JANE_EMAIL}")
    assert sorted(jane.qr_values) == sorted(jane_tickets)
    assert len(outbox.sent) == mails
    await jane.say(f"order {JANE_ORDER_NUMBER} {JANE_EMAIL}")
    assert f"Order #{JANE_ORDER_NUMBER}" in jane.text
    assert "$255.00" in jane.text


@pytest.mark.parametrize(
    "text",
    [
        f"order {JANE_ORDER_NUMBER} {ALEX}",
        "order 999999999 janedoe@gmail.com",
        f"order {JANE_ORDER_NUMBER} nobody@example.com",
        "order 999999999 nobody@example.com",
    ],
)
async def test_a_wrong_number_or_email_reads_exactly_like_not_found(
    usher: Usher, outbox: Outbox, text: str
) -> None:
    chat = Chat(usher, "mallory")
    await chat.say(text)
    assert chat.text == (
        "I couldn't find an order matching that. Check the order number and email and try again."
    )
    assert outbox.sent == []


async def test_failed_lookups_of_one_order_are_budgeted_across_fans(
    usher: Usher, outbox: Outbox
) -> None:
    """Spraying one order number from many accounts does not scale."""
    for n in range(10):
        await Chat(usher, f"sprayer{n}").say(f"order {JANE_ORDER_NUMBER} guess{n}@example.com")
    latecomer = Chat(usher, "sprayer-late")
    await latecomer.say(f"order {JANE_ORDER_NUMBER} {JANE_EMAIL}")
    assert "Too many tries" in latecomer.text
    assert outbox.sent == []
    # Other orders are not affected, and the owner can still verify by email.
    await latecomer.say(f"my orders {ALEX}")
    assert "6-digit code" in latecomer.text


async def test_a_lookup_stores_no_proof_and_no_order_of_any_kind(
    usher: Usher, real_redis: redis_asyncio.Redis
) -> None:
    """The old 30-day order proof is gone: nothing about the order is kept for the fan."""
    chat = Chat(usher, "looker")
    await chat.say(f"order {JANE_ORDER_NUMBER} {JANE_EMAIL}")
    assert "Code sent" in chat.text
    assert await real_redis.keys("usher-test:proof:*") == []
    state = await usher.conversation.states.load(Fan("console", "looker"))
    assert state["awaiting"] == "code"
    assert state["resume"] == f"order:{JANE_ORDER_ID}"
    await chat.say("add parking")  # needs the email verified: the code is still awaited
    assert "Your code is on its way to j***e@gmail.com" in chat.text
    assert "Add-ons for" not in chat.text


async def test_the_status_reads_in_spanish(usher: Usher) -> None:
    chat = Chat(usher, "ana", locale="es")
    await chat.say(f"pedido {JANE_ORDER_NUMBER} {JANE_EMAIL}")
    assert f"Pedido #{JANE_ORDER_NUMBER}" in chat.text
    assert "Código enviado a j***e@gmail.com" in chat.text


async def test_three_strangers_asking_for_janes_codes_leave_her_one(
    usher: Usher, outbox: Outbox
) -> None:
    for n in range(3):
        stranger = Chat(usher, f"asker{n}")
        for _ in range(4):
            await stranger.say(f"my orders {JANE_EMAIL}")
        assert "too many codes" in stranger.text
    jane = Chat(usher, "jane-owner")
    await jane.say(f"my orders {JANE_EMAIL}")
    assert "6-digit code" in jane.text
    await jane.say(outbox.last_code(JANE_EMAIL))
    assert f"{JANE_EMAIL} is verified" in jane.text


async def test_thirty_wrong_codes_from_six_strangers_pause_janes_email_and_tell_her(
    usher: Usher, outbox: Outbox
) -> None:
    for n in range(6):
        guesser = Chat(usher, f"guesser{n}")
        await guesser.say(f"my orders {JANE_EMAIL}")
        if n < 4:  # 4 codes x 5 wrong tries reach the day's 20
            assert "6-digit code" in guesser.text
            wrong = f"{(int(outbox.last_code(JANE_EMAIL)) + 1) % 1_000_000:06d}"
            for _ in range(5):
                await guesser.say(wrong)
        else:  # the last two get no code at all
            assert "paused until tomorrow" in guesser.text
            for _ in range(5):
                await guesser.say("123456")
                assert "verified" not in guesser.text
    notices = [body for to, _, body in outbox.sent if to == JANE_EMAIL and "wrong codes" in body]
    assert len(notices) == 1
    assert "nobody got in" in notices[0]
    mails = len(outbox.sent)
    jane = Chat(usher, "jane-owner")
    await jane.say(f"my orders {JANE_EMAIL}")  # paused for the day, for everyone
    assert "paused until tomorrow" in jane.text
    assert len(outbox.sent) == mails
    for n in range(6):
        assert not (await usher.identity.verified(Fan("console", f"guesser{n}"))).anything
