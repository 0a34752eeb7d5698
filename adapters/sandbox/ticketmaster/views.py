"""JSON bodies of the Ticketmaster sandbox, in the shapes the documents show.

Money is written as JSON numbers (``float`` of a cent-rounded ``Decimal``), as Ticketmaster does.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from adapters.sandbox.ticketmaster.data import PROCESSING_FEE, Cart, CartLine, Event, money


def availability_body(event: Event) -> dict[str, Any]:
    """The documented availability shape plus the newer top-level ``safeTixEnabled``."""
    inventory = [
        {"section": section, "row": row, "seats": event.free_seats(section, row)}
        for section, row in event.rows
    ]
    available = sum(len(entry["seats"]) for entry in inventory)
    offers = [
        {
            "ticketTypeId": offer.ticket_type_id,
            "priceLevelId": offer.price_level_id,
            "currency": "USD",
            "faceValue": float(offer.face_value),
            "charges": [
                {"amount": float(offer.service), "reason": "service", "type": "fee"},
                {"amount": float(offer.facility), "reason": "facility", "type": "fee"},
            ],
            "offerName": offer.name,
            "offerDescription": offer.name,
        }
        for offer in event.offers
    ]
    return {
        "event": {
            "id": event.id,
            "restrictSingle": False,
            "eventTicketLimit": event.ticket_limit,
            "onsale": iso(event.onsale),
            "offsale": iso(event.offsale),
            "eventDateTime": iso(event.starts_at),
            "seatLocationMapRestrict": False,
            "locXnumAddescRestrict": False,
            "locRowSeatRestrict": event.restricted,
            "tickets": [
                {
                    "available": available,
                    "total": sum(len(seats) for seats in event.rows.values()),
                    "currentTicketLimit": min(event.ticket_limit, available),
                    "seating": "reserved",
                    "inventory": inventory,
                    "offers": offers,
                }
            ],
        },
        "safeTixEnabled": event.safetix,
    }


def cart_body(cart: Cart, *, hold_time: int) -> dict[str, Any]:
    """The documented cart answer: ticket items, processing, delivery, totals, payments."""
    items = [_ticket_item(index, cart.event, line) for index, line in enumerate(cart.lines, 1)]
    # Ids as in the document's cart: tickets 1..n, processing n+1, delivery n+3.
    items.append(_fee_item("processing", len(cart.lines) + 1, PROCESSING_FEE))
    delivery = _fee_item("delivery", len(cart.lines) + 3, Decimal(0))
    delivery.update(
        carrier="TICKETMASTER",
        service_level="ETICKET",
        description={"long": "Get in with:", "short": "eTickets", "eta": "eTickets"},
        requires_address=False,
    )
    items.append(delivery)
    grand = cart.total("grand")
    return {
        "cart_id": cart.id,
        "cart": {
            "items": items,
            "totals": {
                "currency_code": "USD",
                "delivery": 0.0,
                "fee": float(cart.total("fee")),
                "grand": float(grand),
                "merchandise": float(cart.total("merchandise")),
                "tax": float(cart.total("tax")),
                "unpaid": float(grand - cart.paid()),
                "upsell": 0.0,
            },
            "payments": cart.charged,
            "hold_time": hold_time,
        },
    }


def _ticket_item(index: int, event: Event, line: CartLine) -> dict[str, Any]:
    offer, count = line.offer, len(line.seats)
    totals = line.totals()

    def charge(kind: str, price: Decimal, tax: Decimal) -> dict[str, Any]:
        return {"price": float(price), "type": kind, "quantity": count, "tax": float(tax)}

    return {
        "type": "ticket",
        "id": index,
        "areas": [
            {"description": f"Section {line.section}", "id": 8},
            {"description": f"Price Level {offer.price_level_id}", "id": 16},
        ],
        "tickets": [
            {
                "description": offer.name,
                "id": offer.ticket_type_id,
                "quantity": count,
                "inventory_type": "PRIMARY",
                "charges": [
                    charge("distance", Decimal(0), Decimal(0)),
                    charge("facility", offer.facility, Decimal(0)),
                    charge("face_value", offer.face_value, offer.face_tax),
                    charge("service", offer.service, offer.service_tax),
                ],
            }
        ],
        "ga": False,
        "totals": {"currency_code": "USD", **{k: float(money(v)) for k, v in totals.items()}},
        "event_id": event.id,
        "num_seats": count,
        "x-num": line.seats[0],
        "row": line.row,
        "section": line.section,
        "start_seat_number": str(line.seats[0]),
        "end_seat_number": str(line.seats[-1]),
        "is_ga": False,
    }


def _fee_item(kind: str, index: int, fee: Decimal) -> dict[str, Any]:
    return {
        "type": kind,
        "id": index,
        "totals": {
            "currency_code": "USD",
            "fee": float(fee),
            "grand": float(fee),
            "merchandise": 0.0,
            "tax": 0.0,
        },
    }


def iso(moment: dt.datetime) -> str:
    """UTC, as Ticketmaster writes it: ``2020-04-05T19:30:00Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
