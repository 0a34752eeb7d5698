"""The secure ticket page ``GET /t/{token}`` and its token call ``POST /t/{token}/token``.

Why two requests: the SafeTix token is a bearer secret. The page itself (which may be cached,
shared, screenshotted or logged by a proxy along with its URL) contains no token; its script
fetches the tokens with an authenticated same-origin call and hands them straight to the
Secure Entry SDK.

Who may open it: the link is signed and expires (``bot.links``), names an order registered
to one fan, and is bound to the first browser that opens it (a random, HttpOnly cookie whose
hash is stored in Redis). A second browser with the same link — another fan who was sent it —
is refused; the owner asks the bot for a fresh link if they change phones.

Every view refreshes the tokens through secure render; when Ticketmaster is slow or down the
cached tokens from the last refresh are served and the page says so.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path
from string import Template

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from adapters.bodies import KIB, BodyTooLarge, read_body, too_large
from adapters.pages.common import origin, page_language, secure_headers, short_page
from adapters.store.store import Store
from bot import copy
from bot.errors import BotError, UpstreamError
from bot.links import TicketLinks, fan_digest
from bot.ticketmaster.ports import PageTicket, TmOrderRef
from bot.ticketmaster.safetix import SafeTix

COOKIE = "usher_page"
PAGE_HEADER = "x-usher-page"
TEMPLATE = Template((Path(__file__).parent / "ticket.html").read_text(encoding="utf-8"))
TM_CONNECT = "https://app.ticketmaster.com"
#: The page's token call carries no body; anything bigger than this is not from the page.
MAX_TOKEN_BODY = KIB


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


class TicketPages:
    """Route handlers for the ticket page, bound to the running Usher."""

    def __init__(
        self, links: TicketLinks, safetix: SafeTix, store: Store, sdk_url: str, secure: bool
    ) -> None:
        self.links = links
        self.safetix = safetix
        self.store = store
        self.sdk_url = sdk_url
        self.secure_cookie = secure

    def routes(self) -> list[Route]:
        """The page and its token call."""
        return [
            Route("/t/{token}", self.page, methods=["GET"]),
            Route("/t/{token}/token", self.tokens, methods=["POST"]),
        ]

    def _binding_key(self, token: str) -> str:
        return self.store.key("page", "bind", hashlib.sha256(token.encode()).hexdigest()[:32])

    async def _order(self, token: str) -> TmOrderRef:
        try:
            ref, digest = self.links.read(token)
        except BotError:
            raise PageRefused("page_expired", 410) from None
        order = await self.safetix.store.get(ref)
        if order is None or not hmac.compare_digest(fan_digest(order.fan), digest):
            raise PageRefused("page_expired", 410)
        return order

    async def _bind(self, token: str, cookie: str | None) -> str | None:
        """Bind the link to this browser; return a new cookie value when one was made."""
        if await self._is_bound(token, cookie):
            return None
        key = self._binding_key(token)
        fresh = cookie or secrets.token_urlsafe(32)
        digest = hashlib.sha256(fresh.encode()).hexdigest()
        if not await self.store.redis.set(key, digest, nx=True, ex=self.links.max_age):
            raise PageRefused("page_other_device", 403)
        return fresh

    async def _is_bound(self, token: str, cookie: str | None) -> bool:
        """True when this browser is the one the link was bound to."""
        if not cookie:
            return False
        stored = await self.store.redis.get(self._binding_key(token))
        digest = hashlib.sha256(cookie.encode()).hexdigest()
        return stored is not None and hmac.compare_digest(stored.decode(), digest)

    async def page(self, request: Request) -> Response:
        """The HTML shell: no token in it, only the script that fetches them."""
        lang = page_language(request)
        token = request.path_params["token"]
        try:
            await self._order(token)
            new_cookie = await self._bind(token, request.cookies.get(COOKIE))
        except PageRefused as refused:
            return self._refusal_page(lang, refused)
        nonce = secrets.token_urlsafe(16)
        html = TEMPLATE.substitute(
            lang=lang,
            title=copy.text("page_title", lang),
            loading=copy.text("page_loading", lang),
            failed=copy.text("page_failed", lang),
            sdk_url=self.sdk_url,
            token_path=f"/t/{token}/token",
            nonce=nonce,
        )
        response = HTMLResponse(html, headers=self._headers(nonce))
        if new_cookie is not None:
            response.set_cookie(
                COOKIE,
                new_cookie,
                max_age=self.links.max_age,
                path="/t/",
                httponly=True,
                secure=self.secure_cookie,
                samesite="strict",
            )
        return response

    async def tokens(self, request: Request) -> Response:
        """Fresh (or last cached) tokens for the page's tickets, for the bound browser only."""
        lang = page_language(request)
        token = request.path_params["token"]
        no_store = {"Cache-Control": "no-store"}
        site = request.headers.get("sec-fetch-site")
        if request.headers.get(PAGE_HEADER) != "1" or site not in (None, "same-origin"):
            return JSONResponse({"error": copy.text("page_failed", lang)}, 403, headers=no_store)
        try:
            await read_body(request, MAX_TOKEN_BODY)  # the script sends none
        except BodyTooLarge:
            return too_large(MAX_TOKEN_BODY)
        try:
            order = await self._order(token)
            if not await self._is_bound(token, request.cookies.get(COOKIE)):
                raise PageRefused("page_other_device", 403)
        except PageRefused as refused:
            return JSONResponse(
                {"error": copy.text(refused.key, lang)}, refused.status, headers=no_store
            )
        try:
            tickets = await self.safetix.refresh(order)
        except UpstreamError:  # never loaded, and Ticketmaster is not answering now
            tickets = []
        if not tickets:
            return JSONResponse({"error": copy.text("page_failed", lang)}, 503, headers=no_store)
        body = {
            "tickets": [
                {
                    "token": t.token,
                    "label": _label(t, lang, i),
                    "fresh": t.fresh,
                }
                for i, t in enumerate(tickets, start=1)
            ],
            "notice": None
            if all(t.fresh for t in tickets)
            else copy.text("page_refresh_failed", lang),
        }
        return JSONResponse(body, headers=no_store)

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
