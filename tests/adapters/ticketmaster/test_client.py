"""TicketmasterClient offline: request shapes, every status branch, retries, 202 polling,
per-ticket secure render errors, per-cart serialisation, and the API key kept out of logs.

The transport is a script of expected requests; any request it does not expect fails the test.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from pydantic import ValidationError

from adapters.redaction import redact_url
from adapters.ticketmaster.client import PollingPolicy, TicketmasterClient
from bot import errors
from bot.ticketmaster.cart_models import Payment, ReserveRequest, ReserveTicket
from bot.ticketmaster.models import RenderTicketRequest

DATA = Path(__file__).parents[2] / "data" / "tm"
BASE = "https://tm.test"
KEY = "k3y-GkB8Z037ZfqbLCNt"
ORDER_TOKEN = "order-token-secret-42"

Reply = httpx.Response | Exception | Callable[[httpx.Request], Awaitable[httpx.Response]]


def body_of(name: str) -> bytes:
    return (DATA / name).read_bytes()


def ok(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, content=body_of(name), headers={"content-type": "application/json"}
    )


def tm_error(status: int, code: int, message: str = "nope") -> httpx.Response:
    body = {"error": {"message": message, "code": code, "http_code": status, "severity": "ERROR"}}
    return httpx.Response(status, json=body)


def polling(url: str, wait: float = 4) -> httpx.Response:
    return httpx.Response(202, json={"polling_url": url, "wait": wait})


@dataclass
class Expect:
    method: str
    path: str
    reply: Reply


class ScriptedTM:
    """Serves the expected requests in order; anything else is a test failure."""

    def __init__(self, *expected: Expect) -> None:
        self.expected = list(expected)
        self.seen: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        where = f"{request.method} {redact_url(request.url)}"
        if not self.expected:
            raise AssertionError(f"unexpected request {where}")
        expected = self.expected.pop(0)
        if (request.method, request.url.host, request.url.path) != (
            expected.method,
            "tm.test",
            expected.path,
        ):
            raise AssertionError(f"expected {expected.method} {expected.path}, got {where}")
        reply = expected.reply
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return reply
        return await reply(request)

    def done(self) -> None:
        assert self.expected == [], f"expected requests not made: {self.expected}"


class FakeTime:
    """Clock and sleep for the polling loop: sleeping advances the clock, nothing waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Rig:
    client: TicketmasterClient
    tm: ScriptedTM
    time: FakeTime


def rig(*expected: Expect, **options: Any) -> Rig:
    tm = ScriptedTM(*expected)
    fake_time = FakeTime()
    http = httpx.AsyncClient(transport=httpx.MockTransport(tm))
    client = TicketmasterClient(
        http,
        base_url=BASE + "/",
        api_key=KEY,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        **options,
    )
    return Rig(client, tm, fake_time)


def payment() -> Payment:
    body = json.loads(body_of("cart_payment_request.json"))
    return Payment.model_validate(body["payment"])


def reserve_body() -> ReserveRequest:
    return ReserveRequest(tickets=[ReserveTicket(id="000000000001", quantity=2)])


def render_tickets() -> list[RenderTicketRequest]:
    body = json.loads(body_of("secure_render_request.json"))
    return [RenderTicketRequest.model_validate(ticket) for ticket in body["tickets"]]


async def render(client: TicketmasterClient, user_id: str = "783412345") -> Any:
    return await client.secure_render(
        user_id=user_id,
        device_id="68753A11-1234-1226-9D60-0050E4C000000",
        device_type="NATIVE",
        device_os="IOS",
        tickets=render_tickets(),
        user_agent="Mozilla/5.0",
    )


async def manage(client: TicketmasterClient) -> Any:
    return await client.order_management(
        ORDER_TOKEN,
        device_id="12345",
        device_type="web",
        device_os="android",
        third_party_account_id="12313131",
    )


# --- request shapes ---------------------------------------------------------------------------


