"""What the order book keeps in the cache: the keys, and the cached answers parsed once.

Keys name no email or phone (digests), so a cache dump reveals nobody. Cached answers are read
back by every turn of a fan for as long as they live, so each distinct text is parsed once per
process and the orders parsed from it are shared between turns, read-only. The parsed copies
are keyed on a digest of the text (a refreshed answer is a new entry, a stale one is never
served), kept no longer than Redis keeps the text (``SEARCH_TTL``, ``ORDER_TTL``: personal data
is not held longer in a process than in the cache), and bounded in number: a parsed 25-order
search is about 140 KB, a parsed order about 13 KB, so at most about 18 + 13 MB per process.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from cachetools import TTLCache
from pydantic import TypeAdapter

from bot.acme.models import Order

ORDER_LIST = TypeAdapter(list[Order])
#: How long a search answer and an order's details are reused (a fan retrying at the gate).
SEARCH_TTL = 30.0
ORDER_TTL = 60.0
#: Cached answers kept parsed in each process (see the module docstring for the sizes).
PARSED_SEARCHES = 128
PARSED_ORDERS = 1024
_searches: TTLCache[bytes, tuple[Order, ...]] = TTLCache(PARSED_SEARCHES, SEARCH_TTL)
_orders: TTLCache[bytes, Order] = TTLCache(PARSED_ORDERS, ORDER_TTL)


def _text_digest(text: str) -> bytes:
    """The parsed copies' key: 16 bytes instead of the whole answer (35 KB for 25 orders)."""
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def orders_from_json(text: str) -> list[Order]:
    """A cached search answer, parsed once per process.

    Every turn of a fan reads the same cached text back (for up to ``SEARCH_TTL``), and
    validating 25 orders with pydantic took about a third of a warm find-order turn's CPU in
    bench.turns. Keyed on the text itself, so a refreshed answer is a new entry and a stale
    one is never served; the orders are shared between turns and treated as read-only.
    """
    key = _text_digest(text)
    parsed = _searches.get(key)
    if parsed is None:
        parsed = _searches[key] = tuple(ORDER_LIST.validate_json(text))
    return list(parsed)


def order_from_json(text: str) -> Order:
    """A cached order with its items, parsed once per process (as :func:`orders_from_json`)."""
    key = _text_digest(text)
    parsed = _orders.get(key)
    if parsed is None:
        parsed = _orders[key] = Order.model_validate_json(text)
    return parsed


def order_key(order_id: str) -> str:
    """The cache key of an order's details (with its items)."""
    return "order:" + order_id


def spelling_key(e164: str) -> str:
    """The cache key of the spelling that found a phone's orders (names no phone)."""
    return "phone-spelling:" + _digest(e164)


def times_key(order_id: str) -> str:
    """The cache key of an order's event times (epoch milliseconds, a JSON list)."""
    return "order-times:" + order_id


def event_times(order: Order) -> list[datetime]:
    """The start of every event the order's items are for."""
    return [item.event_start_time for item in order.order_items if item.event_start_time]


def times_text(order: Order) -> str:
    """What :func:`times_key` holds for an order."""
    return json.dumps([int(moment.timestamp() * 1000) for moment in event_times(order)])


def search_key(email: str | None, phone: str | None) -> str:
    """Case kept: ACME matches as stored, so ``Jane@X.com`` and ``jane@x.com`` are two
    searches with two answers."""
    value = f"{email or ''}|{phone or ''}"
    return "search:" + hashlib.sha256(value.encode()).hexdigest()[:32]


def _digest(value: str) -> str:
    """Cache keys name no email or phone."""
    return hashlib.sha256(value.lower().encode()).hexdigest()[:32]
