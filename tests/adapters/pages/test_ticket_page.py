"""The secure ticket page in a real headless Chromium, with a stand-in Secure Entry SDK."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import redis.asyncio as redis_asyncio
from playwright.async_api import Browser
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from adapters.sandbox.faults import Fault
from adapters.sandbox.ticketmaster.fulfil import decode_token
from adapters.sandbox.ticketmaster.seed import DEMO_ACCOUNT_ID, SAFETIX_ORDER_TOKEN
from adapters.store.store import Store
from bot.app.bootstrap import Usher, build
from bot.app.settings import load_settings
from bot.app.web import create_app
from bot.links import TicketLinks
from bot.messages import Fan
from tests.conftest import API_AUTH, TEST_API_TOKEN, TEST_REDIS_URL
from tests.support.browser import STAND_IN_SDK
from tests.support.chat import Chat, Outbox
from tests.support.servers import free_port, serve_asgi, serve_in_loop

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sdk_url() -> Iterator[str]:
    async def script(_: Any) -> Response:
        return Response(STAND_IN_SDK, media_type="application/javascript")

    with serve_asgi(Starlette(routes=[Route("/presence-secure-entry.min.js", script)])) as base:
        yield f"{base}/presence-secure-entry.min.js"


@pytest.fixture
async def site(
    real_redis: redis_asyncio.Redis, sdk_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Usher, str]]:
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)
    port = free_port()
    monkeypatch.setenv("USHER_PUBLIC_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("USHER_SECURE_ENTRY_SDK_URL", sdk_url)
    store = Store(redis_asyncio.Redis.from_url(TEST_REDIS_URL), prefix="usher-test:")
    usher = build(load_settings(api_tokens=[TEST_API_TOKEN]), mailer=Outbox(), store=store)
    async with serve_in_loop(create_app(usher), port=port) as base:
        yield usher, base


async def register(usher: Usher, base: str, user: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{base}/api/tm/orders",
            headers=API_AUTH,
            json={
                "channel": "console",
                "user_id": user,
                "order_token": SAFETIX_ORDER_TOKEN,
                "third_party_account_id": DEMO_ACCOUNT_ID,
                "event_name": "Skyline Live",
            },
        )
    assert response.status_code == 201, response.text


async def ticket_link(usher: Usher, base: str, user: str) -> str:
    await register(usher, base, user)
    chat = Chat(usher, user)
    await chat.say("my tickets")
    assert "Open your secure ticket" in chat.text, chat.text
    assert "token" not in chat.text.lower()
    [url] = chat.urls
    return url


async def sdk_views(page: Any) -> list[dict[str, str]]:
    """The SDK calls the page made, once it made some (polled: the page's CSP forbids eval)."""
    for _ in range(200):
        views: list[dict[str, str]] = await page.evaluate("window.__sdk ? window.__sdk.views : []")
        if views:
            return views
        await asyncio.sleep(0.05)
    raise AssertionError("the page never called Presence.SecureEntryView")


async def test_the_token_reaches_the_sdk_and_never_the_url_or_page_source(
    site: tuple[Usher, str], browser: Browser
) -> None:
    usher, base = site
    url = await ticket_link(usher, base, "sam")
    context = await browser.new_context()
    page = await context.new_page()
    response = await page.goto(url)
    assert response is not None
    assert response.status == 200
    source = await response.text()
    views = await sdk_views(page)
    assert len(views) == 2
    tokens = [view["token"] for view in views]
    for token in tokens:
        decoded = decode_token(token)
        assert decoded["b"] in ("7001000100010001", "7001000100010002")
        assert token not in source
        assert token not in page.url
    assert await page.evaluate("window.__sdk.init") == 1
    csp = response.headers["content-security-policy"]
    assert "script-src 'nonce-" in csp
    await context.close()


async def test_ticketmaster_down_shows_the_cached_token(
    site: tuple[Usher, str], browser: Browser
) -> None:
    usher, base = site
    url = await ticket_link(usher, base, "sam2")
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(url)
    fresh = [v["token"] for v in await sdk_views(page)]
    assert usher.sandbox is not None
    usher.sandbox.faults.add(Fault("/marketplace", status=503))
    await page.reload()
    cached = [v["token"] for v in await sdk_views(page)]
    assert cached == fresh
    notice = page.locator("#notice")
    assert "last saved ticket" in (await notice.text_content() or "")
    await context.close()


async def test_the_link_opened_by_another_browser_is_refused(
    site: tuple[Usher, str], browser: Browser
) -> None:
    usher, base = site
    url = await ticket_link(usher, base, "sam3")
    owner = await browser.new_context()
    await (await owner.new_page()).goto(url)
    other = await browser.new_context()
    page = await other.new_page()
    response = await page.goto(url)
    assert response is not None
    assert response.status == 403
    assert "already open on another device" in (await page.content())
    assert await page.evaluate("typeof window.__sdk") == "undefined"
    await owner.close()
    await other.close()


@pytest.mark.parametrize("tamper", ["flip", "other-secret"])
async def test_tampered_links_are_refused(
    site: tuple[Usher, str], browser: Browser, tamper: str
) -> None:
    usher, base = site
    url = await ticket_link(usher, base, "sam4")
    if tamper == "flip":
        bad = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    else:
        bad = TicketLinks(b"x" * 32, base).url(Fan("console", "sam4"), "ref")
    context = await browser.new_context()
    page = await context.new_page()
    response = await page.goto(bad)
    assert response is not None
    assert response.status == 410
    assert "expired" in (await page.content())
    await context.close()


async def test_the_token_call_needs_the_page_header_and_the_bound_browser(
    site: tuple[Usher, str],
) -> None:
    usher, base = site
    url = await ticket_link(usher, base, "sam5")
    token_url = url.replace(base, "") + "/token"
    async with httpx.AsyncClient(base_url=base) as client:
        page = await client.get(url)
        assert page.status_code == 200
        assert (await client.post(token_url)).status_code == 403
        ok = await client.post(token_url, headers={"X-Usher-Page": "1"})
        assert ok.status_code == 200
        assert ok.headers["cache-control"] == "no-store"
    async with httpx.AsyncClient(base_url=base) as stranger:
        refused = await stranger.post(token_url, headers={"X-Usher-Page": "1"})
        assert refused.status_code == 403
        assert "token" not in refused.json()