async def test_availability_sends_the_key_as_apikey() -> None:
    body = {"event": {"id": "3F005105D843DFA3", "locRowSeatRestrict": True}, "safeTixEnabled": True}
    r = rig(
        Expect(
            "GET",
            "/partners/v1/events/3F005105D843DFA3/availability",
            httpx.Response(200, json=body),
        )
    )
    result = await r.client.availability("3F005105D843DFA3")
    assert result.event.loc_row_seat_restrict is True
    assert r.tm.seen[0].url.params["apikey"] == KEY
    r.tm.done()


async def test_event_ids_cannot_escape_the_path() -> None:
    r = rig(
        Expect(
            "GET",
            "/partners/v1/events/../orders/availability",
            httpx.Response(200, json={"event": {"id": "x"}}),
        )
    )
    await r.client.availability("../orders")
    assert r.tm.seen[0].url.raw_path.startswith(b"/partners/v1/events/..%2Forders/")


async def test_purchase_calls_send_the_documented_bodies() -> None:
    commit = {
        "order_token": "T1",
        "order_number": "39-1/PHX",
        "grand_total": 101.66,
        "redemption_url": "https://x",
    }
    r = rig(
        Expect("POST", "/partners/v1/events/E1/cart", ok("cart_response.json")),
        Expect("PUT", "/partners/v1/events/E1/cart/payment", ok("cart_response.json")),
        Expect("PUT", "/partners/v1/events/E1/cart", httpx.Response(200, json=commit)),
        Expect("DELETE", "/partners/v1/events/E1/cart", httpx.Response(204)),
    )
    cart = await r.client.reserve_cart("E1", reserve_body())
    paid = await r.client.add_payment("E1", cart.cart_id, payment())
    done = await r.client.commit("E1", cart.cart_id)
    assert await r.client.delete_cart("E1", cart.cart_id) is True
    assert paid.cart.payments[0].amount == Decimal("101.66")
    assert (done.order_token, done.grand_total) == ("T1", Decimal("101.66"))
    reserve, pay, buy, delete = r.tm.seen
    assert json.loads(reserve.content) == {"tickets": [{"id": "000000000001", "quantity": 2}]}
    sent_payment = json.loads(pay.content)
    assert sent_payment["cartId"] == cart.cart_id
    assert sent_payment["payment"] == json.loads(body_of("cart_payment_request.json"))["payment"]
    assert json.loads(buy.content) == {"cart_id": cart.cart_id}
    assert delete.url.params["cart_id"] == cart.cart_id
    assert all(request.url.params["apikey"] == KEY for request in r.tm.seen)
    r.tm.done()


async def test_order_management_request() -> None:
    r = rig(Expect("POST", "/partners/v1/orders", ok("order_management_delayed_response.json")))
    order = await manage(r.client)
    assert order.tickets[0].barcode_id == "1212121212121212"
    (request,) = r.tm.seen
    assert request.url.params["order_token"] == ORDER_TOKEN
    assert request.url.params["apikey"] == KEY
    assert json.loads(request.content) == json.loads(body_of("order_management_request.json"))


async def test_order_management_rejects_out_of_spec_device_fields_before_sending() -> None:
    r = rig()
    with pytest.raises(ValidationError):
        await r.client.order_management(
            ORDER_TOKEN,
            device_id="d" * 51,
            device_type="web",
            device_os="ios",
            third_party_account_id="1",
        )
    assert r.tm.seen == []


async def test_secure_render_request() -> None:
    r = rig(Expect("POST", "/marketplace/v1/securerender", ok("secure_render_200_response.json")))
    result = await render(r.client)
    assert result.rendered[0].pk_pass_id == "b5d02b52-4b21-4233-b41a-722f20467535"
    (request,) = r.tm.seen
    assert request.headers["x-user-id"] == "783412345"
    assert json.loads(request.content) == json.loads(body_of("secure_render_request.json"))


