"""A shared purchase link previews properly: Open Graph and Twitter tags and a card image for
the robots that fetch it, and no cart and no click for them (real HTTP, the real app)."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime

import httpx
import pytest
import zxingcpp
from PIL import Image

from adapters.sandbox.acme.catalog_data import DOCUMENTED_TOUR_INSTANCE, JAZZ
from adapters.sandbox.acme.state import AcmeSandboxState
from bot.app.bootstrap import Usher
from bot.buying.purchase_links import PurchaseLink
from bot.formatting import when

pytestmark = pytest.mark.redis
ROBOTS = [
    "TelegramBot (like TwitterBot)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "WhatsApp/2.23.20.0",
]
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile"


def acme(usher: Usher) -> AcmeSandboxState:
    assert usher.sandbox is not None
    state: AcmeSandboxState = usher.sandbox.acme.state.acme
    return state


async def jazz_link(usher: Usher) -> tuple[PurchaseLink, datetime]:
    now = datetime.now(UTC)
    instance = min(
        (i for i in acme(usher).catalog.instances_of(JAZZ.id) if i.start > now),
        key=lambda i: i.start,
    )
    link = await usher.shop.links.create(
        event_id=instance.id,
        created_by="U0MARKET",
        quantity=2,
        event_name=JAZZ.name,
        event_start=instance.start.timestamp(),
    )
    return link, instance.start


def tags(page: str) -> dict[str, str]:
    """The ``<meta property|name=... content=...>`` tags of a page, unescaped."""
    found = re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', page)
    return {name: html.unescape(value) for name, value in found}


@pytest.mark.parametrize("robot", ROBOTS)
async def test_a_preview_robot_gets_the_tags_and_the_card_and_opens_nothing(
    site: tuple[Usher, str], robot: str
) -> None:
    usher, base = site
    link, start = await jazz_link(usher)
    carts_before = len(acme(usher).carts)
    async with httpx.AsyncClient(base_url=base, headers={"User-Agent": robot}) as client:
        page = await client.get(f"/l/{link.code}")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        found = tags(page.text)
        moment = when(start, usher.settings.zone())
        url = f"{base}/l/{link.code}"
        assert found["og:title"] == found["twitter:title"] == JAZZ.name
        assert moment in found["og:description"]
        assert found["og:url"] == url
        assert found["og:image"] == found["twitter:image"] == f"{url}/card.png"
        assert found["twitter:card"] == "summary_large_image"
        assert found["og:site_name"] == usher.settings.venue().facts["name"]
        assert f"<title>{html.escape(JAZZ.name)}</title>" in page.text

        card = await client.get(f"/l/{link.code}/card.png")
        assert card.status_code == 200
        assert card.headers["content-type"] == "image/png"
        picture = Image.open(io.BytesIO(card.content))
        assert picture.size == (1200, 630)
        [code] = zxingcpp.read_barcodes(picture)
        assert code.text == url  # the card carries the link itself
    assert len(acme(usher).carts) == carts_before  # no cart for a robot
    [(_, stats)] = await usher.shop.links.report()
    assert stats == {"clicks": 0, "carts": 0, "purchases": 0}


async def test_a_browser_still_gets_its_cart_and_a_gone_link_previews_nothing(
    site: tuple[Usher, str],
) -> None:
    usher, base = site
    link, _ = await jazz_link(usher)
    async with httpx.AsyncClient(base_url=base) as client:
        opened = await client.get(f"/l/{link.code}", headers={"User-Agent": BROWSER})
        assert opened.status_code == 303
        assert "/checkout/" in opened.headers["location"]
        await usher.shop.links.revoke(link.code)
        robot = {"User-Agent": ROBOTS[0]}
        gone = await client.get(f"/l/{link.code}", headers=robot)
        assert gone.status_code == 410
        assert "og:title" not in gone.text
        assert (await client.get(f"/l/{link.code}/card.png", headers=robot)).status_code == 410
        assert (await client.get("/l/no-such-code/card.png", headers=robot)).status_code == 410
    [(_, stats)] = await usher.shop.links.report()
    assert stats["clicks"] == 1


async def test_a_link_made_before_names_were_kept_asks_acme_for_its_event(
    site: tuple[Usher, str],
) -> None:
    usher, base = site
    old = await usher.shop.links.create(event_id=DOCUMENTED_TOUR_INSTANCE, created_by="U1")
    assert old.event_name is None
    async with httpx.AsyncClient(base_url=base, headers={"User-Agent": ROBOTS[0]}) as client:
        found = tags((await client.get(f"/l/{old.code}")).text)
    assert found["og:title"] == "Behind-the-Scenes Tour"
    instance = acme(usher).catalog.instances[DOCUMENTED_TOUR_INSTANCE]
    assert when(instance.start, usher.settings.zone()) in found["og:description"]
