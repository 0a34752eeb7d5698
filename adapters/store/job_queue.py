"""The job queue (arq on Redis), done markers and the failure log: ``bot.schedule``'s ports.

* **Queue**: arq's sorted set, named under the store prefix (``usher:jobs:queue``) so two
  deployments sharing a Redis keep their jobs apart. Jobs are serialised as JSON, not pickle:
  a queue entry is data, and unpickling what is in Redis would run whatever was put there.
  A job's id is its identity: arq refuses to queue an id it already holds.
* **Marks**: plain keys with a TTL (``jobs:mark:{name}``); a claim is ``SET NX``.
* **Failures**: a capped Redis stream (``jobs:failed``) that ``usher jobs`` reads.

The arq client gets a connection pool of its own (same server and options as the store's), so
closing one never pulls connections from under the other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix, job_key_prefix
from arq.jobs import DeserializationError, deserialize_job
from redis.asyncio import ConnectionPool

from adapters.store.store import Store, awaited
from bot.schedule import Failure, ScheduledJob

#: Failures kept in the stream (older ones are trimmed).
FAILURES_KEPT = 10_000


def queue_name(store: Store) -> str:
    """The arq queue of this deployment."""
    return store.key("jobs", "queue")


def serialize(data: dict[str, Any]) -> bytes:
    """arq job serializer: compact JSON."""
    return json.dumps(data, separators=(",", ":"), default=str).encode()


def deserialize(raw: bytes) -> dict[str, Any]:
    """arq job deserializer."""
    value: dict[str, Any] = json.loads(raw)
    return value


def arq_pool(store: Store) -> ArqRedis:
    """An arq client on its own pool to the store's server."""
    source = store.redis.connection_pool
    pool = ConnectionPool(connection_class=source.connection_class, **source.connection_kwargs)
    return ArqRedis(
        pool,
        job_serializer=serialize,
        job_deserializer=deserialize,
        default_queue_name=queue_name(store),
    )


class ArqJobQueue:
    """``bot.schedule.JobQueue`` on arq."""

    available = True

    def __init__(self, store: Store, clock: Callable[[], float]) -> None:
        self.pool = arq_pool(store)
        self.queue = queue_name(store)
        self.clock = clock

    async def enqueue(self, job: ScheduledJob) -> bool:
        """Queue ``job``; False when its id is already queued or running."""
        expires = max(job.expires_at - self.clock(), 1.0)
        queued = await self.pool.enqueue_job(
            job.function,
            *job.args,
            _job_id=job.job_id,
            _queue_name=self.queue,
            _defer_until=datetime.fromtimestamp(job.at, UTC),
            _expires=expires,
        )
        return queued is not None

    async def close(self) -> None:
        """Close the arq client's pool."""
        await self.pool.aclose(close_connection_pool=True)


class NoWorkerQueue:
    """The queue when Redis is the embedded one: no other process could run a job."""

    available = False

    async def enqueue(self, job: ScheduledJob) -> bool:
        """Nothing is queued."""
        return False

    async def close(self) -> None:
        """Nothing to close."""


class RedisMarks:
    """``bot.schedule.Marks``: keys with a TTL computed from the injected clock."""

    def __init__(self, store: Store, clock: Callable[[], float]) -> None:
        self.store = store
        self.clock = clock

    def _key(self, name: str) -> str:
        return self.store.key("jobs", "mark", name)

    def _ttl_ms(self, until: float | None) -> int | None:
        return None if until is None else max(int((until - self.clock()) * 1000), 1000)

    async def is_set(self, name: str) -> bool:
        """True while the flag exists."""
        return bool(await self.store.redis.exists(self._key(name)))

    async def set(self, name: str, *, until: float | None) -> None:
        """Set the flag until ``until`` (None: no expiry)."""
        await self.store.redis.set(self._key(name), b"1", px=self._ttl_ms(until))

    async def claim(self, name: str, *, until: float) -> bool:
        """SET NX: True for the one caller that set it."""
        return await self.store.claim(self._key(name), ttl=max(until - self.clock(), 1.0))

    async def release(self, name: str) -> None:
        """Delete the flag."""
        await self.store.release(self._key(name))


class RedisFailureLog:
    """``bot.schedule.FailureLog`` on a capped stream."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.key = store.key("jobs", "failed")

    async def record(self, failure: Failure) -> None:
        """XADD, trimming the stream to about :data:`FAILURES_KEPT` entries."""
        fields: dict[Any, Any] = {
            "at": repr(failure.at),
            "job_id": failure.job_id,
            "function": failure.function,
            "reason": failure.reason,
        }
        await self.store.redis.xadd(self.key, fields, maxlen=FAILURES_KEPT, approximate=True)

    async def recent(self, limit: int) -> Sequence[Failure]:
        """Newest first."""
        entries = await self.store.redis.xrevrange(self.key, count=limit)
        failures = []
        for _, raw in entries:
            fields = {k.decode(): v.decode() for k, v in raw.items()}
            failures.append(
                Failure(float(fields["at"]), fields["job_id"], fields["function"], fields["reason"])
            )
        return failures


@dataclass(frozen=True)
class QueuedJob:
    """A job waiting in (or running from) the queue, for ``usher jobs``."""

    job_id: str
    function: str
    at: float
    state: str
    args: tuple[Any, ...]


async def queued_jobs(store: Store, pool: ArqRedis, now: float) -> list[QueuedJob]:
    """Every job in the queue, soonest first; ``state`` is ``running``, ``queued`` (due),
    ``scheduled`` or ``expired`` (its data is gone; arq drops it when it comes up)."""
    entries = await awaited(pool.zrange(queue_name(store), 0, -1, withscores=True))
    now_ms = now * 1000
    jobs = []
    for raw_id, score in entries:
        job_id = raw_id.decode()
        raw = await pool.get(job_key_prefix + job_id)
        function, args, state = "?", (), "expired"
        if raw is not None:
            try:
                definition = deserialize_job(raw, deserializer=deserialize)
                function, args = definition.function, tuple(definition.args)
                state = "queued" if score <= now_ms else "scheduled"
            except DeserializationError:
                state = "unreadable"
            if await pool.exists(in_progress_key_prefix + job_id):
                state = "running"
        jobs.append(QueuedJob(job_id, function, score / 1000, state, args))
    return jobs
