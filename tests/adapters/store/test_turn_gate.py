"""The per-fan turn bucket on the real Redis: a burst, one warning, silence, refill; per fan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis_asyncio

from adapters.store.store import Store
from adapters.store.turn_gate import RedisTurnGate
from bot.messages import Fan
from bot.throttle import Admission, TurnLimit
from tests.conftest import TEST_REDIS_URL

pytestmark = pytest.mark.redis

FLOODER = Fan("telegram", "666")
NEIGHBOUR = Fan("telegram", "777")


@pytest.fixture
async def store(real_redis: redis_asyncio.Redis) -> AsyncIterator[Store]:
    store = Store(redis_asyncio.Redis.from_url(TEST_REDIS_URL), prefix="usher-test:")
    yield store
    await store.close()


async def test_a_burst_then_one_warning_then_silence(store: Store) -> None:
    gate = RedisTurnGate(store, TurnLimit(per_minute=1, burst=5))
    answers = [await gate.admit(FLOODER) for _ in range(12)]
    assert answers[:5] == [Admission.ADMIT] * 5
    assert answers[5] == Admission.SLOW_DOWN
    assert answers[6:] == [Admission.SILENT] * 6


async def test_another_fan_is_not_touched_by_the_flood(store: Store) -> None:
    gate = RedisTurnGate(store, TurnLimit(per_minute=1, burst=3))
    for _ in range(20):
        await gate.admit(FLOODER)
    assert [await gate.admit(NEIGHBOUR) for _ in range(3)] == [Admission.ADMIT] * 3


async def test_every_process_shares_the_fans_bucket(store: Store) -> None:
    other_process = Store(redis_asyncio.Redis.from_url(TEST_REDIS_URL), prefix="usher-test:")
    limit = TurnLimit(per_minute=1, burst=4)
    here, there = RedisTurnGate(store, limit), RedisTurnGate(other_process, limit)
    answers = await asyncio.gather(*(g.admit(FLOODER) for g in (here, there) * 4))
    assert answers.count(Admission.ADMIT) == 4
    assert answers.count(Admission.SLOW_DOWN) == 1
    assert answers.count(Admission.SILENT) == 3
    await other_process.close()


async def test_the_bucket_refills_and_the_warning_comes_again_after_a_turn(store: Store) -> None:
    gate = RedisTurnGate(store, TurnLimit(per_minute=600, burst=2))  # one turn per 100 ms
    assert [await gate.admit(FLOODER) for _ in range(4)] == [
        Admission.ADMIT,
        Admission.ADMIT,
        Admission.SLOW_DOWN,
        Admission.SILENT,
    ]
    await asyncio.sleep(0.15)
    assert await gate.admit(FLOODER) == Admission.ADMIT
    assert await gate.admit(FLOODER) == Admission.SLOW_DOWN  # a new flood is told again


async def test_an_idle_fan_leaves_nothing_behind(store: Store) -> None:
    gate = RedisTurnGate(store, TurnLimit(per_minute=600, burst=3))
    await gate.admit(FLOODER)
    key = store.key("throttle", "turn", store.tag(FLOODER))
    assert 0 < await store.redis.pttl(key) <= 101
    await asyncio.sleep(0.15)
    assert not await store.redis.exists(key)
