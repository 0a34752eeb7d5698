"""Times as fans, agents and pages read them: the venue's wall clock, with its zone's name."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.formatting import when

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def test_a_venue_evening_is_shown_at_the_venue_not_in_utc() -> None:
    # The sandbox's jazz night: 19:30 in Los Angeles is 03:30 UTC the next day in winter.
    concert = datetime(2026, 12, 10, 3, 30, tzinfo=UTC)
    assert when(concert, LOS_ANGELES) == "Wed 9 Dec 2026, 19:30 PST"
    assert when(concert, LOS_ANGELES, "es") == "mié 9 dic 2026, 19:30 PST"
    assert when(concert, ZoneInfo("UTC")) == "Thu 10 Dec 2026, 03:30 UTC"


def test_summer_time_has_its_own_abbreviation() -> None:
    concert = datetime(2026, 7, 9, 2, 30, tzinfo=UTC)
    assert when(concert, LOS_ANGELES) == "Wed 8 Jul 2026, 19:30 PDT"


def test_the_hour_that_happens_twice_is_told_apart() -> None:
    """The night clocks go back, 01:30 comes twice: the abbreviation says which one."""
    first = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    second = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    assert when(first, LOS_ANGELES).endswith("01:30 PDT")
    assert when(second, LOS_ANGELES).endswith("01:30 PST")


def test_zones_without_letters_read_as_an_offset() -> None:
    moment = datetime(2026, 12, 10, 22, 0, tzinfo=UTC)
    assert when(moment, ZoneInfo("America/Sao_Paulo")) == "Thu 10 Dec 2026, 19:00 UTC-03"


def test_a_date_alone_needs_no_zone() -> None:
    concert = datetime(2026, 12, 10, 3, 30, tzinfo=UTC)
    assert when(concert, LOS_ANGELES, time=False) == "Wed 9 Dec 2026"
    assert when(None, LOS_ANGELES) == ""
