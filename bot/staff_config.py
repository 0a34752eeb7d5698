"""Staff settings from ``config/staff.toml``: support hours and the agents' canned replies.

Why a file and not environment variables: these are prose and a weekly timetable, edited by
whoever runs the support desk, and they must be the same in every process. The shipped file is
a working example (the sandbox uses it); ``USHER_STAFF_CONFIG`` points at a deployment's own.
It is read and checked once at start-up: a mistake stops ``usher`` with one line naming the
variable, the file and the entry, never a half-working desk.

Hours are the *staff's* hours, in the venue's time zone (``USHER_TIMEZONE``): when agents answer
handoffs. A fan who asks for a person outside them is told when someone will be back; inside
them, their place in the queue. No ``[hours]`` table means the desk is always staffed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot import copy

DEFAULT_STAFF_FILE = Path(__file__).resolve().parent.parent / "config" / "staff.toml"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
#: How far ahead "back at" is looked for; a desk closed longer than this has no answer.
LOOKAHEAD_DAYS = 60
#: Slack's limits: an option's text is at most 75 characters, a select at most 100 options,
#: and a modal's text input at most 3,000 characters.
MAX_LABEL = 75
MAX_CANNED = 100
MAX_TEXT = 3000
CANNED_ID = re.compile(r"^[a-z0-9_-]{1,40}$")

#: Opening and closing time of one stretch of a day (closing may be 24:00: midnight).
Stretch = tuple[time, time | None]


class StaffConfigError(ValueError):
    """The staff file is wrong; the message names the entry."""


@dataclass(frozen=True)
class CannedReply:
    """One ready-made answer: a label for the agents' menu, its text in each fan language."""

    id: str
    label: str
    texts: dict[str, str]

    def text(self, lang: str) -> str:
        """The text in the fan's language, English when it has none in it."""
        return self.texts.get(lang) or self.texts[copy.DEFAULT_LANGUAGE]


@dataclass(frozen=True)
class SupportHours:
    """When agents are at the desk; ``week`` is None for a desk that is always staffed."""

    week: tuple[tuple[Stretch, ...], ...] | None = None
    closed: frozenset[date] = frozenset()

    def is_open(self, moment: datetime, tz: ZoneInfo) -> bool:
        """True when ``moment`` falls in a stretch of its day (venue time)."""
        if self.week is None:
            return True
        local = moment.astimezone(tz)
        if local.date() in self.closed:
            return False
        return any(
            start <= local.time() and (end is None or local.time() < end)
            for start, end in self.week[local.weekday()]
        )

    def next_open(self, moment: datetime, tz: ZoneInfo) -> datetime | None:
        """The next time the desk opens after ``moment`` (None: not in the coming weeks)."""
        if self.week is None:
            return moment
        local = moment.astimezone(tz)
        for ahead in range(LOOKAHEAD_DAYS + 1):
            day = local.date() + timedelta(days=ahead)
            if day in self.closed:
                continue
            for start, _ in self.week[day.weekday()]:
                opens = datetime.combine(day, start, tz)
                if opens > local:
                    return opens
        return None


@dataclass(frozen=True)
class StaffConfig:
    """Everything ``config/staff.toml`` holds."""

    hours: SupportHours
    canned: tuple[CannedReply, ...] = ()

    def canned_reply(self, reply_id: str) -> CannedReply | None:
        """The canned reply with this id (from an untrusted menu choice), or None."""
        return next((c for c in self.canned if c.id == reply_id), None)


def load_staff_config(path: Path | None = None) -> StaffConfig:
    """Read and check the staff file; StaffConfigError naming the entry when it is wrong."""
    path = path or DEFAULT_STAFF_FILE
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise StaffConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise StaffConfigError(f"{path}: not valid TOML ({exc})") from None
    try:
        unknown = set(data) - {"hours", "canned"}
        if unknown:
            raise StaffConfigError(f"unknown table {sorted(unknown)[0]!r}")
        return StaffConfig(
            hours=_hours(data.get("hours")),
            canned=_canned(data.get("canned", [])),
        )
    except StaffConfigError as exc:
        raise StaffConfigError(f"{path}: {exc}") from None


