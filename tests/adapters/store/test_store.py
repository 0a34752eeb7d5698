"""The Redis store against the real Redis server, and its embedded stand-in."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as redis_asyncio

from adapters.store.store import Store, connect
from bot.errors import Busy
from tests.conftest import TEST_REDIS_URL


@pytest.fixture
def store(real_redis: redis_asyncio.Redis) -> Store:
    return Store(real_redis, prefix="usher-test:")


def test_keys_live_under_the_prefix(store: Store) -> None:
    assert store.key("fan", "telegram", 42) == "usher-test:fan:telegram:42"


async def test_json_round_trip_and_expiry(store: Store, real_redis: redis_asyncio.Redis) -> None:
    key = store.key("state", "u1")
    await store.set_json(key, {"step": "await_code", "n": [1, 2]}, ttl=0.2)
    assert await store.get_json(key) == {"step": "await_code", "n": [1, 2]}
    assert 0 < await real_redis.pttl(key) <= 200
    await asyncio.sleep(0.3)
    assert await store.get_json(key) is None


async def test_claim_is_first_come_and_can_be_released(store: Store) -> None:
    key = store.key("dedup", "update", 1)
    assert await store.claim(key, ttl=5)
    assert not await store.claim(key, ttl=5)
    await store.release(key)
    assert await store.claim(key, ttl=5)


async def test_claim_is_atomic_across_connections(real_redis: redis_asyncio.Redis) -> None:
    """Eight 'processes' (separate connection pools) racing for one event: exactly one wins."""
    pools = [Store(redis_asyncio.Redis.from_url(TEST_REDIS_URL)) for _ in range(8)]
    try:
        results = await asyncio.gather(*(s.claim(s.key("dedup", "race"), ttl=5) for s in pools))
    finally:
        for s in pools:
            await s.close()
    assert results.count(True) == 1


async def test_lock_serialises_holders(store: Store) -> None:
    order: list[str] = []

    async def turn(name: str) -> None:
        async with store.locked("fan:u1", lease=5, wait=5):
            order.append(f"{name}-in")
            await asyncio.sleep(0.05)
            order.append(f"{name}-out")

    await asyncio.gather(turn("a"), turn("b"))
    assert order in (["a-in", "a-out", "b-in", "b-out"], ["b-in", "b-out", "a-in", "a-out"])


async def test_lock_busy_after_wait(store: Store) -> None:
    async with store.locked("fan:u2", lease=5, wait=1):
        with pytest.raises(Busy):
            async with store.locked("fan:u2", lease=5, wait=0.1):
                pass


async def test_a_renewed_lock_outlives_its_lease_while_held_and_no_longer(store: Store) -> None:
    async with store.locked("fan:u3", lease=0.3, wait=1, renew_for=5):
        await asyncio.sleep(0.8)  # beyond the lease: still held
        with pytest.raises(Busy):
            async with store.locked("fan:u3", lease=0.3, wait=0.1):
                pass
    async with store.locked("fan:u4", lease=0.3, wait=1, renew_for=0.2):
        await asyncio.sleep(0.8)  # renewed once, then left to lapse
        async with store.locked("fan:u4", lease=0.3, wait=0.1):
            pass


async def test_embedded_store_needs_no_server() -> None:
    store = connect(None)
    try:
        assert store.embedded
        assert await store.ping()
        async with store.locked("x", wait=1):
            assert await store.claim(store.key("k"), ttl=1)
    finally:
        await store.close()
