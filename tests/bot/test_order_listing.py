"""``OrderBook.listing``: a warm list reads the cache once, the guess it reads ahead is only
ever a guess (new orders are read after, nothing is shown that the search did not find for the
fan), on a fake cache and a fake ACME."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from bot.acme.models import Order
from bot.identity import Verified
from bot.order_cache import order_key, times_key
from bot.order_times import Timeline
from bot.orders import OrderBook
from tests.bot.test_order_times import Cache, order, summary

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
FAN = Verified(emails=frozenset({"fan@example.com"}), phones=frozenset())


class Acme:
    """Searches find the fan's summaries; single orders come whole."""

    def __init__(self, *orders: Order) -> None:
        self.orders = {o.id: o for o in orders}

    async def iter_orders(
        self, *, email: str | None = None, phone: str | None = None
    ) -> AsyncIterator[Order]:
        for full in self.orders.values():
            if email is not None and full.email == email:
                yield summary(full)

    async def get_order(self, order_id: str) -> Order:
        return self.orders[order_id]


async def listed(book: OrderBook, cache: Cache) -> tuple[list[str], list[int]]:
    """One list turn: the ids shown (upcoming, then past) and the cache reads it made."""
    cache.reads.clear()
    listing = await book.listing(FAN)
    split = await Timeline(book).split(listing.orders, FAN, NOW, listing.ahead)
    return [o.id for o in split.upcoming + split.past], list(cache.reads)


async def test_a_warm_list_reads_the_cache_once() -> None:
    cache = Cache()
    book = OrderBook(Acme(order("1", timedelta(days=2)), order("2", timedelta(days=-2))), cache)
    await listed(book, cache)  # cold: searches ACME, learns the times, fills the cache

    shown, reads = await listed(book, cache)

    assert shown == ["1", "2"]
    assert len(reads) == 1, "the searches and the orders' details and times in one read"


async def test_an_order_new_since_the_last_list_is_read_after() -> None:
    cache = Cache()
    acme = Acme(order("1", timedelta(days=2)))
    book = OrderBook(acme, cache)
    await listed(book, cache)
    acme.orders["3"] = order("3", timedelta(days=1))
    cache.data.clear()  # the search is asked again and finds the new order

    shown, _ = await listed(book, cache)
    shown_again, reads = await listed(book, cache)

    assert shown == shown_again == ["3", "1"]
    assert len(reads) == 1, "the new order is part of the guess from then on"


async def test_what_is_read_ahead_shows_nothing_the_search_did_not_find_for_the_fan() -> None:
    cache = Cache()
    stranger = order("9", timedelta(days=1), email="someone@example.com")
    book = OrderBook(Acme(order("1", timedelta(days=2)), stranger), cache)
    await listed(book, cache)
    # A guess naming someone else's order (it cannot come from this fan's lists), cached whole.
    book._listed[("fan@example.com",)] = ("1", "9")
    cache.data[order_key("9")] = stranger.model_dump_json(by_alias=True)
    cache.data[times_key("9")] = "[1]"

    listing = await book.listing(FAN)
    shown, _ = await listed(book, cache)
    details = await book.details(["1", "9"], FAN, ahead=listing.ahead)

    assert order_key("9") in listing.ahead
    assert shown == ["1"]
    assert [o.id for o in details] == ["1"], "ownership is checked on what was read ahead"


async def test_details_read_only_what_is_not_ahead() -> None:
    cache = Cache()
    book = OrderBook(Acme(order("1", timedelta(days=2)), order("2", timedelta(days=3))), cache)
    await listed(book, cache)
    listing = await book.listing(FAN)
    cache.reads.clear()

    full = await book.details([o.id for o in listing.orders], FAN, ahead=listing.ahead)

    assert sorted(o.id for o in full) == ["1", "2"]
    assert cache.reads == []
