"""The copy file: every fan language says everything, with the same placeholders."""

from __future__ import annotations

import string

import pytest

from bot import copy


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_the_staff_table_is_not_a_fan_language() -> None:
    assert copy.languages() == ("en", "es")
    assert copy.pick_language("slack") == "en"
    assert copy.staff("refused").startswith("Sorry")


@pytest.mark.parametrize("lang", [lang for lang in copy.languages() if lang != "en"])
def test_every_language_has_every_message_with_the_same_placeholders(lang: str) -> None:
    english, other = copy.catalogue()["en"], copy.catalogue()[lang]
    assert set(other) == set(english)
    for key, text in english.items():
        assert placeholders(other[key]) == placeholders(text), key
