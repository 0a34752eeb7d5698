"""The hosted checkout page in a real headless Chromium, paying through the ACME sandbox's CORS
checkout over real HTTP (mounted under USHER_PUBLIC_URL/sandbox, as in sandbox mode)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as redis_asyncio
from itsdangerous import TimestampSigner
from playwright.async_api import Browser, Page, Request, Route

from adapters.sandbox.acme.state import AcmeSandboxState
from adapters.sandbox.app import Sandbox
from adapters.sandbox.config import SandboxKeys
from adapters.store.store import Store
from bot.app.bootstrap import Usher, build
from bot.app.settings import load_settings
from bot.app.web import create_app
from bot.buying.checkout import CHECKOUT_LINK_MAX_AGE
from bot.messages import Fan
from tests.conftest import TEST_REDIS_URL
from tests.support.chat import Chat, Outbox
from tests.support.servers import free_port, serve_in_loop
from tests.support.shop import ADULT, TOUR, RecordingSender, chat_with_link
from tests.support.ticket_page import BROWSER

pytestmark = pytest.mark.browser

CORS_HEADERS = {
    "x-acme-pub-api-key",
    "x-b2c-tenant-id",
    "x-acme-request-uuid",
    "x-acme-captcha-token",
}
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000000000000002"


class Site:
    """Usher served on loopback, with what the tests look at."""

    def __init__(self, usher: Usher, base: str) -> None:
        self.usher = usher
        self.base = base
        self.sender = RecordingSender()
        usher.messenger.add("console", self.sender)

    @property
    def acme(self) -> AcmeSandboxState:
        assert self.usher.sandbox is not None
        state: AcmeSandboxState = self.usher.sandbox.acme.state.acme
        return state

    @property
    def api_key(self) -> str:
        assert self.usher.sandbox is not None
        return self.usher.sandbox.keys.acme_api_key

    async def pay_url(self, user: str, quantity: int = 2) -> str:
        chat = await chat_with_link(self.usher, user, quantity=quantity)
        await chat.press("cart:pay")
        [url] = chat.urls
        assert url.startswith(f"{self.base}/checkout/")
        return url


@pytest.fixture
async def site(
    real_redis: redis_asyncio.Redis, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Site]:
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)
    port = free_port()
    monkeypatch.setenv("USHER_PUBLIC_URL", f"http://127.0.0.1:{port}")
    store = Store(redis_asyncio.Redis.from_url(TEST_REDIS_URL), prefix="usher-test:")
    usher = build(load_settings(), mailer=Outbox(), store=store)
    async with serve_in_loop(create_app(usher), port=port) as base:
        yield Site(usher, base)


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context()
    try:
        yield await context.new_page()
    finally:
        await context.close()


def recorded(page: Page) -> list[Request]:
    """Every request the page makes from now on."""
    requests: list[Request] = []

    def keep(request: Request) -> None:
        requests.append(request)

    page.on("request", keep)
    return requests


def checkouts(requests: list[Request]) -> list[Request]:
    return [r for r in requests if r.url.endswith("/v2/b2c/cors/checkout") and r.method == "POST"]


async def fill(page: Page, card: str = GOOD_CARD) -> None:
    await page.fill("#email", "new.buyer@example.com")
    await page.fill("#first-name", "New")
    await page.fill("#last-name", "Buyer")
    await page.fill("#card-number", card)
    await page.fill("#card-expiry", "12/39")
    await page.fill("#card-cvc", "123")


async def order_number(page: Page) -> str:
    element = await page.wait_for_selector("#order-number", timeout=10_000)
    assert element is not None
    text = await element.text_content() or ""
    return text.split("#", 1)[1].rstrip(".")


def new_orders(site: Site, before: set[str]) -> list[dict[str, Any]]:
    return [r.detail for oid, r in site.acme.orders.items() if oid not in before]


async def test_the_page_pays_acme_directly_and_the_fan_is_told_once(site: Site, page: Page) -> None:
    url = await site.pay_url("p1")
    before = set(site.acme.orders)
    requests = recorded(page)
    response = await page.goto(url)
    assert response is not None
    assert response.status == 200
    source = await response.text()
    assert "Adult × 2" in source
    assert "$64.00" in source
    csp = response.headers["content-security-policy"]
    assert f"connect-src 'self' {site.base};" in csp
    assert "form-action 'none'" in csp

    await fill(page)
    await page.click("#pay")
    number = await order_number(page)

    [made] = new_orders(site, before)
    assert made["orderNumber"] == number
    assert made["totalAmount"] == "64.00"
    [checkout] = checkouts(requests)
    headers = await checkout.all_headers()
    assert {name for name in headers if name.startswith("x-")} == CORS_HEADERS
    assert headers["content-type"] == "application/json"
    assert headers["x-acme-pub-api-key"] == site.usher.sandbox.keys.acme_pub_api_key  # type: ignore[union-attr]
    assert headers["x-b2c-tenant-id"] == "107"
    uuid.UUID(headers["x-acme-request-uuid"])
    assert checkout.url == f"{site.base}/sandbox/v2/b2c/cors/checkout"
    for request in requests:
        sent = await request.all_headers()
        assert "x-acme-api-key" not in sent
        assert "x-acme-session" not in sent
        assert site.api_key not in str(sent) + (request.post_data or "")
    assert site.api_key not in source
    assert "x-acme-api-key" not in source

    [(chat_id, [message])] = site.sender.sent
    assert chat_id == "p1"
    assert f"#{number}" in message.text
    assert "the address on the order" in message.text  # a code to it opens the tickets
    assert "Head back to your chat" in (await page.content())
    await page.reload()
    assert f"order #{number}" in await page.content()  # paid: no second form
    assert len(site.sender.sent) == 1


async def test_a_resubmit_after_a_lost_answer_gets_the_same_order(site: Site, page: Page) -> None:
    url = await site.pay_url("p2")
    before = set(site.acme.orders)
    requests = recorded(page)
    lost = {"count": 0}

    async def lose_the_first_answer(route: Route) -> None:
        if route.request.method == "POST" and lost["count"] == 0:
            lost["count"] += 1
            await route.fetch()  # ACME takes the payment...
            await route.fulfill(status=502, body="bad gateway")  # ...the answer is lost
            return
        await route.continue_()

    await page.route("**/v2/b2c/cors/checkout", lose_the_first_answer)
    await page.goto(url)
    await fill(page)
    await page.click("#pay")
    await page.wait_for_selector("#error:not([hidden])")
    assert "didn't go through" in (await page.text_content("#error") or "")
    assert len(new_orders(site, before)) == 1  # it did, in fact

    await page.click("#pay")  # the fan tries again: same attempt, ACME answers 409
    number = await order_number(page)
    [made] = new_orders(site, before)
    assert made["orderNumber"] == number
    uuids = {(await r.all_headers())["x-acme-request-uuid"] for r in checkouts(requests)}
    assert len(checkouts(requests)) == 2
    assert len(uuids) == 1
    assert len(site.sender.sent) == 1


async def test_a_double_click_pays_once(site: Site, page: Page) -> None:
    url = await site.pay_url("p3")
    before = set(site.acme.orders)
    requests = recorded(page)
    await page.goto(url)
    await fill(page)
    await page.dblclick("#pay")
    await order_number(page)
    assert len(checkouts(requests)) == 1
    assert len(new_orders(site, before)) == 1
    assert len(site.sender.sent) == 1


async def test_a_declined_card_says_so_and_the_retry_is_a_new_attempt(
    site: Site, page: Page
) -> None:
    url = await site.pay_url("p4")
    before = set(site.acme.orders)
    requests = recorded(page)
    await page.goto(url)
    await fill(page, DECLINED_CARD)
    await page.click("#pay")
    await page.wait_for_selector("#error:not([hidden])")
    assert "declined" in (await page.text_content("#error") or "")
    assert new_orders(site, before) == []
    assert site.sender.sent == []

    await page.fill("#card-number", GOOD_CARD)
    await page.click("#pay")
    await order_number(page)
    first, second = checkouts(requests)
    assert (await first.all_headers())["x-acme-request-uuid"] != (await second.all_headers())[
        "x-acme-request-uuid"
    ]
    assert len(new_orders(site, before)) == 1


async def test_altered_expired_and_gone_links_are_refused(
    site: Site, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await site.pay_url("p5")
    token = url.rsplit("/", 1)[1]
    altered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    response = await page.goto(altered)
    assert response is not None
    assert response.status == 403
    assert "isn't valid" in await page.content()
    assert await page.query_selector("#pay") is None

    _, record = await site.usher.shop.checkouts.record_for(token)
    made_at = int(time.time()) - CHECKOUT_LINK_MAX_AGE - 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: made_at)
    expired = site.usher.shop.checkouts.links.url(record.cart_id, Fan("console", "p5"), "en")
    monkeypatch.undo()
    response = await page.goto(expired)
    assert response is not None
    assert response.status == 410
    assert "has expired" in await page.content()

    chat = Chat(site.usher, "p5")
    await chat.press("cart:drop")
    response = await page.goto(url)
    assert response is not None
    assert response.status == 410
    assert "no longer available" in await page.content()


async def test_a_web_purchase_link_opens_a_fresh_cart_and_the_page_gives_the_number(
    site: Site, page: Page
) -> None:
    link = await site.usher.shop.links.create(
        event_id=TOUR, ticketing_type_id=ADULT, quantity=2, coupon_code="AAA5", created_by="U1"
    )
    before = set(site.acme.orders)
    response = await page.goto(f"{site.base}/l/{link.code}")
    assert response is not None
    assert response.status == 200
    assert "/checkout/" in page.url
    content = await page.content()
    assert "$27.00 (code AAA5; full price $32.00)" in content
    assert "$54.00" in content
    await fill(page)
    await page.click("#pay")
    number = await order_number(page)
    assert "confirmation email is on its way" in await page.content()
    [made] = new_orders(site, before)
    assert made["orderNumber"] == number
    assert made["totalAmount"] == "54.00"
    assert site.sender.sent == []  # an anonymous buyer has no chat
    [(_, stats)] = await site.usher.shop.links.report()
    assert stats == {"clicks": 1, "carts": 1, "purchases": 1}

    async with httpx.AsyncClient(base_url=site.base, headers=BROWSER) as client:
        first = await client.get(f"/l/{link.code}")  # the paid cart is done: a fresh one
        second = await client.get(f"/l/{link.code}")  # a reload: that same cart again
        assert first.status_code == second.status_code == 303
        carts = [
            site.usher.shop.checkouts.links.read(r.headers["location"].rsplit("/", 1)[1])
            for r in (first, second)
        ]
        assert carts[0].cart_id == carts[1].cart_id
        preview = await client.get(f"/l/{link.code}", headers={"User-Agent": "TelegramBot"})
        assert preview.status_code == 200
        await site.usher.shop.links.revoke(link.code)
        gone = await client.get(f"/l/{link.code}")
        assert gone.status_code == 410
        assert "expired or was switched off" in gone.text
        assert (await client.get("/l/no-such-code")).status_code == 410
    [(_, stats)] = await site.usher.shop.links.report()
    assert stats == {"clicks": 2, "carts": 2, "purchases": 1}


async def test_the_done_call_needs_the_page_header_and_a_real_order(site: Site) -> None:
    url = await site.pay_url("p6")
    done = url.replace(site.base, "") + "/done"
    async with httpx.AsyncClient(base_url=site.base) as client:
        no_header = await client.post(done, json={"orderId": "30263798"})
        assert no_header.status_code == 403
        forged = await client.post(
            done, json={"orderId": "30263798"}, headers={"X-Usher-Page": "1"}
        )
        assert forged.status_code == 404
        assert "couldn't confirm" in forged.json()["error"]
        junk = await client.post(done, content=b"[1, 2]", headers={"X-Usher-Page": "1"})
        assert junk.status_code == 400
        # Only the simulator's CORS checkout is reachable through Usher, not its server API.
        headers = {"x-acme-api-key": site.api_key, "x-b2c-tenant-id": "107"}
        hidden = await client.get("/sandbox/v2/b2c/orders/30263798", headers=headers)
        assert hidden.status_code == 404
        script = await client.get("/assets/checkout.js")
        assert script.headers["content-type"].startswith("text/javascript")
        assert site.api_key not in script.text
    assert site.sender.sent == []


async def test_with_a_configured_acme_the_page_calls_it_cross_origin(
    real_redis: redis_asyncio.Redis, monkeypatch: pytest.MonkeyPatch, page: Page
) -> None:
    """ACME elsewhere (``USHER_ACME_BASE_URL``): the browser's call is cross-origin, so the
    simulator's CORS preflight admits it only with exactly the allowed headers."""
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)
    usher_port = free_port()
    public = f"http://127.0.0.1:{usher_port}"
    acme = Sandbox(SandboxKeys(cors_origin=public))
    async with serve_in_loop(acme) as acme_base:
        monkeypatch.setenv("USHER_PUBLIC_URL", public)
        monkeypatch.setenv("USHER_ACME_BASE_URL", acme_base)
        monkeypatch.setenv("USHER_ACME_API_KEY", acme.keys.acme_api_key)
        monkeypatch.setenv("USHER_ACME_TENANT_ID", str(acme.keys.acme_tenant_id))
        monkeypatch.setenv("USHER_ACME_PUB_API_KEY", acme.keys.acme_pub_api_key)
        monkeypatch.setenv("USHER_SECRET_KEY", "s" * 40)
        monkeypatch.setenv("USHER_SMTP_URL", "smtp://127.0.0.1:9")
        monkeypatch.setenv("USHER_TIMEZONE", "America/Los_Angeles")
        monkeypatch.setenv("USHER_ALLOW_HTTP", "true")  # the simulator over loopback HTTP
        store = Store(redis_asyncio.Redis.from_url(TEST_REDIS_URL), prefix="usher-test:")
        usher = build(load_settings(), mailer=Outbox(), store=store)
        async with serve_in_loop(create_app(usher), port=usher_port) as base:
            site = Site(usher, base)
            url = await site.pay_url("x1", quantity=1)
            requests = recorded(page)
            response = await page.goto(url)
            assert response is not None
            assert f"connect-src 'self' {acme_base};" in response.headers["content-security-policy"]
            await fill(page)
            await page.click("#pay")
            number = await order_number(page)
            [checkout] = checkouts(requests)
            assert checkout.url == f"{acme_base}/v2/b2c/cors/checkout"
            assert {n for n in await checkout.all_headers() if n.startswith("x-")} == CORS_HEADERS
            assert any(
                r.detail["orderNumber"] == number for r in acme.acme.state.acme.orders.values()
            )
            assert len(site.sender.sent) == 1
            async with httpx.AsyncClient(base_url=base) as client:
                mounted = await client.post("/sandbox/v2/b2c/cors/checkout", json={})
                assert mounted.status_code == 404  # the simulator is mounted in sandbox mode only
