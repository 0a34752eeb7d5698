"""How the ACME client proves who it is: an API key, or a temporary session.

acme-api-basics.txt offers two ways. An API key (``x-acme-api-key``) is what production uses.
A session (``GET /v2/b2b/customer/session`` with a username-only user's credentials, answered
with a key sent back as ``x-acme-session``) is for testing and for waiting on a key; it expires
at ``expireMs``, so :class:`SessionAuth` caches it, renews it a little early, and makes
concurrent callers share one renewal instead of each logging in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

from adapters.upstream import Retry, Upstream
from bot.acme.models import Session
from bot.app.tracing import current_request_id

SESSION_PATH = "/v2/b2b/customer/session"
API_KEY_HEADER = "x-acme-api-key"
SESSION_HEADER = "x-acme-session"


class AcmeAuth(Protocol):
    """What :class:`~adapters.acme.client.AcmeClient` needs from a way of authenticating."""

    async def headers(self, upstream: Upstream, base_url: str) -> dict[str, str]:
        """The headers that authenticate one request."""
        ...

    def rejected(self, headers: Mapping[str, str]) -> bool:
        """A 401 came back for ``headers``; True if fresh credentials are worth one retry."""
        ...


class ApiKeyAuth:
    """A long-lived API key; a 401 means the key is wrong, so nothing to renew."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def __repr__(self) -> str:
        return "ApiKeyAuth(***)"

    async def headers(self, upstream: Upstream, base_url: str) -> dict[str, str]:
        """``x-acme-api-key``."""
        return {API_KEY_HEADER: self._api_key}

    def rejected(self, headers: Mapping[str, str]) -> bool:
        """Never retry: the same key would be refused again."""
        return False


class SessionAuth:
    """A session of a username-only user, renewed ``refresh_margin`` before ``expireMs``."""

    def __init__(
        self,
        username: str,
        password: str,
        tenant_id: int | str,
        *,
        refresh_margin: timedelta = timedelta(seconds=60),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._credentials = {
            "x-acme-user-name": username,
            "x-acme-password": password,
            "x-acme-tenantId": str(tenant_id),
        }
        self._refresh_margin = refresh_margin
        self._clock = clock
        self._session: Session | None = None
        # One renewal at a time: callers that arrive while it runs wait and reuse its result.
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"SessionAuth(user={self._credentials['x-acme-user-name']!r})"

    async def headers(self, upstream: Upstream, base_url: str) -> dict[str, str]:
        """``x-acme-session``, logging in first when there is no fresh session."""
        session = self._fresh()
        if session is None:
            async with self._lock:
                session = self._fresh()
                if session is None:
                    session = await self._login(upstream, base_url)
        return {SESSION_HEADER: session.session}

    def rejected(self, headers: Mapping[str, str]) -> bool:
        """Forget the refused session (unless a newer one replaced it); retry once."""
        refused = headers.get(SESSION_HEADER)
        if self._session is not None and self._session.session == refused:
            self._session = None
        return True

    def _fresh(self) -> Session | None:
        session = self._session
        if session is None or session.expires_at - self._refresh_margin <= self._clock():
            return None
        return session

    async def _login(self, upstream: Upstream, base_url: str) -> Session:
        session = await upstream.send_json(
            "GET",
            f"{base_url}{SESSION_PATH}",
            Session,
            endpoint="session",
            retry=Retry.IDEMPOTENT,
            headers={**self._credentials, "x-acme-request-id": current_request_id()},
        )
        # Kept even when it is already inside the margin: this call can still use it.
        self._session = session
        return session