def _hours(table: Any) -> SupportHours:
    if table is None:
        return SupportHours()
    if not isinstance(table, dict):
        raise StaffConfigError("[hours] must be a table")
    unknown = set(table) - {*DAYS, "closed"}
    if unknown:
        raise StaffConfigError(f"[hours] has no day {sorted(unknown)[0]!r} (use {', '.join(DAYS)})")
    week = tuple(_day(day, table.get(day, "")) for day in DAYS)
    closed = table.get("closed", [])
    if not isinstance(closed, list):
        raise StaffConfigError("[hours] closed must be a list of dates")
    days = set()
    for value in closed:
        try:
            days.add(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError:
            raise StaffConfigError(f"[hours] closed: {value!r} is not a YYYY-MM-DD date") from None
    return SupportHours(week, frozenset(days))


def _day(day: str, value: Any) -> tuple[Stretch, ...]:
    """``"09:00-12:30, 13:30-18:00"`` (or ``""`` for a closed day) as stretches."""
    if not isinstance(value, str):
        raise StaffConfigError(f'[hours] {day} must be a string like "09:00-18:00"')
    stretches: list[Stretch] = []
    for part in filter(None, (p.strip() for p in value.split(","))):
        match = RANGE.match(part)
        if match is None:
            raise StaffConfigError(f'[hours] {day}: {part!r} is not like "09:00-18:00"')
        start, end = _clock(day, match[1], match[2]), _clock(day, match[3], match[4])
        if start is None or (end is not None and end <= start):
            raise StaffConfigError(f"[hours] {day}: {part!r} must end after it starts")
        stretches.append((start, end))
    return tuple(sorted(stretches, key=lambda s: s[0]))


def _clock(day: str, hours: str, minutes: str) -> time | None:
    """A time of day; ``24:00`` is None (the end of the day)."""
    h, m = int(hours), int(minutes)
    if (h, m) == (24, 0):
        return None
    if h > 23 or m > 59:
        raise StaffConfigError(f"[hours] {day}: {hours}:{minutes} is not a time of day")
    return time(h, m)


def _canned(entries: Any) -> tuple[CannedReply, ...]:
    if not isinstance(entries, list) or len(entries) > MAX_CANNED:
        raise StaffConfigError(f"[[canned]] must be a list of at most {MAX_CANNED} replies")
    replies: list[CannedReply] = []
    for number, entry in enumerate(entries, start=1):
        where = f"[[canned]] #{number}"
        if not isinstance(entry, dict):
            raise StaffConfigError(f"{where} must be a table")
        reply_id, label = entry.get("id"), entry.get("label")
        if not isinstance(reply_id, str) or not CANNED_ID.match(reply_id):
            raise StaffConfigError(f"{where}: id must be 1-40 of a-z 0-9 _ -")
        if any(r.id == reply_id for r in replies):
            raise StaffConfigError(f"{where}: id {reply_id!r} is used twice")
        if not isinstance(label, str) or not 0 < len(label) <= MAX_LABEL:
            raise StaffConfigError(f"{where} ({reply_id}): label must be 1-{MAX_LABEL} characters")
        texts: dict[str, str] = {}
        for lang, value in entry.items():
            if lang in ("id", "label"):
                continue
            if lang not in copy.languages():
                langs = ", ".join(copy.languages())
                raise StaffConfigError(
                    f"{where} ({reply_id}): unknown key {lang!r} (texts are {langs})"
                )
            if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
                raise StaffConfigError(
                    f"{where} ({reply_id}): {lang} must be a text of 1-{MAX_TEXT} characters"
                )
            texts[lang] = value.strip()
        if copy.DEFAULT_LANGUAGE not in texts:
            raise StaffConfigError(f"{where} ({reply_id}): needs its English text (en)")
        replies.append(CannedReply(reply_id, label, texts))
    return tuple(replies)
