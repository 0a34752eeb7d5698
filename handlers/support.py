"""Support agents' console: look any order up, read it, show its tickets, resend its mail.

Channel-free: the Slack adapter (``adapters.slack.support``) checks the agent's role, renders
the answers and masks personal data where others can see it; this module finds orders and
writes every action to the audit log (``bot.staff``).

ACME can search orders by email and by phone only (acme-orders.txt), not by order *number*.
So a lookup is read by its shape: an email searches by email (as typed, then lowercased); a
phone number in any spelling is normalised to E.164 and searched in each spelling ACME may
have stored it in (``bot.acme.types.phone_spellings``), stopping at the first that finds
orders (ACME matches as stored); digits that are no phone number are an order *number* or
*id*. A number is found through the order index (``bot.ports.OrderIndex``: every order the bot
has read from ACME, by anyone, for any reason), an id is read directly; a number never seen
gets a plain answer: search by the email or phone once, and the number works from then on.
``<number> <email or phone>`` narrows a search to that order.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.acme.models import Order, OrderItem, OrderPage, TicketVo
from bot.acme.types import email_spellings, phone_spellings, to_e164
from bot.errors import NotFound
from bot.formatting import MIN_PHONE_DIGITS, mask_text
from bot.orders import first_hit, is_order_id, newest_first
from bot.ports import OrderIndex
from bot.staff import AuditLog, StaffError

#: Orders per page of ``find`` and ``event`` answers (each becomes a few Block Kit blocks).
PAGE_SIZE = 5
#: A search stops after this many orders; the agent is asked to narrow it.
MAX_FOUND = 200
DETAIL_CONCURRENCY = 5
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: An order id or number as an agent may type it (``#`` allowed in front); ACME's are digits.
ORDER_REF = re.compile(r"^#?\d{1,20}$")
#: An event instance id (24 hex digits in ACME, but no need to be stricter than URL-safe).
EVENT_ID = re.compile(r"^[A-Za-z0-9]{1,40}$")

Kind = Literal["email", "phone", "id"]
#: An event line of an order and one of its tickets.
Ticket = tuple[OrderItem, TicketVo]


class OrderDirectory(Protocol):
    """The ACME calls the console makes (``adapters.acme.client.AcmeClient`` fits)."""

    def iter_orders(
        self, *, email: str | None = None, phone: str | None = None
    ) -> AsyncIterator[Order]:
        """Every order with this email or phone."""
        ...

    async def get_order(self, order_id: str) -> Order:
        """One order with its items."""
        ...

    async def orders_for_event(self, event_id: str, *, page: int, page_size: int) -> OrderPage:
        """One page of an event's orders."""
        ...

    async def resend_confirmation(self, order_number: str, email: str) -> None:
        """Have ACME mail the confirmation again."""
        ...

    async def update_order(self, order_id: str, order: Order) -> Order:
        """Write an order back."""
        ...


@dataclass(frozen=True)
class Lookup:
    """What an agent typed after ``/usher find``, read by shape."""

    kind: Kind
    value: str
    #: ``<number> <email|phone>``: keep only the order with this number (or id).
    number: str | None = None


#: ``Lookup.kind`` of a bare order number or id.
REFERENCE: Kind = "id"


@dataclass(frozen=True)
class Found:
    """A page of orders (with their items) out of ``total``."""

    orders: list[Order]
    page: int
    pages: int
    total: int


def parse_lookup(text: str) -> Lookup:
    """Read ``find``'s argument; StaffError ``find_usage`` when it is none of the shapes.

    ``jane@example.com [number]``, a phone in any spelling ``[#number]``, or an order number
    or id (``100148401``, ``30263798``; a leading ``#`` makes digits an order reference even
    when they could be a phone).
    """
    words = text.split()
    email = next((w for w in words if EMAIL.match(w)), None)
    if email is not None:
        return Lookup("email", email, _number([w for w in words if w != email]))
    tagged = [w for w in words if w.startswith("#")]
    rest = " ".join(w for w in words if not w.startswith("#"))
    if sum(c.isdigit() for c in rest) >= MIN_PHONE_DIGITS and (phone := to_e164(rest)):
        return Lookup("phone", phone, _number(tagged))
    if len(words) == 1 and ORDER_REF.match(words[0]):
        return Lookup("id", words[0].lstrip("#"))
    raise StaffError("find_usage")


def _number(words: list[str]) -> str | None:
    if not words:
        return None
    if len(words) > 1 or not ORDER_REF.match(words[0]):
        raise StaffError("find_usage")
    return words[0].lstrip("#")


def pages_of(total: int) -> int:
    """How many pages ``total`` orders make (at least one)."""
    return max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)


