"""``GET /l/{code}``: a purchase link opened in a browser, the web twin of ``/start <code>``.

The link's event, ticket type, quantity and coupon go into a fresh cart (``bot.buying.link_carts``,
counted as one of the link's carts), and the browser is sent on (303) to that cart's checkout
page. The buyer here is anonymous: there is no chat to message afterwards, so the checkout page
itself shows the order number (ACME mails the confirmation). A link that names no ticket type
gets the event's first listed price (its main admission); marketing sets a type for anything
else. Unknown, expired and revoked links get one page (410) whichever it was.

Chat apps fetch links to draw previews; a GET that made a cart each time would fill ACME with
carts and the link's figures with clicks nobody made. So, before any cart is made:

* **Robots** (preview fetchers, and clients that do not even claim to be a browser) get a plain
  page: no cart, no click, no cart counted.
* **One cart per browser per link**: the browser keeps a signed cookie (``/l/{code}`` only)
  naming its cart; a reload goes back to that cart while it is unpaid, counting nothing. A
  client that keeps no cookie is recognised by its address for :data:`ADDRESS_MEMORY`: its
  reloads reuse the cart its address opened (so a script hammering the link from one address
  makes one cart), until that cart is paid.
* **Per address**: :data:`PER_ADDRESS` requests a minute to purchase links; past that 429
  and a page asking to wait a minute.
* **Per link**: at most ``USHER_LINK_CARTS_PER_MINUTE`` new carts a minute for one link, so
  many addresses together cannot flood ACME either; past that 429, "very popular right now".

The address is the client's as uvicorn sees it: behind a load balancer, set uvicorn's
``FORWARDED_ALLOW_IPS`` to the balancer's address so ``X-Forwarded-For`` is believed.
"""

from __future__ import annotations

import hashlib

import structlog
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from adapters.pages.checkout import checkout_short_page as short_page
from adapters.pages.common import is_robot, page_language
from adapters.store.identity import RedisRateCounter
from adapters.store.store import Store
from bot import copy
from bot.buying.link_carts import open_link_cart
from bot.buying.purchase_links import LinkGone
from bot.buying.shop import Shop
from bot.errors import BadRequest, NotFound, UpstreamError

log = structlog.get_logger("usher.pages.purchase_link")

COOKIE = "usher_cart"
#: How long a browser's cookie (and an address's cart) points at the cart a link opened.
ADDRESS_MEMORY = 10 * 60
COOKIE_MAX_AGE = 24 * 3600
#: Requests to purchase links one address may make a minute.
PER_ADDRESS = 30
MINUTE = 60.0


class PurchaseLinkPage:
    """The ``/l/{code}`` route, bound to the running Usher."""

    def __init__(
        self, shop: Shop, store: Store, secret: bytes, *, carts_per_minute: int, secure: bool
    ) -> None:
        self.shop = shop
        self.store = store
        self.counter = RedisRateCounter(store)
        self.cookies = URLSafeSerializer(secret, salt="usher.link-cart")
        self.carts_per_minute = carts_per_minute
        self.secure = secure

    def routes(self) -> list[Route]:
        """The one route."""
        return [Route("/l/{code}", self.open, methods=["GET"])]

    async def open(self, request: Request) -> Response:
        """The browser's cart for the link (a fresh one the first time), then its checkout."""
        lang = page_language(request)
        code = request.path_params["code"]
        if is_robot(request):
            return short_page(lang, copy.text("page_checkout_title", lang), 200)
        address = _digest(request.client.host if request.client else "")
        if await self.counter.hit(f"link-address:{address}", MINUTE) > PER_ADDRESS:
            return _busy(lang, "page_link_slow_down")
        try:
            link = await self.shop.links.open(code, count=False)
        except LinkGone:
            return short_page(lang, copy.text("page_link_gone", lang), 410)
        by_address = self.store.key("link", "address-cart", code, address)
        for cart_id in (self._cookie_cart(request, code), await self._text(by_address)):
            if cart_id is not None and await self._unpaid(cart_id):
                return self._to_checkout(cart_id, lang, code)
        if await self.counter.hit(f"link-carts:{code}", MINUTE) > self.carts_per_minute:
            return _busy(lang, "page_link_busy")
        await self.shop.links.counted(code, "clicks")
        try:
            type_id = link.ticketing_type_id
            if type_id is None:
                event = await self.shop.carts.api.get_event(link.event_id)
                if not event.price_list.prices:
                    return short_page(lang, copy.text("page_link_gone", lang), 410)
                type_id = event.price_list.prices[0].person_type.id
            made = await open_link_cart(
                self.shop.carts, self.shop.links, link, ticketing_type_id=type_id, fan=None
            )
        except (BadRequest, NotFound):
            # The link's event or ticket type is no longer sold.
            return short_page(lang, copy.text("page_link_gone", lang), 410)
        except UpstreamError as exc:
            log.warning("purchase_link_upstream", error=type(exc).__name__)
            return short_page(lang, copy.text("upstream_down", lang), 503)
        cart_id = made.opened.record.cart_id
        await self.store.redis.set(by_address, cart_id, ex=ADDRESS_MEMORY)
        return self._to_checkout(cart_id, lang, code)

    def _cookie_cart(self, request: Request, code: str) -> str | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self.cookies.loads(raw)
        except BadSignature:
            return None
        if isinstance(data, dict) and data.get("l") == code and isinstance(data.get("c"), str):
            return str(data["c"])
        return None

    async def _text(self, key: str) -> str | None:
        raw = await self.store.redis.get(key)
        return raw.decode() if raw is not None else None

    async def _unpaid(self, cart_id: str) -> bool:
        record = await self.shop.checkouts.records.get(cart_id)
        return record is not None and record.order_id is None

    def _to_checkout(self, cart_id: str, lang: str, code: str) -> Response:
        url = self.shop.checkouts.links.url(cart_id, None, lang)
        response = RedirectResponse(url, 303, headers={"Cache-Control": "no-store"})
        response.set_cookie(
            COOKIE,
            self.cookies.dumps({"l": code, "c": cart_id}),
            max_age=COOKIE_MAX_AGE,
            path=f"/l/{code}",
            httponly=True,
            secure=self.secure,
            samesite="lax",
        )
        return response


def _digest(address: str) -> str:
    """A short label for a client address (Redis key names hold no addresses)."""
    return hashlib.sha256(address.encode()).hexdigest()[:16]


def _busy(lang: str, key: str) -> Response:
    """429 with a page saying to wait a minute (and ``Retry-After`` saying it to machines)."""
    response = short_page(lang, copy.text(key, lang), 429)
    response.headers["Retry-After"] = str(int(MINUTE))
    return response
