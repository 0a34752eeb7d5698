"""The Telegram inbox: webhook updates in a Redis stream, worked off by every ``usher serve``.

Why: Telegram counts an update as delivered once the webhook answers 200 and never sends it
again. Handling it in the answering process's memory lost it when that process died mid-turn.
So the webhook answers 200 only once the update is in Redis (503 when Redis cannot take it:
Telegram keeps the update and retries), and every ``usher serve`` works the inbox off:

* **Intake** (:meth:`Inbox.add`): XADD the update's JSON and its sender's id to the stream
  ``telegram:inbox``. Handled entries are deleted, so the stream holds only the backlog;
  :data:`MAX_LENGTH` is a safety cap for a backlog nobody works off.
* **Consumers** (:class:`InboxConsumer`): one per process, all in the consumer group
  :data:`GROUP`, each under its own name. XREADGROUP gives an entry to one of them; it stays
  in the group's pending list until it is handled, then is acknowledged and deleted.
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
* **Failures**: a failed attempt is retried in place with a backoff (:data:`ATTEMPTS`). Then
  the entry is left pending for a later takeover, and once it has been delivered
  :data:`MAX_DELIVERIES` times (at once for an update Telegram rejects as a bad request) it is
  logged and dropped, so that it cannot hold the fan's later messages back for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

import stamina
import structlog
from redis.exceptions import RedisError, ResponseError
from redis.typing import KeyT
from telegram import Update
from telegram.error import BadRequest

from adapters.store.store import Store, awaited
from adapters.telegram.bot import TelegramBot
from adapters.telegram.inbound import CHANNEL
from bot.app.metrics import CHANNEL_EVENTS

log = structlog.get_logger("usher.telegram")

#: The stream's key parts (one bot per Redis prefix, as for the fans' conversation state;
#: ``adapters.store.queue_depths`` reports its length on ``/metrics``).
STREAM = ("telegram", "inbox")
GROUP = "serve"
#: A safety cap: handled entries are deleted, so only a backlog nobody works off reaches it.
MAX_LENGTH = 100_000
#: Updates one process works on at once (a fan's later ones wait for their earlier ones).
MAX_IN_FLIGHT = 32
#: Longest wait for new entries in one read (shorter when a takeover check is due sooner).
BLOCK_MS = 1_000
#: Attempts at one delivery of an update before it is left for a later takeover.
ATTEMPTS = 3
#: Deliveries of an update (its first, and each takeover) before it is dropped.
MAX_DELIVERIES = 3
#: How often an entry waiting for a fan's earlier entry, or for an update another process is
#: handling, looks again.
POLL = 0.05
RETRY_PAUSE = 1.0
#: How long ``stop`` lets the updates in hand finish before leaving them to other processes.
STOP_GRACE = 20.0
_FAN_CACHE = 4_096
_PENDING_PAGE = 100


@dataclass(frozen=True)
class Entry:
    """One update in the inbox."""

    id: str
    update: bytes
    #: The sender's user id ("" when the update has none): a fan's entries keep their order.
    fan: str


class Inbox:
    """The stream and its consumer group: every Redis command the inbox needs."""

    def __init__(self, store: Store) -> None:
        self.redis = store.redis
        self.stream = store.key(*STREAM)
        #: Entry id -> fan, for the order check (entries never change).
        self._fans: dict[str, str] = {}
        self._cursor = "0-0"

    async def add(self, update: bytes, fan: str) -> str:
        """Append an update (raises when Redis cannot take it)."""
        entry_id = await self.redis.xadd(
            self.stream, {"update": update, "fan": fan}, maxlen=MAX_LENGTH, approximate=True
        )
        return _text(entry_id)

    async def join(self) -> None:
        """Create the group (reading from the start of the stream) unless it exists."""
        try:
            await self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def size(self) -> int:
        """Entries not handled yet (read or not)."""
        return int(await self.redis.xlen(self.stream))

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Entry]:
        """New entries for ``consumer`` (waits up to ``block_ms`` for the first)."""
        read = await self.redis.xreadgroup(
            GROUP, consumer, {self.stream: ">"}, count=count, block=max(block_ms, 1)
        )
        return [self._entry(entry_id, fields) for entry_id, fields in read[0][1]] if read else []

    async def reclaim(self, consumer: str, idle_ms: int, count: int) -> list[Entry]:
        """Entries nobody touched for ``idle_ms``, now ``consumer``'s."""
        cursor, claimed, *rest = await self.redis.xautoclaim(
            self.stream, GROUP, consumer, min_idle_time=idle_ms, start_id=self._cursor, count=count
        )
        self._cursor = _text(cursor)
        # Trimmed away meanwhile: Redis 7 names them apart, 6.2 lists them without fields.
        gone = [_text(entry_id) for entry_id in (rest[0] if rest else [])]
        gone += [_text(entry_id) for entry_id, fields in claimed if fields is None]
        if gone:
            await awaited(self.redis.xack(self.stream, GROUP, *gone))
        return [self._entry(eid, fields) for eid, fields in claimed if fields is not None]

    async def touch(self, consumer: str, entry_ids: list[str]) -> None:
        """Reset the idle time of entries ``consumer`` is still working on."""
        if entry_ids:
            ids: list[KeyT | int] = list(entry_ids)
            await self.redis.xclaim(
                self.stream, GROUP, consumer, min_idle_time=0, message_ids=ids, justid=True
            )

    async def done(self, entry_id: str) -> None:
        """Acknowledge and delete a handled entry."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, GROUP, entry_id)
            pipe.xdel(self.stream, entry_id)
            await pipe.execute()
        self._fans.pop(entry_id, None)

    async def deliveries(self, entry_id: str) -> int:
        """How many times the group has handed this entry out."""
        pending = await self.redis.xpending_range(
            self.stream, GROUP, min=entry_id, max=entry_id, count=1
        )
        return int(pending[0]["times_delivered"]) if pending else 0

    async def earlier_pending(self, entry: Entry) -> bool:
        """True while an earlier entry of the same fan is pending in the group.

        Entries are handed out in stream order, so every earlier entry was delivered already:
        it is either pending (read, not yet handled) or gone. The pending list is short (the
        updates in hand), so one XPENDING usually answers.
        """
        if not entry.fan:
            return False
        start = "-"
        while True:
            pending = await self.redis.xpending_range(
                self.stream, GROUP, min=start, max=f"({entry.id}", count=_PENDING_PAGE
            )
            ids = [_text(row["message_id"]) for row in pending]
            if not ids:
                return False
            await self._learn_fans([i for i in ids if i not in self._fans])
            if any(self._fans.get(i) == entry.fan for i in ids):
                return True
            if len(ids) < _PENDING_PAGE:
                return False
            start = f"({ids[-1]}"

    async def _learn_fans(self, entry_ids: list[str]) -> None:
        if not entry_ids:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for entry_id in entry_ids:
                pipe.xrange(self.stream, min=entry_id, max=entry_id, count=1)
            found = await pipe.execute()
        for entry_id, rows in zip(entry_ids, found, strict=True):
            # An entry trimmed away is gone for good and holds nobody back.
            self._remember(entry_id, _text(rows[0][1].get(b"fan", b"")) if rows else "")

    def _entry(self, entry_id: bytes | str, fields: dict[bytes, bytes]) -> Entry:
        entry = Entry(_text(entry_id), fields.get(b"update", b""), _text(fields.get(b"fan", b"")))
        self._remember(entry.id, entry.fan)
        return entry

    def _remember(self, entry_id: str, fan: str) -> None:
        if len(self._fans) >= _FAN_CACHE:
            self._fans.clear()
        self._fans[entry_id] = fan


class InboxConsumer:
    """One process's worker on the inbox (see the module docstring)."""

    def __init__(
        self,
        inbox: Inbox,
        bot: TelegramBot,
        *,
        takeover: float,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        """``takeover``: seconds without a touch after which another consumer takes an entry."""
        self.inbox = inbox
        self.bot = bot
        self.name = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.idle_ms = max(int(takeover * 1000), 1)
        self.touch_every = takeover / 3
        self.reclaim_every = takeover / 4
        self.max_in_flight = max_in_flight
        self._working: dict[str, asyncio.Task[None]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._toucher: asyncio.Task[None] | None = None

    @property
    def working(self) -> int:
        """Entries this process holds right now."""
        return len(self._working)

    async def start(self) -> None:
        """Begin reading (the group is joined in the loop, so Redis may still be down)."""
        self._reader = asyncio.create_task(self._run(), name="telegram-inbox")
        self._toucher = asyncio.create_task(self._touch(), name="telegram-inbox-touch")

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Read no more; give the updates in hand ``grace`` seconds, then leave them pending."""
        await _cancel(self._reader)
        if self._working:
            tasks = set(self._working.values())
            _, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await _cancel(self._toucher)

    # --- the loops ------------------------------------------------------------------------

    async def _run(self) -> None:
        joined = False
        next_reclaim = 0.0
        while True:
            try:
                if not joined:
                    await self.inbox.join()
                    joined = True
                if time.monotonic() >= next_reclaim:
                    next_reclaim = time.monotonic() + self.reclaim_every
                    await self._take_over()
                room = self.max_in_flight - len(self._working)
                if room <= 0:
                    await asyncio.wait(
                        set(self._working.values()),
                        timeout=self.reclaim_every,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    continue
                block_ms = int((next_reclaim - time.monotonic()) * 1000)
                for entry in await self.inbox.read(self.name, room, min(block_ms, BLOCK_MS)):
                    self._spawn(entry)
            except asyncio.CancelledError:
                raise
            except ResponseError as exc:
                if "NOGROUP" in str(exc):  # the stream was deleted, and its group with it
                    joined = False
                    continue
                log.exception("telegram_inbox_failed")
                await asyncio.sleep(RETRY_PAUSE)
            except RedisError as exc:
                log.warning("telegram_inbox_unavailable", error=str(exc))
                await asyncio.sleep(RETRY_PAUSE)
            except Exception:
                log.exception("telegram_inbox_failed")
                await asyncio.sleep(RETRY_PAUSE)

    async def _take_over(self) -> None:
        # Reclaimed entries are taken even beyond MAX_IN_FLIGHT: a fan's later entries held
        # here may be waiting for exactly such an entry.
        for entry in await self.inbox.reclaim(self.name, self.idle_ms, self.max_in_flight):
            if entry.id in self._working:  # ours already (our touch came late)
                continue
            CHANNEL_EVENTS.labels(CHANNEL, "taken_over").inc()
            log.info("telegram_update_taken_over", entry=entry.id, consumer=self.name)
            self._spawn(entry)

    async def _touch(self) -> None:
        while True:
            await asyncio.sleep(self.touch_every)
            try:
                await self.inbox.touch(self.name, list(self._working))
            except RedisError as exc:
                log.warning("telegram_inbox_touch_failed", error=str(exc))

    def _spawn(self, entry: Entry) -> None:
        task = asyncio.create_task(self._work(entry), name=f"telegram-update-{entry.id}")
        self._working[entry.id] = task
        task.add_done_callback(lambda _: self._working.pop(entry.id, None))

    # --- one entry ------------------------------------------------------------------------

    async def _work(self, entry: Entry) -> None:
        try:
            await poll_until(partial(self._first_of_fan, entry), POLL)
            update = self._update(entry)
            if update is None:
                await self._drop(entry, None, "unreadable")
                return
            try:
                await self._handle(update, holder=f"{self.name}/{entry.id}")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if isinstance(exc, BadRequest):
                    await self._drop(entry, update.update_id, f"telegram refused: {exc}")
                elif await self.inbox.deliveries(entry.id) >= MAX_DELIVERIES:
                    await self._drop(entry, update.update_id, "failed every delivery")
                else:
                    log.warning(
                        "telegram_update_left_pending", entry=entry.id, update_id=update.update_id
                    )
                return
            await self.inbox.done(entry.id)
        except asyncio.CancelledError:
            raise
        except Exception:  # Redis trouble around the entry: it stays pending for a takeover
            log.exception("telegram_inbox_entry_failed", entry=entry.id)

    async def _handle(self, update: Update, *, holder: str) -> None:
        """Handle ``update``, retrying failures in place; wait while another holder has it."""
        retrying = stamina.retry_context(
            on=lambda exc: not isinstance(exc, BadRequest),
            attempts=ATTEMPTS,
            timeout=None,
            wait_initial=1.0,
            wait_max=8.0,
        )
        async for attempt in retrying:
            with attempt:
                try:
                    # Busy: a duplicate entry's handler has it, or a takeover came before the
                    # dead holder's lease ran out; either way it ends done or free soon.
                    await poll_until(partial(self.bot.process, update, holder=holder), POLL)
                except Exception:
                    log.warning(
                        "telegram_update_failed",
                        update_id=update.update_id,
                        attempt=attempt.num,
                        exc_info=True,
                    )
                    raise

    async def _first_of_fan(self, entry: Entry) -> bool:
        return not await self.inbox.earlier_pending(entry)

    def _update(self, entry: Entry) -> Update | None:
        try:
            return Update.de_json(json.loads(entry.update), self.bot.application.bot)
        except Exception:  # checked at intake: only a foreign entry gets here
            return None

    async def _drop(self, entry: Entry, update_id: int | None, reason: str) -> None:
        CHANNEL_EVENTS.labels(CHANNEL, "dropped").inc()
        log.error("telegram_update_dropped", entry=entry.id, update_id=update_id, reason=reason)
        if update_id is not None:
            await self.bot.claims.finish(update_id)
        await self.inbox.done(entry.id)


async def poll_until(check: Callable[[], Awaitable[bool]], every: float) -> None:
    """Return once ``check()`` is true. What it checks lives in Redis and changes in other
    processes too, so no local event could announce it: looking again is the only way."""
    while not await check():  # noqa: ASYNC110 (see the docstring)
        await asyncio.sleep(every)


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
