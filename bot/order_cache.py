"""What the order book keeps in the cache: the keys, and the cached answers parsed once.

Keys name no email or phone (digests), so a cache dump reveals nobody. Cached answers are read
back by every turn of a fan for as long as they live, so each distinct text is parsed once per
process (an LRU keyed on the text itself: a refreshed answer is a new entry, a stale one is
never served) and the orders parsed from it are shared between turns, read-only.
"""

from __future__ import annotations

import functools
import hashlib
import json

from pydantic import TypeAdapter

from bot.acme.models import Order

ORDER_LIST = TypeAdapter(list[Order])
#: Cached answers kept parsed in each process, by their text (see :func:`orders_from_json`).
PARSED_SEARCHES = 512
PARSED_ORDERS = 2048


@functools.lru_cache(maxsize=PARSED_SEARCHES)
def _parsed_search(text: str) -> tuple[Order, ...]:
    return tuple(ORDER_LIST.validate_json(text))


def orders_from_json(text: str) -> list[Order]:
    """A cached search answer, parsed once per process.

    Every turn of a fan reads the same cached text back (for up to ``SEARCH_TTL``), and
    validating 25 orders with pydantic took about a third of a warm find-order turn's CPU in
    bench.turns. Keyed on the text itself, so a refreshed answer is a new entry and a stale
    one is never served; the orders are shared between turns and treated as read-only.
    """
    return list(_parsed_search(text))


@functools.lru_cache(maxsize=PARSED_ORDERS)
def order_from_json(text: str) -> Order:
    """A cached order with its items, parsed once per process (as :func:`orders_from_json`)."""
    return Order.model_validate_json(text)


def spelling_key(e164: str) -> str:
    """The cache key of the spelling that found a phone's orders (names no phone)."""
    return "phone-spelling:" + _digest(e164)


def times_key(order_id: str) -> str:
    """The cache key of an order's event times (epoch milliseconds, a JSON list)."""
    return "order-times:" + order_id


def times_text(order: Order) -> str:
    """What :func:`times_key` holds for an order."""
    starts = [item.event_start_time for item in order.order_items if item.event_start_time]
    return json.dumps([int(moment.timestamp() * 1000) for moment in starts])


def search_key(email: str | None, phone: str | None) -> str:
    """Case kept: ACME matches as stored, so ``Jane@X.com`` and ``jane@x.com`` are two
    searches with two answers."""
    value = f"{email or ''}|{phone or ''}"
    return "search:" + hashlib.sha256(value.encode()).hexdigest()[:32]


def _digest(value: str) -> str:
    """Cache keys name no email or phone."""
    return hashlib.sha256(value.lower().encode()).hexdigest()[:32]
