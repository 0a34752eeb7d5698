"""The secure ticket page in a real headless Chromium, with a stand-in Secure Entry SDK."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser

from adapters.sandbox.faults import Fault
from adapters.sandbox.ticketmaster.fulfil import decode_token
from bot.app.bootstrap import Usher
from bot.links import TicketLinks
from bot.messages import Fan
from tests.support.ticket_page import BROWSER, sdk_views, ticket_link

pytestmark = pytest.mark.browser


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
    # Later than a reload seconds after the last view (which reuses that view's tokens).
    reused = await usher.store.redis.keys(usher.store.key("page", "tokens", "*"))
    await usher.store.redis.delete(*reused)
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
    async with httpx.AsyncClient(base_url=base, headers=BROWSER) as client:
        page = await client.get(url)
        assert page.status_code == 200
        assert (await client.post(token_url)).status_code == 403
        ok = await client.post(token_url, headers={"X-Usher-Page": "1"})
        assert ok.status_code == 200
        assert ok.headers["cache-control"] == "no-store"
    async with httpx.AsyncClient(base_url=base, headers=BROWSER) as stranger:
        await stranger.get(url)  # another browser, with a cookie of its own
        refused = await stranger.post(token_url, headers={"X-Usher-Page": "1"})
        assert refused.status_code == 403
        assert "token" not in refused.json()


async def test_no_wallet_button_without_a_pass_url_even_on_an_iphone(
    site: tuple[Usher, str], browser: Browser
) -> None:
    """tm-notes.md: the pass URL pattern is not public, so unset means no button."""
    usher, base = site
    url = await ticket_link(usher, base, "sam-wallet")
    iphone = await browser.new_context(user_agent=BROWSER["User-Agent"])
    page = await iphone.new_page()
    await page.goto(url)
    await sdk_views(page)
    assert await page.locator("a.wallet").count() == 0
    await iphone.close()
