"""The ACME sandbox's checkout over real HTTP: server checkout (orders created, 409 on a repeated
request uuid, 16003 on the same card and amount, every refusal changing nothing), the browser's
CORS checkout (origin, preflight headers, publishable key only) and injected faults."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from adapters.sandbox.acme.app import CORS_ALLOWED_HEADERS
from adapters.sandbox.acme.catalog_data import ADULT, DOCUMENTED_TOUR_INSTANCE, GA_PREFIX, offset_id
from adapters.sandbox.faults import Fault
from tests.support.acme_env import KEYS, AcmeEnv
from tests.support.acme_env import tickets as line

CART = "643e8cbd9f0baf41144ce26b"
GA_ADULT = "64b7f0c2a1d3e5f607100001"
ORIGIN = KEYS.cors_origin


def tickets(event: str, point: str = ADULT, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return line(event, point, quantity, **extra)


# -- checkout -------------------------------------------------------------------------------------


def purchase(cart: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "shoppingCart": {"saleChannel": "online", **cart},
        "email": "new.fan@example.com",
        "contactFirstName": "New",
        "contactLastName": "Fan",
        "phoneNumber": "(503) 555-0123",
        "manualEntryCardNumber": "4242 4242 4242 4242",
        "expDate": "1239",
        "cvc": "123",
        **extra,
    }


async def checkout(
    acme: httpx.AsyncClient, body: dict[str, Any], request_uuid: str | None = None
) -> httpx.Response:
    headers = {
        "x-acme-browser-ip": "203.0.113.7",
        "x-acme-request-uuid": request_uuid or str(uuid.uuid4()),
    }
    return await acme.post("/v2/b2c/checkout", json=body, headers=headers)


async def test_checkout_creates_a_real_order(acme: httpx.AsyncClient, env: AcmeEnv) -> None:
    cart_id = (
        await acme.post(
            "/v2/b2c/carts",
            json={
                "saleChannel": "online",
                "items": [
                    tickets(DOCUMENTED_TOUR_INSTANCE, quantity=2),
                    {
                        "itemType": "Inventory",
                        "eventId": DOCUMENTED_TOUR_INSTANCE,
                        "inventoryId": 1901,
                        "quantity": 1,
                    },
                ],
            },
        )
    ).json()
    body = {k: v for k, v in purchase({}).items() if k != "shoppingCart"}
    request_uuid = str(uuid.uuid4())
    response = await checkout(
        acme, {**body, "shoppingCartId": cart_id, "chargeAmount": "72.00"}, request_uuid
    )

    assert response.status_code == 200
    order = response.json()
    assert order["totalAmount"] == "72.00"
    assert order["ccLastFourDigits"] == "4242"
    assert order["phoneNumber"] == "+15035550123"
    tickets_made = [t for item in order["orderItems"] for t in item.get("ticketVos", [])]
    assert len(tickets_made) == 2
    assert all(t["uuid"].startswith("at") for t in tickets_made)
    assert (await acme.get(f"/v2/b2c/orders/{order['id']}")).json() == order
    found = (
        await acme.get("/v2/b2c/orders/search", params={"email": "new.fan@example.com"})
    ).json()
    assert [o["id"] for o in found["list"]] == [order["id"]]
    assert found["list"][0]["phoneNumber"] == "(503) 555-0123"
    assert (await acme.get(f"/v2/b2c/events/{DOCUMENTED_TOUR_INSTANCE}")).json()["available"] == 10
    assert (await acme.get(f"/v2/b2c/carts/{cart_id}")).status_code == 404  # consumed

    again = await checkout(acme, {**body, "shoppingCartId": cart_id}, request_uuid)
    assert (again.status_code, again.json()["type"]) == (409, "DUPLICATE_REQUEST")


async def test_the_checkout_notes_become_the_orders_notes(
    acme: httpx.AsyncClient, env: AcmeEnv
) -> None:
    body = purchase({"items": [tickets(DOCUMENTED_TOUR_INSTANCE)]}, notes="Usher checkout ref1")
    order = (await checkout(acme, body)).json()
    assert order["notes"] == "Usher checkout ref1"
    assert (await acme.get(f"/v2/b2c/orders/{order['id']}")).json()["notes"] == order["notes"]
    plain = (
        await checkout(acme, purchase({"items": [tickets(DOCUMENTED_TOUR_INSTANCE, quantity=2)]}))
    ).json()
    assert "notes" not in plain


async def test_same_card_and_amount_within_five_minutes(
    acme: httpx.AsyncClient, env: AcmeEnv
) -> None:
    body = purchase({"items": [tickets(DOCUMENTED_TOUR_INSTANCE)]})
    assert (await checkout(acme, body)).status_code == 200
    duplicate = await checkout(acme, body)
    assert duplicate.status_code == 400
    assert duplicate.json() == {
        "code": 16003,
        "message": "the same card was charged the same amount less than five minutes ago",
        "type": "DUPLICATE_TRANSACTION_FOUND",
    }
    other_amount = purchase({"items": [tickets(DOCUMENTED_TOUR_INSTANCE, quantity=2)]})
    assert (await checkout(acme, other_amount)).status_code == 200
    env.clock.advance(timedelta(minutes=5, seconds=1))
    assert (await checkout(acme, body)).status_code == 200


async def test_free_member_order_needs_no_card(acme: httpx.AsyncClient) -> None:
    body = purchase(
        {"membershipIds": [5970603], "items": [tickets(offset_id(GA_PREFIX, 3), GA_ADULT)]}
    )
    for key in ("manualEntryCardNumber", "expDate", "cvc"):
        del body[key]
    response = await checkout(acme, body)
    assert response.status_code == 200
    assert response.json()["totalAmount"] == "0.00"
    assert response.json()["membershipId"] == 5970603


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ({"manualEntryCardNumber": "4000000000000002"}, "PAYMENT_DECLINED"),
        ({"manualEntryCardNumber": "4242424242424241"}, "INVALID_CARD"),
        ({"expDate": "0120"}, "CARD_EXPIRED"),
        ({"expDate": "1399"}, "INVALID_CARD"),
        ({"cvc": "1"}, "INVALID_CARD"),
        ({"manualEntryCardNumber": None}, "PAYMENT_REQUIRED"),
        ({"chargeAmount": "1.00"}, "CHARGE_AMOUNT_MISMATCH"),
        ({"notes": "x" * 1001}, "INVALID_CHECKOUT"),
        ({"notes": ["not", "text"]}, "INVALID_CHECKOUT"),
        ({"email": None}, "INVALID_CHECKOUT"),
        ({"contactLastName": " "}, "INVALID_CHECKOUT"),
        ({"shoppingCartId": CART}, "INVALID_CHECKOUT"),
        ({"shoppingCart": {"items": [tickets(DOCUMENTED_TOUR_INSTANCE)]}}, "SALE_CHANNEL_REQUIRED"),
        ({"shoppingCart": {"saleChannel": "online", "items": []}}, "EMPTY_CART"),
        (
            {
                "shoppingCart": {
                    "saleChannel": "online",
                    "items": [tickets(DOCUMENTED_TOUR_INSTANCE, quantity=13)],
                }
            },
            "SOLD_OUT",
        ),
        (
            {
                "shoppingCart": {
                    "saleChannel": "online",
                    "membershipIds": [5970603],
                    "items": [tickets(DOCUMENTED_TOUR_INSTANCE, quantity=2)],
                }
            },
            "ENTITLEMENTS_NOT_MET",
        ),
    ],
)
async def test_checkout_refusals_change_nothing(
    acme: httpx.AsyncClient, env: AcmeEnv, change: dict[str, Any], kind: str
) -> None:
    before = len(env.state.orders)
    body = {**purchase({"items": [tickets(DOCUMENTED_TOUR_INSTANCE)]}), **change}
    response = await checkout(acme, {k: v for k, v in body.items() if v is not None})
    assert (response.status_code, response.json()["type"]) == (400, kind)
    assert len(env.state.orders) == before
    assert env.state.charges == []


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ({"x-acme-browser-ip": "203.0.113.7"}, "REQUEST_UUID_REQUIRED"),
        (
            {"x-acme-browser-ip": "203.0.113.7", "x-acme-request-uuid": "123"},
            "INVALID_REQUEST_UUID",
        ),
        ({"x-acme-request-uuid": str(uuid.uuid4())}, "BROWSER_IP_REQUIRED"),
        (
            {"x-acme-request-uuid": str(uuid.uuid4()), "x-acme-browser-ip": "the fan's phone"},
            "INVALID_BROWSER_IP",
        ),
        (
            {"x-acme-request-uuid": str(uuid.uuid4()), "x-acme-browser-ip": "256.1.1.1"},
            "INVALID_BROWSER_IP",
        ),
    ],
)
async def test_checkout_headers(
    acme: httpx.AsyncClient, headers: dict[str, str], kind: str
) -> None:
    body = purchase({"items": [tickets(DOCUMENTED_TOUR_INSTANCE)]})
    response = await acme.post("/v2/b2c/checkout", json=body, headers=headers)
    assert (response.status_code, response.json()["type"]) == (400, kind)


# -- the CORS checkout --------------------------------------------------------------------------

CORS_PATH = "/v2/b2c/cors/checkout"


def browser_headers(**extra: str) -> dict[str, str]:
    return {
        "origin": ORIGIN,
        "x-acme-pub-api-key": KEYS.acme_pub_api_key,
        "x-b2c-tenant-id": "107",
        "x-acme-request-uuid": str(uuid.uuid4()),
        "x-acme-captcha-token": "captcha-from-the-page",
        **extra,
    }


@pytest.fixture
async def browser(env: AcmeEnv) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=env.base_url, timeout=5) as http:
        yield http


async def test_preflight_from_the_checkout_page(browser: httpx.AsyncClient) -> None:
    response = await browser.options(
        CORS_PATH,
        headers={
            "origin": ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": ", ".join(CORS_ALLOWED_HEADERS),
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-methods"] == "POST"
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert allowed == {
        "x-acme-pub-api-key",
        "x-b2c-tenant-id",
        "x-acme-request-uuid",
        "x-acme-captcha-token",
        "content-type",
    }


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example", "access-control-request-method": "POST"},
        {
            "origin": ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "x-acme-api-key",
        },
        {
            "origin": ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "x-acme-session",
        },
        {"origin": ORIGIN, "access-control-request-method": "DELETE"},
    ],
    ids=["other-origin", "asks-for-api-key", "asks-for-session", "other-method"],
)
async def test_preflight_refusals(browser: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await browser.options(CORS_PATH, headers=headers)
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


async def test_checkout_from_the_browser(browser: httpx.AsyncClient, env: AcmeEnv) -> None:
    body = purchase({"items": [tickets(DOCUMENTED_TOUR_INSTANCE)]})
    response = await browser.post(CORS_PATH, json=body, headers=browser_headers())
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.json()["id"] in env.state.orders


@pytest.mark.parametrize(
    ("headers", "status", "kind"),
    [
        (
            browser_headers(**{"x-acme-api-key": KEYS.acme_api_key}),
            403,
            "SERVER_CREDENTIALS_IN_BROWSER",
        ),
        (browser_headers(**{"x-acme-session": "abc"}), 403, "SERVER_CREDENTIALS_IN_BROWSER"),
        (browser_headers(**{"x-acme-pub-api-key": "wrong"}), 401, "UNAUTHORIZED"),
        (browser_headers(**{"x-b2c-tenant-id": "999"}), 403, "TENANT_FORBIDDEN"),
        (browser_headers(**{"x-acme-captcha-token": ""}), 400, "CAPTCHA_REQUIRED"),
        (browser_headers(**{"x-acme-request-uuid": ""}), 400, "REQUEST_UUID_REQUIRED"),
    ],
    ids=[
        "api-key",
        "session",
        "wrong-pub-key",
        "other-tenant",
        "no-captcha",
        "no-uuid",
    ],
)
async def test_browser_checkout_refusals(
    browser: httpx.AsyncClient, env: AcmeEnv, headers: dict[str, str], status: int, kind: str
) -> None:
    body = purchase({"items": [tickets(DOCUMENTED_TOUR_INSTANCE)]})
    response = await browser.post(CORS_PATH, json=body, headers=headers)
    assert (response.status_code, response.json()["type"]) == (status, kind)
    # The page may read the refusal (its origin is allowed), but nothing was bought.
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert env.state.checkouts == {}


@pytest.mark.parametrize("origin", ["https://evil.example", None])
async def test_browser_checkout_from_elsewhere(
    browser: httpx.AsyncClient, origin: str | None
) -> None:
    headers = browser_headers()
    if origin is None:
        del headers["origin"]
    else:
        headers["origin"] = origin
    body = purchase({"items": [tickets(DOCUMENTED_TOUR_INSTANCE)]})
    response = await browser.post(CORS_PATH, json=body, headers=headers)
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


# -- faults and errors --------------------------------------------------------------------------


async def test_injected_faults_and_unknown_paths(acme: httpx.AsyncClient, env: AcmeEnv) -> None:
    rule = {"path_prefix": "/v2/b2c/orders", "status": 503, "times": 1}
    assert (await acme.post("/__sandbox__/faults", json=rule)).status_code == 201
    failed = await acme.get("/v2/b2c/orders/30263798")
    assert failed.status_code == 503
    assert set(failed.json()) == {"code", "message", "type"}
    assert (await acme.get("/v2/b2c/orders/30263798")).status_code == 200
    unknown = await acme.get("/v2/b2c/nothing-here")
    assert (unknown.status_code, set(unknown.json())) == (404, {"code", "message", "type"})
    env.faults.add(Fault(path_prefix="/v2/b2c/carts", retry_after=3, status=429))
    limited = await acme.get(f"/v2/b2c/carts/{CART}")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
