"""Redis streams read through consumer groups: their names, and the group mechanics they share.

Two queues work this way: the Telegram inbox (webhook updates, worked off by every ``usher
serve``) and the ``handoff`` stream (fans' requests for a person, posted to Slack). Both need
the same five moves, which live here once:

* **join**: create the group, reading from the start of the stream, unless it exists (and again
  after the stream was deleted, when Redis answers ``NOGROUP``: :func:`lost_group`);
* **read**: new entries for one consumer (XREADGROUP ``>``);
* **reclaim**: entries another consumer read but left idle too long (XAUTOCLAIM), so work held
  by a dead process is taken over; entries trimmed from the stream meanwhile are acknowledged
  and dropped (Redis 7 lists them apart, 6.2 lists them with no fields);
* **acknowledge** (XACK), optionally deleting the entry too, so the stream holds only backlog;
* **touch**: reset the idle time of entries still being worked on (XCLAIM to oneself).

Every consumer gets a unique name (:func:`consumer_name`), so a restarted process never
inherits its predecessor's pending list by accident: that is what reclaim is for.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from typing import Any

import redis.asyncio as redis_asyncio
from redis.asyncio.client import Pipeline
from redis.exceptions import ResponseError
from redis.typing import KeyT

from adapters.store.store import awaited

#: Key parts of every stream read through a group (``Store.key(*parts)``), by gauge label:
#: ``/metrics`` reports each one's length as ``usher_queue_depth``.
HANDOFF = ("handoff",)
TELEGRAM_INBOX = ("telegram", "inbox")
GROUP_STREAMS = {"handoff": HANDOFF, "telegram_inbox": TELEGRAM_INBOX}


@dataclass(frozen=True)
class StreamEntry:
    """One entry as the group hands it out."""

    id: str
    fields: dict[bytes, bytes]


def consumer_name() -> str:
    """A name no other consumer of any process has: host, pid and a random tail."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def lost_group(exc: ResponseError) -> bool:
    """True when the stream (and so its group) was deleted: join again and carry on."""
    return "NOGROUP" in str(exc)


class ConsumerGroup:
    """One stream and one consumer group on it: every command a consumer needs."""

    def __init__(self, redis: redis_asyncio.Redis, stream: str, group: str) -> None:
        self.redis = redis
        self.stream = stream
        self.group = group

    async def join(self) -> None:
        """Create the group (reading from the start of the stream) unless it exists."""
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read(self, consumer: str, count: int, block_ms: int) -> list[StreamEntry]:
        """New entries for ``consumer`` (waits up to ``block_ms`` for the first)."""
        read = await self.redis.xreadgroup(
            self.group, consumer, {self.stream: ">"}, count=count, block=max(block_ms, 1)
        )
        if not read:
            return []
        return [StreamEntry(text(entry_id), fields) for entry_id, fields in read[0][1]]

    async def reclaim(
        self, consumer: str, idle_ms: int, count: int, start: str = "0-0"
    ) -> tuple[str, list[StreamEntry]]:
        """Entries nobody touched for ``idle_ms``, now ``consumer``'s, and the next cursor."""
        cursor, claimed, *rest = await self.redis.xautoclaim(
            self.stream, self.group, consumer, min_idle_time=idle_ms, start_id=start, count=count
        )
        gone = [text(entry_id) for entry_id in (rest[0] if rest else [])]
        gone += [text(entry_id) for entry_id, fields in claimed if fields is None]
        if gone:
            await self.ack(*gone)
        live = [StreamEntry(text(eid), fields) for eid, fields in claimed if fields is not None]
        return text(cursor), live

    async def ack(self, *entry_ids: str) -> None:
        """Acknowledge entries: handled, or gone for good."""
        if entry_ids:
            await awaited(self.redis.xack(self.stream, self.group, *entry_ids))

    async def ack_and_delete(self, entry_id: str) -> None:
        """Acknowledge a handled entry and delete it, in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            self.queue_ack_and_delete(pipe, entry_id)
            await pipe.execute()

    def queue_ack_and_delete(self, pipe: Pipeline, entry_id: str) -> None:
        """Add the acknowledgement and deletion of ``entry_id`` to ``pipe``.

        No MULTI needed: an entry acknowledged but not yet deleted is handled (nobody reads it
        again) and deleted by the next trim; the reverse order could leave a ghost pending.
        """
        pipe.xack(self.stream, self.group, entry_id)
        pipe.xdel(self.stream, entry_id)

    async def touch(self, consumer: str, entry_ids: list[str]) -> None:
        """Reset the idle time of entries ``consumer`` is still working on."""
        if entry_ids:
            ids: list[KeyT | int] = list(entry_ids)
            await self.redis.xclaim(
                self.stream, self.group, consumer, min_idle_time=0, message_ids=ids, justid=True
            )

    async def deliveries(self, entry_id: str) -> int:
        """How many times the group has handed this entry out."""
        pending = await self.redis.xpending_range(
            self.stream, self.group, min=entry_id, max=entry_id, count=1
        )
        return int(pending[0]["times_delivered"]) if pending else 0

    async def pending_ids(self, start: str, end: str, count: int) -> list[str]:
        """Ids of pending entries between ``start`` and ``end`` (XPENDING bounds)."""
        pending = await self.redis.xpending_range(
            self.stream, self.group, min=start, max=end, count=count
        )
        return pending_ids_of(pending)

    def queue_pending_ids(self, pipe: Pipeline, start: str, end: str, count: int) -> None:
        """:meth:`pending_ids` as a command for ``pipe`` (read its result with
        :func:`pending_ids_of`)."""
        pipe.xpending_range(self.stream, self.group, min=start, max=end, count=count)


def pending_ids_of(pending: list[dict[str, Any]]) -> list[str]:
    """The entry ids in an XPENDING answer (as redis-py parses it)."""
    return [text(row["message_id"]) for row in pending]


def text(value: bytes | str) -> str:
    """Redis answers bytes; ids and fields are ASCII/UTF-8 text."""
    return value.decode() if isinstance(value, bytes) else value
