"""What the secure page offers beyond the token: "Add to Apple Wallet" when secure render gives
an iPhone ``passData.ios.pkPassId`` and a pass URL is configured, in a real headless Chromium."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis_asyncio
from playwright.async_api import Browser

from adapters.sandbox.ticketmaster.seed import SAFETIX_ORDER_TOKEN
from adapters.store.store import Store
from bot.app.bootstrap import Usher, build
from bot.app.settings import load_settings
from bot.app.web import create_app
from tests.conftest import TEST_API_TOKEN, TEST_REDIS_URL
from tests.support.chat import Outbox
from tests.support.servers import free_port, serve_in_loop
from tests.support.ticket_page import BROWSER, sdk_views, ticket_link

pytestmark = pytest.mark.browser

PASS_URL = "https://wallet.ticketmaster.example/passes/{pk_pass_id}.pkpass"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36"


@pytest.fixture
async def wallet_site(
    real_redis: redis_asyncio.Redis, sdk_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Usher, str]]:
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)
    port = free_port()
    monkeypatch.setenv("USHER_PUBLIC_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("USHER_SECURE_ENTRY_SDK_URL", sdk_url)
    monkeypatch.setenv("USHER_TM_WALLET_PASS_URL", PASS_URL)
    store = Store(redis_asyncio.Redis.from_url(TEST_REDIS_URL), prefix="usher-test:")
    usher = build(load_settings(api_tokens=[TEST_API_TOKEN]), mailer=Outbox(), store=store)
    async with serve_in_loop(create_app(usher), port=port) as base:
        yield usher, base


def pass_ids(usher: Usher) -> list[str]:
    assert usher.sandbox is not None
    order = usher.sandbox.tm.state.tm.orders[SAFETIX_ORDER_TOKEN]
    return [ticket.pk_pass_id for ticket in order.tickets]


async def test_an_iphone_gets_an_add_to_apple_wallet_button_per_ticket(
    wallet_site: tuple[Usher, str], browser: Browser
) -> None:
    usher, base = wallet_site
    url = await ticket_link(usher, base, "w1")
    context = await browser.new_context(user_agent=BROWSER["User-Agent"])
    page = await context.new_page()
    await page.goto(url)
    await sdk_views(page)
    links = page.locator("a.wallet")
    assert await links.count() == 2
    hrefs = [await links.nth(i).get_attribute("href") for i in range(2)]
    assert hrefs == [PASS_URL.replace("{pk_pass_id}", pid) for pid in pass_ids(usher)]
    assert await links.nth(0).text_content() == "Add to Apple Wallet"
    await context.close()


async def test_no_button_without_a_pass_id_or_without_a_pass_url(
    wallet_site: tuple[Usher, str], site: tuple[Usher, str], browser: Browser
) -> None:
    usher, base = wallet_site
    url = await ticket_link(usher, base, "w2")
    desktop = await browser.new_context(user_agent=DESKTOP)
    page = await desktop.new_page()
    await page.goto(url)
    await sdk_views(page)
    assert await page.locator("a.wallet").count() == 0, "secure render gave no pass id"
    await desktop.close()

    plain_usher, plain_base = site  # USHER_TM_WALLET_PASS_URL unset
    plain_url = await ticket_link(plain_usher, plain_base, "w3")
    iphone = await browser.new_context(user_agent=BROWSER["User-Agent"])
    page = await iphone.new_page()
    await page.goto(plain_url)
    await sdk_views(page)
    assert await page.locator("a.wallet").count() == 0, "the pass URL pattern is not public"
    await iphone.close()
