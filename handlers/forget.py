""" "Forget me" / "not me": a fan takes back everything they proved, in English or Spanish.

A proof (an email verified by code, a phone shared as the fan's own contact) is what opens a
fan's orders and tickets, so the fan must be able to drop it: on a shared or lost phone, after
verifying the wrong address, or simply to leave. Like the reminder switches, these are fixed
phrases checked before intent recognition (``Routes.phrases``): the whole message must be one
of them, give or take case, accents, punctuation and a "please", so "forget it" still cancels
and "I forgot my email" is not mistaken for a request to be forgotten.

What is dropped: every proof and any code on its way (``Identity.forget``, the same entry
point an agent's Slack action and a channel's sign-out use), what the bot was waiting for, and
the conversation history kept for agents.
"""

from __future__ import annotations

import re

from bot.identity import Identity
from bot.intents.text import fold
from bot.messages import Reply
from bot.turn import HISTORY, Turn

_MY = r"(my|all my|mi|mis|todos mis)"
_DATA = (
    r"(details?|data|info|information|e ?mail|email address|phone|phone number|number"
    r"|datos|informacion|correo|telefono|numero)"
)
#: Whole-message phrases (folded, punctuation removed) that mean "forget what I proved".
FORGET_PHRASES = re.compile(
    "|".join(
        (
            r"forget (about )?(me|who i am)",
            rf"(forget|delete|remove) {_MY} {_DATA}",
            r"((it|that|this) (s |is )?|its |thats )?not me",
            r"((that|this) (s |is )?|thats )?(the )?wrong (person|account|email)",
            r"log (me )?out|logout|sign (me )?out|signout",
            r"olvidame|olvidate de mi",
            rf"(olvida|olvidar|borra|borrar|elimina|eliminar) {_MY} {_DATA}",
            r"((ese|esa|esto|eso) )?no soy yo",
            r"(esa |ese )?no es mi (cuenta|correo|email|telefono)",
            r"cerrar sesion|cierra (mi )?sesion",
        )
    )
)
_POLITE = re.compile(r"^(please|pls|por favor) | (please|pls|por favor)$")
_NOT_WORDS = re.compile(r"[^\w ]+")


def asks_to_be_forgotten(text: str) -> bool:
    """True when the whole message asks the bot to forget what the fan proved."""
    words = " ".join(_NOT_WORDS.sub(" ", fold(text)).split())
    words = _POLITE.sub("", words).strip()
    return FORGET_PHRASES.fullmatch(words) is not None


class ForgetMe:
    """Drops the fan's proofs when they ask, and says what that means."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    async def phrase(self, turn: Turn) -> list[Reply] | None:
        """``Routes.phrases``: the fan's message, if it asks to be forgotten; else None."""
        if not asks_to_be_forgotten(turn.inbound.text or ""):
            return None
        turn.intent = "forget_me"
        return await self(turn)

    async def __call__(self, turn: Turn) -> list[Reply]:
        """Forget the proofs, the pending code, the question in progress and the history."""
        await self.identity.forget(turn.fan)
        turn.reset()
        turn.state.pop(HISTORY, None)
        return [turn.reply("forgot_you")]
