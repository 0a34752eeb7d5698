"""Ticket-page bindings and per-browser device ids on the real Redis server."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as redis_asyncio

from adapters.store.page_bindings import RedisPageBindings
from adapters.store.store import Store
from adapters.store.tm_orders import RedisTmOrderStore
from bot.messages import Fan

FAN = Fan("telegram", "42")


@pytest.fixture
def store(real_redis: redis_asyncio.Redis) -> Store:
    return Store(real_redis, prefix="usher-test:")


async def test_the_first_browser_binds_the_live_link_and_a_fresh_link_frees_it(
    store: Store, real_redis: redis_asyncio.Redis
) -> None:
    pages = RedisPageBindings(store)
    await pages.issue("fan", "ref", "link-1", 60)
    assert await pages.look("fan", "ref", "link-1", "phone") == "free"
    assert await pages.look("fan", "ref", "link-1", "phone") == "free"  # looking binds nothing
    assert await pages.bind("fan", "ref", "link-1", "phone", 60) == "bound"
    assert await pages.bind("fan", "ref", "link-1", "phone", 60) == "bound"
    assert await pages.bind("fan", "ref", "link-1", "laptop", 60) == "other"
    await pages.issue("fan", "ref", "link-2", 60)
    assert await pages.bind("fan", "ref", "link-1", "phone", 60) == "replaced"
    assert await pages.bind("fan", "ref", "link-2", "laptop", 60) == "bound"
    assert await pages.look("fan", "ref", "link-2", "phone") == "other"
    assert 0 < await real_redis.ttl("usher-test:page:fan:ref") <= 60


async def test_two_browsers_racing_for_one_link_cannot_both_win(store: Store) -> None:
    pages = RedisPageBindings(store)
    await pages.issue("fan", "ref", "link", 60)
    answers = await asyncio.gather(
        *(pages.bind("fan", "ref", "link", f"browser-{n}", 60) for n in range(10))
    )
    assert sorted(answers) == ["bound"] + ["other"] * 9


async def test_each_browser_has_a_sticky_device_id_and_the_first_takes_the_fans(
    store: Store,
) -> None:
    orders = RedisTmOrderStore(store)
    fans_own = await orders.device_id(FAN)
    first = await orders.browser_device_id(FAN, "phone")
    second = await orders.browser_device_id(FAN, "laptop")
    assert first == fans_own
    assert second != fans_own
    assert await orders.browser_device_id(FAN, "laptop") == second
    assert await orders.browser_device_id(FAN, "phone") == first
    assert await orders.device_id(FAN) == fans_own  # the worker's id never changes


async def test_browsers_opening_at_once_get_one_id_each(store: Store) -> None:
    orders = RedisTmOrderStore(store)
    ids = await asyncio.gather(
        *(orders.browser_device_id(FAN, f"browser-{n % 3}") for n in range(12))
    )
    assert len(set(ids)) == 3
    assert await orders.device_id(FAN) in ids
