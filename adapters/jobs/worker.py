"""``usher worker``: the arq worker that runs Usher's scheduled jobs.

Any number of workers can run against the same Redis. arq hands each queued job to one of
them (its in-progress key), job ids are deterministic and finished jobs leave done markers
(``bot.schedule``), so adding workers adds throughput, never duplicates.

Jobs (logic in ``bot/``, these are thin adapters from arq's ``ctx``):

| job | when | what |
|---|---|---|
| ``tm_plan`` | a Ticketmaster order is registered | load it, schedule the three below |
| ``tm_refresh`` | 20 h before the event | secure render, cache tokens past the event |
| ``tm_ready`` | morning of the delay date | tell the fan their tickets are ready |
| ``tm_remind`` | ``USHER_REMINDER_BEFORE`` ahead | event reminder (unless opted out) |
| ``broadcast`` | ``start_broadcast`` | message opted-in fans, a slice per run |
| ``acme_plan`` | a fan looks at their ACME orders | schedule the two below per event held |
| ``acme_remind`` | ``USHER_REMINDER_BEFORE`` ahead | ACME event reminder (unless opted out) |
| ``acme_doors`` | the venue's ``doors_open_before`` ahead | "doors are open" (unless opted out) |
| ``reconcile`` | every 15 minutes and at start | re-plan every registered order |

A job asks to run again by raising ``RetryLater`` (arq ``Retry``); a job that breaks is
recorded in the failure log (``usher jobs``) and retried with backoff a few times. Timeouts
are short on purpose: arq re-runs the job of a killed worker only once its in-progress key
lapses (the longest timeout plus 10 s).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, cast

import structlog
from arq import Retry, cron
from arq.typing import WorkerCoroutine
from arq.worker import Function, Worker, func

from adapters.jobs.scheduling import Scheduling
from adapters.store.job_queue import arq_pool, deserialize, queue_name, serialize
from bot.app.tracing import start_request
from bot.broadcasts import SLICE_SECONDS
from bot.schedule import (
    ACME_DOORS,
    ACME_PLAN,
    ACME_REMIND,
    BROADCAST,
    PLAN,
    READY,
    RECONCILE,
    REFRESH,
    REMIND,
    PacerBusy,
    RetryLater,
    backoff,
)

log = structlog.get_logger("usher.worker")

JOB_TIMEOUT = 60
BROADCAST_TIMEOUT = int(SLICE_SECONDS) + 60
RECONCILE_TIMEOUT = 300
RECONCILE_MINUTES = {0, 15, 30, 45}
SWEEP_CARTS = "sweep_carts"
SWEEP_MINUTES = set(range(5, 60, 10))
#: Several workers start the reconcile at once when they start together; one is enough.
RECONCILE_GAP = 60.0
#: arq's own try limit is effectively off: every job bounds its retries by its deadline.
UNBOUNDED_TRIES = 1_000_000
#: A job that raised something unexpected is retried this many times, then left recorded.
CRASH_TRIES = 5


def _scheduling(ctx: dict[str, Any]) -> Scheduling:
    scheduling: Scheduling = ctx["scheduling"]
    return scheduling


async def _guarded(ctx: dict[str, Any], function: str, work: Callable[[], Awaitable[str]]) -> None:
    """Run one job: map RetryLater/PacerBusy to arq's Retry, record anything unexpected."""
    start_request()
    job_id, attempt = str(ctx["job_id"]), int(ctx["job_try"])
    try:
        outcome = await work()
    except RetryLater as exc:
        log.info("job_retry", job_id=job_id, attempt=attempt, delay=exc.delay, reason=exc.reason)
        raise Retry(defer=exc.delay) from exc
    except PacerBusy as exc:
        raise Retry(defer=exc.retry_after) from exc
    except Exception as exc:
        log.exception("job_crashed", job_id=job_id, attempt=attempt)
        await _scheduling(ctx).book.fail(job_id, function, f"crashed: {type(exc).__name__}")
        if attempt < CRASH_TRIES:
            raise Retry(defer=backoff(attempt)) from exc
        return
    log.info("job_done", job_id=job_id, attempt=attempt, outcome=outcome)


