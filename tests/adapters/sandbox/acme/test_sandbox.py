"""The ACME sandbox over real HTTP, with a plain HTTP client: it must answer every documented
example exactly (tests/data/acme) and behave like the service around them: auth and tenant
refusals, pricing rules, member entitlements, paging, memberships and the catalog. Checkout and
the CORS checkout are in test_acme_sandbox_checkout.py; fixtures in conftest.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from adapters.sandbox.acme.catalog_data import (
    ADULT,
    DOCUMENTED_TOUR_INSTANCE,
    GA_PREFIX,
    JAZZ,
    TOUR_PREFIX,
    offset_id,
)
from tests.support.acme_env import KEYS, AcmeEnv, load
from tests.support.acme_env import tickets as line

CART = "643e8cbd9f0baf41144ce26b"
GA_ADULT = "64b7f0c2a1d3e5f607100001"
JAZZ_GENERAL = "64b7f0c2a1d3e5f607100011"
ORIGIN = KEYS.cors_origin


def jazz_instance(env: AcmeEnv) -> str:
    upcoming = [i for i in env.state.catalog.instances_of(JAZZ.id) if i.start > env.clock.now]
    return upcoming[0].id


def tickets(event: str, point: str = ADULT, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return line(event, point, quantity, **extra)


def without_item_ids(cart: dict[str, Any]) -> dict[str, Any]:
    return {**cart, "items": [{k: v for k, v in i.items() if k != "itemId"} for i in cart["items"]]}


async def put_cart(acme: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await acme.put(f"/v2/b2c/carts/{CART}", json={"id": CART, **body})


# -- the documented examples, exactly ---------------------------------------------------------


async def test_documented_search(acme: httpx.AsyncClient) -> None:
    response = await acme.get(
        "/v2/b2c/orders/search",
        params={"email": "janedoe@gmail.com", "sortField": "createdOn", "sortDirection": "desc"},
    )
    assert response.status_code == 200
    assert response.json() == load("orders_search_response.json")


async def test_documented_order(acme: httpx.AsyncClient) -> None:
    response = await acme.get("/v2/b2c/orders/30263798")
    assert response.json() == load("order_get_response.json")


@pytest.mark.parametrize(
    "name",
    [
        "cart_put_member_pricing",
        "cart_put_member_and_retail",
        "cart_put_coupon",
        "cart_put_all_in_one",
    ],
)
async def test_documented_cart_updates(acme: httpx.AsyncClient, name: str) -> None:
    response = await acme.put(f"/v2/b2c/carts/{CART}", json=load(f"{name}_request.json"))
    assert response.status_code == 200
    got = response.json()
    assert without_item_ids(got) == without_item_ids(load(f"{name}_response.json"))
    assert all(len(item["itemId"]) == 32 for item in got["items"])


async def test_documented_entitlements(acme: httpx.AsyncClient) -> None:
    response = await acme.post(
        "/v2/b2c/entitlements/validate", json=load("entitlements_validate_request.json")
    )
    expected = load("entitlements_validate_response.json")
    # The one deliberate difference: the document shows 0.00 for the member's checked items;
    # the sandbox shows what they cost (two member-priced Adult tickets at 24.00).
    expected["results"][0]["items"][0] |= {
        "unitPrice": "24.00",
        "retailUnitPrice": "32.00",
        "amount": "48.00",
    }
    assert response.json() == expected


# -- auth and tenant ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status", "kind"),
    [
        ({"x-b2c-tenant-id": "107"}, 401, "UNAUTHORIZED"),
        ({"x-acme-api-key": "nope", "x-b2c-tenant-id": "107"}, 401, "UNAUTHORIZED"),
        ({"x-acme-session": "made-up", "x-b2c-tenant-id": "107"}, 401, "UNAUTHORIZED"),
        ({"x-acme-pub-api-key": KEYS.acme_pub_api_key, "x-b2c-tenant-id": "107"}, 401, None),
        ({"x-acme-api-key": KEYS.acme_api_key}, 400, "TENANT_REQUIRED"),
        ({"x-acme-api-key": KEYS.acme_api_key, "x-b2c-tenant-id": "123"}, 403, "TENANT_FORBIDDEN"),
        (
            {"x-acme-api-key": "A4C5CFD307834890A6E1E09EB9E11B4D", "x-b2c-tenant-id": "107"},
            200,
            None,
        ),
    ],
    ids=[
        "no-key",
        "wrong-key",
        "unknown-session",
        "pub-key",
        "no-tenant",
        "other-tenant",
        "key-w/o-hyphens",
    ],
)
async def test_credentials_and_tenant(
    env: AcmeEnv, headers: dict[str, str], status: int, kind: str | None
) -> None:
    async with httpx.AsyncClient(base_url=env.base_url) as http:
        response = await http.get("/v2/b2c/orders/30263798", headers=headers)
    assert response.status_code == status
    if status != 200:
        body = response.json()
        assert set(body) == {"code", "message", "type"}
        assert body["code"] == status
        if kind:
            assert body["type"] == kind


async def test_session_login_and_expiry(env: AcmeEnv) -> None:
    login = {
        "x-acme-user-name": "dprince",
        "x-acme-password": "H!pp0Lyt4",
        "x-acme-tenantId": "999",
    }
    async with httpx.AsyncClient(base_url=env.base_url) as http:
        refused = await http.get(
            "/v2/b2b/customer/session", headers={**login, "x-acme-password": "wrong"}
        )
        assert refused.status_code == 401
        session = (await http.get("/v2/b2b/customer/session", headers=login)).json()
        assert session["expireMs"] > env.clock.now.timestamp() * 1000
        assert set(session) == set(load("session_response.json"))
        headers = {"x-acme-session": session["session"], "x-b2c-tenant-id": "107"}
        assert (await http.get("/v2/b2c/orders/30263798", headers=headers)).status_code == 200
        env.clock.advance(timedelta(hours=2))
        assert (await http.get("/v2/b2c/orders/30263798", headers=headers)).status_code == 401


# -- pricing rules ------------------------------------------------------------------------------


async def test_cart_level_coupon_applies_to_every_eligible_line(
    acme: httpx.AsyncClient, env: AcmeEnv
) -> None:
    jazz = jazz_instance(env)
    response = await put_cart(
        acme,
        {
            "couponCodes": ["save10"],
            "items": [
                tickets(DOCUMENTED_TOUR_INSTANCE, quantity=2),
                tickets(jazz, JAZZ_GENERAL, 2),
            ],
        },
    )
    tour_line, jazz_line = response.json()["items"]
    assert (tour_line["unitPrice"], tour_line["amount"]) == ("32.00", "64.00")
    assert (jazz_line["unitPrice"], jazz_line["amount"]) == ("40.50", "81.00")
    assert response.json()["couponCodes"] == ["save10"]

    both = await put_cart(
        acme, {"couponCodes": ["AAA5"], "items": [tickets(DOCUMENTED_TOUR_INSTANCE)] * 2}
    )
    assert [i["unitPrice"] for i in both.json()["items"]] == ["27.00", "27.00"]


async def test_retail_beats_coupon_and_coupon_beats_member(acme: httpx.AsyncClient) -> None:
    response = await put_cart(
        acme,
        {
            "membershipIds": [5970603],
            "couponCodes": ["AAA5"],
            "items": [
                tickets(DOCUMENTED_TOUR_INSTANCE, isRetail=True),
                tickets(DOCUMENTED_TOUR_INSTANCE),
                tickets(DOCUMENTED_TOUR_INSTANCE, "6130feb25d8fd13115cc3aef"),
            ],
        },
    )
    assert [i["unitPrice"] for i in response.json()["items"]] == ["32.00", "27.00", "15.00"]


async def test_add_on_lines_cost_their_fixed_price(acme: httpx.AsyncClient) -> None:
    response = await put_cart(
        acme,
        {
            "items": [
                {
                    "itemType": "Inventory",
                    "eventId": DOCUMENTED_TOUR_INSTANCE,
                    "inventoryId": "1901",
                    "quantity": 2,
                }
            ]
        },
    )
    [line] = response.json()["items"]
    assert (line["inventoryName"], line["unitPrice"], line["amount"]) == (
        "Audio Guide",
        "8.00",
        "16.00",
    )
    assert line["itemType"] == "Inventory"


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (
            {"items": [tickets(DOCUMENTED_TOUR_INSTANCE, couponCodes=["SAVE10"])]},
            "COUPON_NOT_APPLICABLE",
        ),
        ({"couponCodes": ["SUMMER21"], "items": []}, "COUPON_EXPIRED"),
        ({"couponCodes": ["FREE100"], "items": []}, "INVALID_COUPON"),
        ({"membershipIds": [1], "items": []}, "MEMBERSHIP_NOT_FOUND"),
        ({"membershipIds": [5970620], "items": []}, "MEMBERSHIP_EXPIRED"),
        ({"items": [tickets("no-such-event")]}, "EVENT_NOT_FOUND"),
        ({"items": [tickets(DOCUMENTED_TOUR_INSTANCE, "nobody")]}, "TICKETING_TYPE_NOT_FOUND"),
        ({"items": [tickets(DOCUMENTED_TOUR_INSTANCE, quantity=-1)]}, "INVALID_QUANTITY"),
        (
            {
                "items": [
                    {
                        "itemType": "Inventory",
                        "eventId": DOCUMENTED_TOUR_INSTANCE,
                        "inventoryId": 1902,
                    }
                ]
            },
            "ADD_ON_NOT_FOUND",
        ),
        ({"items": {"not": "a list"}}, "INVALID_CART"),
    ],
)
async def test_carts_refuse_what_cannot_be_priced(
    acme: httpx.AsyncClient, body: dict[str, Any], kind: str
) -> None:
    response = await put_cart(acme, body)
    assert (response.status_code, response.json()["type"]) == (400, kind)
    assert len((await acme.get(f"/v2/b2c/carts/{CART}")).json()["items"]) == 1  # unchanged


async def test_cart_lifecycle(acme: httpx.AsyncClient) -> None:
    created = await acme.post("/v2/b2c/carts", json={})
    cart_id = created.json()
    assert isinstance(cart_id, str)
    assert len(cart_id) == 24
    assert (await acme.get(f"/v2/b2c/carts/{cart_id}")).json()["items"] == []
    no_id = await acme.put(f"/v2/b2c/carts/{cart_id}", json={"items": []})
    assert (no_id.status_code, no_id.json()["type"]) == (400, "ID_MISMATCH")
    other = await acme.put(f"/v2/b2c/carts/{cart_id}", json={"id": CART, "items": []})
    assert other.status_code == 400
    assert (await acme.delete(f"/v2/b2c/carts/{cart_id}")).status_code == 204
    assert (await acme.get(f"/v2/b2c/carts/{cart_id}")).status_code == 404
    assert (await acme.delete(f"/v2/b2c/carts/{cart_id}")).status_code == 404
    assert (await acme.post("/v2/b2c/carts", content=b"{nope")).json()["type"] == "INVALID_JSON"


# -- entitlements, generally ----------------------------------------------------------------


async def validate(acme: httpx.AsyncClient, cart: dict[str, Any]) -> dict[str, Any]:
    response = await acme.post("/v2/b2c/entitlements/validate", json=cart)
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.parametrize(
    ("items", "valid"),
    [
        ([tickets(DOCUMENTED_TOUR_INSTANCE)], True),
        (
            [tickets(DOCUMENTED_TOUR_INSTANCE), tickets(DOCUMENTED_TOUR_INSTANCE, isRetail=True)],
            True,
        ),
        (
            [
                tickets(DOCUMENTED_TOUR_INSTANCE),
                tickets(DOCUMENTED_TOUR_INSTANCE, ignoreEntitlements=True),
            ],
            True,
        ),
        (
            [
                tickets(DOCUMENTED_TOUR_INSTANCE),
                tickets(DOCUMENTED_TOUR_INSTANCE, couponCodes=["AAA5"]),
            ],
            True,
        ),
        (
            [
                tickets(DOCUMENTED_TOUR_INSTANCE),
                tickets(DOCUMENTED_TOUR_INSTANCE, "6130feb25d8fd13115cc3aef"),
            ],
            False,
        ),
    ],
    ids=["one", "plus-retail", "plus-ignored", "plus-coupon", "plus-child"],
)
async def test_only_member_priced_tickets_count(
    acme: httpx.AsyncClient, items: list[dict[str, Any]], valid: bool
) -> None:
    result = await validate(acme, {"membershipIds": [5970603], "items": items})
    assert result["valid"] is valid
    assert len(result["passed"]) == (1 if valid else 0)
    assert len(result["violations"]) == (0 if valid else 1)


async def test_earlier_purchases_that_day_count(acme: httpx.AsyncClient) -> None:
    """Marcus (5970603) already bought one member ticket for the tour a week out."""
    week_out = offset_id(TOUR_PREFIX, 7)
    result = await validate(acme, {"membershipIds": [5970603], "items": [tickets(week_out)]})
    assert result["valid"] is False
    assert result["violations"][0]["purchasedQuantity"] == 1
    assert result["violations"][0]["requestedQuantity"] == 1


async def test_refunded_purchases_do_not_count(acme: httpx.AsyncClient) -> None:
    """Priya's two member tickets for the tour a week ago were refunded: her two are free again."""
    week_ago = offset_id(TOUR_PREFIX, -7)
    cart = {"membershipIds": [5970611], "items": [tickets(week_ago, quantity=2)]}
    result = await validate(acme, cart)
    assert result["valid"] is True
    assert result["passed"][0]["purchasedQuantity"] == 0


