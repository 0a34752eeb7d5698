""" "Resend my confirmation email": ACME's resend call for an order the fan may see, to the
order's own email only, throttled; on the sandbox (which records every mail ACME would send)."""

from __future__ import annotations

from adapters.sandbox.acme.state import AcmeSandboxState
from adapters.sandbox.faults import Fault
from bot.app.bootstrap import Usher
from tests.handlers.test_journeys import ALEX, JANE, verify_by_code
from tests.support.chat import Chat, Outbox


def mails(usher: Usher) -> list[tuple[str, str]]:
    assert usher.sandbox is not None
    state: AcmeSandboxState = usher.sandbox.acme.state.acme
    return state.emails_sent


async def test_the_only_order_is_resent_to_its_own_email(usher: Usher, outbox: Outbox) -> None:
    chat = Chat(usher, "rc1")
    await chat.say("my orders")
    await verify_by_code(chat, outbox, JANE)
    await chat.say("resend my confirmation email")
    assert mails(usher) == [("100148401", JANE)]
    assert "#100148401" in chat.text
    assert "j***e@gmail.com" in chat.text
    assert JANE not in chat.text


async def test_several_orders_ask_which_and_the_button_is_checked_again(
    usher: Usher, outbox: Outbox
) -> None:
    chat = Chat(usher, "rc2")
    await chat.say("can you send the confirmation email again?")
    assert "make sure it's you" in chat.text
    await verify_by_code(chat, outbox, ALEX)
    resend = [p for p in chat.payloads if p.startswith("resend:")]
    assert len(resend) == 5, chat.text
    await chat.press(resend[0])
    [(number, email)] = mails(usher)
    assert email == ALEX
    assert f"#{number}" in chat.text
    stranger = Chat(usher, "rc2-stranger")
    await stranger.press(resend[1])
    assert "make sure it's you" in stranger.text
    await stranger.say("my orders")
    await verify_by_code(stranger, outbox, JANE)  # verified, but not as Alex
    await stranger.press(resend[1])
    assert "couldn't find an order" in stranger.text
    assert len(mails(usher)) == 1, "no mail for an order the fan may not see"


async def test_an_address_typed_in_the_chat_is_never_the_destination(
    usher: Usher, outbox: Outbox
) -> None:
    chat = Chat(usher, "rc3")
    await chat.say("my orders")
    await verify_by_code(chat, outbox, JANE)
    await chat.say("resend the confirmation of order 100148401 to thief@example.com")
    assert all(email == JANE for _, email in mails(usher))


async def test_one_mail_per_order_per_quarter_hour_and_three_an_hour(
    usher: Usher, outbox: Outbox
) -> None:
    chat = Chat(usher, "rc4")
    await chat.say("my orders")
    await verify_by_code(chat, outbox, ALEX)
    await chat.say("resend my confirmation")
    buttons = [p for p in chat.payloads if p.startswith("resend:")]
    await chat.press(buttons[0])
    await chat.press(buttons[0])
    assert "a few minutes ago" in chat.text
    assert len(mails(usher)) == 1
    await chat.press(buttons[1])
    await chat.press(buttons[2])
    assert len(mails(usher)) == 3
    await chat.press(buttons[3])
    assert "wait an hour" in chat.text
    assert len(mails(usher)) == 3


async def test_acme_down_is_explained_and_the_order_can_be_tried_again(
    usher: Usher, outbox: Outbox
) -> None:
    chat = Chat(usher, "rc5")
    await chat.say("my orders")
    await verify_by_code(chat, outbox, JANE)
    assert usher.sandbox is not None
    usher.sandbox.faults.add(Fault("/v2/b2b/orders", status=503, times=1))  # never retried
    await chat.say("resend my confirmation email")
    assert "isn't answering" in chat.text
    assert mails(usher) == []
    await chat.say("resend my confirmation email")
    assert mails(usher) == [("100148401", JANE)]


async def test_in_spanish(usher: Usher, outbox: Outbox) -> None:
    chat = Chat(usher, "rc6", locale="es")
    await chat.say(JANE)
    await chat.say(outbox.last_code(JANE))
    await chat.say("reenvíame el correo de confirmación")
    assert "va de nuevo a j***e@gmail.com" in chat.text
    assert mails(usher) == [("100148401", JANE)]
