"""The fan's language from their words, the locale as prior, explicit switches that stick."""

from __future__ import annotations

import pytest

from bot.intents.language import Choice, choose, detect, explicit_choice


@pytest.mark.parametrize(
    "text",
    [
        "¿dónde están mis entradas?",
        "hola",
        "necesito mis entradas para esta noche",
        "quiero un reembolso",
        "gracias!",
        "mis boletos porfa",
        "no me llegó el correo",
        "a qué hora abren las puertas",
    ],
)
def test_spanish_words_say_spanish(text: str) -> None:
    assert detect(text) == "es"


@pytest.mark.parametrize(
    "text",
    [
        "where are my tickets?",
        "hello",
        "I need my tickets for tonight",
        "thanks!",
        "what time do doors open",
        "transfer my ticket to a friend",
    ],
)
def test_english_words_say_english(text: str) -> None:
    assert detect(text) == "en"


@pytest.mark.parametrize(
    "text",
    ["100148401", "alex.rivera@example.com", "ok", "👍", "+1 415 555 0134", "AAA5", "Lee", ""],
)
def test_no_evidence_keeps_the_language_in_use(text: str) -> None:
    assert detect(text) is None
    assert choose(text, "es", pinned=False).lang == "es"
    assert choose(text, "en", pinned=False).lang == "en"


def test_a_mix_with_no_clear_winner_keeps_the_language_in_use() -> None:
    assert choose("hola! where are my entradas", "en", pinned=False).lang == "en"
    assert choose("hola! where are my entradas", "es", pinned=False).lang == "es"


@pytest.mark.parametrize(
    ("text", "lang", "rest"),
    [
        ("english please", "en", ""),
        ("English, please!", "en", ""),
        ("in english", "en", ""),
        ("can you speak english", "en", ""),
        ("en español", "es", ""),
        ("En español por favor", "es", ""),
        ("habla español", "es", ""),
        ("spanish please", "es", ""),
        ("en español: mis entradas", "es", "mis entradas"),
    ],
)
def test_explicit_switches(text: str, lang: str, rest: str) -> None:
    assert explicit_choice(text) == Choice(lang, explicit=True, rest=rest)


def test_a_chosen_language_sticks_against_the_words() -> None:
    assert choose("hola, mis entradas", "en", pinned=True).lang == "en"
    assert choose("en español", "en", pinned=True) == Choice("es", explicit=True, rest="")
    assert explicit_choice("where are my tickets in english") is None
