"""The venue's facts and policies (``config/venue.toml``): what fans are told about the place.

Kept out of code and out of the bot's own copy because each venue has its own doors, parking,
bag rules and refund policy, written by the venue, in every language the bot speaks. The file
is read and checked once at start-up: an answer missing in one language, or a placeholder the
file does not define, stops the start with one line (a fan must never meet a half-written
policy), rather than failing on the first fan who asks.
"""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from bot import copy

DEFAULT_VENUE_FILE: Final = Path(__file__).resolve().parent.parent / "config" / "venue.toml"
#: What a fan may ask about the venue (the recogniser's ``topic`` slot for venue questions).
QUESTIONS: Final = ("doors", "parking", "bags", "accessibility", "age", "address", "contact")
#: The policies answered when a fan asks to transfer, resell, refund, upgrade or replace tickets.
POLICIES: Final = ("transfer", "resale", "refund", "upgrade", "lost")
ANSWERS: Final = QUESTIONS + POLICIES
#: The facts a venue states once, for every language (placeholders in the answers).
FACTS: Final = ("name", "address", "map_url", "phone", "email", "hours")


class VenueFileError(ValueError):
    """The venue file cannot be used as it is (the message says why, in one line)."""


#: ``doors_open_before``: how long before an event its doors open ("30m", "1h").
DOORS_LEAD: Final = re.compile(r"(\d{1,3})\s*(m|h)")


@dataclass(frozen=True)
class Venue:
    """A venue's facts, and its answers by language and topic (already filled in)."""

    facts: dict[str, str]
    answers: dict[str, dict[str, str]]
    #: Seconds before an event's start that its doors open, for the "doors open" notice
    #: (``[venue] doors_open_before``); None: the venue states none, so no such notice.
    doors_before: float | None = None
    #: Where a lapsed member renews (``[venue] membership_url``); None: the fan is offered a
    #: person instead.
    membership_url: str | None = None

    @property
    def map_url(self) -> str:
        """The venue's address as a maps link."""
        return self.facts["map_url"]

    def answer(self, topic: str, lang: str) -> str:
        """The answer about ``topic`` in ``lang`` (English when the language is unknown)."""
        table = self.answers.get(lang) or self.answers[copy.DEFAULT_LANGUAGE]
        return table[topic]


@lru_cache(maxsize=4)
def load_venue(path: Path = DEFAULT_VENUE_FILE) -> Venue:
    """Read and check the venue file; :class:`VenueFileError` says what is wrong."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise VenueFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise VenueFileError(f"{path}: not valid TOML ({exc})") from None
    facts = _table(data, "venue", path)
    for fact in FACTS:
        if not isinstance(facts.get(fact), str) or not facts[fact].strip():
            raise VenueFileError(f"{path}: [venue] needs {fact}")
    if not facts["map_url"].startswith("https://"):
        raise VenueFileError(f"{path}: [venue] map_url must be an https:// link")
    answers: dict[str, dict[str, str]] = {}
    for lang in copy.languages():
        table = _table(data, lang, path)
        answers[lang] = {topic: _answer(table, topic, lang, facts, path) for topic in ANSWERS}
    kept = {k: str(v) for k, v in facts.items() if k in FACTS}
    renew = facts.get("membership_url")
    if renew is not None and not str(renew).startswith("https://"):
        raise VenueFileError(f"{path}: [venue] membership_url must be an https:// link")
    doors = _doors_before(facts.get("doors_open_before"), path)
    return Venue(kept, answers, doors, str(renew) if renew is not None else None)


def _doors_before(value: object, path: Path) -> float | None:
    """``"30m"`` -> 1800.0; absent -> None (a venue may state no doors time)."""
    if value is None:
        return None
    match = DOORS_LEAD.fullmatch(str(value).strip().lower())
    if match is None or int(match[1]) == 0:
        raise VenueFileError(f'{path}: [venue] doors_open_before must look like "30m" or "1h"')
    return int(match[1]) * (60.0 if match[2] == "m" else 3600.0)


def _table(data: dict[str, object], name: str, path: Path) -> dict[str, str]:
    table = data.get(name)
    if not isinstance(table, dict):
        raise VenueFileError(f"{path}: needs a [{name}] table")
    return table


def _answer(table: dict[str, str], topic: str, lang: str, facts: dict[str, str], path: Path) -> str:
    text = table.get(topic)
    if not isinstance(text, str) or not text.strip():
        raise VenueFileError(f"{path}: [{lang}] needs {topic}")
    names = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    unknown = names - set(FACTS)
    if unknown:
        raise VenueFileError(f"{path}: [{lang}] {topic} uses unknown {{{sorted(unknown)[0]}}}")
    return text.strip().format(**facts)
