"""Ticketmaster purchase payloads: availability, reserve, payment, commit.

Split from :mod:`bot.ticketmaster.models` (orders and secure render, which the bot uses on every
ticket view) because only the purchase flow and the sandbox need these. The same rules apply:
unknown fields are ignored, money is ``Decimal``, aliases carry Ticketmaster's spelling.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from bot.ticketmaster.models import CamelModel, DeliveryDescription, Text, TMModel

# --- availability (shape from tm-notes.md and Ticketmaster's public availability page) --------


class OfferCharge(CamelModel):
    """A fee on an offer, e.g. ``{"amount": 3.0, "reason": "facility", "type": "fee"}``."""

    amount: Decimal
    reason: str | None = None
    type: str | None = None


class Offer(CamelModel):
    """One price of one ticket type; reserve takes its ``ticket_type_id`` and ``price_level_id``."""

    ticket_type_id: Text
    price_level_id: Text | None = None
    currency: str = "USD"
    face_value: Decimal
    charges: list[OfferCharge] = Field(default_factory=list)
    offer_name: str | None = None
    offer_description: str | None = None


class InventoryRow(CamelModel):
    """Unsold seats of one row."""

    section: Text
    row: Text
    seats: list[int] = Field(default_factory=list)
    has_even_odd_mix: bool | None = None


class AvailabilityTickets(CamelModel):
    """One block of ticket types sharing the same inventory."""

    available: int = 0
    total: int | None = None
    seating: Text | None = None
    current_ticket_limit: int | None = None
    offers: list[Offer] = Field(default_factory=list)
    inventory: list[InventoryRow] = Field(default_factory=list)


class AvailabilityEvent(CamelModel):
    """``event`` of the availability answer. ``event_ticket_limit`` 0 means unlimited."""

    id: str
    onsale: datetime | None = None
    offsale: datetime | None = None
    event_date_time: datetime | None = None
    event_ticket_limit: int | None = None
    restrict_single: bool | None = None
    #: When true, row and seat must not be shown to the fan.
    loc_row_seat_restrict: bool = False
    tickets: list[AvailabilityTickets] = Field(default_factory=list)


class Availability(CamelModel):
    """``GET /partners/v1/events/{id}/availability``."""

    event: AvailabilityEvent
    #: Only newer answers carry it; the order management answer is the real SafeTix signal.
    safe_tix_enabled: bool | None = None


# --- cart: reserve, payment, commit ------------------------------------------------------------


class PriceRef(TMModel):
    """A price level id, to reserve best available within it."""

    id: Text


class ReserveTicket(TMModel):
    """One ticket type and quantity to reserve (``id`` keeps its leading zeros)."""

    id: Text
    quantity: int = Field(ge=1)
    price: PriceRef | None = None


class ReserveRequest(TMModel):
    """Body of ``POST /partners/v1/events/{id}/cart``.

    tm-safetix-partner-api.txt names the call but shows no body; this is the ticket selection of
    Ticketmaster's Partner API reserve (``tickets[] {id, quantity, price{id}}``), with the event
    taken from the path.
    """

    tickets: list[ReserveTicket] = Field(min_length=1)


class Country(TMModel):
    code: str | None = None
    id: Text | None = None


class Region(TMModel):
    abbrev: str | None = None


class Address(TMModel):
    line1: str
    line2: str = ""
    unit: str | None = None
    city: str
    country: Country
    region: Region
    postal_code: str


class Card(TMModel):
    """A payment nonce (Braintree) or encrypted number; kept out of reprs and so out of logs."""

    number: str = Field(repr=False)
    cin: str = Field(repr=False)
    expire_month: int
    expire_year: int


class Payment(TMModel):
    """``payment`` of ``PUT .../cart/payment``; ``third_party_account_id`` is the fan's id that
    secure render later requires as ``x-user-id``."""

    first_name: str
    last_name: str
    home_phone: str
    type: str
    reference: str = ""
    address: Address | None = None
    amount: Decimal
    currency: str = "USD"
    card: Card | None = None
    email_address: str
    third_party_account_id: str = Field(min_length=1, max_length=100)


class PaymentRequest(TMModel):
    """The documented body; note ``cartId`` here but ``cart_id`` everywhere else."""

    cart_id: str = Field(alias="cartId")
    payment: Payment


class CommitRequest(TMModel):
    """Body of ``PUT /partners/v1/events/{id}/cart``."""

    cart_id: str


class Area(TMModel):
    description: str
    id: int


class CartCharge(TMModel):
    price: Decimal
    type: str
    quantity: int
    tax: Decimal


class CartTicket(TMModel):
    description: str
    id: Text
    quantity: int
    inventory_type: str | None = None
    charges: list[CartCharge] = Field(default_factory=list)


class ItemTotals(TMModel):
    currency_code: str
    fee: Decimal
    grand: Decimal
    merchandise: Decimal
    tax: Decimal


class CartTotals(ItemTotals):
    currency_code: str = "USD"
    delivery: Decimal = Decimal(0)
    unpaid: Decimal = Decimal(0)
    upsell: Decimal = Decimal(0)


class CartItem(TMModel):
    """A cart line: ``ticket`` (seats), ``processing`` or ``delivery``."""

    type: str | None = None
    id: int | None = None
    areas: list[Area] = Field(default_factory=list)
    tickets: list[CartTicket] = Field(default_factory=list)
    ga: bool | None = None
    totals: ItemTotals
    event_id: str | None = None
    num_seats: int | None = None
    x_num: int | None = Field(default=None, alias="x-num")
    row: Text | None = None
    section: Text | None = None
    start_seat_number: Text | None = None
    end_seat_number: Text | None = None
    is_ga: bool | None = None
    carrier: str | None = None
    service_level: str | None = None
    description: DeliveryDescription | None = None
    requires_address: bool | None = None


class CardSummary(TMModel):
    expire_month: int | None = None
    expire_year: int | None = None
    issuer: str | None = None
    number: str | None = None


class CartPayment(TMModel):
    id: int
    payment_id: str | None = None
    type: str
    amount: Decimal
    card: CardSummary | None = None


class Cart(TMModel):
    items: list[CartItem] = Field(default_factory=list)
    totals: CartTotals
    payments: list[CartPayment] = Field(default_factory=list)
    #: Seconds the seats stay held (about 300); it may grow while the buyer proceeds.
    hold_time: int


class CartResponse(TMModel):
    """Answer of reserve and of add payment."""

    cart_id: str
    cart: Cart


class CommitResponse(TMModel):
    """Answer of commit; ``order_token`` is what order management takes."""

    order_token: str
    order_number: str
    grand_total: Decimal
    redemption_url: str | None = None
