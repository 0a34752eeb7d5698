"""How amounts, dates and personal data look in messages and logs.

Dates are shown in the venue's time zone (``USHER_TIMEZONE``), because a fan reads "doors at
19:00" in the time of the place they are going to, not in UTC. A time of day carries the zone's
abbreviation ("19:30 PST"): the reader may be elsewhere (a fan planning a trip, an agent in
another office, a phone set to another zone), and on the night clocks go back 01:30 happens
twice. A date alone needs none.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

WEEKDAYS = {
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    "es": ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"],
}
MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "es": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"],
}
#: An email or phone number anywhere in free text (what a fan typed, a log value).
EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
#: Not inside a longer run of letters and digits: a job id or a hex digest is no phone number
#: (masking part of one left log lines such as ``plan:090e***0469a8b2`` unreadable).
PHONE_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])\+?\d[\d ().-]{8,}\d(?![A-Za-z0-9])")
#: Fewer digits than this is an amount, a date or an order number, not a phone number.
MIN_PHONE_DIGITS = 10


def money(amount: Decimal | None, currency: str = "$") -> str:
    """``Decimal("255.00")`` -> ``$255.00``."""
    value = amount if amount is not None else Decimal("0")
    return f"{currency}{value:,.2f}"


def when(moment: datetime | None, tz: ZoneInfo, lang: str = "en", *, time: bool = True) -> str:
    """``Sat 15 May 2021, 19:00 PDT`` in the venue's zone (no time part when ``time`` is False)."""
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    days = WEEKDAYS.get(lang, WEEKDAYS["en"])
    months = MONTHS.get(lang, MONTHS["en"])
    day = f"{days[local.weekday()]} {local.day} {months[local.month - 1]} {local.year}"
    return f"{day}, {clock_time(local)}" if time else day


def clock_time(local: datetime) -> str:
    """``19:30 PDT``: the wall-clock time of an aware datetime with its zone's abbreviation."""
    return f"{local:%H:%M} {zone_name(local)}"


def zone_name(local: datetime) -> str:
    """The zone's abbreviation at that moment (``PST``, ``CET``), or ``UTC-03`` for zones whose
    database entry has no letters (``-03``)."""
    name = local.tzname() or ""
    return f"UTC{name}" if name.startswith(("+", "-")) else name


def mask_email(email: str | None) -> str:
    """``janedoe@gmail.com`` -> ``j***e@gmail.com`` (for logs and shared channels)."""
    if not email or "@" not in email:
        return "***"
    local, _, domain = email.partition("@")
    if len(local) <= 2:
        return f"{local[:1]}***@{domain}"
    return f"{local[0]}***{local[-1]}@{domain}"


def mask_phone(phone: str | None) -> str:
    """``+14155550134`` -> ``***0134``."""
    if not phone:
        return "***"
    digits = [c for c in phone if c.isdigit()]
    return "***" + "".join(digits[-4:])


def mask_name(first: str | None, last: str | None) -> str:
    """``Jane``, ``Doe`` -> ``J. D.``: enough for an agent to match a caller, no more."""
    initials = [f"{part.strip()[0].upper()}." for part in (first, last) if part and part.strip()]
    return " ".join(initials) or "***"


def mask_text(text: str) -> str:
    """Every email and phone number in free text masked; the rest left as it is.

    Used for log values and for what a fan wrote when it is shown in a shared Slack channel.
    Digit runs shorter than a phone number (amounts, dates, order numbers) stay readable.
    """

    def phone(match: re.Match[str]) -> str:
        digits = sum(ch.isdigit() for ch in match.group(0))
        return mask_phone(match.group(0)) if digits >= MIN_PHONE_DIGITS else match.group(0)

    text = EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)), text)
    return PHONE_IN_TEXT.sub(phone, text)
