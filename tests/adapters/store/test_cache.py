"""The upstream-answer cache against the real Redis server."""

from __future__ import annotations

import pytest
import redis.asyncio as redis_asyncio

from adapters.store.cache import RedisCache
from adapters.store.store import Store


@pytest.fixture
def cache(real_redis: redis_asyncio.Redis) -> RedisCache:
    return RedisCache(Store(real_redis, prefix="usher-test:"), "acme")


async def test_several_entries_in_one_write_each_with_its_own_expiry(
    cache: RedisCache, real_redis: redis_asyncio.Redis
) -> None:
    await cache.put_many([("order:1", "details", 60.0), ("order-times:1", "[1]", 86400.0)])
    await cache.put_many([])
    assert await cache.get_many(["order:1", "order-times:1", "order:2"]) == [
        "details",
        "[1]",
        None,
    ]
    assert 0 < await real_redis.pttl("usher-test:cache:acme:order:1") <= 60_000
    assert 60_000 < await real_redis.pttl("usher-test:cache:acme:order-times:1") <= 86_400_000
