"""What the secure ticket page tells a fan on a phone: the event, when (in the venue's zone),
where, the seats and "keep this page open"; and what it says when the Secure Entry SDK does
not load. Real headless Chromium at a phone's size; screenshots go to the test artefacts
directory (``USHER_TEST_ARTEFACTS``, default ``test-artefacts/``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, ViewportSize

from adapters.pages import ticket_facts
from adapters.sandbox.ticketmaster.seed import SAFETIX_EVENT_ID
from bot import copy
from bot.app.bootstrap import Usher
from bot.formatting import when
from bot.ticketmaster.cart_models import Availability
from tests.support.artefacts import artefacts_dir
from tests.support.browser import STAND_IN_SDK
from tests.support.ticket_page import BROWSER, sdk_views, ticket_link

pytestmark = pytest.mark.browser

PHONE = ViewportSize(width=390, height=844)
VENUE_ZONE = ZoneInfo("America/Los_Angeles")  # the sandbox venue's (USHER_TIMEZONE unset)
CLOCK_START = datetime(2026, 1, 1, 12, 0)
LOCALES = {"en": "en-US", "es": "es-ES"}
HOSTILE = '<img src=x onerror="window.__pwned=1">Skyline'
#: An SDK script that loads but whose views throw (a broken or incompatible SDK release).
THROWING_SDK = """
window.Presence = {
  init: function () {},
  SecureEntryView: function () { throw new Error("secure entry broke"); }
};
"""


async def phone(browser: Browser, lang: str = "en") -> BrowserContext:
    """A phone-sized browser that asks for pages in ``lang``."""
    return await browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        user_agent=BROWSER["User-Agent"],
        locale=LOCALES[lang],
    )


async def event_start(usher: Usher) -> datetime:
    """When the sandbox's SafeTix event starts (19:30 at the venue), as Ticketmaster says."""
    event = await usher.safetix.event(SAFETIX_EVENT_ID)
    assert event is not None
    assert event.event.event_date_time is not None
    return event.event.event_date_time


async def stop_the_clock(page: Page) -> None:
    """Page timers run only when the test moves the clock: what the page does without its
    SDK wait is then told apart from what it does when the wait runs out."""
    await page.clock.install(time=CLOCK_START)
    await page.clock.pause_at(CLOCK_START + timedelta(seconds=1))


async def text_of(page: Page, selector: str) -> str:
    return (await page.locator(selector).text_content() or "").strip()


async def test_a_phone_shows_the_event_when_where_the_seats_and_keep_open(
    site: tuple[Usher, str], browser: Browser
) -> None:
    usher, base = site
    url = await ticket_link(usher, base, "facts-en")
    context = await phone(browser)
    page = await context.new_page()
    response = await page.goto(url)
    assert response is not None
    assert response.status == 200
    views = await sdk_views(page)
    start = await event_start(usher)

    assert await text_of(page, "#event") == "Skyline Live"
    shown = await text_of(page, "#when")
    assert shown == when(start, VENUE_ZONE, "en")
    assert "19:30 P" in shown  # 19:30 PST or PDT: the venue's wall clock, not UTC's
    assert await text_of(page, "#venue") == "Bayview Museum of Art & Music"
    assert await text_of(page, "#entrance") == "Entrance: GATE A"
    assert await text_of(page, "#keep-open") == copy.text("page_keep_open", "en")
    for selector in ("#event", "#when", "#venue", "#keep-open"):
        assert await page.locator(selector).is_visible(), selector
    labels = await page.locator(".ticket .label").all_text_contents()
    assert len(labels) == len(views) == 2
    assert labels == ["Section 101, row C, seat 7", "Section 101, row C, seat 8"]
    assert await page.locator("#sdk-error").is_hidden()
    assert await page.locator("#status").is_hidden()
    await page.screenshot(path=artefacts_dir() / "ticket-page-phone-en.png", full_page=True)
    await context.close()


async def test_the_page_speaks_spanish_with_the_date_in_spanish(
    site: tuple[Usher, str], browser: Browser
) -> None:
    usher, base = site
    url = await ticket_link(usher, base, "facts-es")
    context = await phone(browser, "es")
    page = await context.new_page()
    await page.goto(url)
    await sdk_views(page)
    assert await text_of(page, "#when") == when(await event_start(usher), VENUE_ZONE, "es")
    assert await text_of(page, "#entrance") == "Acceso: GATE A"
    assert await text_of(page, "#keep-open") == copy.text("page_keep_open", "es")
    labels = await page.locator(".ticket .label").all_text_contents()
    assert labels == ["Sector 101, fila C, asiento 7", "Sector 101, fila C, asiento 8"]
    await page.screenshot(path=artefacts_dir() / "ticket-page-phone-es.png", full_page=True)
    await context.close()