async def test_sla_calls_carry_their_own_timeouts_and_the_rest_the_clients() -> None:
    """FAQ 8: order management 800 ms, token refresh 500 ms (each 2.5 times, to allow for
    "+/-"); the purchase calls, with no SLA, keep the shared client's timeout."""
    r = rig(
        Expect("POST", "/partners/v1/orders", ok("order_management_delayed_response.json")),
        Expect("POST", "/marketplace/v1/securerender", ok("secure_render_200_response.json")),
        Expect(
            "GET",
            "/partners/v1/events/3F005105D843DFA3/availability",
            httpx.Response(200, json={"event": {"id": "3F005105D843DFA3"}}),
        ),
    )
    await manage(r.client)
    await render(r.client)
    await r.client.availability("3F005105D843DFA3")
    management, secure_render, availability = (req.extensions["timeout"] for req in r.tm.seen)
    assert management == {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0}
    assert secure_render == {"connect": 1.25, "read": 1.25, "write": 1.25, "pool": 1.25}
    assert availability == httpx.Timeout(5.0).as_dict()  # httpx's default on this client
    r.tm.done()


async def test_preprod_paths() -> None:
    r = rig(
        Expect(
            "GET",
            "/partners-preprod/v1/events/E1/availability",
            httpx.Response(200, json={"event": {"id": "E1"}}),
        ),
        Expect("POST", "/partners-preprod/v1/orders", ok("order_management_response.json")),
        Expect(
            "POST", "/marketplace-staging/v1/securerender", ok("secure_render_200_response.json")
        ),
        preprod=True,
    )
    await r.client.availability("E1")
    await manage(r.client)
    await render(r.client)
    r.tm.done()


# --- status branches ----------------------------------------------------------------------------


def expiry_in(seconds: float) -> str:
    return str(int((time.time() + seconds) * 1000))


STATUS_CASES = [
    pytest.param(
        lambda: tm_error(401, 401, "Invalid ApiKey"), errors.AuthError, 1, "401", id="401"
    ),
    pytest.param(
        lambda: tm_error(403, 90001, "Event is not API transactable"),
        errors.AuthError,
        1,
        "90001",
        id="403",
    ),
    pytest.param(lambda: tm_error(404, 404), errors.NotFound, 1, "404", id="404"),
    pytest.param(
        lambda: httpx.Response(429, headers={"Retry-After": "1"}),
        errors.RateLimited,
        4,
        None,
        id="429-retry-after",
    ),
    pytest.param(
        lambda: httpx.Response(429, headers={"Ratelimit-Expiry": expiry_in(60)}),
        errors.RateLimited,
        1,
        None,
        id="429-expiry-too-far",
    ),
    pytest.param(
        lambda: tm_error(400, 20052, "No inventory found to match request"),
        errors.BadRequest,
        1,
        "20052",
        id="400",
    ),
    pytest.param(lambda: httpx.Response(500, text="boom"), errors.ServerError, 4, None, id="500"),
    pytest.param(
        lambda: tm_error(503, 20001, "Ticketing system down"),
        errors.ServerError,
        4,
        "20001",
        id="503-20001",
    ),
    pytest.param(lambda: httpx.ReadTimeout("slow"), errors.UpstreamTimeout, 4, None, id="timeout"),
    pytest.param(
        lambda: httpx.ConnectError("refused"), errors.UpstreamConnectError, 4, None, id="connect"
    ),
    pytest.param(
        lambda: httpx.Response(200, text="<html>oops</html>"),
        errors.MalformedResponse,
        1,
        None,
        id="malformed",
    ),
    pytest.param(
        lambda: httpx.Response(200, json={"event": {}}),
        errors.MalformedResponse,
        1,
        None,
        id="wrong-shape",
    ),
]


@pytest.mark.parametrize(("reply", "error", "attempts", "code"), STATUS_CASES)
async def test_every_status_branch(
    reply: Callable[[], httpx.Response | Exception],
    error: type[errors.UpstreamError],
    attempts: int,
    code: str | None,
) -> None:
    path = "/partners/v1/events/E1/availability"
    r = rig(*[Expect("GET", path, reply()) for _ in range(attempts)])
    with pytest.raises(error) as caught:
        await r.client.availability("E1")
    assert len(r.tm.seen) == attempts
    assert caught.value.service == "ticketmaster"
    assert caught.value.endpoint == "availability"
    if code is not None:
        assert isinstance(caught.value, errors.UpstreamRefused)
        assert caught.value.code == code
    assert KEY not in str(caught.value)


