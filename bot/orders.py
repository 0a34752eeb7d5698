"""Which orders a fan may see: the ownership rule, applied at every access.

ACME does no per-fan authorisation (its orders document says so), so this module is the gate.
An order is the fan's when its email is one they verified (by code) or its phone (compared in
E.164) is one they verified (the channel vouched). Nothing a fan types or a button carries is
trusted: every access fetches the order and checks again. An order number plus an email is
only a lookup key (:meth:`OrderBook.lookup`): it finds an order to show its status and to mail
a code to, and opens nothing.

A refusal raises :class:`NotAllowed`, whose message is the same "couldn't find an order
matching that" as for an order that does not exist, so a fan cannot probe for orders.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from cachetools import TTLCache

from bot.acme.models import Order
from bot.acme.types import email_spellings, phone_spellings, to_e164
from bot.app.metrics import CACHE
from bot.errors import NotAllowed, NotFound
from bot.identity import Verified
from bot.order_cache import (
    ORDER_LIST,
    ORDER_TTL,
    SEARCH_TTL,
    order_from_json,
    order_key,
    orders_from_json,
    search_key,
    spelling_key,
    times_key,
    times_text,
)

#: Orders fetched in parallel when their items are needed.
DETAIL_CONCURRENCY = 8
#: How long an order's event times are reused to tell upcoming from past (``bot.order_times``).
TIMES_TTL = 24 * 3600.0
#: How long the spelling that found a fan's phone is tried first (as long as a proof lasts).
SPELLING_TTL = 30 * 24 * 3600.0
OLDEST = datetime.min.replace(tzinfo=UTC)
#: Fans (by their proofs) whose last listed orders a process remembers, and for how long: a
#: guess at what their next list will read, so it is read with the searches (see
#: :meth:`OrderBook.listing`). A wrong or missing guess costs only the round trip it saves.
LISTED_FANS = 4_096
LISTED_TTL = 600.0
#: At most this many listed orders are remembered per fan (a list fetches at most 40 times).
LISTED_ORDERS = 50


class TextCache(Protocol):
    """A key-value cache with expiry (Redis in production)."""

    async def get(self, key: str) -> str | None:
        """The value, or None."""
        ...

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """The values of ``keys`` in one round trip (None where missing)."""
        ...

    async def put(self, key: str, value: str, ttl: float) -> None:
        """Store with expiry."""
        ...

    async def put_many(self, entries: Sequence[tuple[str, str, float]]) -> None:
        """Store several ``(key, value, ttl)`` in one round trip."""
        ...


class OrderSource(Protocol):
    """The part of the ACME client this module needs."""

    def iter_orders(
        self, *, email: str | None = None, phone: str | None = None
    ) -> AsyncIterator[Order]:
        """Every order matching the email or phone, across all pages."""
        ...

    async def get_order(self, order_id: str) -> Order:
        """One order with its items."""
        ...


async def first_hit(
    spellings: Sequence[str], search: Callable[[str], Awaitable[list[Order]]]
) -> tuple[str | None, list[Order]]:
    """Search each spelling in turn and stop at the first that finds orders.

    ACME matches an email or phone exactly as the order stores it, so a number is searched in
    each spelling ACME may hold it in (``bot.acme.types.phone_spellings``); one call per
    spelling, never more than needed. Returns the spelling that found them (None: nothing).
    """
    for spelling in spellings:
        found = await search(spelling)
        if found:
            return spelling, found
    return None, []


#: Ticket statuses that no longer get anyone in (the ticket was voided or refunded).
VOID_STATUSES = frozenset({"void", "refund", "refunded", "cancelled"})


def is_order_id(order_id: str) -> bool:
    """True for what can be an ACME order id: a short run of ASCII letters and digits
    (anything else, from a button or a page, is refused before it reaches a URL)."""
    return order_id.isascii() and order_id.isalnum() and len(order_id) <= 40


def ticket_live(status: str | None) -> bool:
    """True unless the ticket's status says it was voided or refunded."""
    return (status or "").lower() not in VOID_STATUSES


def owns(order: Order, verified: Verified) -> bool:
    """The ownership rule from docs/architecture.md: the order's email or phone is one the fan
    holds."""
    emails = {e.strip().lower() for e in (order.email, order.billing_email) if e}
    if emails & verified.emails:
        return True
    stored = [p.strip() for p in (order.phone_number, order.billing_phone_number) if p]
    if {to_e164(p) for p in stored} & verified.phones:
        return True
    # A spelling without its country (``442079460958``) reads as another number in E.164; it
    # is still the fan's when it is one of the spellings their number is searched in.
    return any(p in _spellings(phone) for phone in verified.phones for p in stored)


@functools.lru_cache(maxsize=4096)
def _spellings(e164: str) -> frozenset[str]:
    return frozenset(phone_spellings(e164))


