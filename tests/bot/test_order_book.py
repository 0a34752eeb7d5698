"""The order book's cache reads: many cached orders in one round trip, ownership still checked."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from adapters.sandbox.faults import Fault
from adapters.store.cache import RedisCache
from bot.app.bootstrap import Usher
from bot.identity import Verified
from bot.orders import OrderBook

pytestmark = pytest.mark.redis

ALEX = Verified(emails=frozenset(), phones=frozenset({"+14155550134"}))
SOMEONE_ELSE = Verified(emails=frozenset({"nobody@example.com"}), phones=frozenset())


class CountingCache(RedisCache):
    """The Redis cache, counting its reads."""

    gets = 0
    get_manys = 0

    async def get(self, key: str) -> str | None:
        self.gets += 1
        return await super().get(key)

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        self.get_manys += 1
        return await super().get_many(keys)


async def test_cached_orders_come_in_one_read_without_acme_and_stay_owner_only(
    usher: Usher,
) -> None:
    cache = CountingCache(usher.store, "acme-test")
    book = OrderBook(usher.acme, cache)
    ids = [order.id for order in await book.visible_orders(ALEX)]
    assert len(ids) > 5
    first = await book.details(ids, ALEX)  # cold: from ACME, then cached
    assert [o.id for o in first] == ids
    assert usher.sandbox is not None
    down = usher.sandbox.faults.add(Fault("/v2/b2c/orders", status=503))
    cache.gets = cache.get_manys = 0
    again = await book.details(ids, ALEX)
    assert [o.model_dump() for o in again] == [o.model_dump() for o in first]
    assert (cache.get_manys, cache.gets, down.hits) == (1, 0, 0)
    assert await book.details(ids, SOMEONE_ELSE) == [], "a cached order is still checked"
    assert await book.details(["../x", ""], ALEX) == []