async def test_limits_follow_the_membership_level(acme: httpx.AsyncClient) -> None:
    dual = {"membershipIds": [5970611]}
    two = await validate(acme, {**dual, "items": [tickets(DOCUMENTED_TOUR_INSTANCE, quantity=2)]})
    three = await validate(acme, {**dual, "items": [tickets(DOCUMENTED_TOUR_INSTANCE, quantity=3)]})
    assert two["valid"] is True
    assert three["valid"] is False
    assert three["violations"][0]["allowedQuantity"] == 2
    assert three["messages"] == ["Rule failed:Adult_Child_Senior_Student_Youth_2"]
    # Priya already has two member GA tickets five days out; her level allows two a day.
    ga = offset_id(GA_PREFIX, 5)
    assert (await validate(acme, {**dual, "items": [tickets(ga, GA_ADULT)]}))["valid"] is False


async def test_no_membership_nothing_to_break(acme: httpx.AsyncClient) -> None:
    result = await validate(acme, {"items": [tickets(DOCUMENTED_TOUR_INSTANCE, quantity=5)]})
    assert result["valid"] is True
    assert [r["rulesApplied"][0]["id"] for r in result["results"]] == [
        "Adult_Child_Senior_Student_Youth_1",
        "Adult_Child_Senior_Student_Youth_2",
        "Adult_Senior_3",
    ]


