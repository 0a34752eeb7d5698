"""``GET /l/{code}``: a purchase link opened in a browser, the web twin of ``/start <code>``.

The link's event, ticket type, quantity and coupon go into a fresh cart (``bot.buying.link_carts``,
counted as one of the link's carts), and the browser is sent on (303) to that cart's checkout
page. The buyer here is anonymous: there is no chat to message afterwards, so the checkout page
itself shows the order number (ACME mails the confirmation). A link that names no ticket type
gets the event's first listed price (its main admission); marketing sets a type for anything
else. Unknown, expired and revoked links get one page (410) whichever it was.

Chat apps fetch links to draw previews; a GET that made a cart each time would fill ACME with
carts and the link's figures with clicks nobody made, so known preview fetchers get a plain page
and nothing is opened.
"""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from adapters.pages.checkout import checkout_short_page as short_page
from adapters.pages.common import is_link_preview, page_language
from bot import copy
from bot.buying.link_carts import open_link_cart
from bot.buying.purchase_links import LinkGone
from bot.buying.shop import Shop
from bot.errors import BadRequest, NotFound, UpstreamError

log = structlog.get_logger("usher.pages.purchase_link")


class PurchaseLinkPage:
    """The ``/l/{code}`` route, bound to the running Usher."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop

    def routes(self) -> list[Route]:
        """The one route."""
        return [Route("/l/{code}", self.open, methods=["GET"])]

    async def open(self, request: Request) -> Response:
        """A fresh cart for the link, then its checkout page."""
        lang = page_language(request)
        if is_link_preview(request):
            return short_page(lang, copy.text("page_checkout_title", lang), 200)
        try:
            link = await self.shop.links.open(request.path_params["code"])
        except LinkGone:
            return short_page(lang, copy.text("page_link_gone", lang), 410)
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
        url = self.shop.checkouts.links.url(made.opened.record.cart_id, None, lang)
        return RedirectResponse(url, 303, headers={"Cache-Control": "no-store"})
