"""Scheduled work: what runs when, and the bookkeeping that makes it run once.

The worker (``adapters/jobs/worker.py``, arq on Redis) runs jobs that this module names and dates;
nothing here imports arq or redis, so the rules can be read and tested on their own.

Why the bookkeeping looks like this:

* **Deterministic job ids** (``refresh:{ref}:{event_ts}``...): the queue refuses an id it
  already holds, so the web app, the reconcile cron and any number of workers can all ask for
  the same job and it is queued once.
* **Done markers**: arq forgets an id once the job finished (results are not kept), so a job
  that reached its end (success, or given up) sets ``jobs:done:{id}``; asking again is then a
  no-op, which is what makes a restart or a second worker harmless.
* **Retry with backoff until a deadline**: a job that failed for a reason that may pass (an
  outage) asks to run again later (:class:`RetryLater`) until its deadline, usually the start
  of the event, after which retrying is pointless; then the failure is recorded for
  ``usher jobs`` and the job is marked done.
* **One clock**: every time here comes from an injected clock (epoch seconds), so tests move
  time forward instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

import structlog

from bot.messages import Fan
from bot.outbound import Compose, Messenger, Unreachable
from bot.ports import Clock

log = structlog.get_logger("usher.schedule")

HOUR = 3600.0
#: SafeTix document: refresh the token 20 hours before the event starts.
REFRESH_LEAD = 20 * HOUR
#: Caches, markers and jobs are kept this long after the event starts (doors, late entry).
AFTER_EVENT = 12 * HOUR
#: A delayed order is checked at this venue time on the day Ticketmaster named.
READY_CHECK_AT = time(9, 0)
#: ...and again this often while its tickets are still not there.
READY_RECHECK = 4 * HOUR
#: Backoff of retried jobs: 1 min, 2 min, 4 min... at most an hour.
BACKOFF_BASE = 60.0
BACKOFF_CAP = HOUR

PLAN = "tm_plan"
REFRESH = "tm_refresh"
READY = "tm_ready"
REMIND = "tm_remind"
ACME_PLAN = "acme_plan"
ACME_REMIND = "acme_remind"
ACME_DOORS = "acme_doors"
BROADCAST = "broadcast"
RECONCILE = "reconcile"

JobArg = str | int | float


class RetryLater(Exception):
    """Run this job again in ``delay`` seconds (``reason`` says why, for the logs)."""

    def __init__(self, delay: float, reason: str) -> None:
        super().__init__(f"retry in {delay:.0f}s: {reason}")
        self.delay = max(delay, 0.0)
        self.reason = reason


class PacerBusy(Exception):
    """The shared rate is booked for longer than a job should wait; try in ``retry_after`` s."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limit booked for {retry_after:.1f}s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class ScheduledJob:
    """One job to queue: ``function(*args)`` at ``at``, dropped if not started by ``expires_at``."""

    function: str
    job_id: str
    args: tuple[JobArg, ...]
    at: float
    expires_at: float


@dataclass(frozen=True)
class Failure:
    """A job that gave up (or broke), as ``usher jobs`` lists it."""

    at: float
    job_id: str
    function: str
    reason: str


class JobQueue(Protocol):
    """Where jobs wait for a worker (arq on Redis)."""

    @property
    def available(self) -> bool:
        """False when no worker can ever run the jobs (the embedded, one-process Redis)."""
        ...

    async def enqueue(self, job: ScheduledJob) -> bool:
        """Queue the job; False when a job with its id is already queued (or running)."""
        ...


class Marks(Protocol):
    """Named flags with a lifetime: done markers and one-time claims."""

    async def is_set(self, name: str) -> bool:
        """True while the flag is set."""
        ...

    async def set(self, name: str, *, until: float | None) -> None:
        """Set the flag until the epoch time ``until`` (None: for good)."""
        ...

    async def claim(self, name: str, *, until: float) -> bool:
        """Set the flag unless it is set; True for the caller that set it."""
        ...

    async def release(self, name: str) -> None:
        """Clear the flag (a claim whose work failed and may be tried again)."""
        ...


class FailureLog(Protocol):
    """Jobs that gave up, with the reason, newest kept."""

    async def record(self, failure: Failure) -> None:
        """Append one failure."""
        ...

    async def recent(self, limit: int) -> Sequence[Failure]:
        """The latest failures, newest first."""
        ...


class Pacer(Protocol):
    """A rate shared by every worker process (scheduled Ticketmaster calls)."""

    async def wait(self) -> None:
        """Return when this caller may make one call; PacerBusy if that is too far off."""
        ...


def backoff(attempt: int) -> float:
    """Seconds before retry number ``attempt`` (1-based): doubling from a minute, capped."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** max(attempt - 1, 0))


def refresh_due(event_ts: float) -> float:
    """When a SafeTix order is refreshed ahead of its event."""
    return event_ts - REFRESH_LEAD


def ready_due(day: date, tz: ZoneInfo) -> float:
    """When a delayed order is checked: the named day, morning, venue time."""
    return datetime.combine(day, READY_CHECK_AT, tz).timestamp()


def plan_job(ref: str, now: float) -> ScheduledJob:
    """Work out (again) what an order needs: load it, then schedule its jobs."""
    return ScheduledJob(PLAN, f"plan:{ref}", (ref,), at=now, expires_at=now + 7 * 24 * HOUR)


def refresh_job(ref: str, event_ts: int) -> ScheduledJob:
    """Refresh an order's SafeTix tokens 20 hours before its event."""
    return ScheduledJob(
        REFRESH,
        f"refresh:{ref}:{event_ts}",
        (ref, event_ts),
        at=refresh_due(event_ts),
        expires_at=event_ts + AFTER_EVENT,
    )


