"""The order-number index on the real Redis server, and the ACME client feeding it."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import redis.asyncio as redis_asyncio

from adapters.store.order_index import RedisOrderIndex
from adapters.store.store import Store
from bot.acme.models import Order
from bot.app.bootstrap import Usher

pytestmark = pytest.mark.redis


def order(order_id: str, number: str | None) -> Order:
    return Order.model_validate({"id": order_id, "orderNumber": number})


async def test_numbers_map_to_ids_and_unknown_numbers_to_nothing(
    real_redis: redis_asyncio.Redis,
) -> None:
    index = RedisOrderIndex(Store(real_redis, prefix="usher-test:"))
    await index.remember([order("30263798", "100148401"), order("1", None), order("2", "")])
    assert await index.order_id("100148401") == "30263798"
    assert await index.order_id(" #100148401 ") == "30263798"
    assert await index.order_id("30263798") is None  # an id is not a number
    assert await index.order_id("") is None
    assert await index.order_id("9" * 41) is None
    await index.remember([])  # nothing to write is no error


async def test_the_acme_client_notes_every_order_it_reads(usher: Usher) -> None:
    index = RedisOrderIndex(usher.store)
    assert await index.order_id("100148401") is None
    [jane] = [o async for o in usher.acme.iter_orders(email="janedoe@gmail.com")]
    assert await index.order_id("100148401") == jane.id


class BrokenIndex:
    async def remember(self, orders: Sequence[Order]) -> None:
        raise ConnectionError("redis went away")

    async def order_id(self, number: str) -> str | None:
        raise AssertionError("not used")


async def test_a_failing_index_never_fails_the_read(usher: Usher) -> None:
    usher.acme._order_index = BrokenIndex()
    order = await usher.acme.get_order("30263798")
    assert order.order_number == "100148401"