def _not_found(route: Route) -> Awaitable[None]:
    return route.fulfill(status=404, body="not found")


def _no_presence(route: Route) -> Awaitable[None]:
    return route.fulfill(body="window.somethingElse = 1;", content_type="text/javascript")


def _throws(route: Route) -> Awaitable[None]:
    return route.fulfill(body=THROWING_SDK, content_type="text/javascript")


def _blocked(route: Route) -> Awaitable[None]:
    return route.abort("blockedbyclient")


SDK_FAILURES: dict[str, Callable[[Route], Awaitable[None]]] = {
    "404": _not_found,
    "no-presence": _no_presence,
    "throws": _throws,
    "blocked": _blocked,
}


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("failure", list(SDK_FAILURES))
async def test_an_sdk_that_does_not_load_is_explained_in_the_fans_language(
    site: tuple[Usher, str], browser: Browser, sdk_url: str, lang: str, failure: str
) -> None:
    usher, base = site
    url = await ticket_link(usher, base, f"sdk-{failure}-{lang}")
    context = await phone(browser, lang)
    page = await context.new_page()
    await page.route(sdk_url, SDK_FAILURES[failure])
    await stop_the_clock(page)  # the message comes from the failure itself, not the wait
    await page.goto(url)
    error = page.locator("#sdk-error")
    await error.wait_for(state="visible")
    assert await error.text_content() == copy.text("page_sdk_failed", lang)
    assert ("help" if lang == "en" else "ayuda") in (await error.text_content() or "")
    assert await page.locator("#status").is_hidden()
    assert await page.locator("#error").is_hidden()  # not the generic "couldn't load"
    # The fan still sees which event and which seats, and what to do.
    assert await text_of(page, "#event") == "Skyline Live"
    assert await page.locator(".ticket .label").count() == 2
    assert await page.locator("#keep-open").is_visible()
    if failure == "404":
        await page.screenshot(
            path=artefacts_dir() / f"ticket-page-sdk-failed-{lang}.png", full_page=True
        )
    await context.close()


async def test_a_hanging_sdk_is_explained_after_the_wait_and_a_late_one_still_shows(
    site: tuple[Usher, str], browser: Browser, sdk_url: str
) -> None:
    """A script that never answers fires no error: the page's own wait says so (run on
    Playwright's fake clock, so no real time passes), and if it arrives after all, the
    tickets appear and the message goes."""
    usher, base = site
    url = await ticket_link(usher, base, "sdk-hang")
    context = await phone(browser)
    page = await context.new_page()
    held: asyncio.Future[Route] = asyncio.get_running_loop().create_future()

    async def hold(route: Route) -> None:
        held.set_result(route)

    await page.route(sdk_url, hold)
    await stop_the_clock(page)
    await page.goto(url, wait_until="domcontentloaded")  # "load" waits for the SDK script
    route = await held
    await page.clock.run_for("00:19")
    assert await page.locator("#sdk-error").is_hidden()
    await page.clock.run_for("00:02")
    await page.locator("#sdk-error").wait_for(state="visible")
    await route.fulfill(body=STAND_IN_SDK, content_type="text/javascript")
    assert len(await sdk_views(page)) == 2
    await page.locator("#sdk-error").wait_for(state="hidden")
    await context.close()


async def test_no_date_line_when_ticketmaster_gives_no_date(
    site: tuple[Usher, str], browser: Browser
) -> None:
    """Ticketmaster orders carry no "hide the date" flag; a date the page does not have from
    Ticketmaster is never made up or shown as an empty line."""
    usher, base = site
    url = await ticket_link(usher, base, "facts-undated")
    event = await usher.safetix.event(SAFETIX_EVENT_ID)
    assert event is not None
    undated = event.model_copy(
        update={"event": event.event.model_copy(update={"event_date_time": None})}
    )
    await usher.tm_orders.save_event(SAFETIX_EVENT_ID, undated, 3600)
    context = await phone(browser)
    page = await context.new_page()
    response = await page.goto(url)
    assert response is not None
    await sdk_views(page)
    assert await page.locator("#when").count() == 0
    assert await text_of(page, "#event") == "Skyline Live"
    assert "19:30" not in await response.text()
    await context.close()


