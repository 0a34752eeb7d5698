"""Builds orders in the shape of acme-orders.txt, for the seed data and for checkouts.

An order has two faces, as in the documents: ``GET /v2/b2c/orders/{id}`` shows the items with
their tickets and the phone in E.164 (``+11234567890``); the search lists it without items and
with the phone as it was typed (``1234567890``). Each admission gets a ticket whose ``uuid`` is
an ACME-style barcode with the ``at`` prefix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from adapters.sandbox.acme.records import (
    AddOnRecord,
    Fan,
    InstanceRecord,
    MemberUse,
    OrderRecord,
    PricePoint,
    e164,
    epoch_ms,
    iso,
    money,
)

#: Ticket statuses that still admit (the others: Refund, Void).
LIVE = "Normal"


@dataclass(frozen=True)
class Line:
    """One order line: ``quantity`` tickets of a price point, or of an add-on."""

    instance: InstanceRecord
    quantity: int
    unit_price: Decimal
    price_point: PricePoint | None = None
    add_on: AddOnRecord | None = None
    #: Bought at the member price under this membership (counts against member rules).
    member_id: int | None = None


@dataclass(frozen=True)
class OrderSpec:
    """Everything an order is made from."""

    order_id: int
    order_number: int
    tenant_id: int
    fan: Fan
    lines: Sequence[Line]
    created: datetime
    status: str = LIVE
    checked_in: bool = False
    membership_id: int | None = None
    coupon_id: str | None = None
    card_last4: str | None = "4242"
    #: The order's ``notes`` (acme-orders.txt: "Notes about the order"), as the checkout sent.
    notes: str | None = None
    #: ``hideEventDate``: "Whether you want to hide dates on the tickets".
    hide_event_date: bool = False


def seeded_barcode(order_id: int, n: int) -> str:
    """A stable ``at``-prefixed barcode for seed data (same on every start)."""
    digest = hashlib.sha256(f"acme-sandbox:{order_id}:{n}".encode()).hexdigest()
    return f"at{digest[:6]}-{digest[6:24]}-{digest[24:32]}"


def build_order(
    spec: OrderSpec, barcode: Callable[[int, int], str] = seeded_barcode
) -> OrderRecord:
    """The order record (detail, summary, member uses) for ``spec``."""
    fan = spec.fan
    total = sum((line.unit_price * line.quantity for line in spec.lines), Decimal(0))
    paid = Decimal(0) if spec.status == "Void" else total
    refunded = total if spec.status == "Refund" else Decimal(0)
    created, phone = iso(spec.created), e164(fan.phone) or fan.phone
    street, city, state, country = fan.address
    items: list[dict[str, Any]] = []
    for index, line in enumerate(spec.lines):
        items.append(_item(spec, line, spec.order_id * 10 + index, phone, barcode))
    detail: dict[str, Any] = {
        "id": str(spec.order_id),
        "tenantId": spec.tenant_id,
        "visitorId": fan.visitor_id,
        "email": fan.email,
        "billingEmail": fan.email,
        "contactFirstName": fan.first_name,
        "contactLastName": fan.last_name,
        "billingFirstName": fan.first_name,
        "billingLastName": fan.last_name,
        "address1": street,
        "country": country,
        "city": city,
        "state": state,
        "zipCode": fan.zip_code,
        "phoneNumber": phone,
        "billingPhoneNumber": phone,
        "orderNumber": str(spec.order_number),
        "discountedTotalAmount": money(total),
        "totalAmount": money(total),
        "discountedOriginalTotalAmount": money(total),
        "originalTotalAmount": money(total),
        "paidAmount": money(paid),
        "balanceAmount": "0.00",
        "refundAmount": money(refunded),
        "saleChannel": "Online",
        "checkInStatus": "CheckedIn" if spec.checked_in else "NotCheckedIn",
        "creationDate": created,
        "paymentDueDate": created,
        "orderItems": items,
        "createdOn": created,
        "createdBy": "null",
        "updatedOn": created,
        "updatedBy": "null",
        "legacy": False,
        "hideEventDate": spec.hide_event_date,
        "ccLastFourDigits": spec.card_last4 or "null",
        "invoiceAfter": False,
        "customerId": fan.customer_id,
        "obfuscated": False,
    }
    if spec.membership_id is not None:
        detail["membershipId"] = spec.membership_id
    if spec.coupon_id is not None:
        detail["couponId"] = spec.coupon_id
    if spec.notes:
        detail["notes"] = spec.notes
    summary = {key: value for key, value in detail.items() if key != "orderItems"}
    summary["phoneNumber"] = summary["billingPhoneNumber"] = fan.phone
    uses = tuple(
        MemberUse(line.member_id, line.instance.id, line.price_point.id, line.quantity)
        for line in spec.lines
        if line.member_id is not None and line.price_point is not None
    )
    return OrderRecord(detail, summary, uses, counts=spec.status == LIVE)


def _item(
    spec: OrderSpec,
    line: Line,
    item_id: int,
    phone: str,
    barcode: Callable[[int, int], str],
) -> dict[str, Any]:
    amount = money(line.unit_price * line.quantity)
    unit = money(line.unit_price)
    event = line.instance
    item: dict[str, Any] = {
        "parentItemId": str(item_id),
        "comboTemplateType": "fixedPrice",
        "eventId": event.id,
        "eventName": event.template.name,
        "eventStartTime": epoch_ms(event.start),
    }
    if line.price_point is not None:
        item["ticketingTypeId"] = line.price_point.id
        item["ticketingTypeName"] = line.price_point.name
    for key in ("basicOriginalQuantity", "originalQuantity", "basicQuantity", "quantity"):
        item[key] = line.quantity
    item.update(
        {
            "unitPrice": unit,
            "discountedUnitPrice": unit,
            "discountedOriginalAmount": amount,
            "originalAmount": amount,
            "discountedAmount": amount,
            "amount": amount,
            "balanceAmount": "0.00",
        }
    )
    if line.add_on is not None:
        item.update(
            itemType="Inventory",
            itemTypeNg="Event",
            inventoryId=int(line.add_on.id),
            inventoryName=line.add_on.name,
        )
    else:
        item.update(itemType="Event", itemTypeNg="Event")
    item.update(conversionStatus="NoConversion", itemId=str(item_id))
    item["displayName"] = line.add_on.name if line.add_on else item["ticketingTypeName"]
    if line.price_point is not None:
        if spec.checked_in:
            item["checkedInQuantity"] = line.quantity
        checked_in = iso(event.start) if spec.checked_in else "null"
        ticket_ids = [item_id * 100 + n for n in range(line.quantity)]
        item["ticketVos"] = [
            _ticket(spec, ticket_id, barcode(spec.order_id, ticket_id), phone, checked_in)
            for ticket_id in ticket_ids
        ]
    return item


def _ticket(
    spec: OrderSpec, ticket_id: int, uuid: str, phone: str, checked_in: str
) -> dict[str, Any]:
    return {
        "id": str(ticket_id),
        "tenantId": spec.tenant_id,
        "uuid": uuid,
        "checkInDate": checked_in,
        "firstName": spec.fan.first_name,
        "lastName": spec.fan.last_name,
        "email": spec.fan.email,
        "phoneNumber": phone,
        "ticketStatus": spec.status,
        "printed": False,
        "notes": "",
    }
