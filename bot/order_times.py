"""Upcoming or past: which of a fan's orders are still ahead of them, told apart cheaply.

An order is *upcoming* while any of its events has not started more than :data:`PAST_AFTER`
ago (the same rule as show-tickets: a show that started an hour ago is still tonight's), and
*past* once every one of its events is over. Status plays no part: a refunded order for next
week's show stays upcoming (named "refunded"), so a fan checking their refund finds it.

An order with no event time at all (an add-on or membership on its own) has no "over"; it reads
as upcoming for :data:`UNDATED_CURRENT` after it was placed (a fan asking about a purchase of
last week finds it first) and past after that. An order whose times are not known this turn
(beyond :data:`FETCH_LIMIT`, or not fetchable) is placed by the same created-date rule.

Search results carry no items, so no event times: those come from each order's details. A
fan with 25 orders would cost 25 ACME calls on every list, so each fetched order also leaves
its event times in the cache (``order-times:<id>`` for ``bot.orders.TIMES_TTL``, written
where it fetches: times change far less often than a ticket's status), and one MGET reads, for
every visible order, its cached details and its cached times together. Only orders with
neither are fetched; details are then needed only for the page shown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.acme.models import Order
from bot.identity import Verified
from bot.order_cache import event_times, order_from_json, order_key, times_key
from bot.orders import OLDEST, OrderBook, is_order_id, owns, read_through

#: An event that started longer ago than this is over (shared with show-tickets).
PAST_AFTER = timedelta(hours=6)
#: How long an order without any event time reads as upcoming after it was placed.
UNDATED_CURRENT = timedelta(days=30)
#: At most this many orders are fetched from ACME in one turn to learn their times.
FETCH_LIMIT = 40


@dataclass
class Split:
    """A fan's orders in two lists, and the full orders (with items) already at hand."""

    upcoming: list[Order] = field(default_factory=list)
    past: list[Order] = field(default_factory=list)
    full: dict[str, Order] = field(default_factory=dict)
    #: Cached details not parsed yet (their times were enough): parsed for the page only.
    unread: dict[str, str] = field(default_factory=dict)
    #: Each order's event start times, where known (what the lists are sorted by).
    times: dict[str, list[datetime]] = field(default_factory=dict)

    def shown_time(self, order: Order, now: datetime) -> datetime | None:
        """The date a list shows for ``order``: the one it is sorted by (an upcoming order's
        next event, a past order's last one), else when it was placed."""
        times = self.times.get(order.id) or event_times(order)
        if not times:
            return order.created_on or order.creation_date
        upcoming = [t for t in times if t >= now - PAST_AFTER]
        return min(upcoming) if upcoming else max(times)


def decode_times(raw: str) -> list[datetime] | None:
    """The event start times of a ``order-times:`` entry (None when it is not one)."""
    try:
        values = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(values, list) or not all(isinstance(v, int) for v in values):
        return None
    return [datetime.fromtimestamp(v / 1000, UTC) for v in values]


def placed(order: Order) -> datetime:
    """When the order was made (the oldest possible time when ACME left it out)."""
    return order.created_on or order.creation_date or OLDEST


def is_upcoming(order: Order, times: list[datetime] | None, now: datetime) -> bool:
    """The rule in this module's docstring."""
    if times:
        return max(times) >= now - PAST_AFTER
    return placed(order) >= now - UNDATED_CURRENT


def soonest(times: list[datetime] | None, now: datetime) -> datetime:
    """An upcoming order's sort key: its first event not yet over (undated: after all)."""
    ahead = [t for t in times or [] if t >= now - PAST_AFTER]
    return min(ahead) if ahead else datetime.max.replace(tzinfo=UTC)


class Timeline:
    """Splits a fan's visible orders into upcoming (soonest first) and past (latest first)."""

    def __init__(self, orders: OrderBook) -> None:
        self.orders = orders

    async def split(
        self,
        summaries: Sequence[Order],
        verified: Verified,
        now: datetime,
        ahead: Mapping[str, str | None] | None = None,
    ) -> Split:
        """``summaries``: the fan's visible orders, newest first (``visible_orders``);
        ``ahead``: cache entries already read with them (``OrderBook.listing``)."""
        ids = [o.id for o in summaries if is_order_id(o.id)]
        cached = await self._read(ids, ahead or {})
        split = Split()
        times = split.times
        for order_id in ids:
            raw_order, raw_times = cached.get(order_id, (None, None))
            known = decode_times(raw_times) if raw_times is not None else None
            if known is not None:
                times[order_id] = known
                if raw_order is not None:
                    split.unread[order_id] = raw_order
            elif raw_order is not None:
                order = order_from_json(raw_order)
                if owns(order, verified):
                    split.full[order_id] = order
                    times[order_id] = event_times(order)
        unknown = [i for i in ids if i not in times and i not in split.full][:FETCH_LIMIT]
        for order in await self.orders.details(unknown, verified, look=False):
            split.full[order.id] = order
            times[order.id] = event_times(order)
        for summary in summaries:
            order = split.full.get(summary.id, summary)
            when = times.get(summary.id)
            (split.upcoming if is_upcoming(order, when, now) else split.past).append(order)
        split.upcoming.sort(key=lambda o: (soonest(times.get(o.id), now), -placed(o).timestamp()))
        split.past.sort(key=lambda o: max(times.get(o.id) or [placed(o)]), reverse=True)
        return split

    async def complete(self, split: Split, chunk: Sequence[Order], verified: Verified) -> None:
        """Put the full order (with items) of each of ``chunk`` in ``split.full``: parsed from
        the cache read of :meth:`split`, else fetched (the fan's orders only, checked again)."""
        missing: list[str] = []
        for summary in chunk:
            if summary.id in split.full:
                continue
            raw = split.unread.pop(summary.id, None)
            order = order_from_json(raw) if raw is not None else None
            if order is not None and owns(order, verified):
                split.full[summary.id] = order
            else:
                missing.append(summary.id)
        for order in await self.orders.details(missing, verified, look=False):
            split.full[order.id] = order

    async def _read(
        self, ids: list[str], ahead: Mapping[str, str | None]
    ) -> dict[str, tuple[str | None, str | None]]:
        """Each order's cached details and cached times, in one round trip (none when
        ``ahead`` has them all)."""
        cache = self.orders.cache
        if cache is None or not ids:
            return {}
        keys = [order_key(i) for i in ids] + [times_key(i) for i in ids]
        values = await read_through(cache, keys, ahead)
        return {i: (values[n], values[n + len(ids)]) for n, i in enumerate(ids)}
