"""The order book's cache reads: many cached orders in one round trip, ownership still checked."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import pytest

from adapters.sandbox.faults import Fault
from adapters.store.cache import RedisCache
from bot.acme.types import phone_spellings
from bot.app.bootstrap import Usher
from bot.identity import Verified
from bot.order_cache import spelling_key
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


class Searches:
    """Records each ACME order search the book makes (an httpx request hook)."""

    def __init__(self, usher: Usher) -> None:
        self.seen: list[dict[str, str]] = []
        for client in usher.http_clients:
            client.event_hooks["request"].append(self._record)

    async def _record(self, request: httpx.Request) -> None:
        if request.url.path.endswith("/v2/b2c/orders/search"):
            self.seen.append(dict(request.url.params))

    def phones(self) -> list[str]:
        return [params["phoneNumber"] for params in self.seen if "phoneNumber" in params]

    def emails(self) -> list[str]:
        return [params["email"] for params in self.seen if "email" in params]


async def test_a_shared_phone_finds_the_orders_that_store_it_in_another_spelling(
    usher: Usher,
) -> None:
    """The newcomer's check: Telegram gives +14155550134, Alex's orders store (415) 555-0134,
    and ACME (like the simulator) matches only what it stores."""
    searches = Searches(usher)
    book = OrderBook(usher.acme, RedisCache(usher.store, "acme-test"))
    found = await book.visible_orders(ALEX)
    assert len(found) == 25
    assert {order.phone_number for order in found} == {"(415) 555-0134"}
    assert searches.phones() == ["4155550134", "+14155550134", "(415) 555-0134"]


async def test_the_winning_spelling_is_tried_first_next_time(usher: Usher) -> None:
    first = RedisCache(usher.store, "acme-test")
    await OrderBook(usher.acme, first).visible_orders(ALEX)
    assert await first.get(spelling_key("+14155550134")) == "(415) 555-0134"
    # Later, once the search answers have expired: only the remembered spelling is asked.
    later = RedisCache(usher.store, "acme-later")
    await later.put(spelling_key("+14155550134"), "(415) 555-0134", 3600)
    searches = Searches(usher)
    found = await OrderBook(usher.acme, later).visible_orders(ALEX)
    assert len(found) == 25
    assert searches.phones() == ["(415) 555-0134"], "one search, not five"


async def test_the_first_spelling_that_finds_orders_ends_the_search(usher: Usher) -> None:
    """Jane's order stores the document's own ``1234567890``: the first spelling tried."""
    searches = Searches(usher)
    jane = Verified(emails=frozenset(), phones=frozenset({"+11234567890"}))
    found = await OrderBook(usher.acme).visible_orders(jane)
    assert [order.id for order in found] == ["30263798"]
    assert searches.phones() == ["1234567890"]


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("+16175550199", "+16175550199"),
        ("+12125550147", "12125550147"),
        ("+442079460958", "+44 20 7946 0958"),
    ],
)
async def test_every_sandbox_spelling_is_found_from_the_shared_number(
    usher: Usher, phone: str, stored: str
) -> None:
    fan = Verified(emails=frozenset(), phones=frozenset({phone}))
    found = await OrderBook(usher.acme).visible_orders(fan)
    assert found
    assert {order.phone_number for order in found} == {stored}


async def test_a_phone_with_no_orders_asks_each_spelling_once(usher: Usher) -> None:
    searches = Searches(usher)
    nobody = Verified(emails=frozenset(), phones=frozenset({"+15035550110"}))
    assert await OrderBook(usher.acme).visible_orders(nobody) == []
    assert searches.phones() == [
        "5035550110",
        "+15035550110",
        "(503) 555-0110",
        "+1 503-555-0110",
        "15035550110",
    ]


async def test_an_order_looked_up_by_number_and_email_as_typed(usher: Usher) -> None:
    """Order 100150014 stores ``Alex.Rivera@Example.com``: typed so, it is found; the
    lowercased address finds the other orders, not that one."""
    searches = Searches(usher)
    book = OrderBook(usher.acme)
    order = await book.lookup("100150014", "Alex.Rivera@Example.com")
    assert order is not None
    assert order.email == "Alex.Rivera@Example.com"
    assert searches.emails() == ["Alex.Rivera@Example.com"]
    assert await book.lookup("100150014", "alex.rivera@example.com") is None
    mixed = await book.lookup("100150001", "ALEX.Rivera@example.com")
    assert mixed is not None
    assert mixed.order_number == "100150001"
    assert searches.emails()[-2:] == ["ALEX.Rivera@example.com", "alex.rivera@example.com"]


async def test_a_cached_answer_is_parsed_once_per_process_and_a_new_one_again(
    usher: Usher,
) -> None:
    """Warm turns read the same cached text back: the orders parsed from it are reused (no
    pydantic validation per turn), a refreshed answer is parsed anew, and a caller that
    reorders its list does not reorder the next caller's."""
    cache = RedisCache(usher.store, "acme-test")
    book = OrderBook(usher.acme, cache)
    ids = [order.id for order in await book.visible_orders(ALEX)]  # cold: ACME, then cached
    await book.details(ids, ALEX)
    first, details = await book.visible_orders(ALEX), await book.details(ids, ALEX)
    again = await book.visible_orders(ALEX)
    assert [id(o) for o in again] == [id(o) for o in first], "parsed once, shared"
    assert [id(o) for o in await book.details(ids, ALEX)] == [id(o) for o in details]
    first_id = ids[0]
    key = "order:" + first_id
    text = await cache.get(key)
    assert text is not None
    await cache.put(key, text + " ", 60)  # refreshed: the same order in a new text
    fresh = (await book.details([first_id], ALEX))[0]
    assert fresh is not details[0]
    assert fresh.model_dump() == details[0].model_dump()


def test_phone_spellings_are_a_new_list_each_time() -> None:
    """Callers move the remembered spelling to the front: that must not reorder the next."""
    spellings = phone_spellings("+14155550134")
    spellings.reverse()
    assert phone_spellings("+14155550134")[0] == "4155550134"
