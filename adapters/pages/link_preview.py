"""What a purchase link shows when it is shared: Open Graph and Twitter card tags, and an image.

Chat apps and social sites fetch a shared link to draw a preview. For ``GET /l/{code}`` they
get, instead of a cart, a small page whose ``<head>`` says what the link sells: the event's
name as the title, its date and time (venue time) as the description, and a picture,
``GET /l/{code}/card.png``: 1,200 × 630 (the size Open Graph and Twitter's
``summary_large_image`` use), the event's name and date beside the link's own QR code. Neither
counts a click nor opens a cart: a preview robot only reads. The name and date come from the
link itself (kept when it was made), so a preview costs no ACME call; a link made before they
were kept asks ACME once for the event.

ACME's catalog carries no pictures, so the card is drawn here (Pillow, its bundled font) and
kept per link in memory: only a live link's code draws one, and each is drawn once.
"""

from __future__ import annotations

import asyncio
import functools
import html
import io
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

import segno
from PIL import Image, ImageDraw, ImageFont
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from adapters.pages.common import page_language, short_page
from bot import copy
from bot.acme.catalog_models import EventInstance
from bot.buying.purchase_links import LinkGone, PurchaseLink, PurchaseLinks
from bot.errors import NotFound, UpstreamError
from bot.formatting import when

CARD_SIZE = (1200, 630)
#: Cards kept in memory (about 40 KB each).
CARD_CACHE = 256
INK, PAPER, BAND = (24, 24, 32), (255, 255, 255), (200, 40, 70)


class EventSource(Protocol):
    """The one ACME call a preview may need (``adapters.acme.client.AcmeClient`` fits)."""

    async def get_event(self, instance_id: str, membership_id: int | None = None) -> EventInstance:
        """The event instance."""
        ...


@dataclass(frozen=True)
class Preview:
    """What a shared link shows."""

    title: str
    when: str
    url: str
    image: str


class LinkPreviews:
    """The preview page of a link for robots, and its card image."""

    def __init__(
        self,
        links: PurchaseLinks,
        events: EventSource,
        *,
        public_url: str,
        tz: ZoneInfo,
        site_name: str,
    ) -> None:
        self.links = links
        self.events = events
        self.public_url = public_url.rstrip("/")
        self.tz = tz
        self.site_name = site_name

    async def page(self, request: Request) -> Response:
        """The preview page: Open Graph and Twitter tags, no cart, no click counted."""
        lang = page_language(request)
        preview = await self._preview(request.path_params["code"], lang)
        if preview is None:
            return short_page(lang, copy.text("page_checkout_title", lang), _gone(lang), 410)
        description = (
            copy.text("link_preview_description", lang, when=preview.when)
            if preview.when
            else copy.text("link_preview_undated", lang)
        )
        tags = {
            "og:type": "website",
            "og:site_name": self.site_name,
            "og:title": preview.title,
            "og:description": description,
            "og:url": preview.url,
            "og:image": preview.image,
            "og:image:width": str(CARD_SIZE[0]),
            "og:image:height": str(CARD_SIZE[1]),
            "og:image:alt": f"{preview.title} · {preview.when}",
        }
        twitter = {
            "twitter:card": "summary_large_image",
            "twitter:title": preview.title,
            "twitter:description": description,
            "twitter:image": preview.image,
        }
        head = "".join(
            f'<meta property="{name}" content="{html.escape(value)}">'
            for name, value in tags.items()
        )
        head += "".join(
            f'<meta name="{name}" content="{html.escape(value)}">'
            for name, value in twitter.items()
        )
        body = (
            f'<!doctype html><html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
            f"<title>{html.escape(preview.title)}</title>"
            f'<meta name="description" content="{html.escape(description)}">{head}</head>'
            f"<body><h1>{html.escape(preview.title)}</h1><p>{html.escape(description)}</p>"
            "</body></html>"
        )
        return HTMLResponse(body, headers={"Cache-Control": "public, max-age=300"})

    async def image(self, request: Request) -> Response:
        """``GET /l/{code}/card.png``: the link's card (410 for a link that is gone)."""
        lang = page_language(request)
        preview = await self._preview(request.path_params["code"], lang)
        if preview is None:
            return Response(status_code=410, headers={"Cache-Control": "no-store"})
        png = await asyncio.to_thread(card_png, preview.title, preview.when, preview.url)
        return Response(
            png, media_type="image/png", headers={"Cache-Control": "public, max-age=3600"}
        )

    async def _preview(self, code: str, lang: str) -> Preview | None:
        try:
            link = await self.links.open(code, count=False)
        except LinkGone:
            return None
        name, start = link.event_name, link.event_start
        if name is None or start is None:
            name, start = await self._event(link, name, start)
        moment = when(datetime.fromtimestamp(start, UTC), self.tz, lang) if start else ""
        url = f"{self.public_url}/l/{link.code}"
        title = name or copy.text("page_checkout_title", lang)
        return Preview(title, moment, url, url + "/card.png")

    async def _event(
        self, link: PurchaseLink, name: str | None, start: float | None
    ) -> tuple[str | None, float | None]:
        """Name and start of an older link's event, from ACME (best effort), then kept on the
        link, so robots fetching it again cost ACME nothing."""
        try:
            event = await self.events.get_event(link.event_id)
        except (NotFound, UpstreamError):
            return name, start
        at = event.start_time.timestamp() if event.start_time else None
        name, start = name or event.name, start or at
        await self.links.describe(link.code, name, start)
        return name, start


def _gone(lang: str) -> str:
    return copy.text("page_link_gone", lang)


@functools.lru_cache(maxsize=CARD_CACHE)
def card_png(title: str, moment: str, url: str) -> bytes:
    """The 1,200 × 630 card: a coloured band, the event's name and date, the link's QR code."""
    width, height = CARD_SIZE
    image = Image.new("RGB", CARD_SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 24), fill=BAND)
    qr_side = 400
    code = segno.make_qr(url, error="q")
    qr = io.BytesIO()
    modules, _ = code.symbol_size(scale=1, border=2)
    code.save(qr, kind="png", scale=max(1, qr_side // modules), border=2)
    picture = Image.open(io.BytesIO(qr.getvalue())).convert("RGB")
    image.paste(picture, (width - picture.width - 60, (height - picture.height) // 2))
    text_width = width - picture.width - 160
    title_font = ImageFont.load_default(size=68)
    y = 110
    for line in _wrap(draw, title, title_font, text_width)[:3]:
        draw.text((60, y), line, font=title_font, fill=INK)
        y += 84
    if moment:
        draw.text((60, y + 24), moment, font=ImageFont.load_default(size=40), fill=BAND)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _wrap(
    draw: ImageDraw.ImageDraw,
    text: str,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    width: int,
) -> list[str]:
    """``text`` in lines that fit ``width`` pixels (a long word is cut)."""
    for columns in range(40, 5, -1):
        lines = textwrap.wrap(text, columns, break_long_words=True) or [""]
        if all(draw.textlength(line, font=font) <= width for line in lines):
            return lines
    return textwrap.wrap(text, 5) or [""]
