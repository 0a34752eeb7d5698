"""Cart pricing by the rules of acme-discounts-carts.txt (member rules: ``acme_entitlements``).

Price of one ticket line, first rule that applies:

1. ``isRetail: true``: full price, whatever else the cart says.
2. A coupon: the line's own ``couponCodes`` if it has any (they must fit this event), otherwise
   the cart's ``couponCodes``, applied to every line they fit. A coupon beats the member price,
   even when the member price is lower (the documented 27.00 vs 24.00). With several, the one
   giving the lowest price wins.
3. A current membership in ``membershipIds``: the member price, where the event has one.
4. Full price.

Add-on lines (``itemType: Inventory``) cost their fixed price. Unknown events, price points,
add-ons, coupons and memberships are refused with 400, as is an expired coupon or membership,
so a caller learns at once that the discount did not apply.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from adapters.sandbox.acme.catalog_data import Catalog
from adapters.sandbox.acme.errors import ApiError
from adapters.sandbox.acme.records import (
    AddOnRecord,
    CouponRecord,
    InstanceRecord,
    MemberRecord,
    PricePoint,
    money,
)


@dataclass(frozen=True)
class PricedLine:
    """One priced cart line and why it costs what it costs (``basis``)."""

    item: dict[str, Any]
    instance: InstanceRecord
    quantity: int
    unit_price: Decimal
    #: retail, member, coupon or add_on.
    basis: str
    price_point: PricePoint | None = None
    add_on: AddOnRecord | None = None
    coupon: CouponRecord | None = None
    ignore_entitlements: bool = False


@dataclass(frozen=True)
class PricedCart:
    """A cart after pricing: the JSON to answer and the lines behind it."""

    json: dict[str, Any]
    lines: tuple[PricedLine, ...]
    members: tuple[MemberRecord, ...]

    @property
    def total(self) -> Decimal:
        """What the cart costs."""
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal(0))


def price_cart(body: dict[str, Any], catalog: Catalog, now: datetime, cart_id: str) -> PricedCart:
    """Price a cart body (a request, or a cart answered earlier) by the rules above."""
    membership_ids = [_int(value, "membershipIds") for value in _list(body, "membershipIds")]
    members = tuple(_member(catalog, membership_id, now) for membership_id in membership_ids)
    cart_coupon_codes = [_str(code, "couponCodes") for code in _list(body, "couponCodes")]
    cart_coupons = [_coupon(catalog, code, now) for code in cart_coupon_codes]
    lines = []
    for raw in _list(body, "items"):
        if not isinstance(raw, dict):
            raise ApiError(400, "INVALID_CART", "every item must be an object")
        lines.append(_price_item(raw, catalog, now, members, cart_coupons))
    cart: dict[str, Any] = {
        "id": cart_id,
        "items": [line.item for line in lines],
        "forms": _list(body, "forms"),
        "comboItems": _list(body, "comboItems"),
        "verifyEntitlements": body.get("verifyEntitlements") is True,
    }
    if membership_ids:
        cart["membershipIds"] = membership_ids
    if cart_coupon_codes:
        cart["couponCodes"] = cart_coupon_codes
    for key in ("membershipCategoryId", "customerId", "saleChannel"):
        if body.get(key) is not None:
            cart[key] = body[key]
    return PricedCart(cart, tuple(lines), members)


def _price_item(
    raw: dict[str, Any],
    catalog: Catalog,
    now: datetime,
    members: tuple[MemberRecord, ...],
    cart_coupons: list[CouponRecord],
) -> PricedLine:
    instance = catalog.instances.get(str(raw.get("eventId")))
    if instance is None:
        raise ApiError(400, "EVENT_NOT_FOUND", f"no event {raw.get('eventId')!r}")
    template = instance.template
    quantity = _int(raw.get("quantity", 0), "quantity")
    if quantity < 0:
        raise ApiError(400, "INVALID_QUANTITY", "quantity cannot be negative")
    item_id = raw.get("itemId") if isinstance(raw.get("itemId"), str) else uuid.uuid4().hex
    if str(raw.get("itemType", "")).lower() == "inventory" or "inventoryId" in raw:
        add_on = template.add_on(str(raw.get("inventoryId")))
        if add_on is None:
            raise ApiError(400, "ADD_ON_NOT_FOUND", f"{template.name} has no add-on that id")
        item = {
            "itemId": item_id,
            "eventId": instance.id,
            "inventoryId": int(add_on.id) if add_on.id.isdigit() else add_on.id,
            "inventoryName": add_on.name,
            "eventName": template.name,
            "quantity": quantity,
            **_prices(add_on.price, add_on.price, quantity),
            "itemType": "Inventory",
        }
        return PricedLine(item, instance, quantity, add_on.price, "add_on", add_on=add_on)
    point = template.price_point(str(raw.get("ticketingTypeId")))
    if point is None:
        raise ApiError(400, "TICKETING_TYPE_NOT_FOUND", f"{template.name} has no such price")
    is_retail = raw.get("isRetail") is True
    ignore = raw.get("ignoreEntitlements") is True
    own_codes = [_str(code, "couponCodes") for code in _list(raw, "couponCodes")]
    coupons = [_coupon(catalog, code, now) for code in own_codes]
    if coupons and not any(c.applies_to(template.id) for c in coupons):
        raise ApiError(
            400, "COUPON_NOT_APPLICABLE", f"that coupon does not apply to {template.name}"
        )
    eligible = [c for c in (coupons or cart_coupons) if c.applies_to(template.id)]
    coupon = min(eligible, key=lambda c: c.unit_price(point.price)) if eligible else None
    if is_retail:
        unit, basis, coupon = point.price, "retail", None
    elif coupon is not None:
        unit, basis = coupon.unit_price(point.price), "coupon"
    elif members and point.member_price is not None:
        unit, basis = point.member_price, "member"
    else:
        unit, basis = point.price, "retail"
    item = {
        "itemId": item_id,
        "eventId": instance.id,
        "ticketingTypeId": point.id,
        "eventName": template.name,
        "ticketingTypeName": point.name,
        "quantity": quantity,
        **_prices(unit, point.price, quantity),
        "itemType": "Event",
        "admissionType": template.admission_type,
    }
    if own_codes:
        item["couponCodes"] = own_codes
    item.update(isRetail=is_retail, ignoreEntitlements=ignore)
    return PricedLine(item, instance, quantity, unit, basis, point, None, coupon, ignore)


def _prices(unit: Decimal, retail: Decimal, quantity: int) -> dict[str, str]:
    return {
        "unitPrice": money(unit),
        "retailUnitPrice": money(retail),
        "amount": money(unit * quantity),
    }


def _member(catalog: Catalog, membership_id: int, now: datetime) -> MemberRecord:
    member = catalog.members.get(membership_id)
    if member is None:
        raise ApiError(400, "MEMBERSHIP_NOT_FOUND", f"no membership {membership_id}")
    if not member.active(now):
        raise ApiError(400, "MEMBERSHIP_EXPIRED", f"membership {membership_id} has expired")
    return member


def _coupon(catalog: Catalog, code: str, now: datetime) -> CouponRecord:
    coupon = catalog.coupons.get(code.strip().upper())
    if coupon is None:
        raise ApiError(400, "INVALID_COUPON", f"coupon code {code!r} is not valid")
    if coupon.expired(now):
        raise ApiError(400, "COUPON_EXPIRED", f"coupon code {code!r} has expired")
    return coupon


def _list(body: dict[str, Any], key: str) -> list[Any]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApiError(400, "INVALID_CART", f"{key} must be a list")
    return value


def _int(value: Any, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ApiError(400, "INVALID_CART", f"{what} must be a whole number")


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, "INVALID_CART", f"{what} must hold non-empty strings")
    return value
