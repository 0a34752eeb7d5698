"""What the secure page offers beyond the token: "Add to Apple Wallet" when secure render gives
an iPhone ``passData.ios.pkPassId`` and a pass URL is configured, in a real headless Chromium.
(Without ``USHER_TM_WALLET_PASS_URL`` there is no button: ``test_ticket_page.py``.)"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from adapters.sandbox.ticketmaster.seed import SAFETIX_ORDER_TOKEN
from bot.app.bootstrap import Usher
from tests.support.ticket_page import BROWSER, sdk_views, ticket_link

pytestmark = pytest.mark.browser

PASS_URL = "https://wallet.ticketmaster.example/passes/{pk_pass_id}.pkpass"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36"


@pytest.fixture
def site_env() -> dict[str, str]:
    return {"USHER_TM_WALLET_PASS_URL": PASS_URL}


def pass_ids(usher: Usher) -> list[str]:
    assert usher.sandbox is not None
    order = usher.sandbox.tm.state.tm.orders[SAFETIX_ORDER_TOKEN]
    return [ticket.pk_pass_id for ticket in order.tickets]


async def test_an_iphone_gets_an_add_to_apple_wallet_button_per_ticket(
    site: tuple[Usher, str], browser: Browser
) -> None:
    usher, base = site
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


async def test_no_button_when_secure_render_gives_no_pass_id(
    site: tuple[Usher, str], browser: Browser
) -> None:
    usher, base = site
    url = await ticket_link(usher, base, "w2")
    desktop = await browser.new_context(user_agent=DESKTOP)
    page = await desktop.new_page()
    await page.goto(url)
    await sdk_views(page)
    assert await page.locator("a.wallet").count() == 0, "no pass id for a desktop browser"
    await desktop.close()
