"""The one place where an upstream HTTP answer becomes a value or an exception.

Both API clients (ACME, Ticketmaster) send every request through :class:`Upstream`, which:

* sends it on the client's single shared ``httpx.AsyncClient``;
* maps transport failures and error statuses onto the tree in ``bot.errors``
  (``raise ... from exc`` here and nowhere else);
* retries within a time budget, with exponential backoff and jitter (stamina), honouring a
  429's ``Retry-After``; *what* may be retried depends on the call's :class:`Retry` mode, so a
  request that is not idempotent is never sent twice by accident;
* validates the body with pydantic, so a surprise in the payload is a ``MalformedResponse``
  rather than a ``KeyError`` three layers up;
* logs one line per attempt with the URL's secrets redacted, and records latency metrics.
"""

from __future__ import annotations

import enum
import functools
import logging
import time
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import stamina
import structlog
from pydantic import TypeAdapter, ValidationError

from adapters.redaction import redact_httpx_logs, redact_url
from adapters.upstream_errors import error_for_status
from bot.app.metrics import UPSTREAM_ERRORS, UPSTREAM_LATENCY, UPSTREAM_RETRIES
from bot.errors import (
    MalformedResponse,
    RateLimited,
    ServerError,
    TransportError,
    UpstreamConnectError,
    UpstreamError,
    UpstreamTimeout,
)

T = TypeVar("T")
LOGGER_NAME = "usher.upstream"
log = structlog.get_logger(LOGGER_NAME)


#: The longest a connection may take to open, whatever the call's own timeout.
CONNECT_TIMEOUT = 3.0


def _timeout(seconds: float) -> httpx.Timeout:
    """One call's own timeout: ``seconds`` to answer, connecting in no longer."""
    return httpx.Timeout(seconds, connect=min(CONNECT_TIMEOUT, seconds))


class Retry(enum.Enum):
    """How far a call may be repeated after a failure."""

    #: Safe to repeat: GET/PUT/DELETE, and a checkout that reuses its request uuid.
    IDEMPOTENT = "idempotent"
    #: Repeat only when the server surely did nothing: connect failures and 429s.
    IF_NOT_PROCESSED = "if_not_processed"
    #: Never repeat.
    NEVER = "never"


@dataclass(frozen=True)
class RetryPolicy:
    """The retry budget of one logical call (all its attempts together)."""

    attempts: int = 4
    budget_seconds: float = 8.0
    wait_initial: float = 0.2
    wait_max: float = 2.0
    wait_jitter: float = 0.3
    #: The longest ``Retry-After`` we are prepared to wait inside one call.
    max_retry_after: float = 5.0


#: One TypeAdapter per response model: building one compiles a validator (pydantic asks for
#: them to be reused), and ``Upstream.parse`` runs on every upstream answer.
_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter_for(model: type[T]) -> TypeAdapter[T]:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(model)
    return adapter


def prepare(*models: type[Any]) -> None:
    """Build the validators of ``models`` now (start-up) rather than on their first answer."""
    for model in models:
        _adapter_for(model)


