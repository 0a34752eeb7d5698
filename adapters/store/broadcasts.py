"""Redis implementation of ``bot.broadcasts.BroadcastStore``.

Keys (under the store prefix):

* ``bcast:{id}``           hash: link code, author, times, walked, passes, stop reason
* ``bcast:{id}:cursor``    the last fan handled: the greatest of a few candidates (sorted set)
* ``bcast:{id}:counts``    hash outcome -> count
* ``bcast:{id}:to:{fan}``  the recipient's claim (``Store.claim``), kept 30 days
* ``bcast:{id}:retry``     set of fan keys whose send failed
* ``bcast:{id}:lease``     the lease of the run delivering it (a redis-py lock, seconds)
* ``bcasts:open``          set of unfinished broadcast ids (resumed when a worker starts)

A finished broadcast's keys expire after the same 30 days.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from redis.asyncio.lock import Lock
from redis.exceptions import LockError

from adapters.store.store import Store, awaited
from bot.broadcasts import KEEP, OUTCOMES
from bot.messages import Fan
from bot.ports import Broadcast


class RedisLease:
    """``bot.broadcasts.Lease`` on a redis-py lock."""

    def __init__(self, lock: Lock) -> None:
        self.lock = lock

    async def renew(self) -> bool:
        """Reset the lock's expiry; False once it is no longer ours."""
        try:
            await self.lock.reacquire()
        except LockError:
            return False
        return True

    async def release(self) -> None:
        """Release it unless it already lapsed."""
        with suppress(LockError):
            await self.lock.release()


class RedisBroadcastStore:
    """Broadcast records, claims and retry lists."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis
        self._open = store.key("bcasts", "open")

    def _key(self, broadcast_id: str, *parts: str) -> str:
        return self.store.key("bcast", broadcast_id, *parts)

    async def create(self, broadcast: Broadcast) -> None:
        """Store the record and list it as open."""
        fields: dict[Any, Any] = {
            "link_code": broadcast.link_code,
            "created_by": broadcast.created_by,
            "created_at": repr(broadcast.created_at),
            "walked": int(broadcast.walked),
            "passes": broadcast.passes,
        }
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(broadcast.id), mapping=fields)
            pipe.sadd(self._open, broadcast.id)
            await pipe.execute()

    async def get(self, broadcast_id: str) -> Broadcast | None:
        """The record with its counts."""
        raw = await awaited(self.redis.hgetall(self._key(broadcast_id)))
        if not raw:
            return None
        fields = {k.decode(): v.decode() for k, v in raw.items()}
        counts_raw = await awaited(self.redis.hgetall(self._key(broadcast_id, "counts")))
        counts = {k.decode(): int(v) for k, v in counts_raw.items()}
        finished = fields.get("finished_at")
        top = await self.redis.zrevrangebylex(self._key(broadcast_id, "cursor"), "+", "-", 0, 1)
        return Broadcast(
            id=broadcast_id,
            link_code=fields["link_code"],
            created_by=fields["created_by"],
            created_at=float(fields["created_at"]),
            cursor=top[0].decode() if top else "",
            walked=fields.get("walked") == "1",
            passes=int(fields.get("passes", "0")),
            finished_at=float(finished) if finished else None,
            stopped=fields.get("stopped") or None,
            counts={outcome: counts.get(outcome, 0) for outcome in OUTCOMES},
        )

    async def advance(self, broadcast_id: str, cursor: str) -> None:
        """Keep the greatest cursor in byte order (ZRANGEBYLEX's order): a sorted set of
        candidates trimmed below the new one, so two runs at once can never rewind it."""
        key = self._key(broadcast_id, "cursor")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {cursor: 0})
            pipe.zremrangebylex(key, "-", f"({cursor}")
            await pipe.execute()

    async def update(self, broadcast_id: str, *, walked: bool, passes: int) -> None:
        """Record the walk's end and the retry passes."""
        fields: dict[Any, Any] = {"walked": int(walked), "passes": passes}
        await awaited(self.redis.hset(self._key(broadcast_id), mapping=fields))

    async def finish(
        self, broadcast_id: str, at: float, *, stopped: str | None, failed: int
    ) -> bool:
        """Mark finished once (HSETNX), close it, let its records expire in 30 days."""
        if not await awaited(self.redis.hsetnx(self._key(broadcast_id), "finished_at", repr(at))):
            return False
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(broadcast_id), "stopped", stopped or "")
            pipe.hset(self._key(broadcast_id, "counts"), "failed", str(failed))
            pipe.srem(self._open, broadcast_id)
            for key in (
                self._key(broadcast_id),
                self._key(broadcast_id, "counts"),
                self._key(broadcast_id, "cursor"),
                self._key(broadcast_id, "retry"),
            ):
                pipe.expire(key, int(KEEP))
            await pipe.execute()
        return True

    async def lease(self, broadcast_id: str, seconds: float) -> RedisLease | None:
        """The broadcast's run lease (a redis-py lock: a token checked by Lua), or None."""
        lock = self.redis.lock(self._key(broadcast_id, "lease"), timeout=seconds, blocking=False)
        return RedisLease(lock) if await lock.acquire() else None

    async def unfinished(self) -> list[str]:
        """Open broadcast ids, sorted."""
        return sorted(m.decode() for m in await awaited(self.redis.smembers(self._open)))

    async def count(self, broadcast_id: str, outcome: str) -> None:
        """HINCRBY."""
        await awaited(self.redis.hincrby(self._key(broadcast_id, "counts"), outcome, 1))

    async def claim(self, broadcast_id: str, fan: Fan) -> bool:
        """SET NX on the recipient's key."""
        return await self.store.claim(self._key(broadcast_id, "to", fan.key), ttl=KEEP)

    async def release(self, broadcast_id: str, fan: Fan) -> None:
        """Drop the recipient's claim."""
        await self.store.release(self._key(broadcast_id, "to", fan.key))

    async def retry_later(self, broadcast_id: str, fan: Fan, failed: bool) -> None:
        """Add to (or remove from) the retry set."""
        key = self._key(broadcast_id, "retry")
        if failed:
            await awaited(self.redis.sadd(key, fan.key))
        else:
            await awaited(self.redis.srem(key, fan.key))

    async def to_retry(self, broadcast_id: str) -> list[Fan]:
        """Fans whose send failed, in key order."""
        members = await awaited(self.redis.smembers(self._key(broadcast_id, "retry")))
        return [Fan.from_key(m.decode()) for m in sorted(members)]
