"""What a fan may change in a cart, as pure functions from one ACME cart to the next request.

ACME prices a cart on every update (member price, coupons, ``isRetail``:
acme-discounts-carts.txt), so Usher never computes a price. These functions only decide *what*
is asked for: which lines, how many tickets on each, which line carries a coupon or
``isRetail``. Each takes the cart as ACME last answered it and returns the next request, built
from the fields a buyer decides (:func:`request_item`): the server's computed fields
(``itemId``, ``unitPrice``, ``amount``...) are never sent back, so a stale price can never
travel from one update to the next.

The rules, from the discounts document:

* a membership on the cart gives member prices, within the member's entitlements; the tickets
  over the limit go on their own line with ``isRetail: true`` (full price), see
  :func:`split_for_entitlements`;
* a coupon on the cart applies to every eligible ticket; a coupon on one line applies to that
  line only (:func:`with_coupon_on_one_ticket` moves one ticket onto its own coupon line);
* a coupon beats the member price, ``isRetail`` beats everything.

A cart holds tickets and add-ons for one event, the one the journey is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.acme.cart_models import ONLINE, Cart, CartItem, EntitlementViolation

#: Most tickets (or units of one add-on) one chat purchase may ask for.
MAX_QUANTITY = 20


def is_add_on(item: CartItem) -> bool:
    """True for an add-on line (an inventory item), False for tickets."""
    return (item.item_type or "").lower() == "inventory" or item.inventory_id is not None


def ticket_lines(cart: Cart) -> list[CartItem]:
    """The cart's ticket lines, in cart order."""
    return [item for item in cart.items if not is_add_on(item)]


def ticket_count(cart: Cart) -> int:
    """How many tickets the cart holds, whatever their price."""
    return sum(item.quantity for item in ticket_lines(cart))


def request_item(item: CartItem) -> CartItem:
    """The line as a request: only what the buyer decides, none of the server's prices."""
    if is_add_on(item):
        return CartItem.add_on(str(item.event_id), str(item.inventory_id), item.quantity)
    line = CartItem.tickets(
        str(item.event_id),
        str(item.ticketing_type_id),
        item.quantity,
        is_retail=True if item.is_retail else None,
        coupon_codes=list(item.coupon_codes) if item.coupon_codes else None,
    )
    if item.ignore_entitlements:
        line.ignore_entitlements = True
    return line


def request_cart(
    cart: Cart,
    items: Iterable[CartItem] | None = None,
    *,
    coupon_codes: list[str] | None = None,
    membership_ids: list[int] | None = None,
) -> Cart:
    """The whole cart as a request (``saleChannel: online``, needed for checkout).

    ``items`` replaces the lines (each reduced to :func:`request_item`; empty lines dropped);
    ``coupon_codes`` and ``membership_ids`` replace the cart's when given (``[]`` clears).
    """
    lines = [request_item(item) for item in (cart.items if items is None else items)]
    body = Cart(items=[line for line in lines if line.quantity > 0], sale_channel=ONLINE)
    codes = cart.coupon_codes if coupon_codes is None else coupon_codes
    members = cart.membership_ids if membership_ids is None else membership_ids
    if codes:
        body.coupon_codes = list(codes)
    if members:
        body.membership_ids = list(members)
    return body


def with_ticket_quantity(cart: Cart, quantity: int) -> Cart:
    """``quantity`` tickets of the cart's ticket type in all.

    Tickets already on a coupon line stay there (up to ``quantity``); the rest go on one plain
    line. Earlier full-price splits are undone: the entitlement check before checkout makes them
    again if the new count needs them.
    """
    _check_quantity(quantity, minimum=1)
    tickets = ticket_lines(cart)
    if not tickets:
        raise ValueError("the cart has no tickets to count")
    first = tickets[0]
    kept: list[CartItem] = []
    left = quantity
    for line in tickets:
        if line.coupon_codes and left > 0:
            take = min(line.quantity, left)
            kept.append(_copy(line, quantity=take))
            left -= take
    if left > 0:
        kept.append(CartItem.tickets(str(first.event_id), str(first.ticketing_type_id), left))
    add_ons = [item for item in cart.items if is_add_on(item)]
    return request_cart(cart, [*kept, *add_ons])


def with_add_on(cart: Cart, event_id: str, inventory_id: str, quantity: int) -> Cart:
    """Exactly ``quantity`` of one add-on (0 takes it out); setting, not adding, so a repeated
    button press changes nothing."""
    _check_quantity(quantity, minimum=0)
    items: list[CartItem] = []
    placed = False
    for item in cart.items:
        if is_add_on(item) and str(item.inventory_id) == inventory_id:
            if not placed:
                items.append(CartItem.add_on(event_id, inventory_id, quantity))
                placed = True
            continue
        items.append(item)
    if not placed:
        items.append(CartItem.add_on(event_id, inventory_id, quantity))
    return request_cart(cart, items)


