"""The shared HTTP core: status mapping, retry modes, budgets, redaction."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from pydantic import BaseModel

from adapters.redaction import redact_url
from adapters.upstream import Retry, RetryPolicy, Upstream
from adapters.upstream_errors import parse_retry_after
from bot import errors


class Thing(BaseModel):
    name: str


Handler = Callable[[httpx.Request], httpx.Response]


def make(
    responses: list[httpx.Response | Exception], policy: RetryPolicy | None = None
) -> tuple[Upstream, list[httpx.Request]]:
    """An Upstream whose transport plays ``responses`` in order and fails when they run out."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if not responses:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        item = responses.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="https://api.test")
    return Upstream(client, service="acme", policy=policy), seen


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, errors.BadRequest),
        (401, errors.AuthError),
        (403, errors.AuthError),
        (404, errors.NotFound),
        (409, errors.DuplicateRequest),
        (422, errors.BadRequest),
        (429, errors.RateLimited),
        (500, errors.ServerError),
        (503, errors.ServerError),
    ],
)
async def test_status_maps_to_one_exception(status: int, error: type[Exception]) -> None:
    body = {"code": 16003, "message": "nope", "type": "DUPLICATE_TRANSACTION_FOUND"}
    upstream, seen = make([httpx.Response(status, json=body)] * 4)
    with pytest.raises(error) as caught:
        await upstream.send("GET", "/x", endpoint="x", retry=Retry.NEVER)
    assert isinstance(caught.value, errors.UpstreamRefused)
    assert caught.value.status == status
    assert caught.value.code == "16003"
    assert caught.value.kind == "DUPLICATE_TRANSACTION_FOUND"
    assert len(seen) == 1


async def test_tm_error_body_shape_is_understood() -> None:
    body = {"error": {"message": "Ticketing system down", "code": 20001, "http_code": 503}}
    upstream, _ = make([httpx.Response(503, json=body)])
    with pytest.raises(errors.ServerError) as caught:
        await upstream.send("GET", "/x", endpoint="x", retry=Retry.NEVER)
    assert caught.value.code == "20001"
    assert caught.value.kind is None
    assert "Ticketing system down" in str(caught.value)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500),
        httpx.Response(503),
        httpx.Response(429),
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("dropped"),
    ],
)
async def test_idempotent_calls_are_retried_then_succeed(
    failure: httpx.Response | Exception,
) -> None:
    upstream, seen = make([failure, httpx.Response(200, json={"name": "ok"})])
    thing = await upstream.send_json("GET", "/x", Thing, endpoint="x", retry=Retry.IDEMPOTENT)
    assert thing.name == "ok"
    assert len(seen) == 2


async def test_retries_stop_at_the_attempt_budget() -> None:
    upstream, seen = make([httpx.Response(503)] * 4, RetryPolicy(attempts=3))
    with pytest.raises(errors.ServerError):
        await upstream.send("GET", "/x", endpoint="x", retry=Retry.IDEMPOTENT)
    assert len(seen) == 3


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(500), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped")],
)
async def test_unsafe_calls_are_not_repeated_when_the_server_may_have_acted(
    failure: httpx.Response | Exception,
) -> None:
    upstream, seen = make([failure])
    with pytest.raises(errors.UpstreamError):
        await upstream.send("POST", "/x", endpoint="x", retry=Retry.IF_NOT_PROCESSED)
    assert len(seen) == 1


@pytest.mark.parametrize("failure", [httpx.Response(429), httpx.ConnectError("refused")])
async def test_unsafe_calls_are_repeated_when_nothing_happened(
    failure: httpx.Response | Exception,
) -> None:
    upstream, seen = make([failure, httpx.Response(201, json={"name": "made"})])
    response = await upstream.send("POST", "/x", endpoint="x", retry=Retry.IF_NOT_PROCESSED)
    assert response.status_code == 201
    assert len(seen) == 2


async def test_retry_after_longer_than_the_budget_gives_up_at_once() -> None:
    upstream, seen = make([httpx.Response(429, headers={"Retry-After": "120"})])
    with pytest.raises(errors.RateLimited) as caught:
        await upstream.send("GET", "/x", endpoint="x", retry=Retry.IDEMPOTENT)
    assert caught.value.retry_after == 120
    assert len(seen) == 1


def test_retry_after_forms() -> None:
    assert parse_retry_after(httpx.Response(429, headers={"Retry-After": "3"})) == 3
    dated = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert parse_retry_after(dated) == 0
    assert parse_retry_after(httpx.Response(429)) is None


async def test_malformed_body_is_its_own_error() -> None:
    upstream, _ = make([httpx.Response(200, text="<html>oops</html>")])
    with pytest.raises(errors.MalformedResponse):
        await upstream.send_json("GET", "/x", Thing, endpoint="x", retry=Retry.NEVER)
    upstream, _ = make([httpx.Response(200, json={"other": 1})])
    with pytest.raises(errors.MalformedResponse, match="name"):
        await upstream.send_json("GET", "/x", Thing, endpoint="x", retry=Retry.NEVER)


def test_redact_url_hides_keys_and_keeps_the_rest() -> None:
    url = "https://app.ticketmaster.com/partners/v1/orders?order_token=abc&apikey=SECRET&x=1"
    redacted = redact_url(url)
    assert "SECRET" not in redacted
    assert "abc" not in redacted
    assert "x=1" in redacted
    assert redact_url("https://a.test/p") == "https://a.test/p"


async def test_waiting_between_retries_does_not_block_other_tasks() -> None:
    """Backoff must be an asyncio sleep: a retrying call may not freeze the whole process."""
    import asyncio

    import stamina

    with stamina.set_testing(False):
        upstream, _ = make(
            [httpx.Response(503), httpx.Response(200, json={"name": "ok"})],
            RetryPolicy(attempts=2, wait_initial=0.3, wait_max=0.3, wait_jitter=0.0),
        )
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        await upstream.send("GET", "/x", endpoint="x", retry=Retry.IDEMPOTENT)
        task.cancel()
    assert ticks >= 10, "the event loop was blocked during the backoff"


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503),
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
    ],
)
async def test_a_call_that_may_not_be_repeated_is_sent_once_whatever_the_failure(
    failure: httpx.Response | Exception,
) -> None:
    """Retry.NEVER (a gate view's secure render with cached tokens) skips the retry
    machinery: one attempt, and its failure as it came."""
    upstream, seen = make([failure])
    with pytest.raises(errors.UpstreamError):
        await upstream.send("POST", "/x", endpoint="x", retry=Retry.NEVER)
    assert len(seen) == 1