async def tm_plan(ctx: dict[str, Any], ref: str) -> None:
    """Load a registered order and schedule its jobs."""
    planner = _scheduling(ctx).planner

    async def work() -> str:
        queued = await planner.plan(ref, attempt=int(ctx["job_try"]))
        return f"queued {len(queued)}"

    await _guarded(ctx, PLAN, work)


async def tm_refresh(ctx: dict[str, Any], ref: str, event_ts: int) -> None:
    """The SafeTix refresh 20 hours before the event."""
    refresher = _scheduling(ctx).refresher
    await _guarded(ctx, REFRESH, lambda: refresher.run(ref, event_ts, attempt=int(ctx["job_try"])))


async def tm_ready(ctx: dict[str, Any], ref: str, day: str, event_ts: int) -> None:
    """Tell the fan their delayed tickets are ready."""
    notices = _scheduling(ctx).notices
    await _guarded(
        ctx, READY, lambda: notices.ready(ref, day, event_ts, attempt=int(ctx["job_try"]))
    )


async def tm_remind(ctx: dict[str, Any], ref: str, event_ts: int) -> None:
    """Remind the fan of the event."""
    notices = _scheduling(ctx).notices
    await _guarded(ctx, REMIND, lambda: notices.remind(ref, event_ts, attempt=int(ctx["job_try"])))


async def acme_plan(ctx: dict[str, Any], fan_key: str) -> None:
    """Schedule the notices of the ACME events a fan holds tickets for."""
    reminders = _scheduling(ctx).acme_reminders

    async def work() -> str:
        queued = await reminders.plan(fan_key, attempt=int(ctx["job_try"]))
        return f"queued {len(queued)}"

    await _guarded(ctx, ACME_PLAN, work)


async def acme_remind(ctx: dict[str, Any], fan_key: str, event_id: str, event_ts: int) -> None:
    """Remind the fan of an ACME event."""
    reminders = _scheduling(ctx).acme_reminders
    attempt = int(ctx["job_try"])
    await _guarded(
        ctx, ACME_REMIND, lambda: reminders.remind(fan_key, event_id, event_ts, attempt=attempt)
    )


async def acme_doors(ctx: dict[str, Any], fan_key: str, event_id: str, event_ts: int) -> None:
    """Tell the fan the doors of an ACME event are open."""
    reminders = _scheduling(ctx).acme_reminders
    attempt = int(ctx["job_try"])
    await _guarded(
        ctx, ACME_DOORS, lambda: reminders.doors(fan_key, event_id, event_ts, attempt=attempt)
    )


async def broadcast(ctx: dict[str, Any], broadcast_id: str) -> None:
    """One slice of a broadcast."""
    broadcasts = _scheduling(ctx).broadcasts
    await _guarded(
        ctx, BROADCAST, lambda: broadcasts.run(broadcast_id, attempt=int(ctx["job_try"]))
    )


async def reconcile(ctx: dict[str, Any]) -> None:
    """Re-plan every registered order (the cron)."""
    scheduling = _scheduling(ctx)

    async def work() -> str:
        now = scheduling.book.clock()
        if not await scheduling.book.marks.claim(RECONCILE, until=now + RECONCILE_GAP):
            return "ran elsewhere a moment ago"
        return f"queued {await scheduling.planner.reconcile()}"

    await _guarded(ctx, RECONCILE, work)


async def sweep_carts(ctx: dict[str, Any]) -> None:
    """Delete unpaid carts past their time (the cron; the sweep itself is idempotent)."""
    sweep = _scheduling(ctx).cart_sweep
    if sweep is not None:
        deleted = await sweep()
        log.info("carts_swept_by_worker", deleted=deleted)