async def test_rate_limit_carries_the_ratelimit_expiry_wait() -> None:
    path = "/partners/v1/events/E1/availability"
    r = rig(Expect("GET", path, httpx.Response(429, headers={"Ratelimit-Expiry": expiry_in(30)})))
    with pytest.raises(errors.RateLimited) as caught:
        await r.client.availability("E1")
    assert caught.value.retry_after is not None
    assert 25 < caught.value.retry_after <= 30


async def test_server_error_then_success_is_retried_for_idempotent_calls() -> None:
    r = rig(
        Expect("POST", "/partners/v1/orders", tm_error(503, 20001)),
        Expect("POST", "/partners/v1/orders", tm_error(503, 20001)),
        Expect("POST", "/partners/v1/orders", ok("order_management_response.json")),
    )
    order = await manage(r.client)
    assert order.customer_email == "raine.cabal@ticketmaster.com"
    r.tm.done()


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(lambda: tm_error(503, 20001), id="503"),
        pytest.param(lambda: httpx.Response(502), id="502"),
        pytest.param(lambda: httpx.ReadTimeout("slow"), id="timeout"),
        pytest.param(lambda: httpx.RemoteProtocolError("dropped"), id="dropped"),
    ],
)
@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        pytest.param(
            "POST",
            "/partners/v1/events/E1/cart",
            lambda c: c.reserve_cart("E1", reserve_body()),
            id="reserve",
        ),
        pytest.param(
            "PUT",
            "/partners/v1/events/E1/cart/payment",
            lambda c: c.add_payment("E1", "C1", payment()),
            id="payment",
        ),
        pytest.param(
            "PUT", "/partners/v1/events/E1/cart", lambda c: c.commit("E1", "C1"), id="commit"
        ),
    ],
)
async def test_non_idempotent_calls_are_not_repeated_once_the_request_may_have_arrived(
    failure: Callable[[], httpx.Response | Exception],
    method: str,
    path: str,
    call: Callable[[TicketmasterClient], Awaitable[Any]],
) -> None:
    r = rig(Expect(method, path, failure()))
    with pytest.raises(errors.UpstreamError):
        await call(r.client)
    assert len(r.tm.seen) == 1


async def test_commit_is_resent_when_the_connection_was_never_made() -> None:
    commit = {"order_token": "T1", "order_number": "1", "grand_total": 1}
    r = rig(
        Expect("PUT", "/partners/v1/events/E1/cart", httpx.ConnectError("refused")),
        Expect("PUT", "/partners/v1/events/E1/cart", httpx.Response(200, json=commit)),
    )
    assert (await r.client.commit("E1", "C1")).order_token == "T1"


async def test_reserve_is_resent_after_a_short_rate_limit() -> None:
    r = rig(
        Expect(
            "POST", "/partners/v1/events/E1/cart", httpx.Response(429, headers={"Retry-After": "0"})
        ),
        Expect("POST", "/partners/v1/events/E1/cart", ok("cart_response.json")),
    )
    assert (await r.client.reserve_cart("E1", reserve_body())).cart.hold_time == 444


# --- 202 polling --------------------------------------------------------------------------------


async def test_relative_polling_url_is_followed_until_the_answer() -> None:
    job = "/partners/v1/polling/cart/POST/0001?cart_id=abc%3D"
    r = rig(
        Expect("POST", "/partners/v1/events/E1/cart", polling(job, wait=4)),
        Expect("GET", "/partners/v1/polling/cart/POST/0001", polling(job, wait=2)),
        Expect("GET", "/partners/v1/polling/cart/POST/0001", ok("cart_response.json")),
    )
    cart = await r.client.reserve_cart("E1", reserve_body())
    assert cart.cart_id == "beec42c9-f456-4270-bba9-4c62528bef00"
    assert r.time.sleeps == [4, 2]
    for poll in r.tm.seen[1:]:
        assert poll.url.params["apikey"] == KEY
        assert poll.url.params["cart_id"] == "abc="
    r.tm.done()


