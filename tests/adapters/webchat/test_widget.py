"""The widget in a real browser, on a venue page of another origin: how it looks and behaves for
a fan with a keyboard, a screen reader, a phone, Spanish, or bad intentions."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext, expect

from adapters.sandbox.demo import register_demo_orders
from bot import copy
from bot.messages import Fan as FanKey
from bot.messages import Reply
from tests.adapters.webchat.browsing import Fan, venue_site
from tests.adapters.webchat.conftest import Site, StartSite
from tests.support.servers import free_port

pytestmark = [pytest.mark.redis, pytest.mark.browser]


@pytest.fixture
async def venue(start_site: StartSite) -> AsyncIterator[tuple[Site, str]]:
    """A web chat site, and the venue's page (its own origin) that embeds it."""
    port = free_port()
    origin = f"http://localhost:{port}"
    site = await start_site(webchat_origins=origin)
    with venue_site(site.url, port):
        yield site, origin


@pytest.fixture
async def sandbox_site(start_site: StartSite) -> Site:
    """A web chat site as the sandbox runs it: no sites named, the demo page served."""
    return await start_site(webchat_origins=None)


async def fan_on(browser: Browser, origin: str, **options: object) -> tuple[BrowserContext, Fan]:
    context = await browser.new_context(**options)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto(origin)
    return context, Fan(page)


async def chatting(browser: Browser, origin: str) -> tuple[BrowserContext, Fan, str]:
    """A fan who opened the widget and asked for help; their session id."""
    context, fan = await fan_on(browser, origin)
    await fan.open()
    await fan.say("help")
    await fan.bot_says("Here's what I can do")
    return context, fan, await fan.session_id()


async def test_keyboard_only_with_focus_where_it_belongs(
    browser: Browser, venue: tuple[Site, str]
) -> None:
    _, origin = venue
    context, fan = await fan_on(browser, origin)
    page = fan.page
    await page.keyboard.press("Tab")  # the venue's own button
    await page.keyboard.press("Tab")  # then the chat button
    await expect(fan.launcher).to_be_focused()
    await expect(fan.launcher).to_have_attribute("aria-expanded", "false")
    await page.keyboard.press("Enter")
    await expect(fan.input).to_be_focused()  # opening puts the cursor where you type
    await expect(fan.launcher).to_have_attribute("aria-expanded", "true")
    await page.keyboard.type("help")
    await page.keyboard.press("Enter")
    await fan.bot_says("Here's what I can do")
    # Reply buttons are reachable and pressable from the keyboard.
    choice = page.locator("#usher-chat .choices button", has_text="My orders").last
    await choice.focus()
    await page.keyboard.press("Enter")
    await fan.bot_says("make sure it's you")
    await expect(fan.input).to_be_focused()
    # The screen reader hears new messages through the live region.
    await expect(page.locator("#usher-chat .live")).to_contain_text("make sure it's you")
    await expect(page.locator("#usher-chat [role=dialog]")).to_have_attribute(
        "aria-labelledby", "usher-title"
    )
    await page.keyboard.press("Escape")
    await expect(page.locator("#usher-chat [role=dialog]")).to_be_hidden()
    await expect(fan.launcher).to_be_focused()  # focus goes back where it came from
    await context.close()


async def test_fan_and_server_text_is_shown_as_text_never_as_html(
    browser: Browser, venue: tuple[Site, str]
) -> None:
    site, origin = venue
    context, fan = await fan_on(browser, origin)
    await fan.open()
    attack = '<img src=x onerror="window.__owned=1"><b>bold</b>'
    await fan.say(attack)
    await expect(fan.fan_messages.last).to_have_text(f"You: {attack}")
    # An agent's reply (any text from the server) is text too.
    await site.usher.messenger.send(
        FanKey("web", await fan.session_id()),
        [Reply('<script>window.__owned=2</script><a href="javascript:alert(1)">x</a>')],
    )
    await fan.bot_says("<script>window.__owned=2</script>")
    assert await fan.state("window.__owned === undefined")
    injected = fan.page.locator("#usher-chat li img, #usher-chat li script, #usher-chat li b")
    assert await injected.count() == 0
    await context.close()


async def test_spanish_browsers_get_a_spanish_widget_and_bot(
    browser: Browser, venue: tuple[Site, str]
) -> None:
    _, origin = venue
    context, fan = await fan_on(browser, origin, locale="es-ES")
    await expect(fan.launcher).to_have_text(copy.text("widget_launcher", "es"))
    await fan.open()
    await expect(fan.input).to_have_attribute("placeholder", copy.text("widget_placeholder", "es"))
    await fan.say("dónde están mis entradas")
    await fan.bot_says(copy.text("verify_intro", "es"))
    await context.close()


async def test_a_phone_gets_the_whole_screen_and_a_desktop_a_corner_panel(
    browser: Browser, venue: tuple[Site, str]
) -> None:
    _, origin = venue
    phone, fan = await fan_on(browser, origin, viewport={"width": 390, "height": 780})
    await fan.open()
    box = await fan.page.locator("#usher-chat [role=dialog]").bounding_box()
    assert box == {"x": 0, "y": 0, "width": 390, "height": 780}
    await expect(fan.launcher).to_be_hidden()  # the panel's own close button is the way out
    await phone.close()
    desk, fan = await fan_on(browser, origin, viewport={"width": 1280, "height": 800})
    await fan.open()
    box = await fan.page.locator("#usher-chat [role=dialog]").bounding_box()
    assert box is not None
    assert box["width"] == 380
    assert box["x"] + box["width"] == 1260
    await desk.close()


