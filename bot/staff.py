"""What the staff consoles share: who may do what, the audit log, errors worded for staff.

Support agents and marketing work in Slack (``/usher``), not as fans: they act on *any* order
or event, so the fans' ownership rule (``bot.orders``) does not apply to them. Instead, their
role is checked on every command and every button (payloads come back untrusted), and every
action is written to an append-only audit log, so "who looked at or changed this order?" always
has an answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot import copy


@dataclass(frozen=True)
class Roles:
    """Slack user ids allowed to use the support and the marketing commands."""

    agents: frozenset[str]
    marketers: frozenset[str]

    def is_agent(self, user_id: str) -> bool:
        """May use ``find``, ``event``, ``audit`` and handle handoffs."""
        return user_id in self.agents

    def is_marketer(self, user_id: str) -> bool:
        """May use ``link``, ``links`` and ``revoke``."""
        return user_id in self.marketers


@dataclass(frozen=True)
class AuditEntry:
    """One staff action: who did what, to which order (or fan, or link), when."""

    at: float
    who: str
    action: str
    order: str = ""
    detail: str = ""


#: The audit action of a fan's rating of the help they got; ``who`` is the agent rated and
#: ``detail`` starts with the stars (``"4/5 telegram"``).
RATING = "rating"
#: The ratings ``/usher audit`` sums up.
RATING_DAYS = 7


class AuditLog(Protocol):
    """Append-only record of staff actions (a Redis stream in production)."""

    async def record(self, who: str, action: str, *, order: str = "", detail: str = "") -> None:
        """Append one entry."""
        ...

    async def latest(self, *, order: str | None = None, count: int = 20) -> list[AuditEntry]:
        """The newest entries first, for one order when given."""
        ...

    async def ratings(self, since: float) -> list[AuditEntry]:
        """The :data:`RATING` entries recorded since ``since`` (UNIX time), oldest first."""
        ...


@dataclass(frozen=True)
class PendingRating:
    """A closed handoff the fan has not rated yet: who helped, and where (Slack thread)."""

    agent: str
    thread: str


@dataclass(frozen=True)
class RatingSummary:
    """Fans' ratings over a period: how many, and their average (None without any)."""

    count: int
    average: float | None


def summarise_ratings(entries: Sequence[AuditEntry]) -> RatingSummary:
    """Count and average the stars of :data:`RATING` entries (malformed ones are skipped)."""
    stars = []
    for entry in entries:
        head = entry.detail.split("/", 1)[0]
        if entry.action == RATING and head.isdigit() and 1 <= int(head) <= 5:
            stars.append(int(head))
    return RatingSummary(len(stars), sum(stars) / len(stars) if stars else None)


class StaffError(Exception):
    """A staff request that cannot be done as asked; ``key`` names its text in ``[slack]``."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def text(self) -> str:
        """The message for the agent or marketer."""
        return copy.staff(self.key, **self.values)