async def test_absolute_polling_url_gets_our_key_and_keeps_its_parameters() -> None:
    job = f"{BASE}/partners/v1/polling/orders/POST/0002?apikey=SOMEONE-ELSES&cart_id=c1"
    r = rig(
        Expect("POST", "/partners/v1/orders", polling(job, wait=60)),
        Expect(
            "GET", "/partners/v1/polling/orders/POST/0002", ok("order_management_response.json")
        ),
    )
    await manage(r.client)
    poll = r.tm.seen[1]
    assert poll.url.params.get_list("apikey") == [KEY]
    assert poll.url.params["cart_id"] == "c1"
    assert r.time.sleeps == [5.0]  # the server's 60 s wait, capped at PollingPolicy.max_wait


async def test_polling_past_the_budget_raises_still_processing() -> None:
    job = "/partners/v1/polling/x"
    r = rig(
        Expect("PUT", "/partners/v1/events/E1/cart", polling(job, wait=4)),
        Expect("GET", job, polling(job, wait=4)),
        Expect("GET", job, polling(job, wait=4)),
        polling=PollingPolicy(budget_seconds=10, max_wait=5),
    )
    with pytest.raises(errors.StillProcessing) as caught:
        await r.client.commit("E1", "C1")
    assert caught.value.endpoint == "commit"
    assert r.time.sleeps == [4, 4]
    r.tm.done()


async def test_polling_url_on_another_host_is_refused_and_gets_no_key() -> None:
    r = rig(Expect("POST", "/partners/v1/orders", polling("https://evil.test/steal?x=1")))
    with pytest.raises(errors.MalformedResponse, match="polling_url"):
        await manage(r.client)
    assert len(r.tm.seen) == 1


async def test_malformed_polling_body() -> None:
    r = rig(Expect("POST", "/partners/v1/orders", httpx.Response(202, json={"wait": 3})))
    with pytest.raises(errors.MalformedResponse):
        await manage(r.client)


async def test_polling_can_end_in_an_error() -> None:
    r = rig(
        Expect("POST", "/partners/v1/events/E1/cart", polling("/partners/v1/polling/y")),
        Expect("GET", "/partners/v1/polling/y", tm_error(400, 20052)),
    )
    with pytest.raises(errors.BadRequest) as caught:
        await r.client.reserve_cart("E1", reserve_body())
    assert caught.value.code == "20052"
    assert caught.value.endpoint == "reserve_cart_poll"


async def test_force_polling_header() -> None:
    r = rig(
        Expect("POST", "/partners/v1/orders", polling("/partners/v1/polling/z", wait=0)),
        Expect("GET", "/partners/v1/polling/z", ok("order_management_response.json")),
        force_polling=True,
    )
    await manage(r.client)
    assert all(request.headers["X-TM-FORCE-POLLING"] == "true" for request in r.tm.seen)


async def test_without_force_polling_no_header_is_sent() -> None:
    r = rig(Expect("POST", "/partners/v1/orders", ok("order_management_response.json")))
    await manage(r.client)
    assert "X-TM-FORCE-POLLING" not in r.tm.seen[0].headers


# --- secure render per-ticket errors ------------------------------------------------------------


async def test_partial_success_returns_tokens_and_errors() -> None:
    body = json.loads(body_of("secure_render_200_response.json"))
    failed = json.loads(body_of("secure_render_400_response.json"))["tickets"][0]
    body["tickets"].append(failed)
    r = rig(Expect("POST", "/marketplace/v1/securerender", httpx.Response(200, json=body)))
    result = await render(r.client)
    assert [ticket.barcode for ticket in result.rendered] == ["964537283421"]
    assert [ticket.error.error for ticket in result.failed if ticket.error] == [
        "missing.row.attribute"
    ]


async def test_400_with_per_ticket_errors_is_an_answer() -> None:
    r = rig(
        Expect("POST", "/marketplace/v1/securerender", ok("secure_render_400_response.json", 400))
    )
    result = await render(r.client)
    assert result.rendered == []
    assert result.failed[0].error is not None
    assert result.failed[0].error.code == 400


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(lambda: tm_error(400, 10002, "Invalid input data type"), id="tm-error-body"),
        pytest.param(lambda: httpx.Response(400, text="bad"), id="not-json"),
        pytest.param(
            lambda: httpx.Response(400, json={"tickets": [{"barcode": "1"}]}), id="no-ticket-error"
        ),
    ],
)
async def test_400_without_per_ticket_errors_fails_the_whole_call(
    reply: Callable[[], httpx.Response],
) -> None:
    r = rig(Expect("POST", "/marketplace/v1/securerender", reply()))
    with pytest.raises(errors.BadRequest):
        await render(r.client)
    assert len(r.tm.seen) == 1


