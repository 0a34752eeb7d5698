"""Which of a fan's events they mean: "tonight", "this weekend", "sábado", "the jazz concert".

The recogniser hands over the words a fan used for an event (the ``event`` slot, as typed);
this module reads them against the fan's own upcoming events, never against a catalogue, so
"the jazz thing" only has to be told apart from the two or three events the fan holds tickets
for. Day words are read in the venue's zone (``USHER_TIMEZONE``): "tonight" at a venue in
Los Angeles is the Los Angeles evening, wherever the fan's phone is. Names are matched word by
word with rapidfuzz, so typos ("jaz"), extra words ("the sailing trip") and a few Spanish
words for English names ("concierto de jazz") still find the event.

With no words at all, :func:`default_choice` picks what a fan at the door most likely wants:
tonight's (today's) events, else the next one; the rest are offered as buttons, not sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz

from bot.intents.lexicon import EVENT_DAY_MODIFIERS, EVENT_GENERIC, EVENT_JOINERS
from bot.intents.text import fold

_TODAY: Final = frozenset({"tonight", "tonite", "2nite", "today", "tdy", "hoy"})
_TOMORROW: Final = frozenset({"tomorrow", "tmrw", "tmr", "tmw", "2moro", "manana"})
_WEEKEND: Final = frozenset({"weekend", "wknd", "weekends", "finde"})
_NIGHT: Final = frozenset({"night", "evening", "noche"})
_WEEKDAYS: Final = {
    **dict.fromkeys(("monday", "mon", "lunes"), 0),
    **dict.fromkeys(("tuesday", "tue", "tues", "martes"), 1),
    **dict.fromkeys(("wednesday", "wed", "miercoles"), 2),
    **dict.fromkeys(("thursday", "thu", "thur", "thurs", "jueves"), 3),
    **dict.fromkeys(("friday", "fri", "viernes"), 4),
    **dict.fromkeys(("saturday", "sat", "sabado"), 5),
    **dict.fromkeys(("sunday", "sun", "domingo"), 6),
}
#: "next saturday": the one after today even when today is a Saturday.
_NEXT: Final = frozenset({"next", "proximo", "proxima"})
#: Spanish words for the English words event names use most (names are matched both ways).
_SYNONYMS: Final = {
    "concierto": "concert",
    "visita": "tour",
    "museo": "museum",
    "noche": "night",
    "tarde": "evening",
    "exposicion": "exhibition",
    "navegar": "sailing",
    "velero": "sailing",
    "senderismo": "hiking",
    "excursion": "hiking",
}
#: Words that carry no part of a name.
_IGNORED: Final = EVENT_JOINERS | frozenset({"a", "an", "my", "mi", "mis", "los", "las"})
#: How alike two words must be (rapidfuzz ratio, 0-100): "jaz" and "jazz" are, "band" and
#: "bang" are not. Words under three letters must be typed exactly.
WORD_MATCH: Final = 80.0
#: Share of the fan's name words an event must match to count as named.
NAME_MATCH: Final = 0.5


@dataclass(frozen=True)
class HeldEvent:
    """An upcoming event the fan holds tickets for; ``key`` is its ``tickets:`` button argument."""

    key: str
    name: str
    start: datetime | None


@dataclass(frozen=True)
class Wanted:
    """What a fan's event words ask for: some days, some name words, or both."""

    days: frozenset[date] | None
    name: tuple[str, ...]

    @property
    def anything(self) -> bool:
        """False when the words named neither a day nor a name ("the show")."""
        return self.days is not None or bool(self.name)


def read_words(words: str, today: date) -> Wanted:
    """Day words become dates (``today`` is the venue's), the rest the name to look for."""
    tokens = [fold(word) for word in words.replace("'", " ").replace("-", " ").split()]
    days: set[date] = set()
    name: list[str] = []
    for index, word in enumerate(tokens):
        before = tokens[index - 1] if index else ""
        if word in _TODAY or (word in _NIGHT and before in EVENT_DAY_MODIFIERS):
            days.add(today)
        elif word in _TOMORROW:
            days.add(today + timedelta(days=1))
        elif word in _WEEKEND or (word == "semana" and before == "de" and "fin" in tokens):
            days |= _weekend(today, after_this=before in _NEXT)
        elif word in _WEEKDAYS:
            days.add(_next_weekday(today, _WEEKDAYS[word], strictly=before in _NEXT))
        elif word in EVENT_DAY_MODIFIERS or word in _IGNORED or word == "fin":
            continue
        else:
            name.append(word)
    return Wanted(frozenset(days) if days else None, tuple(name))


def _next_weekday(today: date, weekday: int, *, strictly: bool) -> date:
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and strictly:
        ahead = 7
    return today + timedelta(days=ahead)


def _weekend(today: date, *, after_this: bool) -> set[date]:
    """The coming Saturday and Sunday (what is left of it on a weekend day); with "next", the
    weekend after that one."""
    if today.weekday() == 6:
        return {today + timedelta(days=6), today + timedelta(days=7)} if after_this else {today}
    saturday = _next_weekday(today, 5, strictly=False)
    if after_this:
        saturday += timedelta(days=7)
    return {saturday, saturday + timedelta(days=1)}


def find(events: list[HeldEvent], wanted: Wanted, tz: ZoneInfo) -> list[HeldEvent]:
    """The fan's events that match the day(s) and the name; best name matches only."""
    found = events
    if wanted.days is not None:
        found = [e for e in found if e.start is not None and _day(e.start, tz) in wanted.days]
    if not wanted.name:
        return found
    scored = [(name_score(wanted.name, event.name), event) for event in found]
    best = max((score for score, _ in scored), default=0.0)
    if best < NAME_MATCH:
        # Only words that say "an event" ("the concert") and match none: no name was given.
        if all(word in EVENT_GENERIC for word in wanted.name):
            return found
        return []
    return [event for score, event in scored if score >= best]


def name_score(words: tuple[str, ...], name: str) -> float:
    """The share of the fan's words found in the event's name (generic words count only when
    there is nothing else: "the concert" among a concert and a tour)."""
    name_words = [fold(w) for w in name.replace("-", " ").split() if fold(w) not in _IGNORED]
    specific = [word for word in words if word not in EVENT_GENERIC]
    counted = specific or list(words)
    matched = sum(_word_in(word, name_words) for word in counted)
    return matched / len(counted) if counted else 0.0


def _word_in(word: str, name_words: list[str]) -> bool:
    for candidate in {word, _SYNONYMS.get(word, word)}:
        for other in name_words:
            if candidate == other:
                return True
            if min(len(candidate), len(other)) >= 3 and fuzz.ratio(candidate, other) >= WORD_MATCH:
                return True
    return False


def default_choice(
    events: list[HeldEvent], now: datetime, tz: ZoneInfo
) -> tuple[list[HeldEvent], list[HeldEvent]]:
    """(shown, offered): today's events, else the next one; the others become buttons."""
    if len(events) <= 1:
        return events, []
    today = now.astimezone(tz).date()
    shown = [e for e in events if e.start is not None and _day(e.start, tz) == today]
    if not shown:
        shown = events[:1]
    return shown, [e for e in events if e not in shown]


def _day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()
