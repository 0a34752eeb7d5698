"""The Ticketmaster sandbox's own rules, in-process: auth, holds, payments, limits, polling,
per-ticket secure render errors. (The client against it over real HTTP: test_tm_integration.)"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.sandbox.config import DEFAULT_TM_API_KEY, SandboxKeys
from adapters.sandbox.faults import CONTROL_PATH, Faults
from adapters.sandbox.ticketmaster import seed as tm_seed
from adapters.sandbox.ticketmaster.app import create_tm_sandbox
from adapters.sandbox.ticketmaster.seed import (
    DELAYED_EVENT_ID,
    DEMO_ACCOUNT_ID,
    DOC_EVENT_ID,
    SAFETIX_EVENT_ID,
    SAFETIX_ORDER_TOKEN,
    build_events,
    build_orders,
)
from bot.ticketmaster.cart_models import CartResponse

DATA = Path(__file__).parents[3] / "data" / "tm"
KEY = {"apikey": DEFAULT_TM_API_KEY}
EVENT = f"/partners/v1/events/{SAFETIX_EVENT_ID}"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def tm(clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_tm_sandbox(SandboxKeys(), Faults(), clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tm.sandbox") as client:
        yield client


def error_code(response: httpx.Response) -> int:
    code: int = response.json()["error"]["code"]
    return code


async def reserve(tm: httpx.AsyncClient, quantity: int = 1, **extra: Any) -> httpx.Response:
    body = {"tickets": [{"id": "000000000001", "quantity": quantity, **extra}]}
    return await tm.post(f"{EVENT}/cart", params=KEY, json=body)


def payment(cart_id: str, **card: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((DATA / "cart_payment_request.json").read_text())
    body["cartId"] = cart_id
    body["payment"]["card"].update(card)
    return body


@pytest.mark.parametrize(
    ("params", "headers", "status"),
    [
        ({}, {}, 401),
        ({"apikey": "wrong"}, {}, 401),
        ({}, {"x-api-key": "wrong"}, 401),
        (KEY, {}, 200),
        ({}, {"x-api-key": DEFAULT_TM_API_KEY}, 200),
    ],
)
async def test_api_key_in_query_or_header(
    tm: httpx.AsyncClient, params: dict[str, str], headers: dict[str, str], status: int
) -> None:
    response = await tm.get(f"{EVENT}/availability", params=params, headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.json()["error"]["http_code"] == 401


async def test_one_standard_ticket_costs_what_the_documented_cart_does(
    tm: httpx.AsyncClient,
) -> None:
    response = await reserve(tm)
    cart = CartResponse.model_validate_json(response.content)
    documented = CartResponse.model_validate_json((DATA / "cart_response.json").read_bytes())
    assert cart.cart.items[0].totals == documented.cart.items[0].totals
    assert cart.cart.totals.grand == documented.cart.totals.grand == Decimal("101.66")
    assert [item.type for item in cart.cart.items] == ["ticket", "processing", "delivery"]
    assert [item.id for item in cart.cart.items] == [1, 2, 4]


async def test_hold_expires_by_the_clock_and_frees_the_seats(
    tm: httpx.AsyncClient, clock: Clock
) -> None:
    available = (await tm.get(f"{EVENT}/availability", params=KEY)).json()["event"]["tickets"][0]
    cart = (await reserve(tm, 2)).json()
    clock.now += 301
    paid = await tm.put(f"{EVENT}/cart/payment", params=KEY, json=payment(cart["cart_id"]))
    assert (paid.status_code, error_code(paid)) == (400, 90003)
    again = (await tm.get(f"{EVENT}/availability", params=KEY)).json()["event"]["tickets"][0]
    assert again["available"] == available["available"]


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ({"number": "fake-processor-declined-visa-nonce"}, 20122),
        ({"cin": "12"}, 20152),
        ({"cin": "abc"}, 20152),
    ],
)
async def test_payment_refusals(tm: httpx.AsyncClient, card: dict[str, str], code: int) -> None:
    cart = (await reserve(tm)).json()
    response = await tm.put(
        f"{EVENT}/cart/payment", params=KEY, json=payment(cart["cart_id"], **card)
    )
    assert (response.status_code, error_code(response)) == (400, code)


async def test_payment_needs_the_third_party_account_id(tm: httpx.AsyncClient) -> None:
    cart = (await reserve(tm)).json()
    body = payment(cart["cart_id"])
    del body["payment"]["third_party_account_id"]
    response = await tm.put(f"{EVENT}/cart/payment", params=KEY, json=body)
    assert error_code(response) == 10002
    assert "third_party_account_id" in response.json()["error"]["message"]


async def test_commit_needs_a_payment(tm: httpx.AsyncClient) -> None:
    cart = (await reserve(tm)).json()
    response = await tm.put(f"{EVENT}/cart", params=KEY, json={"cart_id": cart["cart_id"]})
    assert error_code(response) == 20122


async def test_ticket_limit_and_sold_out(tm: httpx.AsyncClient) -> None:
    assert error_code(await reserve(tm, 9)) == 10161
    assert error_code(await reserve(tm, 1, price={"id": "9"})) == 20052
    statuses = [(await reserve(tm, 8)).status_code for _ in range(10)]
    # 4 rows of 20 seats, 2 seeded tickets sold: 8 seats fit twice per row, and no more.
    assert statuses == [200] * 8 + [400] * 2


@pytest.mark.parametrize(
    "content",
    [b"not json", b"[]", b'{"tickets": []}', b'{"tickets": [{"id": "000000000001"}]}'],
)
async def test_bad_reserve_bodies(tm: httpx.AsyncClient, content: bytes) -> None:
    response = await tm.post(f"{EVENT}/cart", params=KEY, content=content)
    assert (response.status_code, error_code(response)) == (400, 10002)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"device_type": "tablet"}, "device_type"),
        ({"device_os": "beos"}, "device_os"),
        ({"device_id": ""}, "device_id"),
        ({"device_id": "x" * 51}, "device_id"),
        ({"third_party_account_id": None}, "third_party_account_id"),
    ],
)
async def test_order_management_validates_the_body(
    tm: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    body = {
        "device_id": "1",
        "device_type": "NATIVE",
        "device_os": "IOS",
        "third_party_account_id": DEMO_ACCOUNT_ID,
        **change,
    }
    params = {**KEY, "order_token": SAFETIX_ORDER_TOKEN}
    response = await tm.post("/partners/v1/orders", params=params, json=body)
    assert (response.status_code, error_code(response)) == (400, 10002)
    assert field in response.json()["error"]["message"]


async def test_polling_urls_are_absolute_and_keep_the_prefix(tm: httpx.AsyncClient) -> None:
    body = {
        "device_id": "1",
        "device_type": "web",
        "device_os": "other",
        "third_party_account_id": DEMO_ACCOUNT_ID,
    }
    forced = {"X-TM-FORCE-POLLING": "true"}
    params = {"order_token": SAFETIX_ORDER_TOKEN}
    answer = await tm.post(
        "/partners-preprod/v1/orders",
        params=params,
        json=body,
        headers={**forced, "x-api-key": DEFAULT_TM_API_KEY},
    )
    assert answer.status_code == 202
    job = answer.json()
    url = httpx.URL(job["polling_url"])
    assert url.host == "tm.sandbox"
    assert url.path.startswith("/partners-preprod/v1/polling/")
    assert "apikey" not in url.params  # the key came in a header, so the URL does not carry it
    assert job["wait"] == 1
    assert (await tm.get(url)).status_code == 401
    done = await tm.get(url, headers={"x-api-key": DEFAULT_TM_API_KEY})
    assert done.status_code == 200
    assert done.json()["third_party_account_id"] == DEMO_ACCOUNT_ID
    gone = await tm.get(url, headers={"x-api-key": DEFAULT_TM_API_KEY})
    assert gone.status_code == 404


async def test_secure_render_per_ticket_errors(tm: httpx.AsyncClient) -> None:
    tickets = [
        {"eventId": SAFETIX_EVENT_ID, "section": "101", "row": "C", "seat": "7", "barcode": "0"},
        {
            "eventId": SAFETIX_EVENT_ID,
            "section": "101",
            "row": "C",
            "seat": "9",
            "barcode": "7001000100010001",
        },
        {
            "eventId": DELAYED_EVENT_ID,
            "section": "101",
            "row": "B",
            "seat": "11",
            "barcode": "9001000100010001",
        },
        {"eventId": DOC_EVENT_ID, "section": "BALC2", "seat": "104", "barcode": "1212121212121212"},
        "not an object",
    ]
    body = {"deviceId": "d", "deviceType": "WEB", "deviceOs": "OTHER", "tickets": tickets}
    response = await tm.post(
        "/marketplace/v1/securerender",
        params=KEY,
        headers={"x-user-id": DEMO_ACCOUNT_ID},
        json=body,
    )
    assert response.status_code == 400
    errors_ = [ticket["error"] for ticket in response.json()["tickets"]]
    assert errors_ == [
        {"code": 404, "error": "ticket.not.found"},
        {"code": 404, "error": "ticket.not.found"},
        {"code": 403, "error": "delivery.delayed"},
        {"code": 400, "error": "missing.row.attribute"},
        {"code": 400, "error": "missing.eventId.attribute"},
    ]
    assert "row" not in response.json()["tickets"][3]


def test_seed_marks_sold_seats_taken() -> None:
    now = dt.datetime.now(dt.UTC)
    events = build_events(now)
    orders = build_orders(events, now)
    for order in orders.values():
        for ticket in order.tickets:
            assert (ticket.section, ticket.row, int(ticket.seat)) in order.event.taken
    assert all(event.starts_at > now for event in events.values() if event.code != "USHER00")


async def test_faults_answer_in_the_ticketmaster_shape(tm: httpx.AsyncClient) -> None:
    rule = {"path_prefix": "/partners/v1/events/", "status": 503, "times": 1}
    assert (await tm.post(CONTROL_PATH, json=rule)).status_code == 201
    response = await tm.get(f"{EVENT}/availability", params=KEY)
    assert response.status_code == 503
    assert response.json() == {
        "error": {
            "message": "Ticketing system unavailable",
            "code": 20001,
            "http_code": 503,
            "severity": "ERROR",
        }
    }
    assert (await tm.get(f"{EVENT}/availability", params=KEY)).status_code == 200


def test_the_seed_table_in_the_docs_is_true() -> None:
    now = dt.datetime.now(dt.UTC)
    orders = build_orders(build_events(now), now)
    table = tm_seed.__doc__ or ""
    assert len(orders) == 8
    for token, order in orders.items():
        row = next(line for line in table.splitlines() if line.startswith(f"| {token} |"))
        barcodes = ", ".join(ticket.barcode for ticket in order.tickets)
        expected = [order.order_number, order.event.id, order.account, barcodes]
        assert [cell.strip() for cell in row.split("|")[2:6]] == expected


async def test_unpolled_jobs_expire(tm: httpx.AsyncClient, clock: Clock) -> None:
    forced = {"X-TM-FORCE-POLLING": "true"}
    first = await tm.delete(f"{EVENT}/cart", params={**KEY, "cart_id": "x"}, headers=forced)
    assert first.status_code == 202
    clock.now += 601
    await tm.delete(f"{EVENT}/cart", params={**KEY, "cart_id": "y"}, headers=forced)
    gone = await tm.get(first.json()["polling_url"])
    assert gone.status_code == 404
