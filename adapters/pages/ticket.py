"""The secure ticket page ``GET /t/{token}`` and its token call ``POST /t/{token}/token``.

Why two requests: the SafeTix token is a bearer secret. The page itself (which may be cached,
shared, screenshotted or logged by a proxy along with its URL) contains no token; its script
fetches the tokens with an authenticated same-origin call and hands them straight to the
Secure Entry SDK.

Who may open it: the link is signed and expires (``bot.links``), names an order registered to
one fan, and is the only live link of that fan's page for that order: a fresh link from the
bot replaces it (``adapters.store.page_bindings``). The live link is bound to one browser, and
**binding is done by the page's own script, never by a GET**: link-preview robots (Telegram's
``TelegramBot (like TwitterBot)``, Slack, WhatsApp...), mail scanners and ``curl`` fetch links
without running scripts or keeping cookies, so the first GET must not lock the fan out. So:

* ``GET`` from a preview robot or a client that is no browser gets a plain page (no script, no
  cookie, no event facts) and binds nothing; from a browser, the page shell and, the first
  time, a long-lived random browser cookie (HttpOnly, ``/t/`` only, stored in Redis only as a
  digest). The shell of a valid link says which event, when, where and which entrance
  (``adapters.pages.ticket_facts``) and asks the fan to keep the page open; its script loads
  the Secure Entry SDK itself, so a script that fails, hangs or comes without ``Presence``
  gets the fan a message in their language (reload, or ask the bot) instead of a blank box.
* The script's first ``POST /t/{token}/token`` (custom header, same origin, the browser
  cookie) binds the link to that browser. Without the cookie nothing is bound.
* Another browser is told the link is open on another device and how to move it: ask the bot
  for the tickets again, which issues a fresh link and drops the old binding (one device at a
  time per fan per order, by design). An older link reads as replaced.

Each browser has its own sticky Ticketmaster device id (``RedisTmOrderStore.browser_device_id``,
the SafeTix FAQ 3, 4 and 6); every view refreshes the tokens through secure render with that
id, and when Ticketmaster is slow or down the cached tokens from the last refresh are served
and the page says so. A view within seconds of the same browser's last one gets that view's
tokens again (``adapters.pages.token_reuse``): reloads do not spend the gate's secure-render
quota. The call's body is sized before anything else (``adapters.bodies``).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
from pathlib import Path
from string import Template
from urllib.parse import quote
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from adapters.bodies import KIB, BodyTooLarge, read_body, too_large
from adapters.pages.common import (
    is_robot,
    origin,
    page_language,
    secure_headers,
    short_page,
)
from adapters.pages.ticket_facts import event_facts, facts_html
from adapters.pages.token_reuse import RecentTokens
from adapters.store.page_bindings import Binding, RedisPageBindings
from adapters.store.store import Store
from bot import copy
from bot.errors import BotError, UpstreamError
from bot.links import PageLink, TicketLinks, fan_digest
from bot.ticketmaster.ports import CachedOrder, PageTicket, TmOrderRef
from bot.ticketmaster.safetix import SafeTix, viewer_of

#: The browser's id: random, kept by the browser, sent only to ticket pages.
COOKIE = "usher_browser"
#: Browsers keep a cookie at most 400 days (Chrome's cap); a fan's orders rarely live longer.
COOKIE_MAX_AGE = 400 * 24 * 3600
PAGE_HEADER = "x-usher-page"
TEMPLATE = Template((Path(__file__).parent / "ticket.html").read_text(encoding="utf-8"))
TM_CONNECT = "https://app.ticketmaster.com"
#: The placeholder of ``USHER_TM_WALLET_PASS_URL``.
WALLET_ID_SLOT = "{pk_pass_id}"
#: The page's token call carries no body; anything bigger than this is not from the page.
MAX_TOKEN_BODY = KIB
#: What a binding answer means for the visitor: the copy key and the status.
REFUSALS: dict[Binding, tuple[str, int]] = {
    "other": ("page_other_device", 403),
    "replaced": ("page_replaced", 410),
}


class PageRefused(Exception):
    """The page or its token call may not be served; ``key`` names the copy, ``status`` the code."""

    def __init__(self, key: str, status: int) -> None:
        super().__init__(key)
        self.key = key
        self.status = status


def _label(ticket: PageTicket, lang: str, index: int) -> str:
    if ticket.seat is None:
        return copy.text("page_ticket", lang, index=index)
    section, row, seat = ticket.seat
    return copy.text("seat", lang, section=section, row=row, seat=seat)


def browser_digest(cookie: str | None) -> str:
    """What Redis keeps of a browser cookie ("" without one)."""
    return hashlib.sha256(cookie.encode()).hexdigest()[:32] if cookie else ""


class TicketPages:
    """Route handlers for the ticket page, bound to the running Usher."""

    def __init__(
        self,
        links: TicketLinks,
        safetix: SafeTix,
        store: Store,
        sdk_url: str,
        secure: bool,
        wallet_url: str | None = None,
        *,
        tz: ZoneInfo,
        venue: str,
    ) -> None:
        #: The venue's zone (``USHER_TIMEZONE``) and name (``config/venue.toml``): the page
        #: says when and where the event is, as the chat does.
        self.tz = tz
        self.venue = venue
        #: ``USHER_TM_WALLET_PASS_URL``: where an Apple Wallet pass id becomes a pass file.
        self.wallet_url = wallet_url
        self.links = links
        self.safetix = safetix
        self.bindings = RedisPageBindings(store)
        self.recent = RecentTokens(store)
        self.sdk_url = sdk_url
        self.secure_cookie = secure

    def routes(self) -> list[Route]:
        """The page and its token call."""
        return [
            Route("/t/{token}", self.page, methods=["GET"]),
            Route("/t/{token}/token", self.tokens, methods=["POST"]),
        ]

    async def _order(self, token: str, *, tokens: bool) -> tuple[PageLink, TmOrderRef, CachedOrder]:
        """The link's order if it is still the fan's, and its cache (read at once; the cached
        tokens too when the caller will show them)."""
        try:
            link = self.links.read(token)
        except BotError:
            raise PageRefused("page_expired", 410) from None
        order, cached = await self.safetix.store.get_with_cache(link.ref, tokens=tokens)
        if order is None or not hmac.compare_digest(fan_digest(order.fan), link.fan_digest):
            raise PageRefused("page_expired", 410)
        return link, order, cached

    async def page(self, request: Request) -> Response:
        """The HTML shell: no token in it, only the script that fetches them. Binds nothing."""
        lang = page_language(request)
        token = request.path_params["token"]
        if is_robot(request):
            return short_page(
                lang, copy.text("page_title", lang), copy.text("page_robot", lang), 200
            )
        cookie = request.cookies.get(COOKIE)
        try:
            link, order, cached = await self._order(token, tokens=False)
            seen = await self.bindings.look(
                link.fan_digest, link.ref, link.link_id, browser_digest(cookie)
            )
            if seen in REFUSALS:
                raise PageRefused(*REFUSALS[seen])
        except PageRefused as refused:
            return self._refusal_page(lang, refused)
        nonce = secrets.token_urlsafe(16)
        facts = await event_facts(self.safetix, order, cached, self.tz, self.venue, lang)
        values = {
            "lang": lang,
            "title": copy.text("page_title", lang),
            "loading": copy.text("page_loading", lang),
            "failed": copy.text("page_failed", lang),
            "sdk_failed": copy.text("page_sdk_failed", lang),
            "keep_open": copy.text("page_keep_open", lang),
            "sdk_url": self.sdk_url,
            "token_path": f"/t/{token}/token",
        }
        page = TEMPLATE.substitute(
            {name: html.escape(value) for name, value in values.items()},
            facts=facts_html(facts),
            nonce=nonce,
        )
        response = HTMLResponse(page, headers=self._headers(nonce))
        if not cookie:
            response.set_cookie(
                COOKIE,
                secrets.token_urlsafe(32),
                max_age=COOKIE_MAX_AGE,
                path="/t/",
                httponly=True,
                secure=self.secure_cookie,
                samesite="lax",
            )
        return response

    async def tokens(self, request: Request) -> Response:
        """Fresh (or last cached) tokens for the page's tickets; the first call from a real
        browser binds the link to it, later ones must come from that browser."""
        lang = page_language(request)
        token = request.path_params["token"]
        no_store = {"Cache-Control": "no-store"}
        site = request.headers.get("sec-fetch-site")
        if (
            request.headers.get(PAGE_HEADER) != "1"
            or site not in (None, "same-origin")
            or is_robot(request)
        ):
            return JSONResponse({"error": copy.text("page_failed", lang)}, 403, headers=no_store)
        try:
            await read_body(request, MAX_TOKEN_BODY)  # the script sends none
        except BodyTooLarge:
            return too_large(MAX_TOKEN_BODY)
        browser = browser_digest(request.cookies.get(COOKIE))
        try:
            if not browser:
                raise PageRefused("page_no_cookie", 403)
            link, order, cached = await self._order(token, tokens=True)
            bound = await self.bindings.bind(
                link.fan_digest, link.ref, link.link_id, browser, self.links.max_age
            )
            if bound in REFUSALS:
                raise PageRefused(*REFUSALS[bound])
        except PageRefused as refused:
            return JSONResponse(
                {"error": copy.text(refused.key, lang)}, refused.status, headers=no_store
            )
        binding = f"{browser}\x00{link.link_id}\x00{order.ref}"
        tickets = await self.recent.get(binding)  # a reload seconds later
        if tickets is None:
            device = await self.safetix.store.browser_device_id(order.fan, browser)
            viewer = viewer_of(request.headers.get("user-agent"))
            try:
                tickets = await self.safetix.refresh(
                    order, device_id=device, viewer=viewer, cached=cached
                )
            except UpstreamError:  # never loaded, and Ticketmaster is not answering now
                tickets = []
            if tickets:
                await self.recent.put(binding, tickets)
        if not tickets:
            return JSONResponse({"error": copy.text("page_failed", lang)}, 503, headers=no_store)
        body = {
            "tickets": [
                {
                    "token": t.token,
                    "label": _label(t, lang, i),
                    "fresh": t.fresh,
                    "wallet": self._wallet(t),
                }
                for i, t in enumerate(tickets, start=1)
            ],
            "wallet_label": copy.text("page_add_to_wallet", lang),
            "notice": None
            if all(t.fresh for t in tickets)
            else copy.text("page_refresh_failed", lang),
        }
        return JSONResponse(body, headers=no_store)

    def _wallet(self, ticket: PageTicket) -> str | None:
        """The "Add to Apple Wallet" address of a ticket, when Ticketmaster gave a pass id
        (``passData.ios.pkPassId``) and a pass URL is configured (tm-notes.md: the pattern is
        not public, so it is the operator's setting, never a guess)."""
        if ticket.pk_pass_id is None or self.wallet_url is None:
            return None
        return self.wallet_url.replace(WALLET_ID_SLOT, quote(ticket.pk_pass_id, safe=""))

    def _headers(self, nonce: str) -> dict[str, str]:
        sdk = origin(self.sdk_url)
        csp = (
            f"default-src 'none'; script-src 'nonce-{nonce}' {sdk}; style-src 'nonce-{nonce}'; "
            f"connect-src 'self' {sdk} {TM_CONNECT}; img-src 'self' data: blob:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
        return secure_headers(csp)

    def _refusal_page(self, lang: str, refused: PageRefused) -> Response:
        title = copy.text("page_title", lang)
        return short_page(lang, title, copy.text(refused.key, lang), refused.status)
