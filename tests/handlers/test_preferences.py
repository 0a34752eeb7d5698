"""The reminder and offer switches: fixed phrases (English, Spanish) and buttons."""

from __future__ import annotations

import pytest

from bot.app.bootstrap import Usher
from bot.intents.recognise import recognise
from bot.messages import Fan
from handlers.preferences import switch_of
from tests.support.chat import Chat


@pytest.mark.parametrize(
    ("text", "switch"),
    [
        ("stop reminders", "reminders-off"),
        ("Stop reminders!", "reminders-off"),
        ("please turn off the event reminders", "reminders-off"),
        ("no more reminders", "reminders-off"),
        ("Parar recordatorios", "reminders-off"),
        ("no más recordatorios, por favor", "reminders-off"),
        ("start reminders", "reminders-on"),
        ("activar recordatorios", "reminders-on"),
        ("send me offers", "offers-on"),
        ("Send me offers please", "offers-on"),
        ("subscribe me to deals", "offers-on"),
        ("envíame ofertas", "offers-on"),
        ("quiero ofertas", "offers-on"),
        ("stop offers", "offers-off"),
        ("unsubscribe", "offers-off"),
        ("no más ofertas", "offers-off"),
        ("stop", None),
        ("when do reminders stop?", None),
        ("stop sending me my tickets", None),
        ("where are my tickets", None),
        ("offers", None),
    ],
)
def test_a_switch_is_a_whole_message(text: str, switch: str | None) -> None:
    assert switch_of(text) == switch


def test_stop_alone_still_cancels() -> None:
    assert recognise("stop").intent == "cancel"


async def test_switches_change_the_fans_preferences_and_say_so(usher: Usher) -> None:
    preferences = usher.scheduling.preferences
    fan = Fan("console", "p1")
    chat = Chat(usher, "p1")
    assert await preferences.reminders_on(fan), "reminders are on by default"
    assert not await preferences.offers_on(fan), "offers are off by default"

    await chat.say("stop reminders")
    assert "no more event reminders" in chat.text
    assert not await preferences.reminders_on(fan)
    await chat.say("send me offers")
    assert "You're in" in chat.text
    assert await preferences.offers_on(fan)
    assert await preferences.offer_fans("", 10) == [fan]

    await chat.press("prefs:offers-off")
    assert "no more offers" in chat.text
    assert await preferences.offer_fans("", 10) == []
    await chat.press("prefs:reminders-on")
    assert await preferences.reminders_on(fan)
    await chat.press("prefs:everything-off")
    assert "expired" in chat.text


async def test_a_switch_answers_in_the_fans_language(usher: Usher) -> None:
    chat = Chat(usher, "p2", locale="es")
    await chat.say("parar ofertas")
    assert "no más ofertas" in chat.text


async def test_a_switch_works_while_the_bot_waits_for_something_else(usher: Usher) -> None:
    chat = Chat(usher, "p3")
    await chat.say("where is my order?")
    await chat.press("verify:email")
    assert "email" in chat.text
    await chat.say("stop reminders")
    assert "no more event reminders" in chat.text
