"""How amounts, dates and personal data look in messages and logs.

Dates are shown in the venue's time zone (``USHER_TIMEZONE``), because a fan reads "doors at
19:00" in the time of the place they are going to, not in UTC.
"""

from __future__ import annotations

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


def money(amount: Decimal | None, currency: str = "$") -> str:
    """``Decimal("255.00")`` -> ``$255.00``."""
    value = amount if amount is not None else Decimal("0")
    return f"{currency}{value:,.2f}"


def when(moment: datetime | None, tz: ZoneInfo, lang: str = "en", *, time: bool = True) -> str:
    """``Sat 15 May 2021, 19:00`` in the venue's zone (no time part when ``time`` is False)."""
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    days = WEEKDAYS.get(lang, WEEKDAYS["en"])
    months = MONTHS.get(lang, MONTHS["en"])
    day = f"{days[local.weekday()]} {local.day} {months[local.month - 1]} {local.year}"
    return f"{day}, {local:%H:%M}" if time else day


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