class Upstream:
    """Sends requests for one upstream service and turns answers into values or exceptions."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        service: str,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.client = client
        self.service = service
        self.policy = policy or RetryPolicy()
        redact_httpx_logs()

    async def send(
        self,
        method: str,
        url: str,
        *,
        endpoint: str,
        retry: Retry,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        accept: frozenset[int] = frozenset(),
        answer_within: float | None = None,
    ) -> httpx.Response:
        """Send with retries; return a 2xx response (or one whose status is in ``accept``).

        ``answer_within`` (seconds) bounds each attempt's wait for an answer when the call has a
        shorter promise than the shared client's default (Ticketmaster's SLAs); connecting is
        bounded by :data:`CONNECT_TIMEOUT` at most.
        """
        policy = self.policy
        once = functools.partial(
            self._attempt,
            method,
            url,
            endpoint=endpoint,
            params=params,
            json_body=json_body,
            headers=headers,
            accept=accept,
            answer_within=answer_within,
        )
        if retry is Retry.NEVER:
            # One attempt leaves stamina nothing to schedule; its machinery was 3 % of a gate
            # rush's CPU, where a view with cached tokens renders them once (Retry.NEVER).
            return await once()
        response: httpx.Response | None = None
        attempt = 0
        async for attempt_ctx in stamina.retry_context(
            on=self._backoff_hook(retry),
            attempts=policy.attempts,
            timeout=policy.budget_seconds,
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
        ):
            with attempt_ctx:
                attempt += 1
                if attempt > 1:
                    UPSTREAM_RETRIES.labels(self.service, endpoint).inc()
                response = await once()
        assert response is not None
        return response

    async def send_json(
        self,
        method: str,
        url: str,
        model: type[T] | TypeAdapter[T],
        *,
        endpoint: str,
        retry: Retry,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> T:
        """Send, then validate the JSON body as ``model``."""
        response = await self.send(
            method,
            url,
            endpoint=endpoint,
            retry=retry,
            params=params,
            json_body=json_body,
            headers=headers,
        )
        return self.parse(response, model, endpoint=endpoint)

    def parse(
        self, response: httpx.Response, model: type[T] | TypeAdapter[T], *, endpoint: str
    ) -> T:
        """Validate a response body; any surprise becomes ``MalformedResponse``."""
        adapter = model if isinstance(model, TypeAdapter) else _adapter_for(model)
        try:
            return adapter.validate_json(response.content)
        except ValidationError as exc:
            UPSTREAM_ERRORS.labels(self.service, endpoint, "malformed").inc()
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            raise MalformedResponse(
                f"{self.service} {endpoint}: unexpected body at {where}: {first['msg']}",
                service=self.service,
                endpoint=endpoint,
            ) from exc

    def _backoff_hook(self, retry: Retry) -> Any:
        max_wait = self.policy.max_retry_after

        def hook(exc: Exception) -> bool | float:
            if retry is Retry.NEVER or not isinstance(exc, UpstreamError):
                return False
            if isinstance(exc, RateLimited):
                if exc.retry_after is None:
                    return True
                return exc.retry_after if exc.retry_after <= max_wait else False
            if retry is Retry.IF_NOT_PROCESSED:
                return isinstance(exc, UpstreamConnectError) and not exc.request_sent
            return isinstance(exc, TransportError | ServerError)

        return hook

    async def _attempt(
        self,
        method: str,
        url: str,
        *,
        endpoint: str,
        params: dict[str, Any] | None,
        json_body: Any,
        headers: dict[str, str] | None,
        accept: frozenset[int],
        answer_within: float | None,
    ) -> httpx.Response:
        started = time.perf_counter()
        where = {"service": self.service, "endpoint": endpoint}
        try:
            request = self.client.build_request(
                method,
                url,
                params=params,
                json=json_body,
                headers=headers,
                timeout=httpx.USE_CLIENT_DEFAULT
                if answer_within is None
                else _timeout(answer_within),
            )
            response = await self.client.send(request)
        except httpx.TimeoutException as exc:
            self._failed(endpoint, "timeout", started, method, url)
            raise UpstreamTimeout(f"{self.service} {endpoint}: timed out", **where) from exc
        except httpx.TransportError as exc:
            self._failed(endpoint, "connect", started, method, url)
            # A failure to connect means the request never left: safe to send again.
            raise UpstreamConnectError(
                f"{self.service} {endpoint}: connection failed",
                request_sent=not isinstance(exc, httpx.ConnectError),
                **where,
            ) from exc
        elapsed = time.perf_counter() - started
        UPSTREAM_LATENCY.labels(self.service, endpoint).observe(elapsed)
        if logging.getLogger(LOGGER_NAME).isEnabledFor(logging.DEBUG):  # redacting costs CPU
            log.debug(
                "upstream_call",
                service=self.service,
                endpoint=endpoint,
                method=method,
                url=redact_url(request.url),
                status=response.status_code,
                ms=round(elapsed * 1000, 1),
            )
        if response.is_success or response.status_code in accept:
            return response
        error = error_for_status(response, service=self.service, endpoint=endpoint)
        UPSTREAM_ERRORS.labels(self.service, endpoint, str(response.status_code)).inc()
        raise error

    def _failed(self, endpoint: str, kind: str, started: float, method: str, url: str) -> None:
        UPSTREAM_ERRORS.labels(self.service, endpoint, kind).inc()
        log.warning(
            "upstream_failed",
            service=self.service,
            endpoint=endpoint,
            method=method,
            url=redact_url(url),
            kind=kind,
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
