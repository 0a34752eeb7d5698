"""Ticketmaster Partner API and SafeTix secure render client.

Why it is built this way:

* **One HTTP core.** Every call goes through :class:`adapters.upstream.Upstream` on the one shared
  ``httpx.AsyncClient``: error mapping (including Ticketmaster's ``{"error": {...}}`` body and
  ``Ratelimit-Expiry``), retries within a budget, redacted logs and metrics live there.
* **The key travels as ``apikey`` in the query**, as Ticketmaster's documents do. It is a secret:
  ``redact_url`` masks it (and ``order_token``) in every log line, httpx's own included.
* **Retry modes follow what a repeat would do.** Reads, order management and secure render are
  idempotent. Reserve creates a cart, so it is repeated only when Ticketmaster surely did nothing.
  Add payment is treated the same way: the payment nonce is single-use and Ticketmaster may
  authorise the card at this step (its bad-CVV / declined codes come from it). Commit buys the
  tickets: never sent twice unless the request never left. Deleting a cart is idempotent.
* **202 polling.** Long calls may answer ``202 {polling_url, wait}``;
  :mod:`adapters.ticketmaster.polling` follows it to the final answer within a time budget,
  else ``StillProcessing``, so the chat can answer the fan at once. Sleep and clock are
  injectable so tests never wait.
* **One call per cart at a time.** Ticketmaster does not support concurrent calls on the same
  cart, so payment, commit and delete on one cart id are serialised by an ``asyncio.Lock``.
* **Secure render reports errors per ticket**; a call where some tickets fail is a success for
  the others, so the answer is returned (tickets with a token, tickets with an error) and only a
  failure of the whole call raises.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from adapters.ticketmaster.polling import (
    FORCE_POLLING_HEADER,
    SERVICE,
    Poller,
    PollingPolicy,
    Sleep,
)
from adapters.upstream import Retry, RetryPolicy, Upstream
from adapters.upstream_errors import error_for_status
from bot.app.metrics import UPSTREAM_ERRORS
from bot.errors import BadRequest, NotFound
from bot.ticketmaster.cart_models import (
    Availability,
    CartResponse,
    CommitRequest,
    CommitResponse,
    Payment,
    PaymentRequest,
    ReserveRequest,
)
from bot.ticketmaster.models import (
    OrderManagementRequest,
    OrderManagementResponse,
    RenderTicketRequest,
    SecureRenderRequest,
    SecureRenderResponse,
)

PARTNERS_PATH = "/partners/v1"
PARTNERS_PREPROD_PATH = "/partners-preprod/v1"
SECURE_RENDER_PATH = "/marketplace/v1/securerender"
SECURE_RENDER_PREPROD_PATH = "/marketplace-staging/v1/securerender"
#: Ticketmaster's code for an invalid or stale cart id.
STALE_CART_CODE = "90003"
#: The SafeTix document's SLAs (FAQ 8): "Order Management: 800ms +/-", "Token Refresh:
#: 500ms +/-". An attempt may take :data:`SLA_MARGIN` times its SLA before it is given up
#: and retried within the call's retry budget: past that, a fresh attempt is likelier to
#: answer than the one still waiting, and a fan at the gate is not kept waiting the shared
#: client's 10 seconds for one lost answer.
ORDER_MANAGEMENT_SLA = 0.8
TOKEN_REFRESH_SLA = 0.5
SLA_MARGIN = 2.5

__all__ = ["PollingPolicy", "TicketmasterClient"]


class TicketmasterClient:
    """The Partner API (``/partners/v1``) and secure render, for one API key.

    ``base_url`` is the host root (``https://app.ticketmaster.com``); ``preprod`` switches to the
    pre-production paths ``/partners-preprod/v1`` and ``/marketplace-staging/v1/securerender``.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        api_key: str,
        preprod: bool = False,
        retry_policy: RetryPolicy | None = None,
        polling: PollingPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        force_polling: bool = False,
    ) -> None:
        self._upstream = Upstream(http, service=SERVICE, policy=retry_policy)
        root = base_url.rstrip("/")
        self._partners = root + (PARTNERS_PREPROD_PATH if preprod else PARTNERS_PATH)
        self._render_url = root + (SECURE_RENDER_PREPROD_PATH if preprod else SECURE_RENDER_PATH)
        self._api_key = api_key
        self._force_polling = force_polling
        self._poller = Poller(
            self._upstream,
            api_key=api_key,
            policy=polling or PollingPolicy(),
            sleep=sleep,
            clock=clock,
            force_polling=force_polling,
        )
        self._cart_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    # --- purchase flow --------------------------------------------------------------------

    async def availability(self, event_id: str) -> Availability:
        """Offers, inventory and flags (``locRowSeatRestrict``, ``safeTixEnabled``) of an event."""
        response = await self._request(
            "GET", self._event_url(event_id, "availability"), "availability", Retry.IDEMPOTENT
        )
        return self._upstream.parse(response, Availability, endpoint="availability")

    async def reserve_cart(self, event_id: str, body: ReserveRequest) -> CartResponse:
        """Hold seats in a new cart (``cart.hold_time`` seconds)."""
        response = await self._request(
            "POST",
            self._event_url(event_id, "cart"),
            "reserve_cart",
            Retry.IF_NOT_PROCESSED,
            json_body=body.model_dump(mode="json", exclude_none=True),
        )
        return self._upstream.parse(response, CartResponse, endpoint="reserve_cart")

    async def add_payment(self, event_id: str, cart_id: str, payment: Payment) -> CartResponse:
        """Attach billing (with the fan's ``third_party_account_id``) to a cart."""
        body = PaymentRequest(cart_id=cart_id, payment=payment)
        async with self._cart_lock(cart_id):
            response = await self._request(
                "PUT",
                self._event_url(event_id, "cart/payment"),
                "add_payment",
                Retry.IF_NOT_PROCESSED,
                json_body=body.model_dump(mode="json", exclude_none=True),
            )
        return self._upstream.parse(response, CartResponse, endpoint="add_payment")

    async def commit(self, event_id: str, cart_id: str) -> CommitResponse:
        """Buy the cart; the answer's ``order_token`` is what order management takes."""
        body = CommitRequest(cart_id=cart_id)
        async with self._cart_lock(cart_id):
            response = await self._request(
                "PUT",
                self._event_url(event_id, "cart"),
                "commit",
                Retry.IF_NOT_PROCESSED,
                json_body=body.model_dump(mode="json"),
            )
        return self._upstream.parse(response, CommitResponse, endpoint="commit")

    async def delete_cart(self, event_id: str, cart_id: str) -> bool:
        """Free a cart's seats. False when Ticketmaster no longer knows the cart (nothing held)."""
        async with self._cart_lock(cart_id):
            try:
                await self._request(
                    "DELETE",
                    self._event_url(event_id, "cart"),
                    "delete_cart",
                    Retry.IDEMPOTENT,
                    params={"cart_id": cart_id},
                )
            except NotFound:
                return False
            except BadRequest as exc:
                if exc.code == STALE_CART_CODE:
                    return False
                raise
        return True

    # --- fulfilment -----------------------------------------------------------------------

    async def order_management(
        self,
        order_token: str,
        *,
        device_id: str,
        device_type: str,
        device_os: str,
        third_party_account_id: str,
    ) -> OrderManagementResponse:
        """The order with its tickets: a token (SafeTix), a barcode only (QR), or a delay date.

        Device fields per the document: ``device_type`` web/native, ``device_os``
        ios/android/other; a request outside the documented limits raises ``ValidationError``.
        """
        body = OrderManagementRequest(
            device_id=device_id,
            device_type=device_type,
            device_os=device_os,
            third_party_account_id=third_party_account_id,
        )
        response = await self._request(
            "POST",
            f"{self._partners}/orders",
            "order_management",
            Retry.IDEMPOTENT,
            params={"order_token": order_token},
            json_body=body.model_dump(mode="json"),
            answer_within=ORDER_MANAGEMENT_SLA * SLA_MARGIN,
        )
        return self._upstream.parse(response, OrderManagementResponse, endpoint="order_management")

    async def secure_render(
        self,
        *,
        user_id: str,
        device_id: str,
        device_type: str,
        device_os: str,
        tickets: Sequence[RenderTicketRequest],
        user_agent: str | None = None,
        retry: bool = True,
    ) -> SecureRenderResponse:
        """Fresh SafeTix tokens. ``user_id`` must be the order's ``third_party_account_id``.

        Tickets that failed carry ``error`` in the answer (see ``.rendered`` / ``.failed``);
        only a failure of the whole call (auth, 5xx, a 400 without per-ticket errors) raises.
        ``retry=False`` makes one attempt: a fan at the gate with a cached token is better
        served by that token now (the document says it stays valid) than by a retry later.
        """
        body = SecureRenderRequest(
            device_id=device_id,
            device_type=device_type,
            device_os=device_os,
            user_agent=user_agent,
            tickets=list(tickets),
        )
        response = await self._request(
            "POST",
            self._render_url,
            "secure_render",
            Retry.IDEMPOTENT if retry else Retry.NEVER,
            json_body=body.model_dump(mode="json", exclude_none=True),
            headers={"x-user-id": user_id},
            accept=frozenset({400}),
            answer_within=TOKEN_REFRESH_SLA * SLA_MARGIN,
        )
        if response.status_code != 400:
            return self._upstream.parse(response, SecureRenderResponse, endpoint="secure_render")
        return self._per_ticket_errors(response)

    # --- plumbing -------------------------------------------------------------------------

    def _event_url(self, event_id: str, tail: str) -> str:
        return f"{self._partners}/events/{quote(event_id, safe='')}/{tail}"

    def _cart_lock(self, cart_id: str) -> asyncio.Lock:
        """The lock of one cart; it disappears once no call holds or awaits it."""
        lock = self._cart_locks.get(cart_id)
        if lock is None:
            lock = asyncio.Lock()
            self._cart_locks[cart_id] = lock
        return lock

    async def _request(
        self,
        method: str,
        url: str,
        endpoint: str,
        retry: Retry,
        *,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        accept: frozenset[int] = frozenset(),
        answer_within: float | None = None,
    ) -> httpx.Response:
        """Send one call and, when it answers 202, poll it to its final answer."""
        all_headers = dict(headers or {})
        if self._force_polling:
            all_headers[FORCE_POLLING_HEADER] = "true"
        response = await self._upstream.send(
            method,
            url,
            endpoint=endpoint,
            retry=retry,
            params={**(params or {}), "apikey": self._api_key},
            json_body=json_body,
            headers=all_headers,
            accept=accept,
            answer_within=answer_within,
        )
        if response.status_code == 202:
            response = await self._poller.settle(response, endpoint, accept)
        return response

    def _per_ticket_errors(self, response: httpx.Response) -> SecureRenderResponse:
        """A 400 whose tickets carry their own errors is an answer; any other 400 is an error."""
        try:
            result: SecureRenderResponse | None = SecureRenderResponse.model_validate_json(
                response.content
            )
        except ValidationError:
            result = None
        if result is None or not any(ticket.error for ticket in result.tickets):
            UPSTREAM_ERRORS.labels(SERVICE, "secure_render", "400").inc()
            raise error_for_status(response, service=SERVICE, endpoint="secure_render")
        return result