def with_membership(cart: Cart, membership_id: int) -> Cart:
    """The member's internal id on the cart, so ACME answers member prices."""
    return request_cart(cart, membership_ids=[membership_id])


def with_cart_coupon(cart: Cart, code: str) -> Cart:
    """A cart-level coupon: ACME applies it to every eligible ticket (replaces an earlier one)."""
    return request_cart(cart, coupon_codes=[code])


def with_coupon_on_one_ticket(cart: Cart, code: str) -> Cart | None:
    """Move one ticket onto its own line carrying ``code`` (a ticket-level coupon).

    The ticket comes from a full-price line when there is one (an ``isRetail`` line first: the
    coupon then replaces full price, which is what the discounts document's "all in one"
    example shows), else from any plain line. A cart-level copy of the same code is removed,
    so the coupon really applies to one ticket. None when the code already sits on a ticket
    or there is no ticket to put it on.
    """
    if any(code in (line.coupon_codes or []) for line in ticket_lines(cart)):
        return None
    source = one_ticket_source(cart)
    if source is None:
        return None
    items: list[CartItem] = []
    for item in cart.items:
        items.append(_copy(item, quantity=item.quantity - 1) if item is source else item)
    items.append(
        CartItem.tickets(
            str(source.event_id), str(source.ticketing_type_id), 1, coupon_codes=[code]
        )
    )
    codes = [c for c in cart.coupon_codes or [] if c != code]
    return request_cart(cart, items, coupon_codes=codes)


def one_ticket_source(cart: Cart) -> CartItem | None:
    """The line a one-ticket coupon takes its ticket from: full price first, then any plain."""
    plain = [line for line in ticket_lines(cart) if not line.coupon_codes and line.quantity > 0]
    return next((line for line in plain if line.is_retail), plain[0] if plain else None)


def member_counted(item: CartItem, violation: EntitlementViolation) -> bool:
    """True when the line's tickets count against the member rule of ``violation``."""
    scope = {
        *violation.price_point_ids,
        *violation.validated_price_point_ids,
        *([violation.price_point_id] if violation.price_point_id else []),
    }
    return (
        not is_add_on(item)
        and (violation.event_id is None or item.event_id == violation.event_id)
        and item.ticketing_type_id in scope
        and not item.is_retail
        and not item.coupon_codes
        and not item.ignore_entitlements
    )


def split_for_entitlements(cart: Cart, violations: Sequence[EntitlementViolation]) -> Cart:
    """Keep as many member-priced tickets as each rule still allows; the rest at full price.

    For each violation the member lines keep ``allowedQuantity - purchasedQuantity`` tickets
    in all (earliest lines first); the others move to an ``isRetail`` line of the same ticket
    type, as "Selling Tickets with Membership Discounts" describes.
    """
    items = [request_item(item) for item in cart.items]
    for violation in violations:
        left = violation.remaining
        overflow: dict[tuple[str, str], int] = {}
        for index, item in enumerate(items):
            if not member_counted(item, violation):
                continue
            keep = min(item.quantity, left)
            left -= keep
            if item.quantity > keep:
                key = (str(item.event_id), str(item.ticketing_type_id))
                overflow[key] = overflow.get(key, 0) + item.quantity - keep
            items[index] = _copy(item, quantity=keep)
        for (event_id, type_id), extra in overflow.items():
            items = _add_full_price(items, event_id, type_id, extra)
    return request_cart(cart, items)


def over_limit(cart: Cart, violations: Sequence[EntitlementViolation]) -> int:
    """How many member-priced tickets the violations push to full price."""
    extra = 0
    for violation in violations:
        counted = sum(item.quantity for item in cart.items if member_counted(item, violation))
        extra += max(0, counted - violation.remaining)
    return extra


def _add_full_price(
    items: list[CartItem], event_id: str, type_id: str, extra: int
) -> list[CartItem]:
    for index, item in enumerate(items):
        if (
            item.is_retail
            and not is_add_on(item)
            and item.event_id == event_id
            and item.ticketing_type_id == type_id
        ):
            items[index] = _copy(item, quantity=item.quantity + extra)
            return items
    return [*items, CartItem.tickets(event_id, type_id, extra, is_retail=True)]


def _copy(item: CartItem, *, quantity: int) -> CartItem:
    line = request_item(item)
    line.quantity = quantity
    return line


def _check_quantity(quantity: int, *, minimum: int) -> None:
    if not minimum <= quantity <= MAX_QUANTITY:
        raise ValueError(f"quantity must be {minimum} to {MAX_QUANTITY}: {quantity}")
