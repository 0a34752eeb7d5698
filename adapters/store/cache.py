"""A small Redis cache of upstream answers (``cache:{namespace}:{key}``, with a TTL).

Used where a few seconds of staleness are harmless and repeated calls are not: a fan asking
for their tickets three times at the gate should cost ACME one search, not three.
"""

from __future__ import annotations

from collections.abc import Sequence

from adapters.store.store import Store


class RedisCache:
    """String values with expiry, under one namespace."""

    def __init__(self, store: Store, namespace: str) -> None:
        self.store = store
        self.namespace = namespace

    async def get(self, key: str) -> str | None:
        """The cached value, or None."""
        raw = await self.store.redis.get(self.store.key("cache", self.namespace, key))
        return None if raw is None else raw.decode()

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """The cached values of ``keys`` (None where missing), with one MGET."""
        if not keys:
            return []
        names = [self.store.key("cache", self.namespace, key) for key in keys]
        return [None if raw is None else raw.decode() for raw in await self.store.redis.mget(names)]

    async def put(self, key: str, value: str, ttl: float) -> None:
        """Cache ``value`` for ``ttl`` seconds."""
        await self.store.redis.set(
            self.store.key("cache", self.namespace, key), value, px=int(ttl * 1000)
        )

    async def put_many(self, entries: Sequence[tuple[str, str, float]]) -> None:
        """Cache several ``(key, value, ttl)`` in one round trip (a pipeline, no transaction:
        each entry stands on its own)."""
        if not entries:
            return
        async with self.store.redis.pipeline(transaction=False) as pipe:
            for key, value, ttl in entries:
                pipe.set(self.store.key("cache", self.namespace, key), value, px=int(ttl * 1000))
            await pipe.execute()

    async def drop(self, key: str) -> None:
        """Forget one entry (after a change we made ourselves)."""
        await self.store.redis.delete(self.store.key("cache", self.namespace, key))
