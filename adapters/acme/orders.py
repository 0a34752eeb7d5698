"""ACME calls about orders: search, page through, read, change, resend, and checkout.

Checkout lives here because its answer is an order and its one hard rule is about orders: never
two for one payment. A checkout is repeated only with the *same* ``x-acme-request-uuid``; ACME
answers a uuid that already completed with 409, surfaced as
:class:`~bot.errors.DuplicateRequest`, and the caller then looks the order up (search by email)
instead of reporting a failure or paying again.

Every order these calls read (a search page, an event's page, one order, a checkout) has its
number noted in the order index when the client was given one (``bot.ports.OrderIndex``):
ACME cannot search by order number, so that index is how an agent finds an order by the
number on a receipt, for any order Usher has read before.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence

import structlog

from adapters.acme.transport import (
    DEFAULT_PAGE_SIZE,
    AcmeTransport,
    SortDirection,
    check_page_size,
    paging,
    segment,
)
from adapters.upstream import Retry
from bot.acme.cart_models import CheckoutRequest
from bot.acme.models import Order, OrderPage

log = structlog.get_logger("usher.acme")

#: A safety stop for the ``iter_*`` methods against a server that never ends a list.
MAX_PAGES = 1000


class AcmeOrdersApi(AcmeTransport):
    """Orders and checkout (mixed into :class:`adapters.acme.client.AcmeClient`)."""

    async def search_orders(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        sort_field: str | None = None,
        sort_direction: SortDirection | None = None,
    ) -> OrderPage:
        """One page of the orders with this email and/or phone (orders come without items).

        ACME answers an empty list when neither is given, which would read as "this fan has no
        orders"; that is a caller bug, so it raises instead. ``page_size=-1`` asks for all.
        The phone is sent as given; compare results with ``Order.has_phone`` (E.164).
        """
        if not email and not phone:
            raise ValueError("search_orders needs an email or a phone")
        check_page_size(page_size, allow_all=True)
        found = await self._get(
            OrderPage,
            "/v2/b2c/orders/search",
            endpoint="orders.search",
            params={
                "email": email,
                "phoneNumber": phone,
                **paging(page, page_size, sort_field, sort_direction),
            },
            answer_within=self.search_timeout,
        )
        await self._seen(found.orders)
        return found

    async def iter_orders(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        sort_field: str | None = None,
        sort_direction: SortDirection | None = None,
    ) -> AsyncGenerator[Order, None]:
        """Every order of :meth:`search_orders`, fetching the next page only when needed."""
        check_page_size(page_size, allow_all=False)

        def fetch(page: int) -> Awaitable[OrderPage]:
            return self.search_orders(
                email=email,
                phone=phone,
                page=page,
                page_size=page_size,
                sort_field=sort_field,
                sort_direction=sort_direction,
            )

        async for order in _all_pages(fetch, page_size):
            yield order

    async def orders_for_event(
        self,
        event_id: str,
        *,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        sort_field: str | None = None,
        sort_direction: SortDirection | None = None,
    ) -> OrderPage:
        """One page of the orders for an event instance (support and marketing use).

        acme-orders.txt documents only ``eventId`` here; ``page``/``pageSize`` are sent as the
        search takes them, and an answer without ``pagination`` is the whole list
        (:class:`~bot.acme.models.OrderPage`)."""
        check_page_size(page_size, allow_all=True)
        found = await self._get(
            OrderPage,
            f"/v2/b2c/orders/event/{segment(event_id)}",
            endpoint="orders.event",
            params=paging(page, page_size, sort_field, sort_direction),
            answer_within=self.search_timeout,
        )
        await self._seen(found.orders)
        return found

    async def iter_event_orders(
        self, event_id: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncGenerator[Order, None]:
        """Every order of :meth:`orders_for_event`, page after page."""
        check_page_size(page_size, allow_all=False)

        def fetch(page: int) -> Awaitable[OrderPage]:
            return self.orders_for_event(event_id, page=page, page_size=page_size)

        async for order in _all_pages(fetch, page_size):
            yield order

    async def get_order(self, order_id: str) -> Order:
        """One order with its items and tickets (``ticketVos[].uuid`` are the barcodes)."""
        order = await self._get(Order, f"/v2/b2c/orders/{segment(order_id)}", endpoint="orders.get")
        await self._seen([order])
        return order

    async def update_order(self, order_id: str, order: Order) -> Order:
        """Write an order's client-editable fields (contact, delivery, notes) as ``order`` has
        them; read-only and internal fields (``id``, ``visitorId``, items) are never sent."""
        return await self._json(
            Order,
            "PUT",
            f"/v2/b2c/orders/{segment(order_id)}",
            endpoint="orders.update",
            retry=Retry.IDEMPOTENT,
            json_body=order.update_body(),
        )

    async def delete_order(self, order_id: str) -> bool:
        """Delete an order; False when it did not exist."""
        return await self._delete(f"/v2/b2c/orders/{segment(order_id)}", endpoint="orders.delete")

    async def resend_confirmation(
        self, order_number: str, email: str, *, send_email: bool = True
    ) -> None:
        """Have ACME mail the order confirmation again (takes the order *number*)."""
        await self._send(
            "POST",
            f"/v2/b2b/orders/{segment(order_number)}/email",
            endpoint="orders.email",
            # A second mail is a nuisance rather than harm; still, repeat only if surely unsent.
            retry=Retry.IF_NOT_PROCESSED,
            json_body={"email": email, "sendEmail": send_email},
        )

    async def checkout(
        self,
        request: CheckoutRequest,
        *,
        request_uuid: str,
        browser_ip: str,
        captcha_token: str | None = None,
    ) -> Order:
        """Buy the cart and return the new order.

        ``request_uuid`` names this payment attempt: make it once, store it, and pass the same
        one on every later try (this method's own retries reuse it). A 409 means a request with
        this uuid already went through: :class:`~bot.errors.DuplicateRequest` is raised so the
        caller finds that order instead of charging again.
        """
        uuid.UUID(request_uuid)  # ValueError for anything that is not a UUID
        ipaddress.ip_address(browser_ip)  # ValueError: x-acme-browser-ip must be the buyer's IP
        headers = {"x-acme-request-uuid": request_uuid}
        if captcha_token:
            headers["x-acme-captcha-token"] = captcha_token
        order = await self._json(
            Order,
            "POST",
            "/v2/b2c/checkout",
            endpoint="checkout",
            retry=Retry.IDEMPOTENT,
            json_body=request.to_json_body(),
            browser_ip=browser_ip,
            extra_headers=headers,
        )
        await self._seen([order])
        return order

    async def _seen(self, orders: Sequence[Order]) -> None:
        """Note the orders' numbers in the order index (``bot.ports.OrderIndex``).

        Best effort: the index only helps agents find an order by number later, so a
        failure to write it is logged and never fails the call that read the orders.
        """
        if self._order_index is None or not orders:
            return
        try:
            await self._order_index.remember(orders)
        except Exception as exc:
            log.warning("order_index_failed", error=type(exc).__name__)


async def _all_pages(
    fetch: Callable[[int], Awaitable[OrderPage]], page_size: int
) -> AsyncGenerator[Order, None]:
    """Yield page after page until the list ends.

    It ends when ``hasMore`` is false or a page comes back short, and also, for an endpoint
    whose paging the documents do not describe (the orders of an event), when a page has no
    ``pagination`` (the whole list came at once) or repeats the previous page (the server
    ignored ``page``): without that guard, a server that ignores ``page`` would be asked for
    the same list :data:`MAX_PAGES` times.
    """
    previous: list[str] | None = None
    for page in range(1, MAX_PAGES + 1):
        result = await fetch(page)
        ids = [order.id for order in result.orders]
        if ids and ids == previous:
            log.warning("acme_paging_repeated", page=page, page_size=page_size)
            return
        for order in result.orders:
            yield order
        if result.pagination is None:
            return
        if len(result.orders) < page_size or result.pagination.has_more is False:
            return
        previous = ids
    log.warning("acme_paging_stopped", pages=MAX_PAGES, page_size=page_size)
