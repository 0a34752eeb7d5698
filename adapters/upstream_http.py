"""The HTTP client every upstream shares: httpx's interface on aiohttp's connection pool.

Why not httpx's own transport: httpcore's connection pool walks every connection it holds, and
asks each whether its socket is still readable, every time a request is queued, sent or
closed, so each call costs more CPU the more calls are in flight. In a gate rush
(``bench.gate_rush``: dozens of secure-render calls in flight) httpcore took a fifth of a
serve process's CPU on a quiet machine and half on a busy one, where slower answers mean more
calls in flight, more CPU per call and slower answers still. aiohttp's pool hands
out a kept-alive connection in constant time; ``httpx_aiohttp.AiohttpTransport`` puts it under
the same ``httpx.AsyncClient`` API, so :class:`adapters.upstream.Upstream`, the clients, the
auth flows, the per-call timeouts and the tests' ``MockTransport`` are unchanged.

What this module adds on top of the library, so that :class:`adapters.upstream.Upstream` maps
failures exactly as it did on httpx's transport (its retry modes depend on it):

* **Precise exceptions.** The library maps any aiohttp connection error, a refused connection
  included, to ``httpx.ConnectTimeout``; a refused connection would then read as a timeout and
  a call that may be repeated only when nothing was sent would not be. :func:`httpx_error`
  maps aiohttp's failures the way httpcore raises them: could not connect (refused, DNS, TLS)
  ``ConnectError``; no connection in time ``ConnectTimeout``; no answer in time
  ``ReadTimeout``; the server hung up or sent garbage after the request was written
  ``RemoteProtocolError`` / ``ReadError``. Failures while the body is read are mapped the same.
* **No silent resend.** aiohttp repeats a GET, PUT or DELETE once by itself when the server
  drops the connection without answering (RFC 9112's retry of idempotent methods). Usher
  decides what is repeated (``adapters.upstream.Retry``): Ticketmaster's commit is a PUT that
  buys tickets, and must never be sent twice by accident. So that resend is switched off.
* **Proxies from the environment** (``HTTPS_PROXY``, ``NO_PROXY``) still apply: httpx builds a
  transport per proxy through the hooks :class:`UpstreamHttpClient` overrides, as it did.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

#: httpx's own default, for the hooks' signatures (httpx always passes its ``limits``).
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


def httpx_error(exc: BaseException) -> type[httpx.TransportError] | None:
    """The httpx exception httpcore would have raised for an aiohttp failure (None: not one).

    Order matters: aiohttp's timeouts are also connection errors, and its connector errors are
    also OS errors.
    """
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout  # no connection (from the pool, or a new one) in time
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout  # connected and sent, no answer (or no more of it) in time
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError  # refused, unreachable, DNS, TLS handshake: nothing was sent
    if isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return httpx.UnsupportedProtocol
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError  # hung up before answering, or an unreadable answer
    if isinstance(exc, aiohttp.ClientError):
        return httpx.ReadError  # reset, broken pipe, a body cut short: after sending
    if isinstance(exc, TimeoutError):
        return httpx.ReadTimeout  # aiohttp's own timer, past the request's start
    return None


def _mapped(exc: Exception) -> Exception:
    """``exc`` as the httpx exception httpcore would have raised, else unchanged."""
    cause = exc.__cause__ if isinstance(exc, httpx.TransportError) else exc
    kind = httpx_error(cause) if cause is not None else None
    return exc if kind is None else kind(str(cause) or type(cause).__name__)


class _MappedStream(httpx.AsyncByteStream):
    """A response body whose read failures come out as httpx exceptions (see the module)."""

    def __init__(self, stream: httpx.AsyncByteStream) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._stream:
                yield chunk
        except (httpx.TransportError, aiohttp.ClientError, TimeoutError) as exc:
            raise _mapped(exc) from exc

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        except (httpx.TransportError, aiohttp.ClientError, TimeoutError) as exc:
            raise _mapped(exc) from exc


class UpstreamTransport(AiohttpTransport):
    """``httpx_aiohttp.AiohttpTransport`` with httpcore's exceptions and no silent resend."""

    def get_client(self) -> aiohttp.ClientSession:
        session = super().get_client()
        # aiohttp's own resend of idempotent methods on a dropped connection (no public
        # switch; its test client turns it off the same way). tests/adapters/test_upstream_http
        # checks that a PUT the server hangs up on is sent once.
        session._retry_connection = False
        return session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except (httpx.TransportError, aiohttp.ClientError, TimeoutError) as exc:
            raise _mapped(exc) from exc
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _MappedStream(response.stream)
        return response


class UpstreamHttpClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` whose transports (the direct one and one per proxy) are
    :class:`UpstreamTransport`: every option httpx passes them (TLS verification, limits,
    keep-alive expiry, the proxy) is honoured."""

    def _init_transport(
        self,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = DEFAULT_LIMITS,
        transport: httpx.AsyncBaseTransport | None = None,
        **_: Any,
    ) -> httpx.AsyncBaseTransport:
        if transport is not None:
            return transport
        return UpstreamTransport(verify=verify, cert=cert, trust_env=trust_env, limits=limits)

    def _init_proxy_transport(
        self,
        proxy: httpx.Proxy,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = DEFAULT_LIMITS,
        **_: Any,
    ) -> httpx.AsyncBaseTransport:
        return UpstreamTransport(
            verify=verify, cert=cert, trust_env=trust_env, limits=limits, proxy=proxy
        )


def upstream_client(
    base_url: str = "", *, timeout: httpx.Timeout | float, limits: httpx.Limits = DEFAULT_LIMITS
) -> httpx.AsyncClient:
    """The shared client of one upstream service (ACME, Ticketmaster); the integration tests
    use it too, so they run on the transport production does."""
    return UpstreamHttpClient(base_url=base_url, timeout=timeout, limits=limits)


__all__ = ["UpstreamHttpClient", "UpstreamTransport", "httpx_error", "upstream_client"]
