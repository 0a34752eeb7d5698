"""Works the Telegram inbox off: one :class:`InboxConsumer` per ``usher serve`` process.

The stream and the rules it follows (takeover, per-fan order, failures) are described in
``adapters.telegram.inbox``; this module is the loop that applies them.

**Fair intake**: a process works on at most one entry per fan at a time. A fan's later entries
wait in a local queue (they stay pending in the group and are touched like the rest, so a
takeover still finds them if this process dies) and take no working slot, so one flooding fan
cannot fill :data:`MAX_IN_FLIGHT` and hold every other fan back; when the fan's entry in hand
is done, their next one starts. The per-fan turn bucket (``bot.throttle``) then makes each of
the flood's turns cheap. Only a takeover may put a second entry of a fan in hand: a reclaimed
entry is started at once, since a later entry of the same fan may be waiting for it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from functools import partial

import stamina
import structlog
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError, ResponseError
from telegram import Update
from telegram.error import BadRequest

from adapters.store.streams import consumer_name, lost_group
from adapters.telegram.bot import TelegramBot
from adapters.telegram.claims import Finishing
from adapters.telegram.inbound import CHANNEL
from adapters.telegram.inbox import Entry, FanOrder, Inbox
from bot.app.metrics import CHANNEL_EVENTS

log = structlog.get_logger("usher.telegram")

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
#: Entries one process holds back for fans who already have one in hand; past this it reads
#: no more until they drain (a safety cap: throttled turns drain fast).
MAX_WAITING = 1_000


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
        self.name = consumer_name()
        self.idle_ms = max(int(takeover * 1000), 1)
        self.touch_every = takeover / 3
        self.reclaim_every = takeover / 4
        self.max_in_flight = max_in_flight
        self._working: dict[str, asyncio.Task[None]] = {}
        #: Fan -> their entries waiting for the one in hand (in stream order).
        self._waiting: dict[str, collections.deque[Entry]] = {}
        self._waiting_ids: set[str] = set()
        #: Fan -> how many of their entries are in hand (more than one only after a takeover).
        self._busy: collections.Counter[str] = collections.Counter()
        self._stopping = False
        self._reader: asyncio.Task[None] | None = None
        self._toucher: asyncio.Task[None] | None = None

    @property
    def working(self) -> int:
        """Entries this process holds right now (in hand, or waiting behind their fan's)."""
        return len(self._working) + len(self._waiting_ids)

    async def start(self) -> None:
        """Begin reading (the group is joined in the loop, so Redis may still be down)."""
        self._reader = asyncio.create_task(self._run(), name="telegram-inbox")
        self._toucher = asyncio.create_task(self._touch(), name="telegram-inbox-touch")

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Read no more; give the updates in hand ``grace`` seconds, then leave them pending
        (with those waiting behind them)."""
        self._stopping = True
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
                if room <= 0 or len(self._waiting_ids) >= MAX_WAITING:
                    await asyncio.wait(
                        set(self._working.values()),
                        timeout=self.reclaim_every,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    continue
                block_ms = int((next_reclaim - time.monotonic()) * 1000)
                for entry in await self.inbox.read(self.name, room, min(block_ms, BLOCK_MS)):
                    self._admit(entry)
            except asyncio.CancelledError:
                raise
            except ResponseError as exc:
                if lost_group(exc):  # the stream was deleted, and its group with it
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
            if entry.id in self._working or entry.id in self._waiting_ids:
                continue  # ours already (our touch came late)
            CHANNEL_EVENTS.labels(CHANNEL, "taken_over").inc()
            log.info("telegram_update_taken_over", entry=entry.id, consumer=self.name)
            self._spawn(entry)

    async def _touch(self) -> None:
        while True:
            await asyncio.sleep(self.touch_every)
            held = [*self._working, *self._waiting_ids]
            try:
                await self.inbox.touch(self.name, held)
            except RedisError as exc:
                log.warning("telegram_inbox_touch_failed", error=str(exc))

    def _admit(self, entry: Entry) -> None:
        """Start a newly read entry, or queue it behind the fan's entry in hand."""
        if entry.fan and self._busy[entry.fan]:
            self._waiting.setdefault(entry.fan, collections.deque()).append(entry)
            self._waiting_ids.add(entry.id)
            return
        self._spawn(entry)

    def _spawn(self, entry: Entry) -> None:
        if entry.fan:
            self._busy[entry.fan] += 1
        task = asyncio.create_task(self._work(entry), name=f"telegram-update-{entry.id}")
        self._working[entry.id] = task
        task.add_done_callback(lambda _: self._finished(entry))

    def _finished(self, entry: Entry) -> None:
        """An entry is out of hand: the fan's next waiting one (if any) starts."""
        self._working.pop(entry.id, None)
        if not entry.fan:
            return
        self._busy[entry.fan] -= 1
        if self._busy[entry.fan] > 0:
            return
        del self._busy[entry.fan]
        waiting = self._waiting.get(entry.fan)
        if not waiting or self._stopping:
            return
        following = waiting.popleft()
        self._waiting_ids.discard(following.id)
        if not waiting:
            del self._waiting[entry.fan]
        self._spawn(following)

    # --- one entry ------------------------------------------------------------------------

    async def _work(self, entry: Entry) -> None:
        try:
            update = self._update(entry)
            if update is None:  # no fan to keep in order: dropped without waiting
                await self._drop(entry, None, "unreadable")
                return
            acknowledged: list[bool] = []
            acknowledge = self.inbox.acknowledging(entry.id)

            def finishing(pipe: Pipeline) -> None:
                acknowledge(pipe)
                acknowledged.append(True)

            try:
                await self._handle(
                    update,
                    holder=f"{self.name}/{entry.id}",
                    finishing=finishing,
                    fan_order=self.inbox.fan_order(entry),
                )
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
            if not acknowledged:  # done by another holder, or nothing to answer
                await self.inbox.done(entry.id)
        except asyncio.CancelledError:
            raise
        except Exception:  # Redis trouble around the entry: it stays pending for a takeover
            log.exception("telegram_inbox_entry_failed", entry=entry.id)

    async def _handle(
        self, update: Update, *, holder: str, finishing: Finishing, fan_order: FanOrder
    ) -> None:
        """Handle ``update``, retrying failures in place; wait while an earlier entry of the
        fan's is pending (``fan_order``) or another holder has it."""
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
                    # Busy: an earlier entry of the fan's is pending, a duplicate entry's
                    # handler has it, or a takeover came before the dead holder's lease ran
                    # out; each ends done or free soon.
                    process = partial(
                        self.bot.process,
                        update,
                        holder=holder,
                        finishing=finishing,
                        ahead=fan_order,
                    )
                    await poll_until(process, POLL)
                except Exception:
                    log.warning(
                        "telegram_update_failed",
                        update_id=update.update_id,
                        attempt=attempt.num,
                        exc_info=True,
                    )
                    raise

    def _update(self, entry: Entry) -> Update | None:
        if entry.parsed is not None:  # taken in by this process's webhook: parsed there
            return entry.parsed
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
