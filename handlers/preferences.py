""" "Stop reminders", "start reminders", "send me offers", "stop offers", in English and Spanish.

These are settings, not journeys, so they have no intent of their own (the intent list is a
public contract): the conversation core checks these fixed phrases before recognising an
intent (``Routes.phrases``), and the same switches are buttons (``prefs:<switch>``) on the
reminder and offer messages. A phrase must be the whole message, give or take case, accents,
punctuation and a "please", so "stop" alone still cancels and "when do reminders stop?" is not
mistaken for a switch.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from bot.intents.text import fold
from bot.messages import Reply
from bot.preferences import Preferences
from bot.turn import Turn

_STOP = r"(stop|no more|turn off|switch off|disable|cancel|unsubscribe( from)?|mute)"
_START = r"(start|turn on|switch on|enable|resume|i want|send me|subscribe( me)?( to)?)"
_ES_STOP = r"(para|parar|detener|no mas|sin|desactivar|desactiva|quitar|quita|cancelar|baja( de)?)"
_ES_START = r"(activar|activa|quiero|enviame|mandame|envienme|reanudar|alta( de)?|suscribirme a)"
_ITS = r"((the|my|los|mis|las) )?"

#: switch -> the whole-message phrases that flip it (matched on folded, de-punctuated text).
SWITCHES: dict[str, re.Pattern[str]] = {
    "reminders-off": re.compile(
        rf"{_STOP} {_ITS}(event )?reminders?|reminders? off|{_ES_STOP} {_ITS}recordatorios?"
    ),
    "reminders-on": re.compile(
        rf"{_START} {_ITS}(event )?reminders?|reminders? on|{_ES_START} {_ITS}recordatorios?"
    ),
    "offers-off": re.compile(
        rf"{_STOP} {_ITS}(offers?|deals?|promos?)|offers? off|unsubscribe"
        rf"|{_ES_STOP} {_ITS}(ofertas?|promociones?)"
    ),
    "offers-on": re.compile(
        rf"{_START} {_ITS}(offers?|deals?|promos?)|offers? on"
        rf"|{_ES_START} {_ITS}(ofertas?|promociones?)"
    ),
}
_POLITE = re.compile(r"^(please|pls|por favor) | (please|pls|por favor)$")
_NOT_WORDS = re.compile(r"[^\w ]+")


def switch_of(text: str) -> str | None:
    """The switch a whole message asks for (``reminders-off``...), or None."""
    words = " ".join(_NOT_WORDS.sub(" ", fold(text)).split())
    words = _POLITE.sub("", words).strip()
    for switch, pattern in SWITCHES.items():
        if pattern.fullmatch(words):
            return switch
    return None


class PreferenceSwitches:
    """Flips a fan's reminder and offer settings, and says so."""

    def __init__(self, preferences: Preferences) -> None:
        self.preferences = preferences
        self._actions: dict[str, Callable[[Turn], Awaitable[None]]] = {
            "reminders-off": lambda turn: self.preferences.set_reminders(turn.fan, False),
            "reminders-on": lambda turn: self.preferences.set_reminders(turn.fan, True),
            "offers-off": lambda turn: self.preferences.set_offers(turn.fan, False),
            "offers-on": lambda turn: self.preferences.set_offers(turn.fan, True),
        }

    async def phrase(self, turn: Turn) -> list[Reply] | None:
        """``Routes.phrases``: handle the message if it is one of the switches, else None."""
        switch = switch_of(turn.inbound.text or "")
        if switch is None:
            return None
        return await self.button(turn, switch)

    async def button(self, turn: Turn, argument: str) -> list[Reply]:
        """``prefs:<switch>``; an unknown switch gets the stale-button answer."""
        action = self._actions.get(argument)
        if action is None:
            return [turn.reply("stale_button")]
        turn.intent = f"prefs:{argument}"
        await action(turn)
        return [turn.reply(f"prefs_{argument.replace('-', '_')}")]
