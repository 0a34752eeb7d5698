"""Reading "tonight", "this weekend", "sábado" and "the jazz concert" against a fan's events."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.events import HeldEvent, Wanted, default_choice, find, name_score, read_words

LA = ZoneInfo("America/Los_Angeles")
#: A Wednesday.
TODAY = date(2026, 12, 9)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=LA)


JAZZ = HeldEvent("ev:jazz", "Evening Jazz Concert", at(9, 19, 30))
TOUR = HeldEvent("ev:tour", "Behind-the-Scenes Tour", at(12, 14))
MUSEUM = HeldEvent("ev:ga", "Museum General Admission", at(13, 10))
SAILING = HeldEvent("tm-abc", "Sailing", at(18, 9))
EVENTS = [JAZZ, TOUR, MUSEUM, SAILING]


@pytest.mark.parametrize(
    ("words", "days"),
    [
        ("tonight", {date(2026, 12, 9)}),
        ("tonite", {date(2026, 12, 9)}),
        ("esta noche", {date(2026, 12, 9)}),
        ("this evening", {date(2026, 12, 9)}),
        ("hoy", {date(2026, 12, 9)}),
        ("tomorrow", {date(2026, 12, 10)}),
        ("mañana", {date(2026, 12, 10)}),
        ("saturday", {date(2026, 12, 12)}),
        ("sábado", {date(2026, 12, 12)}),
        ("sat", {date(2026, 12, 12)}),
        ("wednesday", {date(2026, 12, 9)}),
        ("next wednesday", {date(2026, 12, 16)}),
        ("this weekend", {date(2026, 12, 12), date(2026, 12, 13)}),
        ("el finde", {date(2026, 12, 12), date(2026, 12, 13)}),
        ("fin de semana", {date(2026, 12, 12), date(2026, 12, 13)}),
        ("next weekend", {date(2026, 12, 19), date(2026, 12, 20)}),
    ],
)
def test_day_words_are_venue_dates(words: str, days: set[date]) -> None:
    wanted = read_words(words, TODAY)
    assert wanted.days == frozenset(days)
    assert wanted.name == ()


def test_on_a_sunday_this_weekend_is_what_is_left_of_it() -> None:
    sunday = date(2026, 12, 13)
    assert read_words("this weekend", sunday).days == frozenset({sunday})
    saturday = date(2026, 12, 12)
    assert read_words("weekend", saturday).days == frozenset({sunday, saturday})


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("jazz concert", [JAZZ]),
        ("jazz", [JAZZ]),
        ("jaz concert", [JAZZ]),
        ("concierto de jazz", [JAZZ]),
        ("the jazz thing", [JAZZ]),
        ("tour", [TOUR]),
        ("behind the scenes tour", [TOUR]),
        ("visita guiada", [TOUR]),
        ("museo", [MUSEUM]),
        ("sailing trip", [SAILING]),
        ("tonight", [JAZZ]),
        ("this weekend", [TOUR, MUSEUM]),
        ("saturday", [TOUR]),
        ("tour saturday", [TOUR]),
        ("jazz saturday", []),  # the jazz night is not on Saturday
        ("gala", []),
        ("friend", []),
        ("the concert", [JAZZ]),
        ("the event", EVENTS),  # says "an event", names none
    ],
)
def test_a_fan_names_one_of_their_events(words: str, expected: list[HeldEvent]) -> None:
    assert find(EVENTS, read_words(words, TODAY), LA) == expected


def test_a_name_matches_word_by_word_not_by_chance() -> None:
    assert name_score(("band",), "Plain Barcode Band") == 1.0
    assert name_score(("bang",), "Plain Barcode Band") == 0.0
    assert name_score(("bro",), "The Rotating Symbols") == 0.0


def test_without_words_tonight_first_else_the_next_one() -> None:
    now = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)  # 04:00 in Los Angeles
    assert default_choice(EVENTS, now, LA) == ([JAZZ], [TOUR, MUSEUM, SAILING])
    later = [TOUR, MUSEUM, SAILING]
    assert default_choice(later, now, LA) == ([TOUR], [MUSEUM, SAILING])
    assert default_choice([TOUR], now, LA) == ([TOUR], [])
    assert default_choice([], now, LA) == ([], [])


def test_tonight_is_the_venues_evening_not_utcs() -> None:
    """At 02:00 UTC on the 10th it is still the 9th at the venue: tonight's jazz is on."""
    now = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
    today = now.astimezone(LA).date()
    assert find(EVENTS, read_words("tonight", today), LA) == [JAZZ]
    assert default_choice(EVENTS, now, LA)[0] == [JAZZ]


def test_words_naming_nothing() -> None:
    assert not Wanted(None, ()).anything
    assert read_words("this", TODAY) == Wanted(None, ())