async def test_secure_render_whole_call_auth_failure_raises() -> None:
    r = rig(Expect("POST", "/marketplace/v1/securerender", tm_error(401, 401)))
    with pytest.raises(errors.AuthError):
        await render(r.client)


# --- delete cart ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "deleted"),
    [
        (lambda: httpx.Response(204), True),
        (lambda: tm_error(400, 90003, "Invalid or stale cart_id"), False),
        (lambda: tm_error(404, 404), False),
    ],
)
async def test_delete_cart(reply: Callable[[], httpx.Response], deleted: bool) -> None:
    r = rig(Expect("DELETE", "/partners/v1/events/E1/cart", reply()))
    assert await r.client.delete_cart("E1", "C1") is deleted


async def test_delete_cart_other_refusals_raise() -> None:
    r = rig(Expect("DELETE", "/partners/v1/events/E1/cart", tm_error(400, 10002)))
    with pytest.raises(errors.BadRequest):
        await r.client.delete_cart("E1", "C1")


# --- one call per cart at a time -----------------------------------------------------------------


def slow_commit(log: list[str]) -> Callable[[httpx.Request], Awaitable[httpx.Response]]:
    async def reply(request: httpx.Request) -> httpx.Response:
        cart = json.loads(request.content)["cart_id"]
        log.append(f"start {cart}")
        await asyncio.sleep(0.02)
        log.append(f"end {cart}")
        return httpx.Response(
            200, json={"order_token": cart, "order_number": "1", "grand_total": 1}
        )

    return reply


async def test_calls_on_the_same_cart_are_serialised() -> None:
    log: list[str] = []
    path = "/partners/v1/events/E1/cart"
    r = rig(Expect("PUT", path, slow_commit(log)), Expect("PUT", path, slow_commit(log)))
    await asyncio.gather(r.client.commit("E1", "C1"), r.client.commit("E1", "C1"))
    assert log == ["start C1", "end C1", "start C1", "end C1"]


async def test_calls_on_different_carts_run_concurrently() -> None:
    log: list[str] = []
    path = "/partners/v1/events/E1/cart"
    r = rig(Expect("PUT", path, slow_commit(log)), Expect("PUT", path, slow_commit(log)))
    await asyncio.gather(r.client.commit("E1", "C1"), r.client.commit("E1", "C2"))
    assert log[:2] == ["start C1", "start C2"]


# --- secrets stay out of logs --------------------------------------------------------------------


async def test_api_key_and_order_token_never_reach_a_log(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")
    job = f"{BASE}/partners/v1/polling/p?apikey={KEY}&cart_id=c"
    r = rig(
        Expect("POST", "/partners/v1/orders", polling(job, wait=0)),
        Expect("GET", "/partners/v1/polling/p", ok("order_management_response.json")),
        *[Expect("GET", "/partners/v1/events/E1/availability", httpx.ReadTimeout("slow"))] * 4,
        Expect("PUT", "/partners/v1/events/E1/cart", tm_error(500, 500)),
        Expect("POST", "/marketplace/v1/securerender", ok("secure_render_200_response.json")),
    )
    with structlog.testing.capture_logs() as events:
        await manage(r.client)
        for call in (r.client.availability("E1"), r.client.commit("E1", "C1")):
            with pytest.raises(errors.UpstreamError) as caught:
                await call
            assert KEY not in str(caught.value)
        await render(r.client)
    logged = "\n".join(
        [repr(events), caplog.text, *(record.getMessage() for record in caplog.records)]
    )
    out = capsys.readouterr()
    logged += out.out + out.err
    assert "apikey=***" in logged  # the URLs were logged, redacted
    assert "HTTP Request:" in caplog.text  # httpx's own request lines were captured too
    assert any(event.get("kind") == "timeout" for event in events)
    assert KEY not in logged
    assert ORDER_TOKEN not in logged
