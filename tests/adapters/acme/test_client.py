"""AcmeClient offline: request shapes and headers, paging, every status branch, the retry mode of
each kind of call, checkout's request uuid, and session login, caching and renewal.

The transport is a script of expected requests; a request it does not expect fails the test,
and so does an expected request that never came.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

from adapters.acme.auth import AcmeAuth
from adapters.acme.client import AcmeClient, ApiKeyAuth, SessionAuth
from bot import errors
from bot.acme.cart_models import Cart, CartItem, CheckoutRequest
from bot.app.tracing import start_request

DATA = Path(__file__).parents[2] / "data" / "acme"
BASE = "https://acme.test"
KEY = "a4c5cfd3-0783-4890-a6e1-e09eb9e11b4d"
UUID = "8270b929-44ea-46fc-b399-cfe6fa960f24"
CART_ID = "643e8cbd9f0baf41144ce26b"
SESSION = "7nkMkckXxTukVZtIWxUK"

Reply = httpx.Response | Exception | Callable[[httpx.Request], Awaitable[httpx.Response]]
ANY = object()


def doc(name: str) -> httpx.Response:
    return httpx.Response(200, content=(DATA / name).read_bytes())


def acme_error(
    status: int, code: int | None = None, retry_after: str | None = None
) -> httpx.Response:
    body = {"code": code or status, "message": "refused", "type": "SOMETHING"}
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(status, json=body, headers=headers)


def page(ids: list[int], *, number: int, size: int, has_more: bool | None) -> httpx.Response:
    pagination: dict[str, Any] = {"page": number, "pageSize": size, "count": 99}
    if has_more is not None:
        pagination["hasMore"] = has_more
    return httpx.Response(200, json={"list": [{"id": i} for i in ids], "pagination": pagination})


def session_reply(expire: datetime, token: str = SESSION) -> httpx.Response:
    body = json.loads((DATA / "session_response.json").read_text())
    body |= {"session": token, "expireMs": int(expire.timestamp() * 1000)}
    return httpx.Response(200, json=body)


@dataclass
class Expect:
    method: str
    path: str
    reply: Reply
    params: dict[str, str] | None = None
    body: Any = ANY


@dataclass
class Script:
    steps: list[Expect] = field(default_factory=list)
    seen: list[httpx.Request] = field(default_factory=list)

    def add(self, *steps: Expect) -> None:
        self.steps.extend(steps)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if not self.steps:
            pytest.fail(f"unexpected request: {request.method} {request.url}")
        step = self.steps.pop(0)
        assert (request.method, request.url.raw_path.split(b"?")[0].decode()) == (
            step.method,
            step.path,
        )
        if step.params is not None:
            assert dict(request.url.params) == step.params
        if step.body is not ANY:
            assert json.loads(request.content) == step.body
        if isinstance(step.reply, Exception):
            raise step.reply
        if isinstance(step.reply, httpx.Response):
            return step.reply
        return await step.reply(request)


@pytest.fixture
async def script() -> AsyncIterator[Script]:
    script = Script()
    yield script
    assert not script.steps, f"expected requests never sent: {script.steps}"


@pytest.fixture
async def http(script: Script) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(script)) as client:
        yield client


def make(http: httpx.AsyncClient, auth: AcmeAuth | None = None) -> AcmeClient:
    return AcmeClient(http, base_url=BASE + "/", tenant_id=107, auth=auth or ApiKeyAuth(KEY))


@pytest.fixture
def acme(http: httpx.AsyncClient) -> AcmeClient:
    return make(http)


# -- request shapes -----------------------------------------------------------------------------


async def test_b2c_call_carries_key_tenant_and_request_id(script: Script, acme: AcmeClient) -> None:
    request_id = start_request("ec01-ec6f5d47-81a1ba46")
    script.add(
        Expect(
            "GET",
            "/v2/b2c/orders/search",
            doc("orders_search_response.json"),
            params={
                "email": "janedoe@gmail.com",
                "page": "1",
                "pageSize": "100",
                "sortField": "createdOn",
                "sortDirection": "desc",
            },
        )
    )
    found = await acme.search_orders(
        email="janedoe@gmail.com", sort_field="createdOn", sort_direction="desc"
    )

    assert [order.id for order in found.orders] == ["30263798"]
    headers = script.seen[0].headers
    assert headers["x-acme-api-key"] == KEY
    assert headers["x-b2c-tenant-id"] == "107"
    assert headers["x-acme-request-id"] == request_id
    assert "x-acme-browser-ip" not in headers
    assert "x-acme-session" not in headers


async def test_searches_get_the_long_timeout_and_reads_the_clients(
    script: Script, http: httpx.AsyncClient
) -> None:
    acme = AcmeClient(http, base_url=BASE, tenant_id=107, auth=ApiKeyAuth(KEY), search_timeout=45.0)
    script.add(
        Expect("GET", "/v2/b2c/orders/search", doc("orders_search_response.json")),
        Expect("GET", "/v2/b2c/orders/event/e1", doc("orders_search_response.json")),
        Expect("GET", "/v2/b2c/orders/30263798", doc("order_get_response.json")),
    )
    await acme.search_orders(email="janedoe@gmail.com")
    await acme.orders_for_event("e1")
    await acme.get_order("30263798")
    search, event, get = (request.extensions["timeout"] for request in script.seen)
    assert search == event == {"connect": 3.0, "read": 45.0, "write": 45.0, "pool": 45.0}
    assert get == http.timeout.as_dict()


async def test_search_by_phone_sends_phone_number(script: Script, acme: AcmeClient) -> None:
    script.add(
        Expect(
            "GET",
            "/v2/b2c/orders/search",
            page([], number=1, size=-1, has_more=False),
            params={"phoneNumber": "+11234567890", "page": "1", "pageSize": "-1"},
        )
    )
    assert (await acme.search_orders(phone="+11234567890", page_size=-1)).orders == []


async def test_b2b_call_has_no_tenant_header_and_ids_are_escaped(
    script: Script, acme: AcmeClient
) -> None:
    script.add(
        Expect(
            "POST",
            "/v2/b2b/orders/100148401/email",
            httpx.Response(204),
            body={"email": "janedoe@gmail.com", "sendEmail": True},
        ),
        Expect("GET", "/v2/b2c/orders/..%2Fcarts%2Fx%3Fy", acme_error(404)),
    )
    await acme.resend_confirmation("100148401", "janedoe@gmail.com")
    assert "x-b2c-tenant-id" not in script.seen[0].headers
    with pytest.raises(errors.NotFound):
        await acme.get_order("../carts/x?y")


async def test_get_order_parses_the_documented_order(script: Script, acme: AcmeClient) -> None:
    script.add(Expect("GET", "/v2/b2c/orders/30263798", doc("order_get_response.json")))
    order = await acme.get_order("30263798")
    assert len(order.order_items) == 5
    assert order.phone_e164 == "+11234567890"


async def test_update_order_sends_only_client_editable_fields(
    script: Script, acme: AcmeClient
) -> None:
    """On the document's order: no ``visitorId`` ("internal only - ACME - do not use"), no
    read-only ``id`` or items, nothing ACME records itself; the contact as it now is."""
    script.add(
        Expect("GET", "/v2/b2c/orders/30263798", doc("order_get_response.json")),
        Expect(
            "PUT",
            "/v2/b2c/orders/30263798",
            doc("order_get_response.json"),
            body={
                "email": "jane.doe@example.com",
                "contactFirstName": "Jane",
                "contactLastName": "Doe",
                "zipCode": "95113",
                "phoneNumber": "+11234567890",
                "hideEventDate": False,
            },
        ),
    )
    order = await acme.get_order("30263798")
    assert order.visitor_id == "1573098"
    await acme.update_order(order.id, order.model_copy(update={"email": "jane.doe@example.com"}))
    sent = json.loads(script.seen[1].content)
    for read_only in ("id", "visitorId", "tempVisitorId", "orderItems", "createdOn", "updatedBy"):
        assert read_only not in sent
    for recorded in ("totalAmount", "paidAmount", "membershipId", "ccLastFourDigits", "legacy"):
        assert recorded not in sent


async def test_cart_calls(script: Script, acme: AcmeClient) -> None:
    wanted = Cart(membership_ids=[5970603], items=[CartItem.tickets("e1", "p1", 2)])
    script.add(
        Expect(
            "POST", "/v2/b2c/carts", httpx.Response(200, json=CART_ID), body=wanted.to_json_body()
        ),
        Expect("GET", f"/v2/b2c/carts/{CART_ID}", doc("cart_put_member_pricing_response.json")),
        Expect(
            "PUT",
            f"/v2/b2c/carts/{CART_ID}",
            doc("cart_put_all_in_one_response.json"),
            body=json.loads((DATA / "cart_put_all_in_one_request.json").read_text()),
        ),
        Expect(
            "POST",
            "/v2/b2c/entitlements/validate",
            doc("entitlements_validate_response.json"),
            body=json.loads((DATA / "entitlements_validate_request.json").read_text()),
        ),
        Expect("DELETE", f"/v2/b2c/carts/{CART_ID}", httpx.Response(204)),
        Expect("DELETE", f"/v2/b2c/carts/{CART_ID}", acme_error(404)),
    )

    assert await acme.create_cart(wanted, browser_ip="203.0.113.7") == CART_ID
    assert script.seen[0].headers["x-acme-browser-ip"] == "203.0.113.7"
    assert (await acme.get_cart(CART_ID)).membership_ids == [5970603]
    request = Cart.model_validate_json((DATA / "cart_put_all_in_one_request.json").read_bytes())
    request.id = None  # the client puts the id in from the path
    repriced = await acme.update_cart(CART_ID, request)
    assert [str(item.unit_price) for item in repriced.items] == ["24.00", "32.00", "27.00"]
    result = await acme.validate_entitlements(CART_ID)
    assert result.violations[0].allowed_quantity == 1
    assert await acme.delete_cart(CART_ID) is True
    assert await acme.delete_cart(CART_ID) is False


async def test_update_cart_refuses_a_body_for_another_cart(acme: AcmeClient) -> None:
    with pytest.raises(ValueError, match="does not match"):
        await acme.update_cart(CART_ID, Cart(id="someone-else"))


async def test_create_cart_needs_a_bare_string(script: Script, acme: AcmeClient) -> None:
    script.add(Expect("POST", "/v2/b2c/carts", httpx.Response(200, json={"id": CART_ID}), body={}))
    with pytest.raises(errors.MalformedResponse):
        await acme.create_cart()


async def test_membership_and_catalog_calls(script: Script, acme: AcmeClient) -> None:
    start = datetime(2031, 1, 1, 9, tzinfo=UTC)
    script.add(
        Expect(
            "GET",
            "/v2/b2c/membership/validate",
            httpx.Response(
                200, json=[{"status": "verified", "memberListEntry": {"membershipId": 5970603}}]
            ),
            params={"membershipId": "7700123456", "lastName": "Lee"},
        ),
        Expect(
            "GET",
            "/v2/b2c/membership/exists",
            httpx.Response(200, json={"exists": False, "canRenew": False}),
            params={"email": "noah.kim@example.com"},
        ),
        Expect(
            "GET",
            "/v2/b2c/events/e1",
            httpx.Response(200, json={"id": "e1", "priceList": {"prices": []}}),
            params={"membershipId": "5970603"},
        ),
        Expect("GET", "/v2/b2c/event/templates", httpx.Response(200, json=[]), params={}),
        Expect(
            "GET",
            "/v2/b2c/event/templates/t1",
            httpx.Response(200, json={"id": "t1", "name": "Tour"}),
            params={},
        ),
        Expect(
            "GET",
            "/v2/b2c/event/templates/t1/times",
            httpx.Response(200, json=[{"id": "e1", "startTime": "2031-01-01T10:00:00Z"}]),
            params={
                "startTime": "2031-01-01T09:00:00+00:00",
                "endTime": "2031-01-03T09:00:00+00:00",
            },
        ),
    )

    [found] = await acme.validate_membership("7700123456", last_name="Lee")
    assert found.verified
    assert (await acme.membership_exists("noah.kim@example.com")).exists is False
    assert (await acme.get_event("e1", membership_id=5970603)).id == "e1"
    assert await acme.list_event_templates() == []
    assert (await acme.get_event_template("t1")).name == "Tour"
    times = await acme.event_times("t1", start_time=start, end_time=start + timedelta(days=2))
    assert times[0].start_time == datetime(2031, 1, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "call",
    [
        lambda acme: acme.search_orders(),
        lambda acme: acme.search_orders(email="a@b.c", page_size=1001),
        lambda acme: acme.search_orders(email="a@b.c", page=0),
        lambda acme: acme.orders_for_event("e1", page_size=0),
        lambda acme: acme.event_times("t1", start_time=datetime(2031, 1, 1)),
        lambda acme: acme.checkout(
            CheckoutRequest(), request_uuid="not-a-uuid", browser_ip="1.2.3.4"
        ),
        lambda acme: acme.checkout(CheckoutRequest(), request_uuid=UUID, browser_ip=""),
        lambda acme: acme.checkout(CheckoutRequest(), request_uuid=UUID, browser_ip="phone"),
    ],
)
async def test_caller_mistakes_fail_before_any_request(
    acme: AcmeClient, call: Callable[[AcmeClient], Awaitable[object]]
) -> None:
    with pytest.raises(ValueError):
        await call(acme)


@pytest.mark.parametrize("page_size", [0, -1, 1001])
async def test_iter_orders_needs_a_real_page_size(acme: AcmeClient, page_size: int) -> None:
    with pytest.raises(ValueError):
        await anext(acme.iter_orders(email="a@b.c", page_size=page_size))


# -- paging -------------------------------------------------------------------------------------


def paged(number: int, ids: list[int], has_more: bool | None) -> Expect:
    params = {"email": "alex@example.com", "page": str(number), "pageSize": "2"}
    reply = page(ids, number=number, size=2, has_more=has_more)
    return Expect("GET", "/v2/b2c/orders/search", reply, params)


async def test_iter_orders_walks_every_page(script: Script, acme: AcmeClient) -> None:
    script.add(
        paged(1, [1, 2], True),
        paged(2, [3, 4], True),
        paged(3, [5], False),
    )
    ids = [order.id async for order in acme.iter_orders(email="alex@example.com", page_size=2)]
    assert ids == ["1", "2", "3", "4", "5"]


async def test_iter_orders_stops_on_has_more_false(script: Script, acme: AcmeClient) -> None:
    script.add(paged(1, [1, 2], False))
    ids = [order.id async for order in acme.iter_orders(email="alex@example.com", page_size=2)]
    assert ids == ["1", "2"]


async def test_iter_orders_stops_on_a_short_page(script: Script, acme: AcmeClient) -> None:
    script.add(
        paged(1, [1, 2], None),
        paged(2, [3], None),
    )
    ids = [order.id async for order in acme.iter_orders(email="alex@example.com", page_size=2)]
    assert ids == ["1", "2", "3"]


async def test_iter_orders_fetches_lazily(script: Script, acme: AcmeClient) -> None:
    script.add(paged(1, [1, 2], True))
    orders = acme.iter_orders(email="alex@example.com", page_size=2)
    assert (await anext(orders)).id == "1"
    await orders.aclose()
    assert len(script.seen) == 1


async def test_iter_event_orders(script: Script, acme: AcmeClient) -> None:
    params = {"page": "1", "pageSize": "1000"}
    script.add(
        Expect(
            "GET",
            "/v2/b2c/orders/event/e%201",
            page([7], number=1, size=1000, has_more=None),
            params,
        )
    )
    assert [o.id async for o in acme.iter_event_orders("e 1", page_size=1000)] == ["7"]


def event_page(number: int, reply: httpx.Response) -> Expect:
    return Expect("GET", "/v2/b2c/orders/event/e1", reply, {"page": str(number), "pageSize": "2"})


def order_list(ids: list[int]) -> list[dict[str, Any]]:
    return [{"id": str(i), "orderNumber": str(100 + i)} for i in ids]


async def test_event_orders_as_a_bare_list_are_the_whole_list(
    script: Script, acme: AcmeClient
) -> None:
    """acme-orders.txt documents no paging and no answer for this endpoint: a bare list is
    everything (three orders on a page of two is not a reason to ask for page 2)."""
    script.add(event_page(1, httpx.Response(200, json=order_list([1, 2, 3]))))
    assert [o.id async for o in acme.iter_event_orders("e1", page_size=2)] == ["1", "2", "3"]


async def test_event_orders_without_pagination_are_the_whole_list(
    script: Script, acme: AcmeClient
) -> None:
    script.add(event_page(1, httpx.Response(200, json={"list": order_list([1, 2])})))
    assert [o.id async for o in acme.iter_event_orders("e1", page_size=2)] == ["1", "2"]


async def test_event_orders_stop_when_a_page_repeats_the_last(
    script: Script, acme: AcmeClient
) -> None:
    """A server that ignores ``page`` answers page 1 again and again (with ``hasMore``)."""
    same = page([1, 2], number=1, size=2, has_more=True)
    script.add(event_page(1, same), event_page(2, same))
    assert [o.id async for o in acme.iter_event_orders("e1", page_size=2)] == ["1", "2"]
    assert len(script.seen) == 2


async def test_event_orders_in_the_search_shape_are_paged(script: Script, acme: AcmeClient) -> None:
    script.add(
        event_page(1, page([1, 2], number=1, size=2, has_more=True)),
        event_page(2, page([3], number=2, size=2, has_more=False)),
    )
    assert [o.id async for o in acme.iter_event_orders("e1", page_size=2)] == ["1", "2", "3"]


# -- status branches and retries ------------------------------------------------------------------

GET_ORDER = "/v2/b2c/orders/30263798"


@pytest.mark.parametrize(
    ("reply", "expected", "attempts"),
    [
        (acme_error(401), errors.AuthError, 1),
        (acme_error(403), errors.AuthError, 1),
        (acme_error(404), errors.NotFound, 1),
        (acme_error(409), errors.DuplicateRequest, 1),
        (acme_error(400, 16003), errors.BadRequest, 1),
        (acme_error(429), errors.RateLimited, 4),
        (acme_error(429, retry_after="60"), errors.RateLimited, 1),
        (acme_error(500), errors.ServerError, 4),
        (acme_error(503), errors.ServerError, 4),
        (httpx.ReadTimeout("slow"), errors.UpstreamTimeout, 4),
        (httpx.ConnectError("refused"), errors.UpstreamConnectError, 4),
        (httpx.Response(200, text="<html>oops</html>"), errors.MalformedResponse, 1),
        (httpx.Response(200, json={"id": None}), errors.MalformedResponse, 1),
    ],
    ids=[
        "401",
        "403",
        "404",
        "409",
        "400",
        "429-no-retry-after",
        "429-retry-after-too-long",
        "500",
        "503",
        "timeout",
        "connect-error",
        "html",
        "wrong-shape",
    ],
)
async def test_status_branches(
    script: Script, acme: AcmeClient, reply: Reply, expected: type[Exception], attempts: int
) -> None:
    script.add(*[Expect("GET", GET_ORDER, reply) for _ in range(attempts)])
    with pytest.raises(expected) as caught:
        await acme.get_order("30263798")
    assert len(script.seen) == attempts
    if isinstance(caught.value, errors.UpstreamError):
        assert (caught.value.service, caught.value.endpoint) == ("acme", "orders.get")


async def test_refusal_carries_acme_code_and_retry_after(script: Script, acme: AcmeClient) -> None:
    script.add(
        Expect("GET", GET_ORDER, acme_error(400, 16003)),
        Expect("GET", GET_ORDER, acme_error(429, retry_after="60")),
    )
    with pytest.raises(errors.BadRequest) as bad:
        await acme.get_order("30263798")
    assert (bad.value.status, bad.value.code) == (400, "16003")
    with pytest.raises(errors.RateLimited) as limited:
        await acme.get_order("30263798")
    assert limited.value.retry_after == 60


@pytest.mark.parametrize(
    "first",
    [
        acme_error(503),
        acme_error(429),
        acme_error(429, retry_after="1"),
        httpx.ReadTimeout("x"),
    ],
    ids=["503", "429", "429-retry-after", "timeout"],
)
async def test_idempotent_call_retried_then_succeeds(
    script: Script, acme: AcmeClient, first: Reply
) -> None:
    script.add(
        Expect("GET", GET_ORDER, first), Expect("GET", GET_ORDER, doc("order_get_response.json"))
    )
    assert (await acme.get_order("30263798")).id == "30263798"
    assert len(script.seen) == 2
    assert (
        script.seen[0].headers["x-acme-request-id"] == script.seen[1].headers["x-acme-request-id"]
    )


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (acme_error(500), errors.ServerError),
        (acme_error(503), errors.ServerError),
        (httpx.ReadTimeout("x"), errors.UpstreamTimeout),
        (httpx.RemoteProtocolError("dropped"), errors.UpstreamConnectError),
    ],
    ids=["500", "503", "timeout", "dropped-after-send"],
)
async def test_create_cart_is_not_repeated_when_it_may_have_worked(
    script: Script, acme: AcmeClient, reply: Reply, expected: type[Exception]
) -> None:
    script.add(Expect("POST", "/v2/b2c/carts", reply))
    with pytest.raises(expected):
        await acme.create_cart()


@pytest.mark.parametrize(
    "first", [httpx.ConnectError("refused"), acme_error(429)], ids=["connect", "429"]
)
async def test_create_cart_is_repeated_when_surely_not_done(
    script: Script, acme: AcmeClient, first: Reply
) -> None:
    script.add(
        Expect("POST", "/v2/b2c/carts", first),
        Expect("POST", "/v2/b2c/carts", httpx.Response(200, json=CART_ID)),
    )
    assert await acme.create_cart() == CART_ID


async def test_resend_confirmation_is_not_repeated_after_a_5xx(
    script: Script, acme: AcmeClient
) -> None:
    script.add(Expect("POST", "/v2/b2b/orders/100148401/email", acme_error(502)))
    with pytest.raises(errors.ServerError):
        await acme.resend_confirmation("100148401", "janedoe@gmail.com")


async def test_retry_budget_is_shared_by_all_attempts(
    script: Script, http: httpx.AsyncClient
) -> None:
    from adapters.upstream import RetryPolicy

    acme = AcmeClient(
        http, base_url=BASE, tenant_id=107, auth=ApiKeyAuth(KEY), policy=RetryPolicy(attempts=2)
    )
    script.add(Expect("GET", GET_ORDER, acme_error(503)), Expect("GET", GET_ORDER, acme_error(503)))
    with pytest.raises(errors.ServerError):
        await acme.get_order("30263798")


# -- checkout -----------------------------------------------------------------------------------

CHECKOUT = CheckoutRequest(
    shopping_cart_id=CART_ID,
    email="fan@example.com",
    contact_first_name="Fan",
    contact_last_name="Example",
)


async def test_checkout_retried_with_the_same_uuid(script: Script, acme: AcmeClient) -> None:
    script.add(
        Expect("POST", "/v2/b2c/checkout", acme_error(503), body=CHECKOUT.to_json_body()),
        Expect("POST", "/v2/b2c/checkout", httpx.ReadTimeout("x"), body=CHECKOUT.to_json_body()),
        Expect(
            "POST", "/v2/b2c/checkout", doc("order_get_response.json"), body=CHECKOUT.to_json_body()
        ),
    )
    order = await acme.checkout(
        CHECKOUT, request_uuid=UUID, browser_ip="203.0.113.7", captcha_token="tok"
    )
    assert order.id == "30263798"
    for request in script.seen:
        assert request.headers["x-acme-request-uuid"] == UUID
        assert request.headers["x-acme-browser-ip"] == "203.0.113.7"
        assert request.headers["x-acme-captcha-token"] == "tok"
        assert request.headers["x-b2c-tenant-id"] == "107"


async def test_checkout_409_on_a_retry_means_the_first_went_through(
    script: Script, acme: AcmeClient
) -> None:
    script.add(
        Expect("POST", "/v2/b2c/checkout", acme_error(502)),
        Expect("POST", "/v2/b2c/checkout", acme_error(409)),
    )
    with pytest.raises(errors.DuplicateRequest):
        await acme.checkout(CHECKOUT, request_uuid=UUID, browser_ip="203.0.113.7")
    assert {r.headers["x-acme-request-uuid"] for r in script.seen} == {UUID}


async def test_checkout_refusal_is_not_retried(script: Script, acme: AcmeClient) -> None:
    script.add(Expect("POST", "/v2/b2c/checkout", acme_error(400, 16003)))
    with pytest.raises(errors.BadRequest) as caught:
        await acme.checkout(CHECKOUT, request_uuid=UUID, browser_ip="203.0.113.7")
    assert caught.value.code == "16003"


# -- session auth -------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2031, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def session_auth(clock: Clock) -> SessionAuth:
    return SessionAuth(
        "dprince", "H!pp0Lyt4", 999, refresh_margin=timedelta(seconds=60), clock=clock
    )


LOGIN = "/v2/b2b/customer/session"


async def test_session_login_cached_and_renewed_early(
    script: Script, http: httpx.AsyncClient
) -> None:
    clock = Clock()
    acme = make(http, session_auth(clock))
    expires = clock.now + timedelta(minutes=30)
    script.add(
        Expect("GET", LOGIN, session_reply(expires, "s1")),
        Expect("GET", "/v2/b2c/membership/exists", httpx.Response(200, json={"exists": True})),
        Expect("GET", "/v2/b2c/membership/exists", httpx.Response(200, json={"exists": True})),
        Expect("GET", LOGIN, session_reply(expires + timedelta(hours=1), "s2")),
        Expect("GET", "/v2/b2c/membership/exists", httpx.Response(200, json={"exists": True})),
    )

    await acme.membership_exists("a@b.c")
    clock.now = expires - timedelta(seconds=61)
    await acme.membership_exists("a@b.c")
    clock.now = expires - timedelta(seconds=59)
    await acme.membership_exists("a@b.c")

    login = script.seen[0].headers
    assert (login["x-acme-user-name"], login["x-acme-password"], login["x-acme-tenantId"]) == (
        "dprince",
        "H!pp0Lyt4",
        "999",
    )
    assert "x-acme-api-key" not in login
    assert "x-b2c-tenant-id" not in login
    assert [r.headers.get("x-acme-session") for r in script.seen] == [None, "s1", "s1", None, "s2"]
    assert all("x-acme-api-key" not in r.headers for r in script.seen)


async def test_concurrent_callers_share_one_login(script: Script, http: httpx.AsyncClient) -> None:
    clock = Clock()
    acme = make(http, session_auth(clock))

    async def slow_login(_: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)
        return session_reply(clock.now + timedelta(hours=1))

    script.add(Expect("GET", LOGIN, slow_login))
    exists = httpx.Response(200, json={"exists": False})
    script.add(*[Expect("GET", "/v2/b2c/membership/exists", exists) for _ in range(5)])
    await asyncio.gather(*(acme.membership_exists("a@b.c") for _ in range(5)))
    assert sum(r.url.path == LOGIN for r in script.seen) == 1


async def test_refused_session_logs_in_again_once(script: Script, http: httpx.AsyncClient) -> None:
    clock = Clock()
    acme = make(http, session_auth(clock))
    later = clock.now + timedelta(hours=1)
    script.add(
        Expect("GET", LOGIN, session_reply(later, "s1")),
        Expect("GET", GET_ORDER, acme_error(401)),
        Expect("GET", LOGIN, session_reply(later, "s2")),
        Expect("GET", GET_ORDER, doc("order_get_response.json")),
        Expect("GET", GET_ORDER, acme_error(401)),
        Expect("GET", LOGIN, session_reply(later, "s3")),
        Expect("GET", GET_ORDER, acme_error(401)),
    )
    assert (await acme.get_order("30263798")).id == "30263798"
    with pytest.raises(errors.AuthError):
        await acme.get_order("30263798")
    sessions = [r.headers.get("x-acme-session") for r in script.seen if r.url.path == GET_ORDER]
    assert sessions == ["s1", "s2", "s2", "s3"]


async def test_a_403_does_not_renew_the_session(script: Script, http: httpx.AsyncClient) -> None:
    clock = Clock()
    acme = make(http, session_auth(clock))
    script.add(
        Expect("GET", LOGIN, session_reply(clock.now + timedelta(hours=1))),
        Expect("GET", GET_ORDER, acme_error(403)),
    )
    with pytest.raises(errors.AuthError):
        await acme.get_order("30263798")


async def test_wrong_login_is_an_auth_error(script: Script, http: httpx.AsyncClient) -> None:
    acme = make(http, session_auth(Clock()))
    script.add(Expect("GET", LOGIN, acme_error(401)))
    with pytest.raises(errors.AuthError) as caught:
        await acme.get_order("30263798")
    assert caught.value.endpoint == "session"


async def test_secrets_stay_out_of_logs_and_reprs(script: Script, http: httpx.AsyncClient) -> None:
    auth = session_auth(Clock())
    acme = make(http, auth)
    script.add(
        Expect("GET", LOGIN, session_reply(datetime(2031, 1, 1, 1, tzinfo=UTC))),
        *[Expect("GET", GET_ORDER, acme_error(503)) for _ in range(4)],
    )
    with structlog.testing.capture_logs() as logs, pytest.raises(errors.ServerError):
        await acme.get_order("30263798")
    text = repr(logs) + repr(auth) + repr(ApiKeyAuth(KEY))
    assert logs
    for secret in ("H!pp0Lyt4", SESSION, KEY):
        assert secret not in text
