"""The part of the ACME client every call shares: URL, headers, auth renewal, retry mode.

Every call goes through :class:`~adapters.upstream.Upstream` (service ``"acme"``), which maps
errors onto ``bot.errors``, retries within a budget and validates bodies with pydantic.

Headers (acme-api-basics.txt, acme-notes.md): the credentials from :mod:`adapters.acme.auth`;
``x-b2c-tenant-id`` on every ``/v2/b2c`` call; ``x-acme-request-id`` from
:func:`bot.app.tracing.current_request_id`, so one fan's turn can be found in ACME's logs;
``x-acme-browser-ip`` when the caller knows the end user's IP (required for checkout).

Ids from fans (order numbers typed in a chat) are escaped before they enter a URL path, so a
typed ``../carts/x`` stays one segment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter

from adapters.acme.auth import AcmeAuth
from adapters.upstream import Retry, RetryPolicy, Upstream
from bot.app.tracing import current_request_id
from bot.errors import AuthError
from bot.ports import OrderIndex

T = TypeVar("T")
SortDirection = Literal["asc", "desc"]

#: ACME asks integrators to keep pages at 1000 or fewer (acme-notes.md).
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
#: How long one order search may take (``USHER_ACME_SEARCH_TIMEOUT``). ACME publishes no
#: SLA; a search reads up to a thousand orders of a tenant's whole history, so it gets far
#: longer than a single read (the shared client's 10 seconds): cutting it short would only
#: make the retry read them all again.
DEFAULT_SEARCH_TIMEOUT = 30.0


class AcmeTransport:
    """Sends one ACME call with the right headers; the API groups build on it."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        tenant_id: int | str,
        auth: AcmeAuth,
        policy: RetryPolicy | None = None,
        order_index: OrderIndex | None = None,
        search_timeout: float = DEFAULT_SEARCH_TIMEOUT,
    ) -> None:
        self._upstream = Upstream(http, service="acme", policy=policy)
        #: Where the numbers of the orders read are noted (``bot.ports.OrderIndex``).
        self._order_index = order_index
        self.search_timeout = search_timeout
        self._base_url = base_url.rstrip("/")
        self._tenant_id = str(tenant_id)
        self._auth = auth

    async def _get(
        self,
        model: type[T] | TypeAdapter[T],
        path: str,
        *,
        endpoint: str,
        params: dict[str, Any] | None = None,
        answer_within: float | None = None,
    ) -> T:
        """A read: always safe to repeat."""
        return await self._json(
            model,
            "GET",
            path,
            endpoint=endpoint,
            retry=Retry.IDEMPOTENT,
            params=params,
            answer_within=answer_within,
        )

    async def _json(
        self,
        model: type[T] | TypeAdapter[T],
        method: str,
        path: str,
        *,
        endpoint: str,
        retry: Retry,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        browser_ip: str | None = None,
        extra_headers: dict[str, str] | None = None,
        answer_within: float | None = None,
    ) -> T:
        response = await self._send(
            method,
            path,
            endpoint=endpoint,
            retry=retry,
            params=params,
            json_body=json_body,
            browser_ip=browser_ip,
            extra_headers=extra_headers,
            answer_within=answer_within,
        )
        return self._upstream.parse(response, model, endpoint=endpoint)

    async def _delete(self, path: str, *, endpoint: str) -> bool:
        """Delete; False when it was not there (a retried delete whose first try worked)."""
        response = await self._send(
            "DELETE", path, endpoint=endpoint, retry=Retry.IDEMPOTENT, accept=frozenset({404})
        )
        return response.status_code != 404

    async def _send(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        retry: Retry,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        browser_ip: str | None = None,
        extra_headers: dict[str, str] | None = None,
        accept: frozenset[int] = frozenset(),
        answer_within: float | None = None,
    ) -> httpx.Response:
        """Send one call; when a session was refused (expired early), log in again once."""
        query = {key: value for key, value in (params or {}).items() if value is not None}

        async def send(headers: dict[str, str]) -> httpx.Response:
            return await self._upstream.send(
                method,
                f"{self._base_url}{path}",
                endpoint=endpoint,
                retry=retry,
                params=query or None,
                json_body=json_body,
                headers=headers,
                accept=accept,
                answer_within=answer_within,
            )

        headers = await self._headers(path, browser_ip, extra_headers)
        try:
            return await send(headers)
        except AuthError as exc:
            if exc.status != 401 or not self._auth.rejected(headers):
                raise
        return await send(await self._headers(path, browser_ip, extra_headers))

    async def _headers(
        self, path: str, browser_ip: str | None, extra: dict[str, str] | None
    ) -> dict[str, str]:
        headers = await self._auth.headers(self._upstream, self._base_url)
        headers["x-acme-request-id"] = current_request_id()
        if path.startswith("/v2/b2c/"):
            headers["x-b2c-tenant-id"] = self._tenant_id
        if browser_ip:
            headers["x-acme-browser-ip"] = browser_ip
        return {**headers, **(extra or {})}


def segment(value: str | int) -> str:
    """One URL path segment, escaped so a typed id cannot reach another path."""
    return quote(str(value), safe="")


def check_page_size(page_size: int, *, allow_all: bool) -> None:
    """1..1000, or -1 ("everything") where a single call may ask for it."""
    if page_size == -1 and allow_all:
        return
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE} (or -1 for all): {page_size}")


def paging(
    page: int, page_size: int, sort_field: str | None, sort_direction: SortDirection | None
) -> dict[str, Any]:
    """ACME's paging query parameters."""
    if page < 1:
        raise ValueError(f"page starts at 1: {page}")
    return {
        "page": page,
        "pageSize": page_size,
        "sortField": sort_field,
        "sortDirection": sort_direction,
    }


def time_window(
    start_time: datetime | None, end_time: datetime | None, membership_id: int | None
) -> dict[str, Any]:
    """Catalog query parameters; times must be aware so ACME reads the instant we mean."""
    for value in (start_time, end_time):
        if value is not None and value.tzinfo is None:
            raise ValueError("catalog time windows need aware datetimes")
    return {
        "startTime": start_time.isoformat() if start_time else None,
        "endTime": end_time.isoformat() if end_time else None,
        "membershipId": membership_id,
    }