# -- orders, paging and search ------------------------------------------------------------------


async def test_paging_over_many_orders(acme: httpx.AsyncClient) -> None:
    seen: list[str] = []
    for number, (size, more) in enumerate([(10, True), (10, True), (5, False)], start=1):
        body = (
            await acme.get(
                "/v2/b2c/orders/search",
                params={"phoneNumber": "(415) 555-0134", "page": number, "pageSize": 10},
            )
        ).json()
        assert len(body["list"]) == size
        assert body["pagination"] | {"count": 0} == {
            "page": number,
            "pageSize": 10,
            "sortDirection": "desc",
            "sortField": "createdOn",
            "count": 0,
            "hasMore": more,
        }
        assert body["pagination"]["count"] == 25
        seen += [order["id"] for order in body["list"]]
    assert len(set(seen)) == 25
    everything = await acme.get(
        "/v2/b2c/orders/search", params={"phoneNumber": "(415) 555-0134", "pageSize": -1}
    )
    assert [order["id"] for order in everything.json()["list"]] == seen
    assert all("orderItems" not in order for order in everything.json()["list"])


async def test_sorting(acme: httpx.AsyncClient) -> None:
    params: dict[str, str | int] = {
        "phoneNumber": "(415) 555-0134",
        "pageSize": -1,
        "sortField": "totalAmount",
    }
    rising = (
        await acme.get("/v2/b2c/orders/search", params={**params, "sortDirection": "asc"})
    ).json()
    amounts = [Decimal(order["totalAmount"]) for order in rising["list"]]
    assert amounts == sorted(amounts)
    assert amounts[-1] >= 100 > amounts[0]  # so a text sort ("105.00" < "25.00") would fail


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"phoneNumber": "(415) 555-0134"}, 25),
        ({"phoneNumber": "+14155550134"}, 0),
        ({"phoneNumber": "4155550134"}, 0),
        ({"phoneNumber": "415.555.0134"}, 0),
        ({"email": "alex.rivera@example.com"}, 24),
        ({"email": "Alex.Rivera@Example.com"}, 1),
        ({"email": "ALEX.RIVERA@example.com"}, 0),
        ({"email": "alex.rivera@example.com", "phoneNumber": "(415) 555-0134"}, 24),
        ({"email": "alex.rivera@example.com", "phoneNumber": "+14155550134"}, 0),
    ],
)
async def test_search_matches_exactly_as_stored(
    acme: httpx.AsyncClient, params: dict[str, str], count: int
) -> None:
    """No spelling or case is read as another: what the documents do not promise, the
    simulator does not give (a client must send the spelling the order stores)."""
    body = (await acme.get("/v2/b2c/orders/search", params={**params, "pageSize": -1})).json()
    assert body["pagination"]["count"] == len(body["list"]) == count
    for order in body["list"]:
        for name, value in params.items():
            assert order[name] == value


