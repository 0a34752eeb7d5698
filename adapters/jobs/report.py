"""``usher jobs``: what is scheduled and what failed, as a table or as JSON lines.

Scheduled jobs come from arq's queue (id, function, when, state); failures from the failure
log the jobs write when they give up or break (newest first). Job ids name the order or
broadcast they are about but never a fan or a secret, so the output is safe to paste.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from adapters.store.job_queue import QueuedJob, RedisFailureLog, arq_pool, queued_jobs
from adapters.store.store import Store
from bot.schedule import Failure

#: How many failures ``usher jobs`` shows.
FAILURES_SHOWN = 100


def iso(moment: float) -> str:
    """``2025-06-01T19:30:00Z``."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def collect(store: Store, now: float) -> tuple[list[QueuedJob], Sequence[Failure]]:
    """The queue and the latest failures."""
    pool = arq_pool(store)
    try:
        jobs = await queued_jobs(store, pool, now)
    finally:
        await pool.aclose(close_connection_pool=True)
    failures = await RedisFailureLog(store).recent(FAILURES_SHOWN)
    return jobs, failures


def json_lines(jobs: Sequence[QueuedJob], failures: Sequence[Failure]) -> Iterator[str]:
    """One JSON object per job (``"kind": "scheduled"``) and per failure (``"failed"``)."""
    for job in jobs:
        yield json.dumps(
            {
                "kind": "scheduled",
                "job_id": job.job_id,
                "function": job.function,
                "at": iso(job.at),
                "state": job.state,
                "args": list(job.args),
            }
        )
    for failure in failures:
        yield json.dumps(
            {
                "kind": "failed",
                "job_id": failure.job_id,
                "function": failure.function,
                "at": iso(failure.at),
                "reason": failure.reason,
            }
        )


def table(jobs: Sequence[QueuedJob], failures: Sequence[Failure]) -> Iterator[str]:
    """Two aligned tables for a person."""
    yield f"Scheduled ({len(jobs)})"
    yield from _aligned(
        ("WHEN", "STATE", "FUNCTION", "JOB ID"),
        [(iso(j.at), j.state, j.function, j.job_id) for j in jobs],
    )
    yield ""
    yield f"Failed (latest {len(failures)})"
    yield from _aligned(
        ("AT", "FUNCTION", "JOB ID", "REASON"),
        [(iso(f.at), f.function, f.job_id, f.reason) for f in failures],
    )


def _aligned(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> Iterator[str]:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        yield "  ".join([*cells, row[-1]])
