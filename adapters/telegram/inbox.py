"""The Telegram inbox: webhook updates in a Redis stream, worked off by every ``usher serve``.

This module holds the stream (:class:`Inbox`); ``adapters.telegram.inbox_consumer`` works it off.

Why: Telegram counts an update as delivered once the webhook answers 200 and never sends it
again. Handling it in the answering process's memory lost it when that process died mid-turn.
So the webhook answers 200 only once the update is in Redis (503 when Redis cannot take it:
Telegram keeps the update and retries), and every ``usher serve`` works the inbox off:

* **Intake** (:meth:`Inbox.add`): XADD the update's JSON and its sender's id to the stream
  ``telegram:inbox``. Handled entries are deleted, so the stream holds only the backlog;
  :data:`MAX_LENGTH` is a safety cap for a backlog nobody works off.
* **Consumers** (``adapters.telegram.inbox_consumer.InboxConsumer``): one per process, all in
  the consumer group :data:`GROUP`, each under its own name. XREADGROUP gives an entry to one
  of them; it stays in the group's pending list until it is handled, then is acknowledged and
  deleted.
* **Takeover**: a consumer touches the entries it holds every third of the takeover time
  (XCLAIM to itself, which resets their idle time). An entry nobody touched for the whole
  takeover time belongs to a process that died or hung, and the next consumer to look takes
  it (XAUTOCLAIM). The update's claim lapses just as fast (``adapters.telegram.claims``), so
  the new owner can handle it at once, and the turn's replies saved with the fan's state
  (``bot.conversation``) mean it sends only what the dead process had not.
* **Per-fan order**: Telegram sends a chat's next update only after the webhook answered the
  previous one, so the stream holds each fan's updates in their order. A consumer starts an
  entry only once no earlier entry of the same fan is pending anywhere in the group (until
  then it waits), so two processes never answer one fan's messages out of order.
* **Failures**: a failed attempt is retried in place with a backoff (``ATTEMPTS``). Then
  the entry is left pending for a later takeover, and once it has been delivered
  ``MAX_DELIVERIES`` times (at once for an update Telegram rejects as a bad request) it is
  logged and dropped, so that it cannot hold the fan's later messages back for ever.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache
from redis.asyncio.client import Pipeline
from telegram import Update

from adapters.store.store import Store
from adapters.store.streams import (
    TELEGRAM_INBOX,
    ConsumerGroup,
    StreamEntry,
    pending_ids_of,
    text,
)

#: The stream's key parts (one bot per Redis prefix, as for the fans' conversation state;
#: ``/metrics`` reports its length).
STREAM = TELEGRAM_INBOX
GROUP = "serve"
#: A safety cap: handled entries are deleted, so only a backlog nobody works off reaches it.
MAX_LENGTH = 100_000
_FAN_CACHE = 4_096
_PENDING_PAGE = 100
#: Updates this process took in and parsed, kept for its own consumer (see :meth:`Inbox.add`).
_PARSED_KEPT = 1_024


@dataclass(frozen=True)
class Entry:
    """One update in the inbox."""

    id: str
    update: bytes
    #: The sender's user id ("" when the update has none): a fan's entries keep their order.
    fan: str
    #: The update as the webhook of this process parsed it (None: parse ``update``).
    parsed: Update | None = field(default=None, compare=False, repr=False)


class Inbox:
    """The stream and its consumer group: every Redis command the inbox needs."""

    def __init__(self, store: Store) -> None:
        self.redis = store.redis
        self.stream = store.key(*STREAM)
        self.group = ConsumerGroup(store.redis, self.stream, GROUP)
        #: Entry id -> fan, for the order check (entries never change).
        self._fans: dict[str, str] = {}
        #: An update's bytes -> the update parsed at intake, until this process reads it.
        self._parsed: LRUCache[bytes, Update] = LRUCache(_PARSED_KEPT)
        self._cursor = "0-0"

    async def add(self, update: bytes, fan: str, parsed: Update | None = None) -> str:
        """Append an update (raises when Redis cannot take it).

        ``parsed``: the update as the webhook already parsed it (to check it), kept a while
        for this process's consumer, which most often reads the entry back: parsing it again
        was a tenth of a turn's CPU. It is kept under the update's own bytes, before the
        append, since the consumer may read the entry before the append's answer is back.
        Another process's consumer parses the stored JSON.
        """
        if parsed is not None:
            self._parsed[update] = parsed
        try:
            entry_id = await self.redis.xadd(
                self.stream, {"update": update, "fan": fan}, maxlen=MAX_LENGTH, approximate=True
            )
        except BaseException:
            self._parsed.pop(update, None)
            raise
        return text(entry_id)

    async def join(self) -> None:
        """Create the group (reading from the start of the stream) unless it exists."""
        await self.group.join()

    async def size(self) -> int:
        """Entries not handled yet (read or not)."""
        return int(await self.redis.xlen(self.stream))

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Entry]:
        """New entries for ``consumer`` (waits up to ``block_ms`` for the first)."""
        return [self._entry(row) for row in await self.group.read(consumer, count, block_ms)]

    async def reclaim(self, consumer: str, idle_ms: int, count: int) -> list[Entry]:
        """Entries nobody touched for ``idle_ms``, now ``consumer``'s."""
        self._cursor, claimed = await self.group.reclaim(consumer, idle_ms, count, self._cursor)
        return [self._entry(row) for row in claimed]

    async def touch(self, consumer: str, entry_ids: list[str]) -> None:
        """Reset the idle time of entries ``consumer`` is still working on."""
        await self.group.touch(consumer, entry_ids)

    async def done(self, entry_id: str) -> None:
        """Acknowledge and delete a handled entry."""
        await self.group.ack_and_delete(entry_id)
        self.forget(entry_id)

    def acknowledging(self, entry_id: str) -> Callable[[Pipeline], object]:
        """:meth:`done` as commands for another pipeline (the update's own finishing)."""

        def add(pipe: Pipeline) -> None:
            self.group.queue_ack_and_delete(pipe, entry_id)
            self.forget(entry_id)

        return add

    def forget(self, entry_id: str) -> None:
        """Drop what was remembered about a handled entry."""
        self._fans.pop(entry_id, None)

    async def deliveries(self, entry_id: str) -> int:
        """How many times the group has handed this entry out."""
        return await self.group.deliveries(entry_id)

    async def earlier_pending(self, entry: Entry, start: str = "-") -> bool:
        """True while an earlier entry of the same fan is pending in the group.

        Entries are handed out in stream order, so every earlier entry was delivered already:
        it is either pending (read, not yet handled) or gone. The pending list is short (the
        updates in hand), so one XPENDING usually answers. ``start``: look from there on.
        """
        if not entry.fan:
            return False
        while True:
            ids = await self.group.pending_ids(start, f"({entry.id}", _PENDING_PAGE)
            found = await self.among(entry, ids)
            if found is not None:
                return found
            start = f"({ids[-1]}"

    def queue_earlier_pending(self, pipe: Pipeline, entry: Entry) -> None:
        """The first page of :meth:`earlier_pending` as a command for ``pipe``."""
        self.group.queue_pending_ids(pipe, "-", f"({entry.id}", _PENDING_PAGE)

    async def among(self, entry: Entry, ids: list[str]) -> bool | None:
        """Whether a page of earlier pending ``ids`` holds an entry of the fan's: True, False,
        or None when the page was full of others' (look at the next)."""
        if not ids:
            return False
        await self._learn_fans([i for i in ids if i not in self._fans])
        if any(self._fans.get(i) == entry.fan for i in ids):
            return True
        return False if len(ids) < _PENDING_PAGE else None

    def fan_order(self, entry: Entry) -> FanOrder:
        """The per-fan order check of ``entry``, to ride in its claim's round trip."""
        return FanOrder(self, entry)

    async def _learn_fans(self, entry_ids: list[str]) -> None:
        if not entry_ids:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for entry_id in entry_ids:
                pipe.xrange(self.stream, min=entry_id, max=entry_id, count=1)
            found = await pipe.execute()
        for entry_id, rows in zip(entry_ids, found, strict=True):
            # An entry trimmed away is gone for good and holds nobody back.
            self._remember(entry_id, text(rows[0][1].get(b"fan", b"")) if rows else "")

    def _entry(self, row: StreamEntry) -> Entry:
        fields = row.fields
        update = fields.get(b"update", b"")
        entry = Entry(row.id, update, text(fields.get(b"fan", b"")), self._parsed.pop(update, None))
        self._remember(entry.id, entry.fan)
        return entry

    def _remember(self, entry_id: str, fan: str) -> None:
        if len(self._fans) >= _FAN_CACHE:
            self._fans.clear()
        self._fans[entry_id] = fan


