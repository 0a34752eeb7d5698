"""``config/staff.toml``: the shipped example, the hours' arithmetic, and start-up refusals."""

from __future__ import annotations

import os
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import copy
from bot.app.settings import load_settings
from bot.errors import ConfigError
from bot.staff_config import (
    DEFAULT_STAFF_FILE,
    StaffConfigError,
    SupportHours,
    load_staff_config,
)

LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)


def test_the_shipped_file_has_a_week_of_hours_and_canned_replies_in_every_language() -> None:
    staff = load_staff_config()
    assert staff.hours.week is not None
    assert staff.hours.week[0] == ((time(9), time(18)),)
    assert date(2026, 12, 25) in staff.hours.closed
    assert len(staff.canned) >= 3
    for reply in staff.canned:
        assert set(reply.texts) == set(copy.languages()), reply.id
    assert staff.canned_reply("looking_into_it") is not None
    assert staff.canned_reply("nope") is None


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "staff.toml"
    path.write_text(text)
    return path


def test_hours_with_stretches_midnight_and_closed_days(tmp_path: Path) -> None:
    hours = load_staff_config(
        write(
            tmp_path,
            '[hours]\nmon = "09:00-12:30, 13:30-18:00"\ntue = "18:00-24:00"\n'
            'closed = ["2026-12-14"]\n',
        )
    ).hours
    monday = datetime(2026, 12, 7, tzinfo=LA)
    assert hours.is_open(monday.replace(hour=9), LA)
    assert not hours.is_open(monday.replace(hour=12, minute=45), LA)  # lunch
    assert hours.next_open(monday.replace(hour=12, minute=45), LA) == monday.replace(
        hour=13, minute=30
    )
    assert hours.is_open(datetime(2026, 12, 8, 23, 59, tzinfo=LA), LA)  # until midnight
    # After Tuesday's close: Wednesday to Sunday are closed, and so is Monday the 14th.
    assert hours.next_open(datetime(2026, 12, 8, 8, tzinfo=LA), LA) == datetime(
        2026, 12, 8, 18, tzinfo=LA
    )
    assert hours.next_open(datetime(2026, 12, 9, tzinfo=LA), LA) == datetime(
        2026, 12, 15, 18, tzinfo=LA
    )
    # The venue's zone decides: 19:00 UTC on Tuesday is 11:00 in Los Angeles, before opening.
    utc = datetime(2026, 12, 8, 19, tzinfo=ZoneInfo("UTC"))
    assert hours.is_open(utc, ZoneInfo("UTC"))
    assert not hours.is_open(utc, LA)


def test_no_hours_table_is_a_desk_that_is_always_staffed(tmp_path: Path) -> None:
    staff = load_staff_config(write(tmp_path, ""))
    assert staff.hours == SupportHours()
    assert staff.hours.is_open(datetime(2026, 12, 25, 3, tzinfo=LA), LA)
    assert staff.canned == ()


def test_a_desk_that_never_opens_has_no_return_time(tmp_path: Path) -> None:
    hours = load_staff_config(write(tmp_path, "[hours]\n")).hours
    assert hours.next_open(datetime(2026, 12, 7, tzinfo=LA), LA) is None


def test_a_canned_reply_without_the_fans_language_falls_back_to_english(tmp_path: Path) -> None:
    [reply] = load_staff_config(
        write(tmp_path, '[[canned]]\nid = "hi"\nlabel = "Hi"\nen = " Hello! "\n')
    ).canned
    assert reply.text("es") == reply.text("en") == "Hello!"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[hours\n", "not valid TOML"),
        ("[desk]\n", "unknown table 'desk'"),
        ('[hours]\nmonday = "09:00-18:00"\n', "[hours] has no day 'monday'"),
        ('[hours]\nmon = "9 to 5"\n', "[hours] mon: '9 to 5' is not like"),
        ('[hours]\nmon = "18:00-09:00"\n', "[hours] mon: '18:00-09:00' must end after it starts"),
        ('[hours]\nmon = "09:00-25:00"\n', "[hours] mon: 25:00 is not a time of day"),
        ('[hours]\nclosed = ["25 Dec"]\n', "[hours] closed: '25 Dec' is not a YYYY-MM-DD date"),
        ('[[canned]]\nid = "A B"\nlabel = "x"\nen = "x"\n', "[[canned]] #1: id must be"),
        ('[[canned]]\nid = "a"\nlabel = "x"\nes = "x"\n', "needs its English text"),
        ('[[canned]]\nid = "a"\nlabel = "x"\nen = "x"\nfr = "x"\n', "unknown key 'fr'"),
        ('[[canned]]\nid = "a"\nlabel = "' + "x" * 76 + '"\nen = "x"\n', "label must be 1-75"),
        (
            '[[canned]]\nid = "a"\nlabel = "x"\nen = "x"\n[[canned]]\nid = "a"\nlabel = "y"\n'
            'en = "y"\n',
            "[[canned]] #2: id 'a' is used twice",
        ),
    ],
)
def test_a_wrong_staff_file_stops_start_up_with_one_line_naming_the_entry(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(StaffConfigError) as raised:
        load_staff_config(path)
    assert problem in str(raised.value)
    with pytest.raises(ConfigError) as stopped:
        load_settings(staff_config=str(path))
    line = str(stopped.value)
    assert line.startswith(f"USHER_STAFF_CONFIG: {path}: ")
    assert problem in line
    assert "\n" not in line


def test_a_missing_staff_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as stopped:
        load_settings(staff_config=str(tmp_path / "missing.toml"))
    assert str(stopped.value).startswith("USHER_STAFF_CONFIG: ")
    assert "cannot be read" in str(stopped.value)


def test_unset_means_the_shipped_file() -> None:
    assert load_settings().staff_config is None
    assert DEFAULT_STAFF_FILE.name == "staff.toml"
