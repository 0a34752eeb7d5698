"""Works the Telegram inbox off: one :class:`InboxConsumer` per ``usher serve`` process.

The stream and the rules it follows (takeover, per-fan order, failures) are described in
``adapters.telegram.inbox``; this module is the loop that applies them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from functools import partial

import stamina
import structlog
from redis.exceptions import RedisError, ResponseError
from telegram import Update
from telegram.error import BadRequest

from adapters.store.streams import consumer_name, lost_group
from adapters.telegram.bot import TelegramBot
from adapters.telegram.inbound import CHANNEL
from adapters.telegram.inbox import Entry, Inbox
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
