"""AcmeClient against the ACME sandbox over real HTTP on loopback: the client the bot uses and the
simulator ``usher sandbox`` serves, through every documented scenario with the documented prices,
paging, sessions, checkout and injected faults."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from adapters.acme.auth import AcmeAuth
from adapters.acme.client import AcmeClient, ApiKeyAuth, SessionAuth
from adapters.sandbox.acme.catalog_data import (
    ADULT,
    DOCUMENTED_TOUR_INSTANCE,
    GA_PREFIX,
    TOUR,
    offset_id,
)
from adapters.sandbox.faults import Fault
from adapters.upstream import RetryPolicy
from adapters.upstream_http import upstream_client
from bot import errors
from bot.acme.cart_models import ONLINE, Cart, CartItem, CheckoutRequest
from bot.acme.models import Order, OrderPage
from tests.support.acme_env import KEYS, AcmeEnv, AppSlot, fresh_sandbox, load
from tests.support.servers import serve_asgi

CART = "643e8cbd9f0baf41144ce26b"
IP = "203.0.113.7"


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[AppSlot, str]]:
    slot = AppSlot()
    with serve_asgi(slot) as base_url:
        yield slot, base_url


@pytest.fixture
def env(server: tuple[AppSlot, str]) -> AcmeEnv:
    return fresh_sandbox(*server)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with upstream_client(timeout=2) as client:
        yield client


def client(
    env: AcmeEnv,
    http: httpx.AsyncClient,
    auth: AcmeAuth | None = None,
    tenant_id: int = KEYS.acme_tenant_id,
    **options: Any,
) -> AcmeClient:
    return AcmeClient(
        http,
        base_url=env.base_url,
        tenant_id=tenant_id,
        auth=auth or ApiKeyAuth(KEYS.acme_api_key),
        **options,
    )


@pytest.fixture
def acme(env: AcmeEnv, http: httpx.AsyncClient) -> AcmeClient:
    return client(env, http)


def buyer(**fields: Any) -> CheckoutRequest:
    return CheckoutRequest(
        email="new.fan@example.com",
        contact_first_name="New",
        contact_last_name="Fan",
        phone_number="503-555-0123",
        manual_entry_card_number="4242424242424242",
        exp_date="1239",
        cvc="123",
        **fields,
    )


# -- the documented scenarios ---------------------------------------------------------------------


async def test_documented_orders(acme: AcmeClient) -> None:
    page = await acme.search_orders(
        email="janedoe@gmail.com", sort_field="createdOn", sort_direction="desc"
    )
    assert page == OrderPage.model_validate(load("orders_search_response.json"))
    order = await acme.get_order(page.orders[0].id)
    assert order == Order.model_validate(load("order_get_response.json"))
    assert order.total_amount == Decimal("255.00")
    assert order.phone_e164 == page.orders[0].phone_e164 == "+11234567890"
    by_event = await acme.orders_for_event("5ff74342210cbe0c44913be2")
    assert [o.id for o in by_event.orders] == ["30263798"]


async def test_documented_cart_prices(acme: AcmeClient) -> None:
    cart = Cart(
        membership_ids=[5970603],
        items=[
            CartItem.tickets(DOCUMENTED_TOUR_INSTANCE, ADULT, 1),
            CartItem.tickets(DOCUMENTED_TOUR_INSTANCE, ADULT, 1, is_retail=True),
            CartItem.tickets(DOCUMENTED_TOUR_INSTANCE, ADULT, 1, coupon_codes=["AAA5"]),
        ],
    )
    repriced = await acme.update_cart(CART, cart)
    assert [(i.unit_price, i.retail_unit_price) for i in repriced.items] == [
        (Decimal("24.00"), Decimal("32.00")),
        (Decimal("32.00"), Decimal("32.00")),
        (Decimal("27.00"), Decimal("32.00")),
    ]
    assert repriced.total == Decimal("83.00")
    assert {i.event_name for i in repriced.items} == {"Behind-the-Scenes Tour"}
    assert (await acme.get_cart(CART)) == repriced


async def test_documented_entitlements(acme: AcmeClient) -> None:
    result = await acme.validate_entitlements(CART)
    assert result.valid is False
    [violation] = result.violations
    assert (violation.allowed_quantity, violation.requested_quantity) == (1, 2)
    assert violation.price_points == ["Adult", "Child", "Senior", "Student", "Youth"]
    one = Cart(
        membership_ids=[5970603], items=[CartItem.tickets(DOCUMENTED_TOUR_INSTANCE, ADULT, 1)]
    )
    assert (await acme.validate_entitlements(one)).valid is True


async def test_membership_card_to_member_prices(acme: AcmeClient) -> None:
    [result] = await acme.validate_membership("7700123456", last_name="Lee")
    assert result.verified
    assert result.member_list_entry is not None
    membership_id = result.member_list_entry.membership_id
    assert membership_id == 5970603
    event = await acme.get_event(DOCUMENTED_TOUR_INSTANCE, membership_id=membership_id)
    adult = event.price_for(ADULT)
    assert adult is not None
    assert (adult.price, adult.discounted_price) == (Decimal("32.00"), Decimal("24.00"))
    [missing] = await acme.validate_membership("0000000000")
    assert not missing.verified
    assert (await acme.membership_exists("noah.kim@example.com")).exists is False


async def test_catalog(acme: AcmeClient, env: AcmeEnv) -> None:
    templates = await acme.list_event_templates()
    assert TOUR.id in {t.id for t in templates}
    template = await acme.get_event_template(TOUR.id)
    assert [a.name for a in template.add_ons] == ["Audio Guide"]
    times = await acme.event_times(TOUR.id)
    assert [t.id for t in times] == [DOCUMENTED_TOUR_INSTANCE]
    later = await acme.event_times(
        TOUR.id, start_time=env.clock.now, end_time=env.clock.now + timedelta(days=8)
    )
    assert [t.id for t in later] == [
        DOCUMENTED_TOUR_INSTANCE,
        offset_id("61f99cfb62bd1f467c", 3),
        offset_id("61f99cfb62bd1f467c", 7),
    ]
    assert all(t.available_seats == 12 for t in later[:2])


# -- paging and search --------------------------------------------------------------------------


async def test_iter_orders_walks_all_pages(env: AcmeEnv, http: httpx.AsyncClient) -> None:
    requests: list[httpx.Request] = []

    async def count(request: httpx.Request) -> None:
        requests.append(request)

    http.event_hooks["request"].append(count)
    acme = client(env, http)
    orders = [order async for order in acme.iter_orders(phone="(415) 555-0134", page_size=10)]
    assert len(orders) == len({o.id for o in orders}) == 25
    assert [r.url.params["page"] for r in requests] == ["1", "2", "3"]
    created = [o.created_on.timestamp() for o in orders if o.created_on is not None]
    assert created == sorted(created, reverse=True)
    assert len(created) == 25


async def test_a_phone_is_found_only_in_the_spelling_the_order_stores(acme: AcmeClient) -> None:
    assert [o async for o in acme.iter_orders(phone="+14155550134")] == []
    found = [o async for o in acme.iter_orders(phone="(415) 555-0134", page_size=1000)]
    assert len(found) == 25
    assert {order.phone_number for order in found} == {"(415) 555-0134"}
    assert all(order.has_phone("+14155550134") for order in found)


async def test_fan_without_orders(acme: AcmeClient) -> None:
    assert [o async for o in acme.iter_orders(email="noah.kim@example.com")] == []


async def test_update_resend_and_delete(acme: AcmeClient, env: AcmeEnv) -> None:
    order = await acme.get_order("30270201")
    order.notes = "Aisle seat please"
    updated = await acme.update_order(order.id, order)
    assert updated.notes == "Aisle seat please"
    assert updated.order_items == order.order_items
    await acme.resend_confirmation(order.order_number or "", "marcus.lee@example.com")
    assert env.state.emails_sent == [("100150201", "marcus.lee@example.com")]
    assert await acme.delete_order(order.id) is True
    assert await acme.delete_order(order.id) is False
    with pytest.raises(errors.NotFound):
        await acme.get_order(order.id)


# -- checkout -------------------------------------------------------------------------------------


async def test_buy_with_a_cart_then_find_the_order(acme: AcmeClient) -> None:
    cart = Cart(
        sale_channel=ONLINE,
        membership_ids=[5970603],
        items=[
            CartItem.tickets(DOCUMENTED_TOUR_INSTANCE, ADULT, 1),
            CartItem.add_on(DOCUMENTED_TOUR_INSTANCE, "1901", 1),
        ],
    )
    cart_id = await acme.create_cart(cart, browser_ip=IP)
    priced = await acme.get_cart(cart_id)
    assert priced.total == Decimal("32.00")  # 24.00 member ticket + 8.00 audio guide
    request_uuid = str(uuid.uuid4())

    order = await acme.checkout(
        buyer(shopping_cart_id=cart_id, charge_amount=priced.total),
        request_uuid=request_uuid,
        browser_ip=IP,
    )

    assert order.total_amount == Decimal("32.00")
    assert order.membership_id == 5970603
    assert [t.uuid[:2] for _, t in order.tickets] == ["at"]
    assert [o.id async for o in acme.iter_orders(email="new.fan@example.com")] == [order.id]
    assert (await acme.get_order(order.id)).tickets == order.tickets
    with pytest.raises(errors.DuplicateRequest):
        await acme.checkout(
            buyer(shopping_cart_id=cart_id), request_uuid=request_uuid, browser_ip=IP
        )


async def test_checkout_survives_a_503_with_one_order(acme: AcmeClient, env: AcmeEnv) -> None:
    rule = env.faults.add(Fault(path_prefix="/v2/b2c/checkout", status=503, times=1))
    inline = Cart(sale_channel=ONLINE, items=[CartItem.tickets(DOCUMENTED_TOUR_INSTANCE, ADULT, 2)])
    order = await acme.checkout(
        buyer(shopping_cart=inline), request_uuid=str(uuid.uuid4()), browser_ip=IP
    )
    assert rule.hits == 1
    assert order.total_amount == Decimal("64.00")
    assert len(env.state.checkouts) == 1


async def test_same_card_same_amount_is_refused(acme: AcmeClient) -> None:
    inline = Cart(sale_channel=ONLINE, items=[CartItem.tickets(DOCUMENTED_TOUR_INSTANCE, ADULT, 1)])
    await acme.checkout(buyer(shopping_cart=inline), request_uuid=str(uuid.uuid4()), browser_ip=IP)
    with pytest.raises(errors.BadRequest) as caught:
        await acme.checkout(
            buyer(shopping_cart=inline), request_uuid=str(uuid.uuid4()), browser_ip=IP
        )
    assert caught.value.code == "16003"


async def test_free_member_tickets(acme: AcmeClient) -> None:
    ga = offset_id(GA_PREFIX, 3)
    inline = Cart(
        sale_channel=ONLINE,
        membership_ids=[4600100],
        items=[CartItem.tickets(ga, "64b7f0c2a1d3e5f607100001", 1)],
    )
    request = CheckoutRequest(
        shopping_cart=inline,
        email="janedoe@gmail.com",
        contact_first_name="Jane",
        contact_last_name="Doe",
    )
    order = await acme.checkout(request, request_uuid=str(uuid.uuid4()), browser_ip=IP)
    assert order.total_amount == Decimal("0.00")
    assert order.cc_last_four_digits is None


# -- auth -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth", "tenant"),
    [(ApiKeyAuth("wrong"), KEYS.acme_tenant_id), (None, 123)],
    ids=["wrong-key", "other-tenant"],
)
async def test_refused_credentials(
    env: AcmeEnv, http: httpx.AsyncClient, auth: AcmeAuth | None, tenant: int
) -> None:
    with pytest.raises(errors.AuthError):
        await client(env, http, auth, tenant).get_order("30263798")


async def test_session_auth_renews_after_the_server_expires_it(
    env: AcmeEnv, http: httpx.AsyncClient
) -> None:
    auth = SessionAuth(KEYS.acme_username, KEYS.acme_password, KEYS.acme_user_tenant)
    acme = client(env, http, auth)
    assert (await acme.get_order("30263798")).id == "30263798"
    assert len(env.state.sessions) == 1
    env.clock.advance(timedelta(hours=2))  # the server's clock: our cached session is now stale
    assert (await acme.get_order("30263798")).id == "30263798"
    assert len(env.state.sessions) == 2
    wrong = SessionAuth(KEYS.acme_username, "not-it", KEYS.acme_user_tenant)
    with pytest.raises(errors.AuthError):
        await client(env, http, wrong).get_order("30263798")


# -- faults ---------------------------------------------------------------------------------------


async def test_429_then_success(acme: AcmeClient, env: AcmeEnv) -> None:
    plain = env.faults.add(Fault(path_prefix="/v2/b2c/orders", status=429, times=1))
    assert (await acme.get_order("30263798")).id == "30263798"
    waited = env.faults.add(
        Fault(path_prefix="/v2/b2c/orders", status=429, retry_after=0.01, times=2)
    )
    assert (await acme.get_order("30263798")).id == "30263798"
    assert (plain.hits, waited.hits) == (1, 2)


async def test_rate_limit_that_outlasts_the_budget(acme: AcmeClient, env: AcmeEnv) -> None:
    env.faults.add(Fault(path_prefix="/v2/b2c/orders", status=429, retry_after=120))
    with pytest.raises(errors.RateLimited) as caught:
        await acme.get_order("30263798")
    assert caught.value.retry_after == 120


async def test_hang_times_out_then_recovers(env: AcmeEnv) -> None:
    async with upstream_client(timeout=0.2) as impatient:
        acme = client(env, impatient, policy=RetryPolicy(attempts=2, budget_seconds=2))
        stuck = env.faults.add(Fault(path_prefix="/v2/b2c/orders", hang=True, times=2))
        with pytest.raises(errors.UpstreamTimeout):
            await acme.get_order("30263798")
        assert stuck.hits == 2
        assert (await acme.get_order("30263798")).id == "30263798"


async def test_garbage_is_malformed(acme: AcmeClient, env: AcmeEnv) -> None:
    env.faults.add(Fault(path_prefix="/v2/b2c/carts", garbage=True, times=1))
    with pytest.raises(errors.MalformedResponse):
        await acme.get_cart(CART)


async def test_create_cart_not_repeated_after_a_5xx(acme: AcmeClient, env: AcmeEnv) -> None:
    rule = env.faults.add(Fault(path_prefix="/v2/b2c/carts", method="POST", status=500))
    with pytest.raises(errors.ServerError):
        await acme.create_cart()
    assert rule.hits == 1
