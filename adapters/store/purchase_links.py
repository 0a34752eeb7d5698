"""Redis implementation of ``bot.buying.purchase_links.LinkStore``.

Keys: ``plink:{code}`` (JSON), ``plinks`` (sorted set of codes by creation time),
``plink:stats:{code}`` (hash of counters, incremented atomically).
"""

from __future__ import annotations

import json

from adapters.store.store import Store, awaited
from bot.buying.purchase_links import STATS, PurchaseLink


class RedisLinkStore:
    """Purchase links in Redis."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis

    async def save(self, link: PurchaseLink) -> None:
        """Create or replace the link and index it."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.store.key("plink", link.code), json.dumps(link.to_json()))
            pipe.zadd(self.store.key("plinks"), {link.code: link.created_at})
            await pipe.execute()

    async def get(self, code: str) -> PurchaseLink | None:
        """One link, or None."""
        raw = await self.redis.get(self.store.key("plink", code))
        return None if raw is None else PurchaseLink.from_json(json.loads(raw))

    async def all(self) -> list[PurchaseLink]:
        """Every link, newest first."""
        codes = await awaited(self.redis.zrevrange(self.store.key("plinks"), 0, -1))
        if not codes:
            return []
        raws = await self.redis.mget([self.store.key("plink", code.decode()) for code in codes])
        return [PurchaseLink.from_json(json.loads(raw)) for raw in raws if raw is not None]

    async def count(self, code: str, stat: str) -> int:
        """HINCRBY one counter."""
        return int(
            await awaited(self.redis.hincrby(self.store.key("plink", "stats", code), stat, 1))
        )

    async def stats(self, code: str) -> dict[str, int]:
        """Every counter, zero when never hit."""
        raw = await awaited(self.redis.hgetall(self.store.key("plink", "stats", code)))
        return _counts(raw)

    async def stats_of(self, codes: list[str]) -> list[dict[str, int]]:
        """The counters of several links, in one round trip."""
        if not codes:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for code in codes:
                pipe.hgetall(self.store.key("plink", "stats", code))
            return [_counts(raw) for raw in await pipe.execute()]


def _counts(raw: dict[bytes, bytes]) -> dict[str, int]:
    counts = {k.decode(): int(v) for k, v in raw.items()}
    return {stat: counts.get(stat, 0) for stat in STATS}
