"""The staff audit log in Redis: one stream for everything, one small stream per order.

``audit`` holds every action, newest last (XADD), trimmed to the newest :data:`MAX_ENTRIES`;
``audit:order:{id}`` holds the same entries for one order, so ``/usher audit <order>`` is one
XREVRANGE however busy the desk is; ``audit:ratings`` holds the fans' ratings, so the week's
summary is one XRANGE from a week ago (stream ids are milliseconds). They are written in one
MULTI/EXEC so they never disagree.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis.typing import EncodableT, FieldT

from adapters.store.store import Store, awaited
from bot.staff import RATING, AuditEntry

#: Entries kept in the main stream (approximately: XADD MAXLEN ~ trims cheaply).
MAX_ENTRIES = 100_000
#: Entries kept per order; an order with more staff actions than this is an odd order.
MAX_PER_ORDER = 1_000
#: Ratings kept (far more than a week's).
MAX_RATINGS = 100_000
FIELDS = ("who", "action", "order", "detail")


class RedisAuditLog:
    """``bot.staff.AuditLog`` on Redis streams."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    async def record(self, who: str, action: str, *, order: str = "", detail: str = "") -> None:
        """XADD the entry to the main stream (and to the order's, when it names one)."""
        entry: dict[FieldT, EncodableT] = {
            "at": f"{self.clock():.3f}",
            "who": who,
            "action": action,
            "order": order,
            "detail": detail,
        }
        async with self.store.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self.store.key("audit"), entry, maxlen=MAX_ENTRIES, approximate=True)
            if order:
                pipe.xadd(
                    self.store.key("audit", "order", order),
                    entry,
                    maxlen=MAX_PER_ORDER,
                    approximate=True,
                )
            if action == RATING:
                pipe.xadd(
                    self.store.key("audit", "ratings"),
                    entry,
                    maxlen=MAX_RATINGS,
                    approximate=True,
                )
            await pipe.execute()

    async def latest(self, *, order: str | None = None, count: int = 20) -> list[AuditEntry]:
        """The newest ``count`` entries, newest first."""
        key = self.store.key("audit", "order", order) if order else self.store.key("audit")
        rows = await awaited(self.store.redis.xrevrange(key, count=count))
        return [_entry(fields) for _, fields in rows]

    async def ratings(self, since: float) -> list[AuditEntry]:
        """The ratings recorded since ``since``, oldest first (one XRANGE by time)."""
        start = f"{max(0, int(since * 1000))}-0"
        rows = await awaited(self.store.redis.xrange(self.store.key("audit", "ratings"), start))
        return [entry for _, fields in rows if (entry := _entry(fields)).at >= since]


def _entry(fields: dict[bytes, bytes]) -> AuditEntry:
    text = {key.decode(): value.decode() for key, value in fields.items()}
    return AuditEntry(
        at=float(text.get("at", "0")),
        **{name: text.get(name, "") for name in FIELDS},
    )
