"""``GET /chat/widget.js``: a stable URL, a content-hashed script cached for a year, small."""

from __future__ import annotations

import gzip
import io
import json
import re

import httpx
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from adapters.qr import qr_svg_path
from adapters.webchat.assets import build_script
from bot import copy
from tests.adapters.webchat.conftest import Site

pytestmark = pytest.mark.redis


async def test_the_stable_url_redirects_briefly_to_the_hashed_script(site: Site) -> None:
    async with httpx.AsyncClient(base_url=site.url) as http:
        loader = await http.get("/chat/widget.js")
        assert loader.status_code == 302
        assert loader.headers["cache-control"] == "public, max-age=300"
        target = loader.headers["location"]
        assert re.fullmatch(r"/chat/widget-[0-9a-f]{16}\.js", target)

        script = await http.get(target, headers={"Accept-Encoding": "gzip"})
        assert script.status_code == 200
        assert script.headers["content-type"] == "text/javascript; charset=utf-8"
        assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert script.headers["content-encoding"] == "gzip"
        assert script.headers["x-content-type-options"] == "nosniff"
        assert int(script.headers["content-length"]) < 30 * 1024  # gzipped, on the wire
        assert "attachShadow" in script.text
        assert build_script().digest in target  # the name is the content's hash

        again = await http.get(target, headers={"If-None-Match": script.headers["etag"]})
        assert again.status_code == 304
        stale = await http.get("/chat/widget-0123456789abcdef.js")
        assert stale.status_code == 302  # an old page's cached name leads to the current one
        assert stale.headers["location"] == target
        assert stale.headers["cache-control"] == "no-store"


def test_the_script_carries_the_widgets_words_in_every_language() -> None:
    script = build_script()
    body = script.body.decode()
    assert "/*STRINGS*/" not in body
    words = json.loads(re.search(r"var STRINGS = (\{.*?\});\n", body).group(1))  # type: ignore[union-attr]
    assert set(words) == set(copy.languages())
    assert words["es"]["widget_send"] == copy.text("widget_send", "es")
    assert all(key.startswith("widget_") for key in words["en"])
    assert len(gzip.decompress(script.gzipped)) == len(script.body)


async def test_the_demo_page_is_only_in_the_sandbox(site: Site) -> None:
    async with httpx.AsyncClient(base_url=site.url) as http:
        page = await http.get("/chat/demo")
    assert page.status_code == 200
    assert '<script src="/chat/widget.js" async></script>' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_the_svg_path_draws_the_same_code_a_scanner_reads() -> None:
    value = "at1f0c2e6a9d4b4e0b8a7c"
    symbol = qr_svg_path(value)
    scale = 8
    picture = Image.new("L", (symbol.size * scale, symbol.size * scale), 255)
    draw = ImageDraw.Draw(picture)
    for run in re.finditer(r"M(\d+) (\d+)h(\d+)v1h-\3z", symbol.path):
        x, y, width = (int(part) for part in run.groups())
        draw.rectangle((x * scale, y * scale, (x + width) * scale - 1, (y + 1) * scale - 1), fill=0)
    assert re.fullmatch(r"(M\d+ \d+h\d+v1h-\d+z)+", symbol.path)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    [found] = zxingcpp.read_barcodes(Image.open(buffer))
    assert found.text == value
