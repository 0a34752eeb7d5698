"""How a cart line reads, in the chat and on the checkout page alike.

Each priced line shows its unit price and, when that is not the full price, why: the member
price, a coupon, or a discount from both. The full price stands next to it, so the fan sees
what the membership or code saved. ``isRetail`` lines in a member's cart say "full price",
because next to member-priced tickets a fan would otherwise wonder why they cost more.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import copy
from bot.acme.cart_models import Cart, CartItem
from bot.buying.cart_edits import is_add_on
from bot.formatting import money


@dataclass(frozen=True)
class LineText:
    """One cart line as words and amounts."""

    name: str
    quantity: int
    unit: str
    note: str
    amount: str


def line_text(cart: Cart, item: CartItem, lang: str) -> LineText:
    """The line's name, price and note in ``lang``."""
    if is_add_on(item):
        name = item.inventory_name or copy.text("addon_generic", lang)
    else:
        name = item.ticketing_type_name or copy.text("ticket_generic", lang)
    return LineText(
        name=name,
        quantity=item.quantity,
        unit=money(item.unit_price),
        note=_note(cart, item, lang),
        amount=money(item.amount),
    )


def cart_text(cart: Cart, lang: str) -> list[LineText]:
    """Every line with something in it, in cart order."""
    return [line_text(cart, item, lang) for item in cart.items if item.quantity > 0]


def _note(cart: Cart, item: CartItem, lang: str) -> str:
    if is_add_on(item):
        return ""
    if item.is_retail:
        return copy.text("cart_note_full", lang) if cart.membership_ids else ""
    unit, retail = item.unit_price, item.retail_unit_price
    if unit is None or retail is None or unit >= retail:
        return ""
    full = money(retail)
    if item.coupon_codes:
        return copy.text("cart_note_coupon", lang, code=", ".join(item.coupon_codes), retail=full)
    if cart.coupon_codes and not cart.membership_ids:
        return copy.text("cart_note_coupon", lang, code=", ".join(cart.coupon_codes), retail=full)
    if cart.membership_ids and not cart.coupon_codes:
        return copy.text("cart_note_member", lang, retail=full)
    return copy.text("cart_note_discount", lang, retail=full)