class SupportDesk:
    """Order lookups and actions for agents, each one audited."""

    def __init__(self, acme: OrderDirectory, audit: AuditLog, numbers: OrderIndex) -> None:
        self.acme = acme
        self.audit = audit
        self.numbers = numbers

    async def find(self, agent: str, text: str, page: int = 1) -> Found:
        """The orders matching an email, a phone, an order number or id; newest first."""
        lookup = parse_lookup(text)
        if page == 1:
            await self.audit.record(agent, "find", detail=f"{lookup.kind} {mask_text(text)}")
        if lookup.kind == REFERENCE:
            orders = await self._by_reference(lookup.value)
            if not orders:
                raise StaffError("find_not_seen", ref=lookup.value)
        else:
            orders = await self._search(lookup)
        if lookup.number is not None:
            orders = [o for o in orders if lookup.number in (o.id, o.order_number)]
        return await self._page(newest_first(orders), page, len(orders))

    async def event(self, agent: str, event_id: str, page: int = 1) -> Found:
        """One page of the orders for an event instance."""
        if not EVENT_ID.match(event_id):
            raise StaffError("event_usage")
        if page == 1:
            await self.audit.record(agent, "event", detail=event_id)
        try:
            result = await self.acme.orders_for_event(event_id, page=page, page_size=PAGE_SIZE)
        except NotFound:
            raise StaffError("event_not_found", event=event_id) from None
        if result.pagination is None or len(result.orders) > PAGE_SIZE:
            # The whole list came back (the endpoint's paging is not documented): page it here.
            return await self._page(list(result.orders), page, len(result.orders))
        count = result.pagination.count
        if count is None:  # no count: the pages so far, and one more when this one is full
            count = (page - 1) * PAGE_SIZE + len(result.orders)
            count += 1 if result.pagination.has_more or len(result.orders) == PAGE_SIZE else 0
        full = await self._details(result.orders)
        return Found(full, page, pages_of(count), count)

    async def order(self, agent: str, order_id: str, action: str = "details") -> Order:
        """One order with its items (audited as ``action``); StaffError when there is none."""
        order = await self._maybe_order(order_id)
        if order is None:
            raise StaffError("order_not_found", id=order_id)
        await self.audit.record(agent, action, order=order.id)
        return order

    async def tickets(self, agent: str, order_id: str) -> tuple[Order, list[Ticket]]:
        """The order and the tickets that still admit (what the gate would scan)."""
        order = await self.order(agent, order_id, "tickets")
        return order, [(item, t) for item, t in order.tickets if t.admits and item.is_event]

    async def resend(self, agent: str, order_id: str) -> Order:
        """Have ACME mail the confirmation again, to the order's own email."""
        order = await self.order(agent, order_id, "resend")
        if not order.order_number or not order.email:
            raise StaffError("resend_impossible", id=order.id)
        await self.acme.resend_confirmation(order.order_number, order.email)
        return order

    async def _by_reference(self, reference: str) -> list[Order]:
        """The order with this number (through the index) and the one with this id.

        Both are tried: numbers and ids are both digit strings, and an agent quoting either
        should not have to say which. Usually exactly one exists.
        """
        order_id = await self.numbers.order_id(reference)
        candidates = dict.fromkeys(i for i in (order_id, reference) if i is not None)
        found = await asyncio.gather(*(self._maybe_order(i) for i in candidates))
        return list({order.id: order for order in found if order is not None}.values())

    async def _search(self, lookup: Lookup) -> list[Order]:
        if lookup.kind == "email":
            spellings = email_spellings(lookup.value)
            _, found = await first_hit(spellings, lambda e: _take(self.acme.iter_orders(email=e)))
        else:
            spellings = phone_spellings(lookup.value)
            _, found = await first_hit(spellings, lambda p: _take(self.acme.iter_orders(phone=p)))
        if len(found) > MAX_FOUND:
            raise StaffError("find_too_many", limit=MAX_FOUND)
        return list({order.id: order for order in found}.values())

    async def _page(self, orders: list[Order], page: int, total: int) -> Found:
        pages = pages_of(total)
        page = min(max(page, 1), pages)
        chunk = orders[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return Found(await self._details(chunk), page, pages, total)

    async def _details(self, orders: list[Order]) -> list[Order]:
        """Search results carry no items: read each order of the page (in parallel)."""
        limit = asyncio.Semaphore(DETAIL_CONCURRENCY)

        async def full(summary: Order) -> Order:
            async with limit:
                return await self._maybe_order(summary.id) or summary

        return list(await asyncio.gather(*(full(order) for order in orders)))

    async def _maybe_order(self, order_id: str) -> Order | None:
        if not is_order_id(order_id):
            return None
        try:
            return await self.acme.get_order(order_id)
        except NotFound:
            return None


async def _take(search: AsyncIterator[Order]) -> list[Order]:
    """The results of one search, stopping one past :data:`MAX_FOUND` (too many to show)."""
    found: list[Order] = []
    async for order in search:
        found.append(order)
        if len(found) > MAX_FOUND:
            break
    return found
