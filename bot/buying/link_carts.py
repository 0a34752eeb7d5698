"""A purchase link's fresh cart, the same whether it was opened in a chat or in a browser.

The link names an event instance, a ticket type, a quantity and maybe a coupon
(``bot.buying.purchase_links``).
Opening it always makes a *new* ACME cart with those tickets (a link
clicked twice is two carts, as marketing counts them), with the fan's membership when the chat
knows one. ACME refuses a whole cart whose coupon or membership it will not price (400); the
link must still work, so the cart is made again without the refused part and the caller is
told what was left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.acme.cart_models import CartItem
from bot.buying.carts import COUPON_PROBLEMS, MEMBERSHIP_PROBLEMS, Carts, OpenCart
from bot.buying.purchase_links import PurchaseLink
from bot.errors import BadRequest
from bot.messages import Fan


class CartCounter(Protocol):
    """Counts carts made through a link (``PurchaseLinks`` fits)."""

    async def counted(self, code: str, stat: str) -> None:
        """Add one to a link's counter."""
        ...


@dataclass(frozen=True)
class LinkCart:
    """The cart a link opened, and what ACME would not take from it."""

    opened: OpenCart
    #: The link's coupon code, when ACME refused it (invalid, expired, not for this event).
    coupon_refused: str | None = None
    #: True when the fan's membership could not be used (e.g. it expired).
    membership_refused: bool = False


async def open_link_cart(
    carts: Carts,
    counter: CartCounter,
    link: PurchaseLink,
    *,
    ticketing_type_id: str,
    fan: Fan | None,
    membership_id: int | None = None,
) -> LinkCart:
    """A fresh cart for ``link`` (counted as one of its carts)."""
    items = [CartItem.tickets(link.event_id, ticketing_type_id, link.quantity)]
    coupon = link.coupon_code
    refused_coupon: str | None = None
    refused_membership = False
    while True:
        try:
            opened = await carts.open(
                link.event_id,
                items,
                fan=fan,
                link_code=link.code,
                coupon_codes=[coupon] if coupon else None,
                membership_id=membership_id,
            )
            break
        except BadRequest as exc:
            if coupon is not None and exc.kind in COUPON_PROBLEMS:
                refused_coupon, coupon = coupon, None
            elif membership_id is not None and exc.kind in MEMBERSHIP_PROBLEMS:
                refused_membership, membership_id = True, None
            else:
                raise
    await counter.counted(link.code, "carts")
    return LinkCart(opened, refused_coupon, refused_membership)