def ready_job(ref: str, day: date, event_ts: int, tz: ZoneInfo) -> ScheduledJob:
    """Tell the fan their delayed tickets are there, on the day Ticketmaster named."""
    return ScheduledJob(
        READY,
        f"ready:{ref}:{day.isoformat()}",
        (ref, day.isoformat(), event_ts),
        at=ready_due(day, tz),
        expires_at=event_ts + AFTER_EVENT,
    )


def remind_job(ref: str, event_ts: int, before: float) -> ScheduledJob:
    """Remind the fan of the event ``before`` seconds ahead of it."""
    return ScheduledJob(
        REMIND,
        f"remind:{ref}:{event_ts}",
        (ref, event_ts),
        at=event_ts - before,
        expires_at=event_ts + AFTER_EVENT,
    )


def acme_plan_job(fan_key: str, now: float) -> ScheduledJob:
    """Work out (again) which ACME events a fan holds tickets for, and schedule their notices."""
    return ScheduledJob(
        ACME_PLAN, f"acme-plan:{fan_key}", (fan_key,), at=now, expires_at=now + 24 * HOUR
    )


def acme_notice_job(
    function: str, fan_key: str, event_id: str, event_ts: int, before: float
) -> ScheduledJob:
    """An ACME event's reminder (``acme_remind``) or doors notice (``acme_doors``) for one fan,
    ``before`` seconds ahead of its start."""
    kind = "remind" if function == ACME_REMIND else "doors"
    return ScheduledJob(
        function,
        f"acme-{kind}:{fan_key}:{event_id}:{event_ts}",
        (fan_key, event_id, event_ts),
        at=event_ts - before,
        expires_at=event_ts + AFTER_EVENT,
    )


def done_mark(job_id: str) -> str:
    """The marker a job sets when it reached its end."""
    return f"done:{job_id}"


class JobBook:
    """The queue, the markers and the failure log, used together by every job."""

    def __init__(self, queue: JobQueue, marks: Marks, failures: FailureLog, clock: Clock) -> None:
        self.queue = queue
        self.marks = marks
        self.failures = failures
        self.clock = clock

    async def schedule(self, job: ScheduledJob) -> bool:
        """Queue the job unless it already ran to its end; True when newly queued."""
        if await self.marks.is_set(done_mark(job.job_id)):
            return False
        return await self.queue.enqueue(job)

    async def is_done(self, job_id: str) -> bool:
        """True once the job reached its end."""
        return await self.marks.is_set(done_mark(job_id))

    async def done(self, job_id: str, *, keep_until: float | None) -> None:
        """Mark the job finished, so asking for it again does nothing."""
        await self.marks.set(done_mark(job_id), until=keep_until)

    async def fail(self, job_id: str, function: str, reason: str) -> None:
        """Record a failure for ``usher jobs``."""
        await self.failures.record(Failure(self.clock(), job_id, function, reason))

    async def retry_or_give_up(
        self, job_id: str, function: str, *, attempt: int, deadline: float, reason: str
    ) -> None:
        """Raise RetryLater with backoff while that still lands before ``deadline``;
        otherwise record the failure and mark the job done (it will not be asked again)."""
        delay = backoff(attempt)
        if self.clock() + delay < deadline:
            raise RetryLater(delay, reason)
        await self.fail(job_id, function, f"{reason} (gave up after {attempt} attempts)")
        await self.done(job_id, keep_until=deadline + AFTER_EVENT)


async def deliver_once(
    book: JobBook,
    messenger: Messenger,
    fan: Fan,
    compose: Compose,
    *,
    claim: str,
    job_id: str,
    function: str,
    event_ts: int,
    attempt: int,
) -> str:
    """Send a notice at most once: claim, send, keep the claim; release it only when the send
    raised (so a retry, a second worker or a restart never repeats a message that went out).
    ``compose`` writes the notice in the fan's language (read with the fan's state, once)."""
    keep = event_ts + AFTER_EVENT
    if not await book.marks.claim(claim, until=keep):
        await book.done(job_id, keep_until=keep)
        return "already sent"
    try:
        await messenger.send_composed(fan, compose)
    except Unreachable as exc:
        await book.fail(job_id, function, f"fan unreachable: {exc}")
        await book.done(job_id, keep_until=keep)
        return "unreachable"
    except Exception as exc:
        await book.marks.release(claim)
        log.warning("notice_send_failed", job_id=job_id, error=type(exc).__name__)
        await book.retry_or_give_up(
            job_id, function, attempt=attempt, deadline=event_ts, reason=type(exc).__name__
        )
        return "gave up"
    await book.done(job_id, keep_until=keep)
    return "sent"
