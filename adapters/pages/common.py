"""What every Usher web page shares: the visitor's language, security headers, short pages.

One place, so the ticket page, the checkout page and the purchase-link page cannot drift apart
on how strictly they are served.
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from bot import copy

#: User agents of link-preview fetchers and scanners (they must not open carts or bind pages).
PREVIEW_AGENTS = (
    "telegrambot",
    "slackbot",
    "slack-imgproxy",
    "facebookexternalhit",
    "twitterbot",
    "whatsapp",
    "discordbot",
    "linkedinbot",
    "skypeuripreview",
    "microsoftpreview",
    "bingpreview",
    "google-safety",
    "googlebot",
    "applebot",
    "pinterest",
    "redditbot",
    "embedly",
    "iframely",
    "mastodon",
    "viber",
)


def is_link_preview(request: Request) -> bool:
    """True for a known link-preview fetcher (by its user agent)."""
    agent = request.headers.get("user-agent", "").lower()
    return any(bot in agent for bot in PREVIEW_AGENTS)


def is_robot(request: Request) -> bool:
    """True for a preview fetcher, or any client that does not even claim to be a browser
    (``curl``, scripts, most scanners): every browser's user agent starts ``Mozilla/``."""
    agent = request.headers.get("user-agent", "")
    return not agent.startswith("Mozilla/") or is_link_preview(request)


def page_language(request: Request) -> str:
    """The visitor's first ``Accept-Language`` choice we have copy for (else English)."""
    header = request.headers.get("accept-language", "")
    return copy.pick_language(header.split(",")[0].split(";")[0].strip() or None)


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL: what a CSP source list names."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def secure_headers(csp: str) -> dict[str, str]:
    """Headers of every page: its CSP, never cached, no referrer, no MIME sniffing."""
    return {
        "Content-Security-Policy": csp,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


def short_page(lang: str, title: str, text: str, status: int) -> Response:
    """A one-line page (expired, invalid, gone, already paid), every value escaped."""
    body = (
        f'<!doctype html><html lang="{html.escape(lang)}"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><p>{html.escape(text)}</p></html>"
    )
    return HTMLResponse(body, status, headers={"Cache-Control": "no-store"})
