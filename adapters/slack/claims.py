"""Slack events handled once across processes, however often Slack delivers them.

Slack retries an event it did not see acknowledged (``X-Slack-Retry-Num``), possibly to
another process. Events are claimed on their ``event_id`` in Redis before any work (SET NX);
a claim is released when the work fails, so the retry of a failed first delivery still runs.
The claim is short while work runs (a process that dies mid-way does not block retries for
long) and is kept for a day once the work is done.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog

from adapters.store.store import Store

log = structlog.get_logger("usher.slack")

#: How long an event's claim lasts while it is worked on, and once it is done.
CLAIM_WORKING = 60.0
CLAIM_DONE = 24 * 3600.0


class EventClaims:
    """Claims on Slack ``event_id`` values in Redis (SET NX)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @asynccontextmanager
    async def once(self, event_id: str) -> AsyncIterator[bool]:
        """True for the first delivery of an event across processes (see module docstring)."""
        if not event_id:
            yield True
            return
        key = self.store.key("slack", "event", event_id)
        if not await self.store.claim(key, ttl=CLAIM_WORKING):
            log.info("slack_event_duplicate", event_id=event_id)
            yield False
            return
        try:
            yield True
        except BaseException:
            with contextlib.suppress(Exception):
                await self.store.release(key)
            raise
        await self.store.redis.set(key, b"done", px=int(CLAIM_DONE * 1000))
