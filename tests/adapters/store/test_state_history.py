"""The conversation state and its history, kept under two keys with two lifetimes (real Redis)."""

from __future__ import annotations

import json

import pytest
import redis.asyncio as redis_asyncio

from adapters.store.identity import STATE_TTL, RedisStateStore
from adapters.store.store import Store
from bot.history import HISTORY_TTL
from bot.messages import Fan

FAN = Fan("telegram", "7")


@pytest.fixture
def states(real_redis: redis_asyncio.Redis) -> RedisStateStore:
    return RedisStateStore(Store(real_redis, prefix="usher-test:"))


async def test_the_history_has_its_own_key_and_a_day_to_live(
    states: RedisStateStore, real_redis: redis_asyncio.Redis
) -> None:
    await states.save(FAN, {"lang": "en", "history": [[1.0, "hello"]]})
    saved = json.loads(await real_redis.get("usher-test:state:{telegram:7}") or b"{}")
    assert saved == {"lang": "en"}
    assert 0 < await real_redis.pttl("usher-test:history:{telegram:7}") <= HISTORY_TTL * 1000
    assert await real_redis.pttl("usher-test:state:{telegram:7}") > HISTORY_TTL * 1000
    assert await real_redis.pttl("usher-test:state:{telegram:7}") <= STATE_TTL * 1000
    assert await states.load(FAN) == {"lang": "en", "history": [[1.0, "hello"]]}


async def test_no_history_no_key_and_an_old_embedded_history_is_dropped(
    states: RedisStateStore, real_redis: redis_asyncio.Redis
) -> None:
    await states.save(FAN, {"lang": "en", "history": [[1.0, "hello"]]})
    await states.save(FAN, {"lang": "en"})  # "forget me" emptied it
    assert await real_redis.exists("usher-test:history:{telegram:7}") == 0
    await real_redis.set("usher-test:state:{telegram:7}", json.dumps({"history": ["code 123456"]}))
    assert await states.load(FAN) == {}


async def test_forget_drops_the_state_and_the_history(
    states: RedisStateStore, real_redis: redis_asyncio.Redis
) -> None:
    await states.save(FAN, {"lang": "es", "history": [[1.0, "hola"]]})
    await states.forget(FAN)
    assert await real_redis.keys("usher-test:*") == []
