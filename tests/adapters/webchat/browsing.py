"""A venue's web page with the widget, and a fan's hands on it (Playwright, Debian's Chromium).

The page is served from its own origin (``http://localhost:<port>``), never Usher's
(``http://127.0.0.1:<port>``), as on a real venue site: the one script tag is all it has.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import zxingcpp
from PIL import Image
from playwright.async_api import Locator, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.support.servers import free_port, serve_asgi

VENUE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Riverside Hall</title>
<style>
  /* The venue's own styles must not reach into the widget. */
  button {{ background: rgb(255, 105, 180); font-family: "Comic Sans MS"; }}
  li {{ color: rgb(0, 128, 0); }}
</style></head>
<body><h1>Riverside Hall</h1><button id="venue-button">Buy tickets</button>
<script src="{usher}/chat/widget.js" async></script>
</body></html>"""


@contextmanager
def venue_site(usher_url: str, port: int | None = None) -> Iterator[str]:
    """Serve the venue page; yield its origin (``http://localhost:<port>``)."""

    async def page(_: Request) -> HTMLResponse:
        return HTMLResponse(VENUE_PAGE.format(usher=usher_url))

    port = port or free_port()
    with serve_asgi(Starlette(routes=[Route("/", page)]), port):
        yield f"http://localhost:{port}"


class Fan:
    """One fan's browser tab on the venue page."""

    def __init__(self, page: Page) -> None:
        self.page = page

    @property
    def launcher(self) -> Locator:
        return self.page.locator("#usher-chat button.launcher")

    @property
    def input(self) -> Locator:
        return self.page.locator("#usher-input")

    @property
    def bot_messages(self) -> Locator:
        return self.page.locator("#usher-chat li.msg.bot")

    @property
    def fan_messages(self) -> Locator:
        return self.page.locator("#usher-chat li.msg.fan")

    async def open(self) -> None:
        await self.launcher.click()
        await expect(self.input).to_be_focused()

    async def say(self, text: str) -> None:
        """Type and send; wait until the server logged it (the bubble stops being pending)."""
        await self.input.fill(text)
        await self.input.press("Enter")
        await expect(self.page.locator("#usher-chat li.msg.fan.pending")).to_have_count(0)

    async def bot_says(self, text: str, *, within_ms: float = 10_000) -> None:
        await expect(self.bot_messages.last).to_contain_text(text, timeout=within_ms)

    async def qr_codes(self) -> list[str]:
        """What a scanner reads from each QR code shown, from a screenshot of it."""
        values = []
        for figure in await self.page.locator("#usher-chat figure.qr svg").all():
            png = await figure.screenshot()
            found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
            assert len(found) == 1, "expected one readable QR code in the element"
            values.append(str(found[0].text))
        return values

    async def state(self, script: str) -> Any:
        return await self.page.evaluate(script)

    async def token(self) -> str | None:
        """The session token the widget keeps (localStorage)."""
        token = await self.state("localStorage.getItem('usher-chat:session')")
        return None if token is None else str(token)

    async def session_id(self) -> str:
        """The id part of the token: the fan is ``web:<id>``."""
        token = await self.token()
        assert token is not None
        return token.split(".")[0]