@pytest.mark.parametrize(
    ("email", "phone"),
    [
        ("alex.rivera@example.com", "(415) 555-0134"),
        ("priya.shah@example.com", "+16175550199"),
        ("marcus.lee@example.com", "12125550147"),
        ("sofia.garcia@example.com", "+44 20 7946 0958"),
        ("janedoe@gmail.com", "1234567890"),
    ],
)
async def test_the_seed_stores_each_fans_phone_in_its_own_spelling(
    acme: httpx.AsyncClient, email: str, phone: str
) -> None:
    body = (await acme.get("/v2/b2c/orders/search", params={"email": email})).json()
    assert {order["phoneNumber"] for order in body["list"]} == {phone}


@pytest.mark.parametrize(
    "params",
    [{}, {"email": "noah.kim@example.com"}, {"phoneNumber": "+15035550110"}],
    ids=["no-criteria", "fan-without-orders", "phone-without-orders"],
)
async def test_searches_that_find_nothing(acme: httpx.AsyncClient, params: dict[str, str]) -> None:
    body = (await acme.get("/v2/b2c/orders/search", params=params)).json()
    assert body["list"] == []
    assert body["pagination"]["hasMore"] is False


@pytest.mark.parametrize(
    "params",
    [{"pageSize": 1001}, {"pageSize": 0}, {"page": 0}, {"page": "x"}, {"sortDirection": "up"}],
)
async def test_bad_paging(acme: httpx.AsyncClient, params: dict[str, Any]) -> None:
    response = await acme.get("/v2/b2c/orders/search", params={"email": "a@b.c", **params})
    assert (response.status_code, response.json()["type"]) == (400, "INVALID_PAGING")