async def startup(ctx: dict[str, Any]) -> None:
    """Index orders registered before the index existed; resume unfinished broadcasts."""
    scheduling = _scheduling(ctx)
    orders = await scheduling.tm_orders.index_all()
    resumed = await scheduling.broadcasts.resume_all(secrets.token_hex(4))
    log.info("worker_started", orders=orders, broadcasts_resumed=resumed)


def functions() -> list[Function]:
    """The jobs, each with its timeout; results are not kept (done markers are)."""
    jobs: list[tuple[Callable[..., Awaitable[None]], str, int]] = [
        (tm_plan, PLAN, JOB_TIMEOUT),
        (tm_refresh, REFRESH, JOB_TIMEOUT),
        (tm_ready, READY, JOB_TIMEOUT),
        (tm_remind, REMIND, JOB_TIMEOUT),
        (broadcast, BROADCAST, BROADCAST_TIMEOUT),
        (acme_plan, ACME_PLAN, JOB_TIMEOUT),
        (acme_remind, ACME_REMIND, JOB_TIMEOUT),
        (acme_doors, ACME_DOORS, JOB_TIMEOUT),
    ]
    return [
        func(
            cast(WorkerCoroutine, job),
            name=name,
            timeout=timeout,
            keep_result=0,
            max_tries=UNBOUNDED_TRIES,
        )
        for job, name, timeout in jobs
    ]


#: Jobs one worker runs at once. arq takes at most this many due jobs per poll (every 0.5 s):
#: its default of 10 held a worker to 20 jobs a second, and planning 2,000 newly registered
#: orders took 100 s (bench.gate_rush). The jobs wait on Ticketmaster and the Telegram API,
#: which are paced across all workers in Redis anyway.
MAX_JOBS = 50


def create_worker(
    scheduling: Scheduling,
    *,
    handle_signals: bool = True,
    poll_delay: float = 0.5,
    max_jobs: int = MAX_JOBS,
) -> Worker:
    """An arq worker for the scheduling's store (tests make several, without signals)."""
    store = scheduling.store
    return Worker(
        functions=functions(),
        cron_jobs=[
            cron(
                reconcile,
                name=RECONCILE,
                minute=RECONCILE_MINUTES,
                run_at_startup=True,
                timeout=RECONCILE_TIMEOUT,
            ),
            cron(
                sweep_carts,
                name=SWEEP_CARTS,
                minute=SWEEP_MINUTES,
                timeout=RECONCILE_TIMEOUT,
            ),
        ],
        queue_name=queue_name(store),
        redis_pool=arq_pool(store),
        on_startup=startup,
        ctx={"scheduling": scheduling},
        handle_signals=handle_signals,
        poll_delay=poll_delay,
        max_jobs=max_jobs,
        keep_result=0,
        max_tries=UNBOUNDED_TRIES,
        job_serializer=serialize,
        job_deserializer=deserialize,
        health_check_interval=60,
    )


async def close_worker(worker: Worker) -> None:
    """Stop a worker and close its connections: what ``Worker.close`` does, minus its call
    of redis' deprecated ``close()``. Jobs cut short go back to the queue (arq retries a
    cancelled job) and their claims and done markers keep them from repeating work."""
    if worker.main_task is not None and not worker.main_task.done():
        worker.main_task.cancel()
    for task in worker.tasks.values():
        if not task.done():
            task.cancel()
    await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
    await worker.pool.delete(worker.health_check_key)
    await worker.pool.aclose(close_connection_pool=True)


async def run_worker(scheduling: Scheduling) -> None:
    """Run until SIGINT or SIGTERM (arq's handler cancels the main loop), then close."""
    worker = create_worker(scheduling)
    try:
        await worker.async_run()
    except asyncio.CancelledError:
        log.info("worker_stopping")
    finally:
        await close_worker(worker)
