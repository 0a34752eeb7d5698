"""The widget's script and the demo page: ``GET /chat/widget.js``, ``/chat/widget-<hash>.js``,
``/chat/demo``.

A venue's pages name ``/chat/widget.js``, which never changes; it redirects (cached five
minutes) to ``/chat/widget-<hash>.js``, whose name is the SHA-256 of its content and which is
therefore cached for a year (``immutable``). A new release changes the hash, so browsers pick
it up within five minutes without a venue touching its pages. The script is built once per
process: ``widget.js`` with the widget's words from ``config/messages.toml`` (every
``widget_*`` message, per language) put in, gzipped once for browsers that accept it.

``/chat/demo`` (the sandbox only) is a sample venue page with the one script tag, for
``usher demo`` and for trying the widget by hand.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot import copy

HERE = Path(__file__).resolve().parent
PLACEHOLDER = "/*STRINGS*/null"
LOADER_PATH = "/chat/widget.js"
YEAR = 365 * 24 * 3600
LOADER_CACHE = 300


@dataclass(frozen=True)
class Script:
    """The built widget script: its bytes, gzipped bytes and content hash."""

    body: bytes
    gzipped: bytes
    digest: str

    @property
    def path(self) -> str:
        """The content-hashed URL path."""
        return f"/chat/widget-{self.digest}.js"


def build_script() -> Script:
    """``widget.js`` with the widget's words in every language of the copy."""
    words = {
        lang: {key: text for key, text in table.items() if key.startswith("widget_")}
        for lang, table in copy.catalogue().items()
    }
    source = (HERE / "widget.js").read_text()
    if PLACEHOLDER not in source:
        raise RuntimeError("widget.js lost its strings placeholder")
    body = source.replace(PLACEHOLDER, json.dumps(words, ensure_ascii=False)).encode()
    digest = hashlib.sha256(body).hexdigest()[:16]
    return Script(body, gzip.compress(body, compresslevel=9, mtime=0), digest)


class Assets:
    """The routes of the widget's script (and, in the sandbox, the demo page)."""

    def __init__(self, *, demo: bool) -> None:
        self.demo = demo

    @cached_property
    def script(self) -> Script:
        """Built on first use, then kept."""
        return build_script()

    def routes(self) -> list[BaseRoute]:
        """``/chat/widget.js``, the hashed script, and ``/chat/demo`` when ``demo``."""
        routes: list[BaseRoute] = [
            Route(LOADER_PATH, self.loader, methods=["GET", "HEAD"]),
            Route("/chat/widget-{digest}.js", self.hashed, methods=["GET", "HEAD"]),
        ]
        if self.demo:
            routes.append(Route("/chat/demo", self.demo_page, methods=["GET"]))
        return routes

    async def loader(self, _: Request) -> Response:
        """The stable URL venues embed: a short-lived redirect to the current script."""
        return RedirectResponse(
            self.script.path,
            status_code=302,
            headers={"Cache-Control": f"public, max-age={LOADER_CACHE}"},
        )

    async def hashed(self, request: Request) -> Response:
        """The script itself, cached for a year; an old hash is sent on to the current one."""
        script = self.script
        if request.path_params["digest"] != script.digest:
            return RedirectResponse(
                script.path, status_code=302, headers={"Cache-Control": "no-store"}
            )
        headers = {
            "Cache-Control": f"public, max-age={YEAR}, immutable",
            "ETag": f'"{script.digest}"',
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Resource-Policy": "cross-origin",
        }
        if request.headers.get("if-none-match") == headers["ETag"]:
            return Response(status_code=304, headers=headers)
        body = script.body
        if "gzip" in request.headers.get("accept-encoding", ""):
            body = script.gzipped
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)

    async def demo_page(self, _: Request) -> Response:
        """A sample venue page with the widget (under a strict Content-Security-Policy)."""
        nonce = secrets.token_urlsafe(16)
        page = (HERE / "demo.html").read_text().replace("{nonce}", nonce)
        policy = (
            "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self'; "
            f"style-src 'nonce-{nonce}'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'"
        )
        return HTMLResponse(page, headers={"Content-Security-Policy": policy})
