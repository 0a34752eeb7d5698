"""``GET /l/{code}`` against robots, reloads and floods: carts and counts stay honest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from adapters.pages.purchase_link import PER_ADDRESS
from bot.app.bootstrap import Usher
from bot.app.web import create_app
from bot.buying.purchase_links import PurchaseLink
from tests.support.shop import ADULT, TOUR
from tests.support.ticket_page import BROWSER

pytestmark = pytest.mark.redis


@asynccontextmanager
async def visitor(
    usher: Usher, address: str = "203.0.113.7", **headers: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A client at ``address`` (a browser by default), talking to Usher's web app."""
    app = create_app(usher, close_on_shutdown=False)
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url="https://usher.test", headers={**BROWSER, **headers}
    ) as client:
        yield client


async def a_link(usher: Usher) -> PurchaseLink:
    return await usher.shop.links.create(
        event_id=TOUR, ticketing_type_id=ADULT, quantity=1, created_by="U_MARKETER"
    )


async def acme_carts(usher: Usher) -> int:
    assert usher.sandbox is not None
    return len(usher.sandbox.acme.state.acme.carts)


async def stats(usher: Usher, link: PurchaseLink) -> dict[str, int]:
    return await usher.shop.links.store.stats(link.code)


def cart_of(usher: Usher, response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    token = response.headers["location"].rsplit("/", 1)[1]
    return usher.shop.checkouts.links.read(token).cart_id


async def test_sixty_anonymous_opens_from_one_address_make_one_cart(usher: Usher) -> None:
    link = await a_link(usher)
    before = await acme_carts(usher)
    carts = set()
    for _ in range(PER_ADDRESS):  # no cookies kept: a script, not a browser
        async with visitor(usher) as client:
            carts.add(cart_of(usher, await client.get(f"/l/{link.code}")))
    async with visitor(usher) as client:
        refused = await client.get(f"/l/{link.code}")
    assert len(carts) == 1
    assert await acme_carts(usher) - before == 1
    assert await stats(usher, link) == {"clicks": 1, "carts": 1, "purchases": 0}
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert "wait a minute" in refused.text


async def test_a_browser_reloading_keeps_its_cart_and_counts_once(usher: Usher) -> None:
    link = await a_link(usher)
    async with visitor(usher, "198.51.100.1") as browser:
        carts = {cart_of(usher, await browser.get(f"/l/{link.code}")) for _ in range(5)}
    async with visitor(usher, "198.51.100.2") as neighbour:  # someone else: a cart of their own
        theirs = cart_of(usher, await neighbour.get(f"/l/{link.code}"))
    assert len(carts) == 1
    assert theirs not in carts
    assert await stats(usher, link) == {"clicks": 2, "carts": 2, "purchases": 0}


@pytest.mark.parametrize(
    "agent",
    [
        "TelegramBot (like TwitterBot)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "facebookexternalhit/1.1",
        "WhatsApp/2.23.20.0",
        "curl/8.5.0",
        "python-requests/2.32",
    ],
)
async def test_robots_open_nothing_and_count_nothing(usher: Usher, agent: str) -> None:
    link = await a_link(usher)
    before = await acme_carts(usher)
    async with visitor(usher, **{"User-Agent": agent}) as robot:
        answers = [await robot.get(f"/l/{link.code}") for _ in range(10)]
    assert {answer.status_code for answer in answers} == {200}
    assert await acme_carts(usher) == before
    assert await stats(usher, link) == {"clicks": 0, "carts": 0, "purchases": 0}


async def test_a_link_opens_only_so_many_new_carts_a_minute(usher: Usher) -> None:
    link = await a_link(usher)
    limit = usher.settings.link_carts_per_minute
    statuses = []
    for n in range(limit + 5):  # every request from an address of its own
        async with visitor(usher, f"10.{n // 65536}.{n // 256 % 256}.{n % 256}") as client:
            statuses.append((await client.get(f"/l/{link.code}")).status_code)
    assert statuses.count(303) == limit
    assert statuses[limit:] == [429] * 5
    assert (await stats(usher, link))["carts"] == limit
