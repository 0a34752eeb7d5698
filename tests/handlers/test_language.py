"""Language from the fan's words: Spanish typed on an English phone gets Spanish, and sticks."""

from __future__ import annotations

from bot.app.bootstrap import Usher
from tests.support.chat import Chat


async def test_spanish_typed_on_an_english_locale_gets_spanish(usher: Usher) -> None:
    chat = Chat(usher, "lang1", locale="en-US")
    await chat.say("¿dónde están mis entradas?")
    assert chat.text.startswith("Primero necesito comprobar que eres tú"), chat.text
    # From that message on: a message with no words of either language stays in Spanish.
    await chat.say("ok")
    assert chat.text == "👍"
    await chat.say("gracias")
    assert "De nada" in chat.text


async def test_english_words_switch_back_and_the_locale_is_only_a_prior(usher: Usher) -> None:
    chat = Chat(usher, "lang2", locale="es-ES")
    await chat.say("help")
    assert chat.text.startswith("Here's what I can do")
    await chat.say("hola")
    assert chat.text.startswith("Esto es lo que puedo hacer")


async def test_an_explicit_choice_sticks(usher: Usher) -> None:
    chat = Chat(usher, "lang3", locale="es")
    await chat.say("english please")
    assert chat.text.startswith("Okay, I'll write in English")
    await chat.say("hola, ¿qué puedes hacer?")
    assert chat.text.startswith("Here's what I can do"), chat.text
    await chat.say("en español: mis entradas")
    assert chat.text.startswith("Primero necesito comprobar que eres tú"), chat.text
    await chat.say("thanks")
    assert "De nada" in chat.text