async def test_styles_do_not_leak_either_way(browser: Browser, venue: tuple[Site, str]) -> None:
    _, origin = venue
    context, fan, _ = await chatting(browser, origin)
    widget_button = await fan.launcher.evaluate("b => getComputedStyle(b).backgroundColor")
    assert widget_button == "rgb(26, 86, 219)"  # not the venue's hot pink
    item = fan.bot_messages.last.locator("p")
    assert await item.evaluate("p => getComputedStyle(p).color") == "rgb(29, 29, 31)"
    venue_button = fan.page.locator("#venue-button")
    assert await venue_button.evaluate("b => getComputedStyle(b).backgroundColor") == (
        "rgb(255, 105, 180)"
    )
    await context.close()


async def test_secure_ticket_links_open_in_a_new_tab(
    browser: Browser, venue: tuple[Site, str]
) -> None:
    site, origin = venue
    context, fan = await fan_on(browser, origin)
    await fan.open()
    await fan.say("hi")
    await register_demo_orders(site.usher.tm_orders, FanKey("web", await fan.session_id()))
    await fan.say("my tickets")
    link = fan.page.locator("#usher-chat li.bot a", has_text=copy.text("safetix_link")).first
    await expect(link).to_have_attribute("target", "_blank")
    await expect(link).to_have_attribute("rel", "noopener noreferrer")
    async with context.expect_page() as opened:
        await link.click()
    ticket_page = await opened.value
    assert re.match(rf"{site.url}/t/", ticket_page.url)
    await context.close()


async def test_sign_out_forgets_the_conversation_on_this_device(
    browser: Browser, venue: tuple[Site, str]
) -> None:
    site, origin = venue
    context, fan, session_id = await chatting(browser, origin)
    await fan.page.locator("#usher-chat button.sign-out").click()
    await expect(fan.page.locator("#usher-chat li.note")).to_have_text(
        copy.text("widget_sign_out_done")
    )
    await expect(fan.fan_messages).to_have_count(0)
    assert await fan.token() is None
    assert not await site.webchat.sessions.alive(session_id)
    await fan.page.reload()  # the panel stays open across the reload, and empty
    await expect(fan.page.locator("#usher-chat [role=dialog]")).to_be_visible()
    await expect(fan.page.locator("#usher-chat li.greeting")).to_be_visible()
    await expect(fan.fan_messages).to_have_count(0)
    await context.close()


async def test_a_message_for_a_closed_widget_lights_the_button_up(
    browser: Browser, venue: tuple[Site, str]
) -> None:
    site, origin = venue
    context, fan, session_id = await chatting(browser, origin)
    await fan.page.keyboard.press("Escape")
    await site.usher.messenger.send(FanKey("web", session_id), [Reply("Doors open!")])
    await expect(fan.launcher).to_have_text(copy.text("widget_launcher_unread"))
    await expect(fan.launcher).to_have_class(re.compile("unread"))
    await fan.open()
    await fan.bot_says("Doors open!")
    await expect(fan.launcher).to_have_text(copy.text("widget_launcher"))
    await context.close()


async def test_the_demo_venue_page_works_under_its_strict_content_security_policy(
    browser: Browser, sandbox_site: Site
) -> None:
    context = await browser.new_context(base_url=sandbox_site.url)
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(f"{message.type}: {message.text}"))
    await page.goto("/chat/demo")
    fan = Fan(page)
    await fan.open()
    position = await fan.launcher.evaluate("b => getComputedStyle(b).position")
    assert position == "fixed"  # the widget's styles apply under the page's style-src
    await fan.say("help")
    await fan.bot_says("Here's what I can do")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    await context.close()


async def test_signing_out_while_offline_reaches_the_server_once_back_online(
    browser: Browser, venue: tuple[Site, str]
) -> None:
    site, origin = venue
    context, fan, session_id = await chatting(browser, origin)
    await context.set_offline(True)
    for socket in site.webchat.registry.open[session_id]:
        await socket.close(1012)  # the connection drops; the widget cannot get back
    await expect(fan.page.locator("#usher-chat .status")).to_have_text(
        copy.text("widget_reconnecting"), timeout=15_000
    )
    await fan.page.locator("#usher-chat button.sign-out").click()
    await expect(fan.fan_messages).to_have_count(0)  # gone from this device at once
    assert await fan.token() is None
    assert await site.webchat.sessions.alive(session_id)
    await fan.input.fill("my orders")  # typed while still offline: for a new session
    await fan.input.press("Enter")
    await context.set_offline(False)
    for _ in range(600):  # the widget retries with back-off
        if not await site.webchat.sessions.alive(session_id):
            break
        await asyncio.sleep(0.05)
    assert not await site.webchat.sessions.alive(session_id)
    await fan.bot_says("make sure it's you", within_ms=20_000)  # a new, unverified fan
    await expect(fan.page.locator("#usher-chat li.note")).to_have_count(1)
    assert await fan.session_id() != session_id
    await context.close()
