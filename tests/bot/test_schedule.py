"""When scheduled work runs: pure rules, no Redis, no arq."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.app.settings import load_settings
from bot.errors import ConfigError
from bot.schedule import (
    BACKOFF_CAP,
    REFRESH_LEAD,
    backoff,
    ready_due,
    ready_job,
    refresh_job,
    remind_job,
)


def test_backoff_doubles_from_a_minute_and_stops_at_an_hour() -> None:
    assert [backoff(n) for n in range(1, 9)] == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert backoff(50) == BACKOFF_CAP


def test_job_ids_carry_the_event_time_so_a_moved_event_is_a_new_job() -> None:
    first, moved = refresh_job("r", 1_900_000_000), refresh_job("r", 1_900_086_400)
    assert first.job_id != moved.job_id
    assert first.at == 1_900_000_000 - REFRESH_LEAD == 1_900_000_000 - 20 * 3600
    assert first.expires_at > 1_900_000_000, "kept until after the event, for late retries"
    assert remind_job("r", 1_900_000_000, 3 * 3600).at == 1_900_000_000 - 3 * 3600


@pytest.mark.parametrize(
    ("zone", "utc_hour"),
    [("UTC", 9), ("America/New_York", 13), ("Europe/Madrid", 7), ("Pacific/Kiritimati", 19)],
)
def test_the_ready_check_is_the_named_day_at_nine_venue_time(zone: str, utc_hour: int) -> None:
    # 2030-06-03: summer time where there is any.
    due = datetime.fromtimestamp(ready_due(date(2030, 6, 3), ZoneInfo(zone)), UTC)
    assert due.hour == utc_hour
    local = due.astimezone(ZoneInfo(zone))
    assert (local.date(), local.hour) == (date(2030, 6, 3), 9)


def test_the_ready_check_follows_daylight_saving_time() -> None:
    zone = ZoneInfo("America/New_York")
    winter = datetime.fromtimestamp(ready_due(date(2030, 1, 7), zone), UTC)
    assert winter.hour == 14
    job = ready_job("r", date(2030, 1, 7), 1_900_000_000, zone)
    assert job.job_id == "ready:r:2030-01-07"


@pytest.fixture
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)


@pytest.mark.usefixtures("_clean_env")
@pytest.mark.parametrize(
    ("given", "seconds"),
    [(None, 3 * 3600), ("3h", 3 * 3600), ("90m", 5400), ("1d", 86400), ("45", 45), ("2.5H", 9000)],
)
def test_reminder_lead_reads_durations(
    monkeypatch: pytest.MonkeyPatch, given: str | None, seconds: int
) -> None:
    if given is not None:
        monkeypatch.setenv("USHER_REMINDER_BEFORE", given)
    assert load_settings().reminder_before == timedelta(seconds=seconds)


@pytest.mark.usefixtures("_clean_env")
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("USHER_REMINDER_BEFORE", "soon"),
        ("USHER_REMINDER_BEFORE", "0h"),
        ("USHER_REMINDER_BEFORE", "8d"),
        ("USHER_TM_REFRESH_RATE", "0"),
        ("USHER_TM_REFRESH_RATE", "fast"),
    ],
)
def test_a_bad_job_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{name}: ")
    assert "\n" not in message
