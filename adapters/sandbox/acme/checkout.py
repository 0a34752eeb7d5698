"""The simulated B2C checkout (``/v2/b2c/checkout`` and the CORS ``/v2/b2c/cors/checkout``).

ACME documents the CORS checkout as "the same format and payload as the normal B2C checkout"
without showing that payload; the shape accepted here is the public community client's
(BarnesFoundation/acme-ticketing-client, ``CheckoutInputObject``)::

    {
      "shoppingCartId": "<cart id>"          (or "shoppingCart": {<cart object>}, not both),
      "email": "fan@example.com"             ("contactEmail" is accepted too),
      "contactFirstName": "...", "contactLastName": "...",
      "phoneNumber": "...", "zipCode": "...", "address1": ..., "city": ..., "state": ...,
      "manualEntryCardNumber": "4242424242424242", "expDate": "MMyy", "cvc": "123",
                                             (or "acmeToken": "<token from a payment form>"),
      "chargeAmount": "56.00"                (optional; must equal the cart total)
      "notes": "..."                         (optional; kept as the order's ``notes``)
    }

It behaves like the service: the cart is repriced, must be ``saleChannel: online`` and within
member entitlements and seats; payment is needed unless the total is 0.00 (cards must pass the
Luhn check, not be expired; ``4000000000000002`` is declined). The same card and amount again
within five minutes is refused with code 16003 ``DUPLICATE_TRANSACTION_FOUND``; a request uuid
that already completed answers 409. A success creates a real order (tickets with ``at`` barcodes)
that search and get find afterwards, takes the seats, and consumes the cart.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.sandbox.acme.entitlements import entitlements
from adapters.sandbox.acme.errors import DUPLICATE_TRANSACTION_CODE, ApiError
from adapters.sandbox.acme.order_builder import Line, OrderSpec, build_order
from adapters.sandbox.acme.pricing import PricedCart, price_cart
from adapters.sandbox.acme.records import Fan
from adapters.sandbox.acme.state import AcmeSandboxState, Charge

DECLINED_TEST_CARD = "4000000000000002"
MAX_NOTES = 1000


def checkout(state: AcmeSandboxState, body: Any, request_uuid: str | None) -> dict[str, Any]:
    """Run one checkout; return the new order as ``GET /v2/b2c/orders/{id}`` shows it."""
    request_uuid = _check_uuid(request_uuid)
    if not isinstance(body, dict):
        raise ApiError(400, "INVALID_CHECKOUT", "the checkout body must be a JSON object")
    with state.lock:
        if request_uuid in state.checkouts:
            raise ApiError(
                409, "DUPLICATE_REQUEST", "a checkout with this x-acme-request-uuid was completed"
            )
        now = state.now()
        cart_id, cart_body = _cart(state, body)
        priced = price_cart(cart_body, state.catalog, now, cart_id or "")
        _check_cart(state, priced)
        fan = _fan(body, 7_400_000 + len(state.orders))
        total = priced.total
        _check_charge_amount(body, total)
        card, last4 = _payment(body, total, now)
        if card is not None and state.recent_charge(card, total):
            raise ApiError(
                400,
                "DUPLICATE_TRANSACTION_FOUND",
                "the same card was charged the same amount less than five minutes ago",
                code=DUPLICATE_TRANSACTION_CODE,
            )
        order_id, number = state.next_order_ids()
        member = priced.members[0].membership_id if priced.members else None
        coupons = [line.coupon.id for line in priced.lines if line.coupon is not None]
        lines = [
            Line(
                line.instance,
                line.quantity,
                line.unit_price,
                price_point=line.price_point,
                add_on=line.add_on,
                member_id=member if line.basis == "member" else None,
            )
            for line in priced.lines
            if line.quantity > 0
        ]
        spec = OrderSpec(
            order_id=order_id,
            order_number=number,
            tenant_id=state.keys.acme_tenant_id,
            fan=fan,
            lines=lines,
            created=now,
            membership_id=member,
            coupon_id=coupons[0] if coupons else None,
            card_last4=last4,
            notes=_notes(body),
        )
        record = build_order(spec, barcode=_new_barcode)
        state.orders[record.detail["id"]] = record
        for line in lines:
            if line.price_point is not None:
                line.instance.sold += line.quantity
        state.checkouts[request_uuid] = record.detail["id"]
        if card is not None:
            state.charges.append(Charge(card, total, now))
        if cart_id is not None:
            state.carts.pop(cart_id, None)
        return copy.deepcopy(record.detail)


def _check_uuid(request_uuid: str | None) -> str:
    if not request_uuid:
        raise ApiError(400, "REQUEST_UUID_REQUIRED", "x-acme-request-uuid is required")
    try:
        uuid.UUID(request_uuid)
    except ValueError:
        raise ApiError(400, "INVALID_REQUEST_UUID", "x-acme-request-uuid must be a UUID") from None
    return request_uuid


def _cart(state: AcmeSandboxState, body: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    cart_id, inline = body.get("shoppingCartId"), body.get("shoppingCart")
    if (cart_id is None) == (inline is None):
        raise ApiError(400, "INVALID_CHECKOUT", "give shoppingCartId or shoppingCart (not both)")
    if inline is not None:
        if not isinstance(inline, dict):
            raise ApiError(400, "INVALID_CHECKOUT", "shoppingCart must be an object")
        return None, inline
    stored = state.carts.get(str(cart_id))
    if stored is None:
        raise ApiError(400, "CART_NOT_FOUND", f"no cart {cart_id!r}")
    return str(cart_id), stored


def _check_cart(state: AcmeSandboxState, priced: PricedCart) -> None:
    if str(priced.json.get("saleChannel", "")).lower() != "online":
        raise ApiError(400, "SALE_CHANNEL_REQUIRED", "a B2C checkout needs saleChannel 'online'")
    if not any(line.quantity > 0 for line in priced.lines):
        raise ApiError(400, "EMPTY_CART", "the cart has nothing to buy")
    result = entitlements(priced, state.purchased)
    if not result["valid"]:
        raise ApiError(400, "ENTITLEMENTS_NOT_MET", "; ".join(result["messages"]))
    wanted: dict[str, int] = {}
    for line in priced.lines:
        if line.price_point is not None:
            wanted[line.instance.id] = wanted.get(line.instance.id, 0) + line.quantity
    for instance_id, quantity in wanted.items():
        instance = state.catalog.instances[instance_id]
        if quantity > instance.available:
            raise ApiError(
                400,
                "SOLD_OUT",
                f"only {instance.available} seats left for {instance.template.name}",
            )


def _fan(body: dict[str, Any], customer_id: int) -> Fan:
    email = body.get("email") or body.get("contactEmail")
    if not isinstance(email, str) or "@" not in email:
        raise ApiError(400, "INVALID_CHECKOUT", "email is required")
    first, last = (
        value.strip() if isinstance(value, str) else ""
        for value in (body.get("contactFirstName"), body.get("contactLastName"))
    )
    if not first or not last:
        raise ApiError(400, "INVALID_CHECKOUT", "contactFirstName and contactLastName are required")
    address = tuple(str(body.get(key) or "") for key in ("address1", "city", "state", "country"))
    return Fan(
        first_name=first,
        last_name=last,
        email=email.strip(),
        phone=str(body.get("phoneNumber") or ""),
        zip_code=str(body.get("zipCode") or ""),
        customer_id=customer_id,
        visitor_id=str(customer_id - 5_000_000),
        address=(address[0], address[1], address[2], address[3] or "United States"),
    )


def _notes(body: dict[str, Any]) -> str | None:
    notes = body.get("notes")
    if notes is None:
        return None
    if not isinstance(notes, str) or len(notes) > MAX_NOTES:
        raise ApiError(400, "INVALID_CHECKOUT", f"notes must be text of at most {MAX_NOTES}")
    return notes


def _check_charge_amount(body: dict[str, Any], total: Decimal) -> None:
    raw = body.get("chargeAmount")
    if raw is None:
        return
    try:
        amount = Decimal(str(raw))
    except InvalidOperation:
        raise ApiError(400, "INVALID_CHECKOUT", "chargeAmount must be an amount") from None
    if amount != total:
        raise ApiError(400, "CHARGE_AMOUNT_MISMATCH", f"the cart total is {total:.2f}")


def _payment(body: dict[str, Any], total: Decimal, now: datetime) -> tuple[str | None, str | None]:
    """(card fingerprint, last four digits); (None, None) when nothing is charged."""
    if total == 0:
        return None, None
    token = body.get("acmeToken")
    if isinstance(token, str) and token:
        last4 = body.get("ccLastFourDigits")
        return f"token:{_digest(token)}", str(last4) if last4 else None
    number = "".join(ch for ch in str(body.get("manualEntryCardNumber") or "") if ch.isdigit())
    if not number:
        raise ApiError(400, "PAYMENT_REQUIRED", "a card or acmeToken is required")
    if not 12 <= len(number) <= 19 or not _luhn(number):
        raise ApiError(400, "INVALID_CARD", "the card number is not valid")
    exp = str(body.get("expDate") or "")
    if len(exp) != 4 or not exp.isdigit() or not 1 <= int(exp[:2]) <= 12:
        raise ApiError(400, "INVALID_CARD", "expDate must be MMyy")
    if (2000 + int(exp[2:]), int(exp[:2])) < (now.year, now.month):
        raise ApiError(400, "CARD_EXPIRED", "the card has expired")
    cvc = str(body.get("cvc") or "")
    if not cvc.isdigit() or len(cvc) not in (3, 4):
        raise ApiError(400, "INVALID_CARD", "cvc must be 3 or 4 digits")
    if number == DECLINED_TEST_CARD:
        raise ApiError(400, "PAYMENT_DECLINED", "the card was declined")
    return f"card:{_digest(number)}", number[-4:]


def _luhn(number: str) -> bool:
    digits = [int(ch) for ch in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _new_barcode(_: int, __: int) -> str:
    return f"at{secrets.token_hex(3)}-{secrets.token_hex(9)}-{secrets.token_hex(4)}"
