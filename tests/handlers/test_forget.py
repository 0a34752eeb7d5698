""" "Forget me" / "not me": a fan takes back what they proved (real Redis, the sandbox)."""

from __future__ import annotations

import pytest

from bot.app.bootstrap import Usher
from bot.messages import Fan
from handlers.forget import asks_to_be_forgotten
from tests.support.chat import Chat, Outbox

ALEX = "alex.rivera@example.com"


@pytest.mark.parametrize(
    "text",
    [
        "forget me",
        "Forget me, please",
        "not me",
        "That's not me!",
        "forget my email",
        "wrong person",
        "log out",
        "olvídame",
        "No soy yo",
        "borra mis datos",
        "cerrar sesión",
    ],
)
def test_the_phrases_that_ask_to_be_forgotten(text: str) -> None:
    assert asks_to_be_forgotten(text)


@pytest.mark.parametrize(
    "text",
    ["forget it", "I forgot my email", "stop", "not my order", "where are my tickets? not me"],
)
def test_other_messages_are_not_a_request_to_be_forgotten(text: str) -> None:
    assert not asks_to_be_forgotten(text)


async def test_forget_me_drops_every_proof_and_tickets_need_verifying_again(
    usher: Usher, outbox: Outbox
) -> None:
    fan = Fan("console", "forgetful")
    chat = Chat(usher, fan.user_id)
    await chat.say("my tickets")
    await chat.say(ALEX)
    await chat.say(outbox.last_code(ALEX))
    assert chat.qr_values
    await chat.share("+1 415 555 0134")
    assert (await usher.identity.verified(fan)).anything

    await chat.say("Forget me, please")
    assert "forgotten the email addresses and phone numbers" in chat.text
    assert not (await usher.identity.verified(fan)).anything
    await chat.say("my tickets")
    assert "make sure it's you" in chat.text
    assert chat.qr_values == []


async def test_a_code_on_its_way_is_void_after_not_me(usher: Usher, outbox: Outbox) -> None:
    chat = Chat(usher, "wrong-address")
    await chat.say("my orders")
    await chat.say(ALEX)
    code = outbox.last_code(ALEX)
    await chat.say("that's not me")
    assert "any code on its way" in chat.text
    await chat.say(code)
    assert "verified" not in chat.text
    assert not (await usher.identity.verified(Fan("console", "wrong-address"))).anything


async def test_spanish_fans_are_answered_in_spanish(usher: Usher) -> None:
    chat = Chat(usher, "olvido", locale="es")
    await chat.share("+1 415 555 0134")
    await chat.say("No soy yo")
    assert "he olvidado los emails y teléfonos" in chat.text
    assert not (await usher.identity.verified(Fan("console", "olvido"))).anything


async def test_forget_it_still_cancels_and_keeps_the_proofs(usher: Usher) -> None:
    chat = Chat(usher, "canceller")
    await chat.share("+1 415 555 0134")
    await chat.say("forget it")
    assert "stopped" in chat.text or "Nothing to cancel" in chat.text
    assert (await usher.identity.verified(Fan("console", "canceller"))).phones
