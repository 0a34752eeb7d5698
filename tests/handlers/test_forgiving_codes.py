"""Verification that forgives: asking again, a code at the wrong moment, a new code, a typo."""

from __future__ import annotations

from bot.app.bootstrap import Usher
from bot.messages import Fan
from tests.support.chat import Chat, Outbox

ALEX = "alex.rivera@example.com"


async def code_on_its_way(usher: Usher, user: str) -> Chat:
    chat = Chat(usher, user)
    await chat.say("where are my tickets?")
    await chat.say(ALEX)
    assert "6-digit code" in chat.text
    return chat


async def test_a_code_typed_after_a_repeated_question_verifies(
    usher: Usher, outbox: Outbox
) -> None:
    chat = await code_on_its_way(usher, "f1")
    await chat.say("where are my tickets??")  # the mail is slow; the fan asks again
    assert "on its way to a***a@example.com" in chat.text
    assert "make sure it's you" not in chat.text
    assert "verify:resend" in chat.payloads
    assert len(outbox.sent) == 1, "asking again sends no second code"
    await chat.say(outbox.last_code(ALEX))
    assert f"{ALEX} is verified" in chat.text
    assert chat.qr_values
    assert "email address on order" not in chat.text


async def test_six_digits_while_a_code_is_pending_are_the_code_whatever_was_asked(
    usher: Usher, outbox: Outbox
) -> None:
    chat = await code_on_its_way(usher, "f2")
    await chat.say("I have a coupon")  # the bot now asks for a coupon code
    assert "coupon" in chat.text.lower()
    code = outbox.last_code(ALEX)
    await chat.say(f"{code[:3]} {code[3:]}")
    assert f"{ALEX} is verified" in chat.text
    assert ALEX in (await usher.identity.verified(Fan("console", "f2"))).emails


async def test_send_a_new_code_goes_to_the_same_address(usher: Usher, outbox: Outbox) -> None:
    chat = await code_on_its_way(usher, "f3")
    first = outbox.last_code(ALEX)
    await chat.say("send a new code please")
    assert "new code to a***a@example.com" in chat.text
    assert [to for to, _, _ in outbox.sent] == [ALEX, ALEX]
    second = outbox.last_code(ALEX)
    if second != first:
        await chat.say(first)
        assert "isn't right" in chat.text, "the earlier code no longer works"
    await chat.press("verify:resend")  # the button does the same
    assert "new code to a***a@example.com" in chat.text
    await chat.say(outbox.last_code(ALEX))
    assert f"{ALEX} is verified" in chat.text


async def test_spanish_send_a_new_code(usher: Usher, outbox: Outbox) -> None:
    chat = Chat(usher, "f4", locale="es")
    await chat.say("mis entradas")
    await chat.say(ALEX)
    await chat.say("no me ha llegado el código, envíame otro código")
    assert "código nuevo a a***a@example.com" in chat.text
    assert len(outbox.sent) == 2


async def test_new_codes_stay_within_the_send_limits(usher: Usher, outbox: Outbox) -> None:
    chat = await code_on_its_way(usher, "f5")
    for _ in range(5):
        await chat.say("resend the code")
    assert "too many codes" in chat.text
    assert len(outbox.sent) <= 3


async def test_a_mistyped_code_gets_a_hint_not_a_new_flow(usher: Usher, outbox: Outbox) -> None:
    chat = await code_on_its_way(usher, "f6")
    code = outbox.last_code(ALEX)
    await chat.say(code[:5])
    assert "A code has 6 digits" in chat.text
    await chat.say(code + "9")
    assert "A code has 6 digits" in chat.text
    await chat.say(code)
    assert f"{ALEX} is verified" in chat.text


async def test_six_digits_with_no_code_pending_are_not_a_code(usher: Usher) -> None:
    chat = Chat(usher, "f7")
    await chat.say("123456")
    assert "verified" not in chat.text
    await chat.say("send a new code")
    assert "new code to" not in chat.text
