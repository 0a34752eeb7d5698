"""Reloading the secure ticket page: tokens seconds old are reused for the same browser, so
fifty reloads cost the gate's secure-render quota one call, not fifty."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from adapters.pages.ticket import COOKIE
from adapters.pages.token_reuse import REUSE_SECONDS
from bot.app.bootstrap import Usher
from bot.app.web import create_app
from tests.support.servers import serve_in_loop
from tests.support.ticket_page import BROWSER, ticket_link

pytestmark = pytest.mark.redis
PAGE_CALL = {"x-usher-page": "1", "Sec-Fetch-Site": "same-origin", **BROWSER}


def renders(usher: Usher) -> int:
    assert usher.sandbox is not None
    return len(usher.sandbox.tm.state.tm.fulfil.renders)


async def open_in_a_browser(base: str, url: str) -> httpx.AsyncClient:
    """A browser that has loaded the page (and so holds its cookie)."""
    browser = httpx.AsyncClient(base_url=base, headers=BROWSER, timeout=10)
    page = await browser.get(urlsplit(url).path)
    assert page.status_code == 200
    assert browser.cookies.get(COOKIE)
    return browser


async def test_fifty_reloads_cost_one_secure_render_call(usher: Usher) -> None:
    async with serve_in_loop(create_app(usher, close_on_shutdown=False)) as base:
        url = await ticket_link(usher, base, "reloader")
        before = renders(usher)
        browser = await open_in_a_browser(base, url)
        path = urlsplit(url).path + "/token"
        answers = [await browser.post(path, headers=PAGE_CALL) for _ in range(50)]
        assert {answer.status_code for answer in answers} == {200}
        tokens = {ticket["token"] for answer in answers for ticket in answer.json()["tickets"]}
        assert renders(usher) - before == 1
        assert len(tokens) == len(answers[0].json()["tickets"])  # the same tokens each time
        await browser.aclose()


async def test_the_reuse_lapses_in_seconds(usher: Usher) -> None:
    async with serve_in_loop(create_app(usher, close_on_shutdown=False)) as base:
        url = await ticket_link(usher, base, "mover")
        path = urlsplit(url).path + "/token"
        first = await open_in_a_browser(base, url)
        assert (await first.post(path, headers=PAGE_CALL)).status_code == 200
        before = renders(usher)
        # The cached copy expires on its own: once gone, the next view refreshes again.
        keys = await usher.store.redis.keys(usher.store.key("page", "tokens", "*"))
        assert keys
        assert 0 < await usher.store.redis.pttl(keys[0]) <= REUSE_SECONDS * 1000
        await usher.store.redis.delete(*keys)
        assert (await first.post(path, headers=PAGE_CALL)).status_code == 200
        assert renders(usher) - before == 1
        await first.aclose()
