"""The Ticketmaster sandbox's domain: events, seats, carts, orders, and its error answers.

Plain dataclasses with no HTTP in them, shared by the purchase flow (``tm_shop``), fulfilment
(``tm_fulfil``), the JSON shapes (``tm_views``) and the seed (``tm_seed``).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
FACE_TAX_RATE = Decimal("0.0725")
SERVICE_TAX_RATE = Decimal("0.075")
PROCESSING_FEE = Decimal("3.76")


def money(value: Decimal | str | int) -> Decimal:
    """Round half up to cents, as the document's taxes are (34.20 * 7.5 % = 2.57)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class TMRefusal(Exception):
    """An error answer in Ticketmaster's shape. Codes are the documented ones where one fits;
    otherwise (unknown key, unknown order) the HTTP status doubles as the code."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        """``{"error": {message, code, http_code, severity}}``."""
        return tm_error_body(self.status, self.code, self.message)


def tm_error_body(status: int, code: int | None = None, message: str = "") -> dict[str, Any]:
    """Ticketmaster's error body; also the FaultMiddleware's (503 carries code 20001)."""
    if code is None:
        code = 20001 if status == 503 else status
    text = message or ("Ticketing system unavailable" if status == 503 else "injected fault")
    return {"error": {"message": text, "code": code, "http_code": status, "severity": "ERROR"}}


def bad_input(message: str) -> TMRefusal:
    """Ticketmaster's "Invalid input data type" (10002), with what was wrong."""
    return TMRefusal(400, 10002, f"Invalid input data type: {message}")


def text_field(body: dict[str, Any], name: str, limit: int = 100) -> str:
    """A required non-empty string field of a request body."""
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise bad_input(f"{name} is required")
    if len(value) > limit:
        raise bad_input(f"{name} is longer than {limit} characters")
    return value


@dataclass
class Offer:
    """One ticket type at one price level, with its fees."""

    ticket_type_id: str
    price_level_id: str
    name: str
    face_value: Decimal
    service: Decimal
    facility: Decimal = Decimal("0.00")

    @property
    def face_tax(self) -> Decimal:
        return money(self.face_value * FACE_TAX_RATE)

    @property
    def service_tax(self) -> Decimal:
        return money(self.service * SERVICE_TAX_RATE)


@dataclass
class Event:
    """An event with one block of reserved seating."""

    id: str
    name: str
    code: str
    host: str
    starts_at: dt.datetime
    portal: str
    offers: list[Offer]
    #: (section, row) -> seat numbers in that row.
    rows: dict[tuple[str, str], list[int]]
    safetix: bool = True
    restricted: bool = False
    ticket_limit: int = 8
    delay_until: dt.date | None = None
    taken: set[tuple[str, str, int]] = field(default_factory=set)

    @property
    def onsale(self) -> dt.datetime:
        return self.starts_at - dt.timedelta(days=60)

    @property
    def offsale(self) -> dt.datetime:
        return self.starts_at - dt.timedelta(hours=1)

    def free_seats(self, section: str, row: str) -> list[int]:
        return [s for s in self.rows[(section, row)] if (section, row, s) not in self.taken]

    def offer(self, ticket_type_id: str, price_level_id: str | None) -> Offer | None:
        for offer in self.offers:
            if offer.ticket_type_id == ticket_type_id and price_level_id in (
                None,
                offer.price_level_id,
            ):
                return offer
        return None


@dataclass
class Ticket:
    """A sold seat; ``price``/``service``/``facility``/``tax`` are the order's charges."""

    event_id: str
    section: str
    row: str
    seat: str
    barcode: str
    seat_id: str
    price: Decimal
    service: Decimal
    tax: Decimal
    facility: Decimal = Decimal("0.00")
    pk_pass_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class Order:
    """An order under its order token, fulfilled for ``account`` (third_party_account_id)."""

    token: str
    order_number: str
    account: str
    event: Event
    tickets: list[Ticket]
    order_date: dt.date
    third_party_source: str = "Usher (sandbox)"
    customer_email: str | None = None
    carrier: str = "TICKETMASTER"
    segment_type: str = "ROTATING_SYMBOLOGY"
    options: list[dict[str, Any]] = field(default_factory=list)
    claim_email: bool | None = None
    #: Delay Delivery date; None when it is off. The document's order keeps its 2020 date.
    delay_until: dt.date | None = None
    #: Answer ``"barcode_id": ""`` next to the token, as the document's Delay-OFF sample does.
    hide_barcodes: bool = False
    #: The order-level ``voided`` of order management (the document's samples say false).
    voided: bool = False


@dataclass
class CartLine:
    """Seats of one ticket type held in one row."""

    offer: Offer
    section: str
    row: str
    seats: list[int]

    def totals(self) -> dict[str, Decimal]:
        """fee, tax, merchandise and grand of the line (per-seat charges times seats)."""
        offer, count = self.offer, len(self.seats)
        fee = (offer.service + offer.facility) * count
        tax = (offer.face_tax + offer.service_tax) * count
        merchandise = offer.face_value * count
        return {
            "fee": fee,
            "tax": tax,
            "merchandise": merchandise,
            "grand": fee + tax + merchandise,
        }


@dataclass
class Cart:
    """Held seats until ``expires_at`` (clock seconds), then a payment, then a commit."""

    id: str
    event: Event
    lines: list[CartLine]
    expires_at: float
    payment: dict[str, Any] | None = None
    charged: list[dict[str, Any]] = field(default_factory=list)

    def total(self, name: str) -> Decimal:
        """A cart total over its lines; fee and grand include the processing fee."""
        extra = PROCESSING_FEE if name in ("fee", "grand") else Decimal(0)
        return sum((line.totals()[name] for line in self.lines), extra)

    def paid(self) -> Decimal:
        return sum((Decimal(str(payment["amount"])) for payment in self.charged), Decimal(0))


def new_barcode() -> str:
    """16 digits, like the document's ``1212121212121212``."""
    return "".join(str(secrets.randbelow(10)) for _ in range(16))