def newest_first(orders: Iterable[Order]) -> list[Order]:
    """Sort by creation time, newest first (orders without a date last)."""
    return sorted(orders, key=lambda o: o.created_on or o.creation_date or OLDEST, reverse=True)


@dataclass(frozen=True)
class Listing:
    """A fan's visible orders (:meth:`OrderBook.visible_orders`) and, read in the same round
    trip, the cache entries of the details and event times of the orders listed for the same
    proofs last time (key -> text, None when not cached): what a list or a ticket reply
    reads next, so it need not go back to the cache for what is here."""

    orders: list[Order]
    ahead: Mapping[str, str | None] = field(default_factory=dict)


class OrderBook:
    """Finds a fan's orders and hands out single orders only after checking ownership."""

    def __init__(self, source: OrderSource, cache: TextCache | None = None) -> None:
        self.source = source
        self.cache = cache
        #: The fan's proofs -> the ids of the orders last listed for them in this process.
        self._listed: TTLCache[tuple[str, ...], tuple[str, ...]] = TTLCache(LISTED_FANS, LISTED_TTL)

    async def _search(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        prefetched: dict[str, str | None] | None = None,
    ) -> list[Order]:
        """All orders for one email or phone form, reused for a few seconds.

        ``prefetched``: cache entries already read (:meth:`_prefetch_searches`), so several
        searches of one turn cost one round trip to the cache, not one each.
        """
        key = search_key(email, phone)
        if prefetched is not None and key in prefetched:
            hit = prefetched[key]
        else:
            hit = await self.cache.get(key) if self.cache is not None else None
        if hit is not None:
            CACHE.labels("acme_search", "hit").inc()
            return orders_from_json(hit)
        CACHE.labels("acme_search", "miss").inc()
        orders = [order async for order in self.source.iter_orders(email=email, phone=phone)]
        if self.cache is not None:
            await self.cache.put(
                key, ORDER_LIST.dump_json(orders, by_alias=True).decode(), SEARCH_TTL
            )
        return orders

    async def _get(self, order_id: str, *, look: bool = True) -> Order:
        """One order with its items, reused for a minute (``look=False``: the caller has just
        read the cache and missed). Its event times are kept for a day (``times_key``)."""
        key = order_key(order_id)
        if look and self.cache is not None and (hit := await self.cache.get(key)) is not None:
            CACHE.labels("acme_order", "hit").inc()
            return order_from_json(hit)
        CACHE.labels("acme_order", "miss").inc()
        order = await self.source.get_order(order_id)
        if self.cache is not None:
            await self.cache.put_many(
                [
                    (key, order.model_dump_json(by_alias=True), ORDER_TTL),
                    (times_key(order_id), times_text(order), TIMES_TTL),
                ]
            )
        return order

    async def _by_email(self, email: str, prefetched: dict[str, str | None]) -> list[Order]:
        """The orders of an email: as given, then lowercased, stopping at the first hit."""
        _, found = await first_hit(
            email_spellings(email), lambda e: self._search(email=e, prefetched=prefetched)
        )
        return found

    async def _by_phone(self, e164: str, prefetched: dict[str, str | None]) -> list[Order]:
        """The orders of a phone, in the spellings ACME may store it in, stopping at the first
        that finds any; the winning spelling is remembered and tried first next time."""
        spellings = phone_spellings(e164)
        key = spelling_key(e164)
        if key in prefetched:
            known = prefetched[key]
        else:
            known = await self.cache.get(key) if self.cache is not None else None
        if known in spellings:
            spellings.remove(known)
            spellings.insert(0, known)
        winner, found = await first_hit(
            spellings, lambda p: self._search(phone=p, prefetched=prefetched)
        )
        if winner is not None and winner != known and self.cache is not None:
            await self.cache.put(key, winner, SPELLING_TTL)
        return found

    async def visible_orders(self, verified: Verified) -> list[Order]:
        """Every order the fan may see, newest first (search results: no items).

        The cache entries a warm turn needs (each phone's winning spelling and every search
        it may ask) are read in one round trip; only what is missing goes to ACME.
        """
        orders, _ = await self._visible(verified, [])
        return orders

    async def listing(self, verified: Verified) -> Listing:
        """:meth:`visible_orders` with the cached details and times of the orders listed for
        the same proofs last time, in the same round trip (a warm list: one cache read, not
        two). New orders since then are simply not in ``ahead``: the caller reads them."""
        proofs = (*sorted(verified.emails), *sorted(verified.phones))
        guess = self._listed.get(proofs, ())
        ahead_keys = [order_key(i) for i in guess] + [times_key(i) for i in guess]
        orders, ahead = await self._visible(verified, ahead_keys)
        self._listed[proofs] = tuple(o.id for o in orders if is_order_id(o.id))[:LISTED_ORDERS]
        return Listing(orders, ahead)

    async def _visible(
        self, verified: Verified, ahead_keys: list[str]
    ) -> tuple[list[Order], dict[str, str | None]]:
        """The visible orders, and the entries of ``ahead_keys`` read with their searches."""
        found: dict[str, Order] = {}
        emails, phones = sorted(verified.emails), sorted(verified.phones)
        keys = [spelling_key(phone) for phone in phones]
        keys += [search_key(e, None) for email in emails for e in email_spellings(email)]
        keys += [search_key(None, p) for phone in phones for p in phone_spellings(phone)]
        prefetched = await self._prefetch_searches(keys + ahead_keys)
        searches = [self._by_email(email, prefetched) for email in emails]
        searches += [self._by_phone(phone, prefetched) for phone in phones]
        for results in await asyncio.gather(*searches):
            for order in results:
                if owns(order, verified):
                    found.setdefault(order.id, order)
        ahead = {key: prefetched[key] for key in ahead_keys if key in prefetched}
        return newest_first(found.values()), ahead

    async def _prefetch_searches(self, keys: list[str]) -> dict[str, str | None]:
        """Several cache entries (searches, spellings), by key, in one round trip."""
        if self.cache is None or not keys:
            return {}
        return dict(zip(keys, await self.cache.get_many(keys), strict=True))

    async def owned_order(self, order_id: str, verified: Verified, *, look: bool = True) -> Order:
        """One order with its items, or NotAllowed when it is missing or not the fan's."""
        if not is_order_id(order_id):
            raise NotAllowed("not an order id")
        try:
            order = await self._get(order_id, look=look)
        except NotFound:
            raise NotAllowed("no such order") from None
        if not owns(order, verified):
            raise NotAllowed("not the fan's order")
        return order

    async def by_number(self, number: str, verified: Verified) -> Order:
        """The fan's order with this order number (or id), with its items; else NotAllowed."""
        wanted = number.strip().lstrip("#")
        for order in await self.visible_orders(verified):
            if wanted in (order.order_number, order.id):
                return await self.owned_order(order.id, verified)
        raise NotAllowed("no visible order with that number")

    async def details(
        self,
        order_ids: Iterable[str],
        verified: Verified,
        *,
        look: bool = True,
        ahead: Mapping[str, str | None] | None = None,
    ) -> list[Order]:
        """Full orders (with items) for ids the fan owns; others are silently left out.

        The cached ones are read in one round trip (a fan with 25 orders: one MGET instead
        of 25 GETs); only the rest are fetched from ACME, a few at a time. ``look=False``:
        the caller has just read the cache and missed on these: straight to ACME. ``ahead``:
        cache entries already read (:attr:`Listing.ahead`); only the others are read.
        """
        wanted = list(order_ids)
        cached = await self._cached_orders(wanted, ahead or {}) if look else {}
        limit = asyncio.Semaphore(DETAIL_CONCURRENCY)

        async def fetch(order_id: str) -> Order | None:
            hit = cached.get(order_id)
            if hit is not None:
                return hit if owns(hit, verified) else None
            async with limit:
                try:
                    return await self.owned_order(order_id, verified, look=look)
                except NotAllowed:
                    return None

        results = await asyncio.gather(*(fetch(oid) for oid in wanted))
        return [order for order in results if order is not None]

    async def _cached_orders(
        self, order_ids: list[str], ahead: Mapping[str, str | None]
    ) -> dict[str, Order]:
        """The orders of ``order_ids`` found in the cache (or in ``ahead``), by id."""
        valid = [oid for oid in order_ids if is_order_id(oid)]
        if self.cache is None or not valid:
            return {}
        values = await read_through(self.cache, [order_key(oid) for oid in valid], ahead)
        found = {oid: order_from_json(v) for oid, v in zip(valid, values, strict=True) if v}
        if found:
            CACHE.labels("acme_order", "hit").inc(len(found))
        return found

    async def lookup(self, order_number: str, email: str) -> Order | None:
        """The order with this number (or id) whose email is ``email``, with its items; or None.

        A lookup key, not a proof: the caller shows the order's status and mails a code to the
        order's own email, nothing more. None reads the same whether the number or the email
        was wrong.
        """
        wanted = order_number.strip().lstrip("#")
        for spelling in email_spellings(email):  # ACME matches as stored: as typed, then lower
            for order in await self._search(email=spelling):
                if wanted in (order.order_number, order.id) and order.has_email(spelling):
                    try:
                        return await self._get(order.id)
                    except NotFound:
                        return None
        return None


async def read_through(
    cache: TextCache, keys: Sequence[str], ahead: Mapping[str, str | None]
) -> list[str | None]:
    """The cache entries of ``keys``: those in ``ahead`` as they were read, the rest in one
    round trip (none when ``ahead`` has them all)."""
    missing = [key for key in keys if key not in ahead]
    fetched = dict(zip(missing, await cache.get_many(missing), strict=True)) if missing else {}
    return [ahead[key] if key in ahead else fetched[key] for key in keys]