async def test_seeded_orders_carry_tickets(acme: httpx.AsyncClient) -> None:
    summaries = (
        await acme.get("/v2/b2c/orders/search", params={"email": "priya.shah@example.com"})
    ).json()
    assert len(summaries["list"]) == 3
    refunded = (await acme.get("/v2/b2c/orders/30270103")).json()
    assert refunded["refundAmount"] == refunded["totalAmount"] == "48.00"
    statuses = {t["ticketStatus"] for i in refunded["orderItems"] for t in i["ticketVos"]}
    assert statuses == {"Refund"}
    upcoming = (await acme.get("/v2/b2c/orders/30270101")).json()
    event_line, add_on_line = upcoming["orderItems"]
    assert [t["uuid"][:2] for t in event_line["ticketVos"]] == ["at", "at"]
    assert add_on_line["inventoryName"] == "Audio Guide"
    assert "ticketVos" not in add_on_line
    assert upcoming["phoneNumber"] == "+16175550199"
    assert upcoming["totalAmount"] == "16.00"  # member GA is free, two audio guides


async def test_orders_for_event_update_and_delete(acme: httpx.AsyncClient) -> None:
    sailing = (await acme.get("/v2/b2c/orders/event/5ff74342210cbe0c44913be2")).json()
    assert [order["id"] for order in sailing["list"]] == ["30263798"]
    updated = await acme.put(
        "/v2/b2c/orders/30270001",
        json={"id": "30270001", "notes": "wheelchair", "totalAmount": "0"},
    )
    assert updated.json()["notes"] == "wheelchair"
    assert updated.json()["totalAmount"] != "0"  # read only
    assert (await acme.put("/v2/b2c/orders/30270001", json={"id": "1"})).status_code == 400
    assert (await acme.delete("/v2/b2c/orders/30270001")).status_code == 204
    assert (await acme.get("/v2/b2c/orders/30270001")).status_code == 404


