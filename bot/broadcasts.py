"""Broadcasts: one purchase link, messaged to every fan who asked for offers.

Marketing starts one from Slack (``/usher broadcast <link code>`` calls
:meth:`Broadcasts.start_broadcast`); the worker delivers it (the ``broadcast`` job).

How it stays correct when things go wrong:

* **Stable order, saved cursor.** Opted-in fans are walked in ``Fan.key`` order, a batch at a
  time; after each batch the cursor (the last fan handled) is saved, so a new run carries on
  from there instead of from the start.
* **Never twice.** Before each send the recipient is *claimed* (a Redis key per broadcast and
  fan); the claim is released only when the send raised. A crash between claim and send can
  therefore cost that one fan the message, but nothing can make a fan get it twice: not a
  restart, not arq starting the killed run again, not two runs at once.
* **One run at a time.** A run holds a short lease on the broadcast and renews it with every
  recipient. Another run (a resume, arq re-running a killed job) waits for the lease; a
  crashed holder's lease lapses within :data:`LEASE_SECONDS`, so its successor takes over
  quickly. The claims, not the lease, are what rule out double sends.
* **Opt-outs win.** Whether the fan still wants offers is read right before their send, so
  "stop offers" said during a broadcast is honoured for the rest of it.
* **Short runs.** A run works for at most :data:`SLICE_SECONDS`, then queues the next one, so
  job timeouts stay short. Every worker re-queues unfinished broadcasts when it starts
  (:meth:`Broadcasts.resume_all`).
* **Paced by the channel.** Sends go through ``Messenger``, whose channel senders apply the
  channel's limits (Telegram: the shared limiter in ``adapters/store/pacing.py``). A few of them
  (:data:`IN_FLIGHT`) are under way at once: one at a time, a recipient's bookkeeping and
  send (claim, opt-out check, slot, HTTP round trip) sometimes took longer than a slot, and a
  100/s limit was 87 % used; two at a time, 97 % (bench.broadcast). Every one is claimed
  first, so a crash leaves at most that many in doubt (not messaged, never messaged twice).
* **Failures** (a send that raised, not an unreachable fan) are retried in up to
  :data:`MAX_PASSES` later passes with backoff, then counted and recorded for ``usher jobs``.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import Callable
from functools import partial

import structlog

from bot import copy
from bot.buying.purchase_links import LinkGone, LinkStore
from bot.errors import UsherError
from bot.messages import Button, Fan, Reply
from bot.outbound import Messenger, Unreachable
from bot.ports import Broadcast, BroadcastStore, Lease
from bot.preferences import Preferences
from bot.schedule import BROADCAST, HOUR, JobBook, RetryLater, ScheduledJob, backoff

log = structlog.get_logger("usher.broadcasts")

BATCH = 50
#: Recipients being messaged at once (each claimed before its send); see "Paced by the channel".
IN_FLIGHT = 2
SLICE_SECONDS = 60.0
MAX_PASSES = 3
LEASE_SECONDS = 10.0
#: A run that finds the broadcast held waits for the lease this many times, then leaves it
#: to the holder (alive, since a dead holder's lease lapses within LEASE_SECONDS).
LEASE_WAITS = 3
#: How long a recipient's claim (and the broadcast's records) are kept.
KEEP = 30 * 24 * HOUR
#: The offer's button opens the purchase link like its deep link does (``handlers.deep_link``).
OPEN_LINK = "link:{code}"
STOP_OFFERS = "prefs:offers-off"
OUTCOMES = ("sent", "opted_out", "already_sent", "unreachable", "failed")


class JobsUnavailable(UsherError):
    """Nothing can deliver a broadcast: no worker can run on the embedded Redis."""


class LeaseLost(Exception):
    """Another run took the broadcast over (this one stalled past its lease)."""


def broadcast_job(broadcast_id: str, at: float, suffix: str = "") -> ScheduledJob:
    """A run of the broadcast; ``suffix`` tells continuation, pass and resume runs apart."""
    job_id = f"broadcast:{broadcast_id}" + (f":{suffix}" if suffix else "")
    return ScheduledJob(BROADCAST, job_id, (broadcast_id,), at=at, expires_at=at + KEEP)


class Broadcasts:
    """Starts broadcasts and runs them."""

    def __init__(
        self,
        store: BroadcastStore,
        links: LinkStore,
        preferences: Preferences,
        messenger: Messenger,
        book: JobBook,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.links = links
        self.preferences = preferences
        self.messenger = messenger
        self.book = book
        self.monotonic = monotonic

    async def start_broadcast(self, link_code: str, created_by: str) -> str:
        """Queue a broadcast of the purchase link; its id. LinkGone when the link is unusable,
        JobsUnavailable when no worker can run (embedded Redis)."""
        if not self.book.queue.available:
            raise JobsUnavailable("broadcasts need USHER_REDIS_URL and a running `usher worker`")
        now = self.book.clock()
        link = await self.links.get(link_code)
        if link is None or not link.usable(now):
            raise LinkGone("purchase link unknown, expired or revoked")
        broadcast = Broadcast(secrets.token_urlsafe(9), link.code, created_by, now)
        await self.store.create(broadcast)
        await self.book.queue.enqueue(broadcast_job(broadcast.id, now))
        log.info("broadcast_started", broadcast=broadcast.id, link=link.code, by=created_by)
        return broadcast.id

    async def status(self, broadcast_id: str) -> Broadcast | None:
        """The broadcast's progress and counts (for Slack)."""
        return await self.store.get(broadcast_id)

    async def resume_all(self, token: str) -> int:
        """Queue a run of every unfinished broadcast (a worker starting); how many."""
        ids = await self.store.unfinished()
        now = self.book.clock()
        for broadcast_id in ids:
            await self.book.queue.enqueue(broadcast_job(broadcast_id, now, f"resume-{token}"))
        return len(ids)

    async def run(self, broadcast_id: str, *, attempt: int = 1) -> str:
        """One run: walk on from the cursor for a while, or, once the walk is done, retry
        the failed sends; then queue what comes next. Returns what happened."""
        lease = await self.store.lease(broadcast_id, LEASE_SECONDS)
        if lease is None:
            if attempt <= LEASE_WAITS:
                raise RetryLater(LEASE_SECONDS, "another run holds the broadcast")
            return "held by another run"
        following: ScheduledJob | None = None
        try:
            outcome, following = await self._run(broadcast_id, lease)
        except LeaseLost:
            outcome = "lease lost to another run"
        finally:
            await lease.release()
        if following is not None:  # queued after the release, so it can take the lease
            await self.book.queue.enqueue(following)
        return outcome

    async def _run(self, broadcast_id: str, lease: Lease) -> tuple[str, ScheduledJob | None]:
        broadcast = await self.store.get(broadcast_id)
        if broadcast is None or broadcast.finished_at is not None:
            return "finished", None
        link = await self.links.get(broadcast.link_code)
        if link is None or not link.usable(self.book.clock()):
            await self.store.finish(broadcast_id, self.book.clock(), stopped="link gone", failed=0)
            return "link gone", None
        if not broadcast.walked:
            cursor = await self._walk(broadcast, lease)
            if cursor is not None:
                digest = hashlib.sha256(cursor.encode()).hexdigest()[:12]
                return "continues", broadcast_job(broadcast_id, self.book.clock(), f"from-{digest}")
            await self.store.update(broadcast_id, walked=True, passes=0)
            return await self._next_pass(broadcast_id, 0)
        # The walk is over: this run is a retry pass (a resume after a crash is one too).
        await self._deliver_all(broadcast, await self.store.to_retry(broadcast_id), lease)
        passes = broadcast.passes + 1
        await self.store.update(broadcast_id, walked=True, passes=passes)
        return await self._next_pass(broadcast_id, passes)

    async def _walk(self, broadcast: Broadcast, lease: Lease) -> str | None:
        """Deliver batch after batch from the cursor; None once every fan was reached, else
        the cursor where this run's time ran out."""
        stop_at = self.monotonic() + SLICE_SECONDS
        cursor = broadcast.cursor
        while self.monotonic() < stop_at:
            fans = await self.preferences.offer_fans(cursor, BATCH)
            if not fans:
                return None
            await self._deliver_all(broadcast, fans, lease)
            cursor = fans[-1].key
            await self.store.advance(broadcast.id, cursor)
        return cursor

    async def _next_pass(self, broadcast_id: str, passes: int) -> tuple[str, ScheduledJob | None]:
        """Another pass over failed sends (after a backoff), or the end of the broadcast."""
        pending = await self.store.to_retry(broadcast_id)
        if pending and passes < MAX_PASSES:
            at = self.book.clock() + backoff(passes + 1)
            return "retrying", broadcast_job(broadcast_id, at, f"pass{passes + 1}")
        now = self.book.clock()
        if await self.store.finish(broadcast_id, now, stopped=None, failed=len(pending)):
            if pending:
                await self.book.fail(
                    f"broadcast:{broadcast_id}",
                    BROADCAST,
                    f"{len(pending)} recipients could not be messaged after {passes} retries",
                )
            log.info("broadcast_finished", broadcast=broadcast_id, failed=len(pending))
        return "finished", None

    async def _deliver_all(self, broadcast: Broadcast, fans: list[Fan], lease: Lease) -> None:
        """Message every fan, :data:`IN_FLIGHT` at a time. Each delivery runs to its end
        even when another raised (a send cut off after its claim would be lost); then the
        first error is raised (``LeaseLost``: the others found the lease gone too)."""
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def one(fan: Fan) -> None:
            async with gate:
                await self._deliver(broadcast, fan, lease)

        outcomes = await asyncio.gather(*(one(fan) for fan in fans), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def _deliver(self, broadcast: Broadcast, fan: Fan, lease: Lease) -> None:
        """Message one fan unless they opted out or already got it (claimed)."""
        if not await lease.renew():
            raise LeaseLost(broadcast.id)
        if not await self.preferences.offers_on(fan):
            await self.store.retry_later(broadcast.id, fan, failed=False)
            await self.store.count(broadcast.id, "opted_out")
            return
        if not await self.store.claim(broadcast.id, fan):
            await self.store.count(broadcast.id, "already_sent")
            return
        try:
            await self.messenger.send_composed(fan, partial(_offer_in, broadcast.link_code))
        except Unreachable:
            await self.store.release(broadcast.id, fan)
            await self.store.retry_later(broadcast.id, fan, failed=False)
            await self.store.count(broadcast.id, "unreachable")
            return
        except Exception as exc:
            await self.store.release(broadcast.id, fan)
            await self.store.retry_later(broadcast.id, fan, failed=True)
            log.warning("broadcast_send_failed", broadcast=broadcast.id, error=type(exc).__name__)
            return
        await self.store.retry_later(broadcast.id, fan, failed=False)
        await self.store.count(broadcast.id, "sent")


async def _offer_in(link_code: str, lang: str) -> list[Reply]:
    return [offer(link_code, lang)]


def offer(link_code: str, lang: str) -> Reply:
    """The broadcast message: the offer, a button that opens the link, a way out."""
    return Reply(
        copy.text("offer_broadcast", lang),
        buttons=(
            Button(copy.text("button_offer", lang), OPEN_LINK.format(code=link_code)),
            Button(copy.text("button_stop_offers", lang), STOP_OFFERS),
        ),
    )
