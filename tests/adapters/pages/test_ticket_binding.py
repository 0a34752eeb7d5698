"""The secure ticket page binds a device, not a GET; each device has its own Ticketmaster id.

Real headless Chromium (Playwright), Usher's web app on loopback, the sandbox in process. Think
like the robots that fetch every link (Telegram's preview, a mail scanner, curl), like the fan
who switches from Telegram's in-app browser to Safari, and like a second phone.
"""

from __future__ import annotations

import httpx
import pytest
import redis.asyncio as redis_asyncio
from playwright.async_api import Browser, BrowserContext

from adapters.pages.ticket import COOKIE
from adapters.pages.tm_orders_api import order_ref
from adapters.sandbox.ticketmaster.fulfil import DeviceCall
from adapters.sandbox.ticketmaster.seed import SAFETIX_ORDER_TOKEN
from bot.app.bootstrap import Usher
from bot.links import fan_digest
from bot.messages import Fan
from tests.support.chat import Chat
from tests.support.ticket_page import BROWSER, register, sdk_views

pytestmark = pytest.mark.browser

TELEGRAM_PREVIEW = {"User-Agent": "TelegramBot (like TwitterBot)"}
CURL = {"User-Agent": "curl/8.5.0"}


async def fresh_link(usher: Usher, user: str) -> str:
    """What the fan gets from "my tickets": a fresh link (the previous one stops working)."""
    chat = Chat(usher, user)
    await chat.say("my tickets")
    [url] = chat.urls
    return url


async def open_page(context: BrowserContext, url: str) -> tuple[int, str]:
    """Open ``url`` in a tab of ``context``; the status and, once loaded, what the page says."""
    page = await context.new_page()
    response = await page.goto(url)
    assert response is not None
    if response.status == 200:
        await sdk_views(page)
    text = await page.locator("body").inner_text()
    await page.close()
    return response.status, text


def renders(usher: Usher) -> list[DeviceCall]:
    assert usher.sandbox is not None
    calls: list[DeviceCall] = list(usher.sandbox.tm.state.tm.fulfil.renders)
    return [call for call in calls if call.endpoint == "secure_render"]


async def bound_browser(real_redis: redis_asyncio.Redis, user: str) -> bytes | None:
    fan = Fan("console", user)
    key = f"usher-test:page:{fan_digest(fan)}:{order_ref(fan, SAFETIX_ORDER_TOKEN)}"
    value: bytes | None = await real_redis.hget(key, "browser")  # type: ignore[misc]
    return value


async def test_preview_robots_and_curl_bind_nothing_and_the_fan_still_gets_in(
    site: tuple[Usher, str],
    browser: Browser,
    real_redis: redis_asyncio.Redis,
) -> None:
    usher, base = site
    await register(usher, base, "tg1")
    url = await fresh_link(usher, "tg1")
    token_call = f"{url}/token"
    async with httpx.AsyncClient() as robot:
        preview = await robot.get(url, headers=TELEGRAM_PREVIEW)
        assert preview.status_code == 200
        assert "tap this link in your chat" in preview.text
        assert "<script" not in preview.text
        assert COOKIE not in preview.headers.get("set-cookie", "")
        curled = await robot.get(url, headers=CURL)
        assert curled.status_code == 200
        assert "<script" not in curled.text
        # A scanner that does claim to be a browser and posts, but keeps no cookie.
        page = await robot.get(url, headers=BROWSER)
        assert COOKIE in page.headers["set-cookie"]
        robot.cookies.clear()
        refused = await robot.post(token_call, headers={**BROWSER, "X-Usher-Page": "1"})
        assert refused.status_code == 403
        assert "cookie" in refused.json()["error"]
        assert "tickets" not in refused.json()
        for headers in (TELEGRAM_PREVIEW, CURL):
            posted = await robot.post(token_call, headers={**headers, "X-Usher-Page": "1"})
            assert posted.status_code == 403
    assert await bound_browser(real_redis, "tg1") is None
    assert renders(usher) == []  # nobody's request cost a secure render

    fan = await browser.new_context()
    status, text = await open_page(fan, url)
    assert status == 200, text
    assert await bound_browser(real_redis, "tg1") is not None
    assert (await open_page(fan, url))[0] == 200  # a reload: same browser
    await fan.close()


async def test_a_second_browser_is_told_how_to_move_and_the_fresh_link_moves_it(
    site: tuple[Usher, str],
    browser: Browser,
    real_redis: redis_asyncio.Redis,
) -> None:
    usher, base = site
    await register(usher, base, "mover")
    first_link = await fresh_link(usher, "mover")
    in_app = await browser.new_context()  # Telegram's in-app browser
    assert (await open_page(in_app, first_link))[0] == 200
    first_binding = await bound_browser(real_redis, "mover")

    safari = await browser.new_context()
    status, text = await open_page(safari, first_link)
    assert status == 403
    assert "already open on another device" in text
    assert 'send me "my tickets" in the chat' in text  # how to get a fresh link

    second_link = await fresh_link(usher, "mover")
    assert await bound_browser(real_redis, "mover") is None  # the old binding is gone
    assert (await open_page(safari, second_link))[0] == 200
    assert await bound_browser(real_redis, "mover") not in (None, first_binding)

    status, text = await open_page(in_app, first_link)
    assert status == 410
    assert "replaced by a newer one" in text
    status, text = await open_page(in_app, second_link)
    assert status == 403
    assert "already open on another device" in text
    await in_app.close()
    await safari.close()


async def test_each_browser_has_its_own_device_id_stable_across_reloads(
    site: tuple[Usher, str],
    browser: Browser,
    real_redis: redis_asyncio.Redis,
) -> None:
    """The SafeTix FAQ (3, 4, 6): one id per device, sticky to it; the simulator records the
    id each secure render carried."""
    usher, base = site
    await register(usher, base, "twophones")
    fan_id = await usher.tm_orders.device_id(Fan("console", "twophones"))
    phone, tablet = await browser.new_context(), await browser.new_context()

    link = await fresh_link(usher, "twophones")
    for _ in range(2):
        assert (await open_page(phone, link))[0] == 200
    phone_ids = {call.device_id for call in renders(usher)}
    assert phone_ids == {fan_id}  # the first device keeps the fan's id

    seen = len(renders(usher))
    link = await fresh_link(usher, "twophones")
    for _ in range(2):
        assert (await open_page(tablet, link))[0] == 200
    tablet_ids = {call.device_id for call in renders(usher)[seen:]}
    assert len(tablet_ids) == 1
    assert tablet_ids != phone_ids

    seen = len(renders(usher))
    link = await fresh_link(usher, "twophones")
    assert (await open_page(phone, link))[0] == 200  # back on the phone: its own id again
    assert {call.device_id for call in renders(usher)[seen:]} == phone_ids
    assert all(call.user_id for call in renders(usher))  # with the order's account id
    await phone.close()
    await tablet.close()
