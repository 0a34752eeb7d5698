"""Upcoming or past, on a fake cache and a fake ACME: the rule, the one cache read, what is
fetched (and what is not), and ownership checked again on cached details."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import order_times
from bot.acme.models import Order
from bot.identity import Verified
from bot.order_times import Timeline
from bot.orders import OrderBook

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
FAN = Verified(emails=frozenset({"fan@example.com"}), phones=frozenset())


def order(oid: str, *starts: timedelta, email: str = "fan@example.com", age: int = 90) -> Order:
    items: list[dict[str, Any]] = [
        {"eventName": f"Event {oid}", "eventStartTime": int((NOW + s).timestamp() * 1000)}
        for s in starts
    ]
    created = (NOW - timedelta(days=age)).isoformat()
    return Order.model_validate(
        {"id": oid, "email": email, "createdOn": created, "orderItems": items}
    )


class Cache:
    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.reads: list[int] = []

    async def get(self, key: str) -> str | None:
        raise AssertionError("a list turn reads the cache only with get_many")

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        self.reads.append(len(keys))
        return [self.data.get(key) for key in keys]

    async def put(self, key: str, value: str, ttl: float) -> None:
        self.data[key] = value

    async def put_many(self, entries: Sequence[tuple[str, str, float]]) -> None:
        for key, value, _ in entries:
            self.data[key] = value


class Acme:
    def __init__(self, *orders: Order) -> None:
        self.orders = {o.id: o for o in orders}
        self.fetched: list[str] = []

    def iter_orders(
        self, *, email: str | None = None, phone: str | None = None
    ) -> AsyncIterator[Order]:
        raise AssertionError("not searched here")

    async def get_order(self, order_id: str) -> Order:
        self.fetched.append(order_id)
        return self.orders[order_id]


def summary(full: Order) -> Order:
    return full.model_copy(update={"order_items": []})


async def test_the_rule_and_the_order_of_each_list() -> None:
    orders = [
        order("1", timedelta(days=-3)),  # over
        order("2", timedelta(hours=-5)),  # started 5 hours ago: still tonight's
        order("3", timedelta(days=-10), timedelta(days=4)),  # one event ahead: upcoming
        order("4", timedelta(hours=-7)),  # over
        order("5", timedelta(days=1)),
        order("6", age=10),  # no event time, placed 10 days ago: upcoming, after the dated
        order("7", age=45),  # no event time, placed 45 days ago: past
    ]
    book = OrderBook(Acme(*orders), Cache())
    split = await Timeline(book).split([summary(o) for o in orders], FAN, NOW)
    assert [o.id for o in split.upcoming] == ["2", "5", "3", "6"]
    assert [o.id for o in split.past] == ["4", "1", "7"]


async def test_each_list_shows_the_date_it_is_sorted_by() -> None:
    """An order with an event ten days ago and one in four days sits among next week's
    orders: it shows the one in four days, not the one that is over; a past order shows its
    last event; an order without events shows when it was placed."""
    orders = [
        order("3", timedelta(days=-10), timedelta(days=4)),
        order("8", timedelta(days=-20), timedelta(days=-9)),
        order("6", age=10),
    ]
    book = OrderBook(Acme(*orders), Cache())
    split = await Timeline(book).split([summary(o) for o in orders], FAN, NOW)
    shown = {o.id: split.shown_time(o, NOW) for o in split.upcoming + split.past}
    assert shown == {
        "3": NOW + timedelta(days=4),
        "8": NOW - timedelta(days=9),
        "6": NOW - timedelta(days=10),
    }


async def test_one_read_then_only_the_unknown_are_fetched_and_times_outlive_details() -> None:
    orders = [order(str(n), timedelta(days=n - 5)) for n in range(10)]
    acme, cache = Acme(*orders), Cache()
    timeline = Timeline(OrderBook(acme, cache))
    summaries = [summary(o) for o in orders]
    await timeline.split(summaries, FAN, NOW)
    assert sorted(acme.fetched) == sorted(o.id for o in orders)
    assert cache.reads == [20]  # details and times of all ten, in one read

    acme.fetched.clear()
    split = await timeline.split(summaries, FAN, NOW)
    assert acme.fetched == []
    assert split.full == {}, "cached details wait unparsed until their page is shown"
    await timeline.complete(split, split.upcoming[:2], FAN)
    assert acme.fetched == []
    assert set(split.full) == {o.id for o in split.upcoming[:2]}

    for key in [k for k in cache.data if k.startswith("order:")]:
        del cache.data[key]  # the details expired (a minute); the times are kept (a day)
    split = await timeline.split(summaries, FAN, NOW)
    assert acme.fetched == []
    await timeline.complete(split, split.past[:3], FAN)
    assert acme.fetched == [o.id for o in split.past[:3]]


async def test_cached_details_are_checked_again_and_garbage_times_are_not_trusted() -> None:
    mine, moved = order("1", timedelta(days=2)), order("2", timedelta(days=3))
    acme, cache = Acme(mine, moved.model_copy(update={"email": "new@example.com"})), Cache()
    cache.data["order:2"] = moved.model_copy(update={"email": "new@example.com"}).model_dump_json(
        by_alias=True
    )
    cache.data["order-times:2"] = json.dumps([int((NOW + timedelta(days=3)).timestamp() * 1000)])
    cache.data["order-times:1"] = '{"not": "times"}'
    timeline = Timeline(OrderBook(acme, cache))
    split = await timeline.split([summary(mine), summary(moved)], FAN, NOW)
    assert acme.fetched == ["1"]
    await timeline.complete(split, split.upcoming, FAN)
    assert acme.fetched == ["1", "2"]  # cached as someone else's: asked again, and refused
    assert set(split.full) == {"1"}


async def test_at_most_fetch_limit_orders_are_fetched_the_rest_go_by_their_date(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(order_times, "FETCH_LIMIT", 2)
    orders = [order(str(n), timedelta(days=1), age=5 + 20 * n) for n in range(4)]
    acme = Acme(*orders)
    split = await Timeline(OrderBook(acme, Cache())).split([summary(o) for o in orders], FAN, NOW)
    assert acme.fetched == ["0", "1"]  # the newest two
    assert [o.id for o in split.upcoming] == ["0", "1"]
    assert [o.id for o in split.past] == ["2", "3"]  # times unknown, placed 45 and 65 days ago
