"""Which jobs a registered Ticketmaster order needs, and keeping that true over time.

An order gets, while its event is ahead:

* a **refresh** 20 hours before the event, when its tickets are SafeTix (they have tokens);
* a **ready check** on the day Ticketmaster named, when delivery is delayed;
* a **reminder** ``USHER_REMINDER_BEFORE`` before the event.

Planning runs when an order is registered (``POST /api/tm/orders`` queues a ``tm_plan`` job,
which loads the order from Ticketmaster) and on the reconcile cron, which re-plans every
registered order from the cached answers. The cron is what covers orders registered before
any worker existed, events whose time changed (job ids carry the event time, so a new time is
a new job and the old one finds itself stale when it runs) and jobs lost to a crash. Since
every job id is deterministic and finished jobs leave a done marker, planning twice is free.
"""

from __future__ import annotations

from typing import Protocol
from zoneinfo import ZoneInfo

import structlog

from bot.errors import UpstreamError
from bot.schedule import (
    PLAN,
    JobBook,
    RetryLater,
    backoff,
    plan_job,
    ready_job,
    refresh_job,
    remind_job,
)
from bot.ticketmaster.facts import FactFinder, OrderFacts

log = structlog.get_logger("usher.planner")

#: A plan job that cannot reach Ticketmaster gives up after this many tries (about an hour);
#: the reconcile cron asks again later.
PLAN_ATTEMPTS = 7


def over_mark(ref: str) -> str:
    """Set once an order's event has started: nothing is left to schedule for it."""
    return f"tm:over:{ref}"


class OrderIndex(Protocol):
    """Every registered Ticketmaster order (``adapters.store.tm_orders.RedisTmOrderStore``)."""

    async def all_refs(self) -> list[str]:
        """The references of all registrations."""
        ...


class TicketPlanner:
    """Schedules the refresh, ready check and reminder of registered orders."""

    def __init__(
        self,
        facts: FactFinder,
        book: JobBook,
        index: OrderIndex,
        *,
        tz: ZoneInfo,
        remind_before: float,
    ) -> None:
        self.facts = facts
        self.book = book
        self.index = index
        self.tz = tz
        self.remind_before = remind_before

    async def order_registered(self, ref: str) -> None:
        """Called by the registration API: plan the order in the worker, right away."""
        if not self.book.queue.available:
            log.info("jobs_unavailable", note="embedded Redis: no worker can run jobs")
            return
        await self.book.queue.enqueue(plan_job(ref, self.book.clock()))

    async def plan(self, ref: str, *, attempt: int = 1, load: bool = True) -> list[str]:
        """Schedule what the order needs; the ids newly queued.

        With ``load`` (the ``tm_plan`` job) Ticketmaster is asked when no answer is cached and
        a failure retries with backoff; without it (reconcile) an order with no cached answer
        gets a ``tm_plan`` job instead, so the cron itself never waits on Ticketmaster.
        """
        order = await self.facts.order(ref)
        if order is None:
            return []
        try:
            facts = await self.facts.facts(order, load=load)
        except UpstreamError as exc:
            await self._retry(ref, attempt, f"order management failed: {type(exc).__name__}")
            return []
        if facts is None:
            job = plan_job(ref, self.book.clock())
            return [job.job_id] if await self.book.queue.enqueue(job) else []
        if facts.starts_at is None:
            if facts.live:
                await self._retry(ref, attempt, "the event's start time is unknown")
            return []
        return await self.schedule(facts)

    async def schedule(self, facts: OrderFacts) -> list[str]:
        """Queue the jobs of an order whose event is known; the ids newly queued."""
        ref = facts.order.ref
        starts_at = facts.starts_at
        assert starts_at is not None
        if self.book.clock() >= starts_at:
            await self.book.marks.set(over_mark(ref), until=None)
            return []
        jobs = []
        if facts.safetix:
            jobs.append(refresh_job(ref, starts_at))
        if facts.ready_on is not None:
            jobs.append(ready_job(ref, facts.ready_on, starts_at, self.tz))
        jobs.append(remind_job(ref, starts_at, self.remind_before))
        queued = [job.job_id for job in jobs if await self.book.schedule(job)]
        if queued:
            log.info("tm_jobs_scheduled", ref=ref, jobs=queued)
        return queued

    async def reconcile(self) -> int:
        """Re-plan every registered order whose event is still ahead; how many jobs were queued.

        One order's trouble (a Ticketmaster outage, a bad record) is logged and skipped, so it
        never stops the others; the next run tries it again.
        """
        queued = 0
        for ref in await self.index.all_refs():
            if await self.book.marks.is_set(over_mark(ref)):
                continue
            try:
                queued += len(await self.plan(ref, load=False))
            except (UpstreamError, RetryLater) as exc:
                log.warning("reconcile_skipped", ref=ref, error=type(exc).__name__)
        return queued

    async def _retry(self, ref: str, attempt: int, reason: str) -> None:
        if attempt < PLAN_ATTEMPTS:
            raise RetryLater(backoff(attempt), reason)
        await self.book.fail(plan_job(ref, 0).job_id, PLAN, f"{reason} (gave up for now)")