async def test_a_hostile_event_name_is_shown_as_text(
    site: tuple[Usher, str], browser: Browser
) -> None:
    usher, base = site
    url = await ticket_link(usher, base, "facts-hostile", event_name=HOSTILE)
    context = await phone(browser)
    page = await context.new_page()
    response = await page.goto(url)
    assert response is not None
    await sdk_views(page)
    assert await text_of(page, "#event") == HOSTILE
    assert await page.locator("#event img").count() == 0
    assert await page.evaluate("window.__pwned") is None
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in await response.text()
    await context.close()


async def test_robots_and_refused_browsers_get_no_event_facts(
    site: tuple[Usher, str], browser: Browser
) -> None:
    """The plain page for preview robots and the refusal pages stay as short as before: the
    event's name, date and venue only reach a browser holding a valid link."""
    usher, base = site
    url = await ticket_link(usher, base, "facts-robot")
    owner = await phone(browser)
    await (await owner.new_page()).goto(url)  # binds the link to the fan's phone
    async with httpx.AsyncClient() as client:
        robot = await client.get(url, headers={"User-Agent": "TelegramBot (like TwitterBot)"})
        other = await client.get(url, headers=BROWSER)  # another browser: refused
        bad = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
        expired = await client.get(bad, headers=BROWSER)
    assert (robot.status_code, other.status_code, expired.status_code) == (200, 403, 410)
    for answer in (robot, other, expired):
        for fact in ("Skyline Live", "Bayview", "GATE A", "19:30", "keep this page open"):
            assert fact.lower() not in answer.text.lower(), (answer.status_code, fact)
    await owner.close()


async def test_a_slow_ticketmaster_costs_the_date_line_not_the_page(
    site: tuple[Usher, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event's date is cached an hour; when that cache is cold and Ticketmaster does not
    answer, the page is served after ``DATE_BUDGET`` without a date rather than waiting on it
    (without the budget this GET never gets an answer and the client's timeout fails it)."""
    usher, base = site
    url = await ticket_link(usher, base, "facts-slow")
    await usher.store.redis.delete(usher.store.key("tm", "event", SAFETIX_EVENT_ID))  # cold
    asked: list[str] = []

    async def never_answers(event_id: str, **_: object) -> None:
        asked.append(event_id)
        await asyncio.Event().wait()

    monkeypatch.setattr(usher.safetix, "event", never_answers)
    monkeypatch.setattr(ticket_facts, "DATE_BUDGET", 0.2)
    async with httpx.AsyncClient(headers=BROWSER, timeout=30) as client:
        page = await client.get(url)
    assert asked == [SAFETIX_EVENT_ID]
    assert page.status_code == 200
    assert "Skyline Live" in page.text
    assert 'id="when"' not in page.text
    assert 'id="venue"' in page.text


async def test_a_date_that_comes_late_is_kept_for_the_next_view(
    site: tuple[Usher, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``DATE_BUDGET`` the page goes without the date, but Ticketmaster's answer is not
    thrown away: it fills the hourly cache, so the next view shows the date at once and asks
    Ticketmaster nothing (without that, every view of a slow hour would wait and go dateless)."""
    usher, base = site
    url = await ticket_link(usher, base, "facts-late")
    await usher.store.redis.delete(usher.store.key("tm", "event", SAFETIX_EVENT_ID))  # cold
    real = usher.safetix.api.availability
    asked: list[str] = []
    answered = asyncio.Event()

    async def late(event_id: str) -> Availability:
        asked.append(event_id)
        await asyncio.sleep(0.5)
        try:
            return await real(event_id)
        finally:
            answered.set()

    monkeypatch.setattr(usher.safetix.api, "availability", late)
    monkeypatch.setattr(ticket_facts, "DATE_BUDGET", 0.1)
    async with httpx.AsyncClient(headers=BROWSER, timeout=30) as client:
        first = await client.get(url)
        assert first.status_code == 200
        assert 'id="when"' not in first.text
        await asyncio.wait_for(answered.wait(), 10)
        await asyncio.sleep(0.05)  # the cache write after the answer
        second = await client.get(url)
    assert asked == [SAFETIX_EVENT_ID]
    moment = when(await event_start(usher), VENUE_ZONE, "en")
    assert f'id="when">{moment}<' in second.text
