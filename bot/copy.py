"""Fan-facing text: loaded once from ``config/messages.toml``, looked up by key and language.

Keeping every sentence in one file means Telegram, Slack and the terminal say the same thing,
and a copy editor can change wording without touching code. A missing key or placeholder is a
bug we want to see in tests, not a half-rendered message in front of a fan, so lookups are
strict.

Staff consoles (the Slack ``/usher`` command for support agents and marketing) have their own
table, ``[slack]``, in the same file: English only, since staff share one working language,
and kept apart from the fan languages so it never counts as one.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

DEFAULT_LANGUAGE = "en"
MESSAGES_FILE = Path(__file__).resolve().parent.parent / "config" / "messages.toml"
#: Tables of the copy file that are staff text, not a fan language.
STAFF_TABLES = frozenset({"slack"})


@lru_cache(maxsize=1)
def _tables() -> dict[str, dict[str, str]]:
    with MESSAGES_FILE.open("rb") as handle:
        data = tomllib.load(handle)
    return {name: {k: str(v) for k, v in table.items()} for name, table in data.items()}


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """Every fan language's messages, read once per process."""
    return {lang: table for lang, table in _tables().items() if lang not in STAFF_TABLES}


def languages() -> tuple[str, ...]:
    """The languages the copy exists in."""
    return tuple(catalogue())


def pick_language(locale: str | None) -> str:
    """``es-AR`` -> ``es``; anything unknown -> English."""
    if locale:
        base = locale.replace("_", "-").split("-")[0].lower()
        if base in catalogue():
            return base
    return DEFAULT_LANGUAGE


def text(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: object) -> str:
    """The message ``key`` in ``lang`` (English when the language is unknown), filled in."""
    table = catalogue().get(lang) or catalogue()[DEFAULT_LANGUAGE]
    return table[key].format(**values)


def staff(key: str, /, **values: object) -> str:
    """The staff console message ``key`` (the ``[slack]`` table), filled in."""
    return _tables()["slack"][key].format(**values)
