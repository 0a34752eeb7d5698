"""Redis: the only shared state of Usher, every key under one prefix.

Any number of processes can serve because everything they must agree on lives here:
conversation state, per-fan locks, one-time codes, de-duplication keys, cached SafeTix tokens,
purchase links, the audit stream and job queues. The prefix keeps Usher's keys apart from
anything else in the same Redis (and lets tests run side by side on one server).

When ``USHER_REDIS_URL`` is unset an embedded in-memory Redis (fakeredis, with Lua so locks
work) stands in, so ``usher demo`` needs nothing installed; it is private to one process,
which :func:`connect` reports so the operator is told at start.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager, suppress
from typing import Any, TypeVar

import fakeredis
import redis.asyncio as redis_asyncio
from redis.asyncio.lock import Lock
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.errors import Busy
from bot.messages import Fan

DEFAULT_PREFIX = "usher:"
T = TypeVar("T")


async def awaited(value: Awaitable[T] | T) -> T:
    """redis-py types async commands as ``Awaitable[X] | X``; this settles it for mypy."""
    if isinstance(value, Awaitable):
        return await value
    return value


class Store:
    """A thin, typed layer over ``redis.asyncio`` that owns the key namespace."""

    def __init__(self, redis: redis_asyncio.Redis, *, prefix: str = DEFAULT_PREFIX) -> None:
        self.redis = redis
        self.prefix = prefix
        self.embedded = isinstance(redis, fakeredis.FakeAsyncRedis)

    def key(self, *parts: str | int) -> str:
        """``usher:`` + the parts joined by ``:`` (the one place key names are built)."""
        return self.prefix + ":".join(str(part) for part in parts)

    def fan_key(self, kind: str, fan: Fan, *rest: str | int) -> str:
        """A key of one fan's: ``usher:state:{telegram:42}``. The braces are a Redis Cluster
        hash tag: every key of one fan hashes to one slot, so a script may touch several of
        them (the turn's scripts touch six) wherever the keys are kept."""
        return self.key(kind, self.tag(fan), *rest)

    @staticmethod
    def tag(fan: Fan) -> str:
        """The fan as a Redis Cluster hash tag."""
        return "{" + fan.key + "}"

    async def get_json(self, key: str) -> Any:
        """The JSON value at ``key``, or None when absent."""
        raw = await self.redis.get(key)
        return None if raw is None else json.loads(raw)

    async def set_json(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        """Store ``value`` as JSON, expiring after ``ttl`` seconds when given."""
        px = int(ttl * 1000) if ttl is not None else None
        await self.redis.set(key, json.dumps(value, separators=(",", ":")), px=px)

    async def claim(self, key: str, *, ttl: float) -> bool:
        """Atomically take ``key`` for ``ttl`` seconds; False when someone already holds it.

        The building block of de-duplication (first delivery of an event wins) and of
        "exactly once" scheduled work.
        """
        return bool(await self.redis.set(key, b"1", nx=True, px=int(ttl * 1000)))

    async def release(self, key: str) -> None:
        """Give up a claim (e.g. when the work it guarded failed and must be retried)."""
        await self.redis.delete(key)

    @asynccontextmanager
    async def locked(
        self,
        name: str,
        *,
        lease: float = 30.0,
        wait: float = 10.0,
        renew_for: float | None = None,
    ) -> AsyncIterator[None]:
        """Hold the Redis lock ``name`` across processes; raise Busy after ``wait`` s.

        ``lease`` bounds how long a crashed holder can block others. With ``renew_for`` the
        lease is renewed every third of it while the body runs, for at most that many seconds
        in all: a short lease then frees the lock soon after its holder dies (so another
        process can take the work over) without cutting a slow but live holder short.
        """
        lock: Lock = self.redis.lock(self.key("lock", name), timeout=lease, blocking_timeout=wait)
        if not await lock.acquire():
            raise Busy(f"lock {name} is busy")
        renewing = (
            asyncio.create_task(_renew(lock, lease, renew_for)) if renew_for is not None else None
        )
        try:
            yield
        finally:
            if renewing is not None:
                renewing.cancel()
                with suppress(asyncio.CancelledError):
                    await renewing
            # LockError: it expired while we worked and someone else may hold it now.
            with suppress(LockError):
                await lock.release()

    async def ping(self) -> bool:
        """True when Redis answers."""
        return bool(await self.redis.ping())

    async def close(self) -> None:
        """Close the connection pool."""
        await self.redis.aclose()


async def _renew(lock: Lock, lease: float, longest: float) -> None:
    """Keep ``lock`` for up to ``longest`` seconds, renewing its lease every third of it."""
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline:
        await asyncio.sleep(lease / 3)
        try:
            await lock.reacquire()
        except LockError:  # lapsed and maybe taken: renewing now would steal it
            return
        except RedisError:  # Redis blinked: the next renewal may still make it in time
            continue


def connect(url: str | None, *, prefix: str = DEFAULT_PREFIX) -> Store:
    """A Store on ``url``, or on an embedded in-memory Redis when ``url`` is None."""
    if url is None:
        return Store(fakeredis.FakeAsyncRedis(), prefix=prefix)
    # A restarted Redis (or a failover) leaves dead connections in the pool: retry each
    # command a few times on a fresh connection before giving up.
    client = redis_asyncio.Redis.from_url(
        url,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        health_check_interval=30,
        socket_connect_timeout=2,
        socket_keepalive=True,
    )
    return Store(client, prefix=prefix)