class _Look(enum.Enum):
    FIRST = "first"  # not looked yet: the look rides in the claim's round trip
    WAITING = "waiting"  # an earlier entry of the fan's was pending: look alone until clear
    CLEAR = "clear"  # nothing earlier pending: stays so (later entries cannot come earlier)


class FanOrder:
    """``adapters.telegram.claims.Ahead``: may this entry start, or must it wait for an earlier
    one of its fan's? (The rule is in the module docstring.)

    Its first look (an XPENDING) is sent with the update's claim, saving a round trip on
    nearly every turn; if an earlier entry of the fan's is pending the claim is given back and
    later looks go alone, before claiming, until the way is clear.
    """

    def __init__(self, inbox: Inbox, entry: Entry) -> None:
        self.inbox = inbox
        self.entry = entry
        self._look = _Look.FIRST if entry.fan else _Look.CLEAR

    async def ready(self) -> bool:
        """Before claiming: False while an entry found waiting still has to wait."""
        if self._look is _Look.WAITING:
            if await self.inbox.earlier_pending(self.entry):
                return False
            self._look = _Look.CLEAR
        return True

    def add(self, pipe: Pipeline) -> int:
        """Add the first look to the claim's pipeline; how many commands were added."""
        if self._look is not _Look.FIRST:
            return 0
        self.inbox.queue_earlier_pending(pipe, self.entry)
        return 1

    async def allows(self, found: Sequence[Any]) -> bool:
        """Judge what the commands :meth:`add` added found (True when it added none)."""
        if self._look is not _Look.FIRST:
            return self._look is _Look.CLEAR
        ids = pending_ids_of(found[0])
        earlier = await self.inbox.among(self.entry, ids)
        if earlier is None:  # a full page of other fans' entries: read on
            earlier = await self.inbox.earlier_pending(self.entry, f"({ids[-1]}")
        self._look = _Look.WAITING if earlier else _Look.CLEAR
        return not earlier
