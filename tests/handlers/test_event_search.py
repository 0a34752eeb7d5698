"""Events by name and date: the date phrases, the name matching, and the sandbox's catalog."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from adapters.sandbox.acme.catalog_data import JAZZ
from bot.app.bootstrap import Usher
from bot.staff import StaffError
from handlers.event_search import EventSearch, names_word, take_day, words_of

SUNDAY = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("typed", "day", "rest"),
    [
        ("Sat 12 Dec", date(2026, 12, 12), []),
        ("jazz sat", date(2026, 12, 12), ["jazz"]),
        ("jazz Saturday 2", date(2026, 12, 12), ["jazz", "2"]),
        ("12 Dec jazz", date(2026, 12, 12), ["jazz"]),
        ("Dec 12th", date(2026, 12, 12), []),
        ("Saturday, 12 December 2026", date(2026, 12, 12), []),
        ("1 Jan", date(2027, 1, 1), []),  # the next 1 January
        ("5 dec", date(2027, 12, 5), []),  # yesterday's date is next year's
        ("today", SUNDAY, []),
        ("tonight jazz", SUNDAY, ["jazz"]),
        ("tomorrow", date(2026, 12, 7), []),
        ("sun", SUNDAY, []),  # today is a Sunday
        ("mon", date(2026, 12, 7), []),
        ("2026-12-24 adult", date(2026, 12, 24), ["adult"]),
        ("jazz 2 AAA5", None, ["jazz", "2", "AAA5"]),
        ("12 2", None, ["12", "2"]),
    ],
)
def test_date_phrases_are_read_in_any_position(
    typed: str, day: date | None, rest: list[str]
) -> None:
    assert take_day(typed.split(), SUNDAY) == (day, rest)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Fri 12 Dec", "link_day_mismatch"),
        ("31 Feb", "link_bad_date"),
        ("2026-13-01", "link_bad_date"),
    ],
)
def test_impossible_dates_are_refused_not_guessed(typed: str, key: str) -> None:
    with pytest.raises(StaffError) as raised:
        take_day(typed.split(), SUNDAY)
    assert raised.value.key == key
    if key == "link_day_mismatch":
        assert raised.value.text() == "`fri 12 dec` doesn't add up: that day is a Saturday."


def test_names_match_whole_words_and_close_spellings() -> None:
    assert words_of("Évening Jazz-Concert") == ["evening", "jazz", "concert"]
    for typed in ("jazz", "jaz", "jazzz", "concret", "concierto"):
        assert names_word(typed, [JAZZ.name]), typed
    for typed in ("night", "ja", "tour"):
        assert not names_word(typed, [JAZZ.name]), typed


async def test_the_catalog_is_searched_by_name_and_by_day(usher: Usher) -> None:
    search = EventSearch(usher.acme, usher.settings.zone())
    now = datetime.now(UTC)
    found = await search.find(["jazz", "night"], None, now)
    assert found.unmatched == ["night"]
    assert len(found.matches) >= 4  # weekly, for the next 90 days of the sandbox's catalog
    assert {m.name for m in found.matches} == {JAZZ.name}
    starts = [m.start for m in found.matches]
    assert all(s is not None and s >= now for s in starts)
    assert starts == sorted(starts)  # type: ignore[type-var]

    first = found.matches[0]
    assert first.start is not None
    day = first.start.astimezone(usher.settings.zone()).date()
    [that_night] = (await search.find(["jazz"], day, now)).matches
    assert that_night == first
    everything = await search.find([], day, now)
    assert first in everything.matches
    assert len({m.name for m in everything.matches}) > 1  # other events that day too
    assert (await search.find(["opera"], None, now)).matches == []
    assert (await search.find(["jazz"], now.date() - timedelta(days=2), now)).matches == []
