"""Events by the words a marketer uses: "jazz", "jazz night", "Sat 12 Dec", "jazz saturday".

ACME's catalog has no search: it lists event templates (``GET /v2/b2c/event/templates``, the
events for sale) and each template's time slots in a window (``.../templates/{id}/times``; an
instance id per slot). So a query is read in two parts: a *date phrase* ("today", "tomorrow",
"Sat", "12 Dec", "Sat 12 Dec 2026", "Dec 12", "2026-12-12"), which picks the window, and
*name words*, matched against the templates' names word by word the way a fan's words are
matched against their own events (``bot.events.name_score``: rapidfuzz, so "jaz", "jazz" and
"jazzz" all find "Evening Jazz Concert"). The templates that match the most words win; their
upcoming slots (in the window, or in the next :data:`HORIZON`) are the matches, soonest first.
Words that match no name are handed back, so the caller can say what it took them for.

Dates are read in the venue's time zone: "Sat" is the coming Saturday (today, if today is
one), "12 Dec" the next 12 December. "Sat 12 Dec" on a day that is no Saturday is refused
rather than guessed at.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.acme.catalog_models import EventTemplate, EventTime
from bot.events import name_score
from bot.intents.text import fold
from bot.staff import StaffError

#: How far ahead events are looked for when no date is given.
HORIZON = timedelta(days=90)
#: Templates whose times are fetched for one query (the best-matching first).
MAX_TEMPLATES = 10
#: Matches offered at most (a Slack select takes 100; more is no choice for a person).
MAX_MATCHES = 25
WEEKDAYS = {
    name: index
    for index, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "weds", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
RELATIVE_DAYS = {"today": 0, "tonight": 0, "tomorrow": 1}
DAY_OF_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$")
YEAR = re.compile(r"^20\d\d$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Little words that name nothing.
STOP_WORDS = frozenset({"the", "a", "an", "and", "of", "at", "in", "on", "for", "with", "&"})


class Catalog(Protocol):
    """ACME's catalog calls (``adapters.acme.client.AcmeClient`` fits)."""

    async def list_event_templates(
        self,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        membership_id: int | None = None,
    ) -> list[EventTemplate]:
        """The events for sale in a window."""
        ...

    async def event_times(
        self,
        template_id: str,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        membership_id: int | None = None,
    ) -> list[EventTime]:
        """A template's time slots in a window."""
        ...


@dataclass(frozen=True)
class EventMatch:
    """One dated event instance that fits the query."""

    instance_id: str
    name: str
    start: datetime | None


@dataclass(frozen=True)
class Found:
    """What a query found: the matches (soonest first), whether more were left out, and the
    words that matched no event name."""

    matches: list[EventMatch]
    more: bool
    unmatched: list[str]


def words_of(text: str) -> list[str]:
    """Lower-case words without accents: "Évening Jazz-Concert" -> evening, jazz, concert."""
    return [w for w in re.split(r"[^0-9a-z]+", fold(text)) if w]


def names_word(typed: str, names: list[str]) -> bool:
    """True when ``typed`` is a word (or a close spelling of one) of one of the names."""
    return any(name_score((typed,), name) > 0 for name in names)


def take_day(words: list[str], today: date) -> tuple[date | None, list[str]]:
    """The first date phrase in ``words`` and the words left around it.

    StaffError ``link_bad_date`` for an impossible date, ``link_day_mismatch`` for a
    weekday that does not fit the date.
    """
    lowered = [w.casefold().strip(",.") for w in words]
    for start in range(len(words)):
        found = _day_at(lowered, start, today)
        if found is not None:
            day, end = found
            return day, words[:start] + words[end:]
    return None, list(words)


def _day_at(words: list[str], start: int, today: date) -> tuple[date, int] | None:
    """A date phrase starting at ``words[start]``: the day and where the phrase ends."""
    word = words[start]
    if word in RELATIVE_DAYS:
        return today + timedelta(days=RELATIVE_DAYS[word]), start + 1
    if ISO_DATE.match(word):
        try:
            return date.fromisoformat(word), start + 1
        except ValueError:
            raise StaffError("link_bad_date", date=word) from None
    at = start
    weekday = WEEKDAYS.get(word)
    if weekday is not None:
        at += 1
    day_month = _day_month(words, at)
    if day_month is None:
        if weekday is None:
            return None
        return today + timedelta(days=(weekday - today.weekday()) % 7), at
    (day_number, month, year), at = day_month
    typed = " ".join(words[start:at])
    try:
        day = date(year or today.year, month, day_number)
        if year is None and day < today:
            day = date(today.year + 1, month, day_number)
    except ValueError:
        raise StaffError("link_bad_date", date=typed) from None
    if weekday is not None and day.weekday() != weekday:
        raise StaffError("link_day_mismatch", date=typed, weekday=DAY_NAMES[day.weekday()])
    return day, at


def _day_month(words: list[str], at: int) -> tuple[tuple[int, int, int | None], int] | None:
    """``12 Dec`` or ``Dec 12``, with an optional year, at ``words[at]``."""
    if at + 1 >= len(words):
        return None
    first, second = words[at], words[at + 1]
    number = DAY_OF_MONTH.match(first)
    if number is not None and second in MONTHS:
        day, month = int(number[1]), MONTHS[second]
    elif first in MONTHS and (number := DAY_OF_MONTH.match(second)) is not None:
        day, month = int(number[1]), MONTHS[first]
    else:
        return None
    end = at + 2
    year = None
    if end < len(words) and YEAR.match(words[end]):
        year, end = int(words[end]), end + 1
    return (day, month, year), end


class EventSearch:
    """Finds event instances in ACME's catalog by name words and a day."""

    def __init__(self, catalog: Catalog, tz: ZoneInfo) -> None:
        self.catalog = catalog
        self.tz = tz

    async def find(self, name_words: list[str], day: date | None, now: datetime) -> Found:
        """The upcoming instances of the best-matching templates (on ``day`` when given)."""
        if day is not None:
            start = max(now, datetime.combine(day, time(), self.tz))
            end = datetime.combine(day + timedelta(days=1), time(), self.tz)
        else:
            start, end = now, now + HORIZON
        if end <= start:  # a day that is over
            return Found([], False, [])
        templates = await self.catalog.list_event_templates(start_time=start, end_time=end)
        typed = [w for word in name_words for w in words_of(word) if w not in STOP_WORDS]
        names = [" ".join(words_of(t.name)) for t in templates]
        unmatched = [w for w in typed if not names_word(w, names)]
        wanted = [w for w in typed if w not in unmatched]
        if wanted:
            scores = [sum(names_word(w, [n]) for w in wanted) for n in names]
            best = max(scores, default=0)
            templates = [t for t, score in zip(templates, scores, strict=True) if score == best]
        elif typed:  # words given, none names an event
            return Found([], False, unmatched)
        times = await asyncio.gather(
            *(
                self.catalog.event_times(t.id, start_time=start, end_time=end)
                for t in templates[:MAX_TEMPLATES]
            )
        )
        matches = [
            EventMatch(slot.id, template.name, slot.start_time)
            for template, slots in zip(templates, times, strict=False)
            for slot in slots
            if slot.start_time is None or start <= slot.start_time < end
        ]
        matches.sort(key=lambda m: m.start or datetime.max.replace(tzinfo=self.tz))
        more = len(matches) > MAX_MATCHES or len(templates) > MAX_TEMPLATES
        return Found(matches[:MAX_MATCHES], more, unmatched)