@pytest.mark.parametrize("field", ["visitorId", "tempVisitorId"])
async def test_an_update_with_an_internal_field_is_refused(
    acme: httpx.AsyncClient, field: str
) -> None:
    """acme-orders.txt: "Visitor is an internal only field - ACME - do not use"."""
    before = (await acme.get("/v2/b2c/orders/30263798")).json()
    response = await acme.put(
        "/v2/b2c/orders/30263798", json={"notes": "x", field: before.get("visitorId", "1")}
    )
    assert (response.status_code, response.json()["type"]) == (400, "INTERNAL_FIELD")
    assert (await acme.get("/v2/b2c/orders/30263798")).json() == before


async def test_resend_confirmation(acme: httpx.AsyncClient, env: AcmeEnv) -> None:
    async with httpx.AsyncClient(
        base_url=env.base_url, headers={"x-acme-api-key": KEYS.acme_api_key}
    ) as b2b:
        sent = await b2b.post(
            "/v2/b2b/orders/100148401/email", json={"email": "janedoe@gmail.com", "sendEmail": True}
        )
        missing = await b2b.post("/v2/b2b/orders/999/email", json={"email": "a@b.c"})
    assert sent.status_code == 204
    assert missing.status_code == 404
    assert env.state.emails_sent == [("100148401", "janedoe@gmail.com")]


# -- memberships and catalog ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"membershipId": "7700123456"}, "verified"),
        ({"membershipId": "7700123456", "lastName": "lee"}, "verified"),
        ({"membershipId": "7700123456", "lastName": "Doe"}, "not_found"),
        ({"membershipId": "5970603"}, "not_found"),  # the internal id is not a card number
    ],
)
async def test_membership_validate(
    acme: httpx.AsyncClient, params: dict[str, str], status: str
) -> None:
    [result] = (await acme.get("/v2/b2c/membership/validate", params=params)).json()
    assert result["status"] == status
    if status == "verified":
        assert result["memberListEntry"]["membershipId"] == 5970603


async def test_membership_exists(acme: httpx.AsyncClient) -> None:
    async def exists(email: str) -> dict[str, Any]:
        response = await acme.get("/v2/b2c/membership/exists", params={"email": email})
        body: dict[str, Any] = response.json()
        return body

    assert await exists("marcus.lee@example.com") == {"exists": True, "canRenew": False}
    assert await exists("sofia.garcia@example.com") == {"exists": True, "canRenew": True}
    assert await exists("noah.kim@example.com") == {"exists": False, "canRenew": False}


async def test_event_prices_and_times(acme: httpx.AsyncClient, env: AcmeEnv) -> None:
    path = f"/v2/b2c/events/{DOCUMENTED_TOUR_INSTANCE}"
    plain = (await acme.get(path)).json()
    member = (await acme.get(path, params={"membershipId": 5970603})).json()
    expired = (await acme.get(path, params={"membershipId": 5970620})).json()
    adult = next(p for p in member["priceList"]["prices"] if p["personType"]["id"] == ADULT)
    assert (adult["price"], adult["discountedPrice"]) == ("32.00", "24.00")
    assert plain["priceList"]["prices"][0]["discountedPrice"] == "32.00"
    assert expired["priceList"]["prices"][0]["discountedPrice"] == "32.00"
    assert [a["name"] for a in plain["addOns"]] == ["Audio Guide"]
    assert plain["available"] == plain["capacity"] == 12
    templates = (await acme.get("/v2/b2c/event/templates")).json()
    names = {t["name"] for t in templates}
    assert {"Behind-the-Scenes Tour", "Museum General Admission", "Evening Jazz Concert"} <= names
    times = (await acme.get(f"/v2/b2c/event/templates/{plain['templateId']}/times")).json()
    assert [t["id"] for t in times] == [DOCUMENTED_TOUR_INSTANCE]  # the default window: 2 days
    assert (await acme.get("/v2/b2c/events/nope")).status_code == 404
    naive = await acme.get(
        f"/v2/b2c/event/templates/{plain['templateId']}/times",
        params={"startTime": "2031-01-01T00:00:00"},
    )
    assert naive.status_code == 400
