"""The upstreams' HTTP client (httpx on aiohttp's pool) fails as httpx's own transport did.

``adapters.upstream.Upstream`` decides what a failure means, and whether a call may be sent
again, from the httpx exception it gets: a refused connection (nothing sent: a purchase may be
repeated), a hang-up after sending (the server may have acted: it may not), a timeout. These
tests play each failure with a real socket (a tiny asyncio server that misbehaves on purpose)
through the client production builds, and check the mapping, the retry decisions and that
aiohttp never repeats a request by itself.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import httpx
import pytest

from adapters.upstream import Retry, RetryPolicy, Upstream
from adapters.upstream_http import httpx_error, upstream_client
from bot import errors


@dataclass(frozen=True)
class Cut:
    """Write these bytes, then hang up."""

    sent: bytes


#: "Never answer".
HANG = "hang"
#: What the fake server does with the n-th request it read: write these bytes (and keep the
#: connection open), :class:`Cut`, :data:`HANG`, or None to hang up at once.
Answer = bytes | Cut | str | None
Behaviour = Callable[[int], Awaitable[Answer]]

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class Server:
    """A loopback HTTP/1.1 server that answers each request as ``behaviour`` says."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                self.requests.append(head.split(b"\r\n", 1)[0])
                answer = await self.behaviour(len(self.requests))
                if answer == HANG:
                    await asyncio.sleep(30)
                if isinstance(answer, Cut):
                    writer.write(answer.sent)
                    await writer.drain()
                if not isinstance(answer, bytes):
                    break
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serving(behaviour: Behaviour) -> AsyncIterator[tuple[str, Server]]:
    server = Server(behaviour)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        listener.close()
        await listener.wait_closed()


def always(answer: Answer) -> Behaviour:
    async def behaviour(_: int) -> Answer:
        return answer

    return behaviour


@asynccontextmanager
async def upstream(base_url: str, attempts: int = 3) -> AsyncIterator[Upstream]:
    async with upstream_client(base_url, timeout=5) as client:
        yield Upstream(client, service="acme", policy=RetryPolicy(attempts=attempts))


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_refused_connection_is_a_connect_error_and_may_be_repeated() -> None:
    async with upstream(f"http://127.0.0.1:{closed_port()}") as up:
        with pytest.raises(errors.UpstreamConnectError) as caught:
            await up.send("POST", "/carts", endpoint="x", retry=Retry.IF_NOT_PROCESSED)
    assert caught.value.request_sent is False


async def test_a_hang_up_after_sending_is_never_repeated_by_aiohttp_or_by_usher() -> None:
    """aiohttp resends an idempotent method (PUT) once by itself on a dropped connection;
    Ticketmaster's commit is a PUT that buys tickets, so the client must not."""
    async with serving(always(None)) as (base, server), upstream(base) as up:
        with pytest.raises(errors.UpstreamConnectError) as caught:
            await up.send("PUT", "/cart", endpoint="x", retry=Retry.IF_NOT_PROCESSED)
    assert caught.value.request_sent is True
    assert server.requests == [b"PUT /cart HTTP/1.1"]


async def test_a_hang_up_is_repeated_as_often_as_the_policy_says_for_idempotent_calls() -> None:
    async with serving(always(None)) as (base, server), upstream(base, attempts=3) as up:
        with pytest.raises(errors.UpstreamConnectError):
            await up.send("GET", "/orders", endpoint="x", retry=Retry.IDEMPOTENT)
    assert len(server.requests) == 3


async def test_no_answer_within_the_calls_promise_is_a_timeout() -> None:
    async with serving(always(HANG)) as (base, server), upstream(base) as up:
        with pytest.raises(errors.UpstreamTimeout):
            await up.send("POST", "/render", endpoint="x", retry=Retry.NEVER, answer_within=0.2)
    assert len(server.requests) == 1


async def test_a_body_cut_short_is_a_transport_error_not_an_aiohttp_one() -> None:
    cut = Cut(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")
    async with serving(always(cut)) as (base, _), upstream(base) as up:
        with pytest.raises(errors.UpstreamConnectError) as caught:
            await up.send("GET", "/x", endpoint="x", retry=Retry.NEVER)
    assert caught.value.request_sent is True


async def test_429_waits_its_retry_after_then_succeeds_and_5xx_are_retried() -> None:
    answers = [
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
        OK,
    ]

    async def in_turn(n: int) -> Answer:
        return answers[n - 1]

    async with serving(in_turn) as (base, server), upstream(base) as up:
        response = await up.send("GET", "/orders", endpoint="x", retry=Retry.IDEMPOTENT)
    assert response.status_code == 200
    assert len(server.requests) == 3


async def test_statuses_and_bodies_come_through_as_httpx_gave_them() -> None:
    body = b'{"error":{"message":"Ticketing system down","code":20001}}'
    answer = b"HTTP/1.1 503 Unavailable\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    async with serving(always(answer)) as (base, _), upstream(base) as up:
        with pytest.raises(errors.ServerError) as caught:
            await up.send("GET", "/x", endpoint="x", retry=Retry.NEVER)
    assert caught.value.code == "20001"


async def test_proxies_from_the_environment_are_still_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with serving(always(OK)) as (proxy, server):
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("NO_PROXY", "")
        async with upstream("http://api.example.invalid") as up:
            response = await up.send("GET", "/orders", endpoint="x", retry=Retry.NEVER)
    assert response.status_code == 200
    assert server.requests == [b"GET http://api.example.invalid/orders HTTP/1.1"]


class _Key:
    """A stand-in for aiohttp's connection key (its errors only format it)."""

    ssl = False
    host = "api.test"
    port = 443


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (aiohttp.ConnectionTimeoutError("pool"), httpx.ConnectTimeout),
        (aiohttp.SocketTimeoutError("read"), httpx.ReadTimeout),
        (aiohttp.ServerTimeoutError("read"), httpx.ReadTimeout),
        (aiohttp.ClientConnectorError(_Key(), OSError(111, "refused")), httpx.ConnectError),  # type: ignore[arg-type]
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError),
        (aiohttp.ClientOSError(104, "reset"), httpx.ReadError),
        (aiohttp.ClientPayloadError("cut"), httpx.ReadError),
        (aiohttp.InvalidURL("nope"), httpx.UnsupportedProtocol),
        (TimeoutError(), httpx.ReadTimeout),
        (ValueError("not a transport failure"), None),
    ],
)
def test_each_aiohttp_failure_maps_as_httpcore_would(
    failure: BaseException, expected: type[httpx.TransportError] | None
) -> None:
    assert httpx_error(failure) is expected
