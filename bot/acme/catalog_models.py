"""ACME event catalog payloads: templates, their time slots and event instances with prices.

The primary documents give no samples for these; the shapes follow acme-notes.md
(``priceList.prices[] {personType {id, name}, price, discountedPrice}``, ``addOns``,
``capacity``, ``available``; times with ``id, startTime, availableSeats, addOns``) and the
community client's interfaces. The cart's ``ticketingTypeId`` is a price's ``personType.id``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from bot.acme.types import AcmeId, AcmeModel, Money, OptCode, OptId, OptMoney, OptTime


class PersonType(AcmeModel):
    """A price point ("Adult", "Child"...); its ``id`` is the cart's ``ticketingTypeId``."""

    id: AcmeId
    name: str
    description: str | None = None
    active: bool | None = None
    type: OptCode = None
    display_order: int | None = None


class Price(AcmeModel):
    """Full price and, when a membership was given, the member's price for one person type."""

    person_type: PersonType
    price: Money
    #: The member price when ``membershipId`` was passed; otherwise equal to ``price``.
    discounted_price: OptMoney = None
    discount: OptMoney = None
    display_order: int | None = None
    sales_channels: list[dict[str, Any]] = Field(default_factory=list)


class PriceList(AcmeModel):
    """The prices of an event instance or template."""

    price_list_id: OptId = None
    prices: list[Price] = Field(default_factory=list)


class AddOn(AcmeModel):
    """A fixed-price inventory item sold with an event ("Audio Guide", "Parking").

    ``id`` is the inventory id that a cart's add-on line and an order's ``inventoryId`` carry.
    """

    id: AcmeId
    name: str
    description: str | None = None
    sku: OptCode = None
    price: Money
    #: Units left, when the server tracks stock.
    quantity: int | None = None
    type: OptCode = None
    active: bool | None = None


class EventInstance(AcmeModel):
    """``GET /v2/b2c/events/{instanceId}``: one dated occurrence of an event, for sale."""

    id: AcmeId
    template_id: OptId = None
    name: str | None = None
    description: str | None = None
    start_time: OptTime = None
    end_time: OptTime = None
    capacity: int | None = None
    #: Seats still available.
    available: int | None = None
    sold_quantity: int | None = None
    admission_type: OptCode = None
    type: OptCode = None
    state: OptCode = None
    price_list: PriceList = Field(default_factory=PriceList)
    add_ons: list[AddOn] = Field(default_factory=list)

    def price_for(self, person_type_id: str) -> Price | None:
        """The price entry of one person type (the cart's ``ticketingTypeId``), if offered."""
        return next((p for p in self.price_list.prices if p.person_type.id == person_type_id), None)


class EventTemplate(AcmeModel):
    """``GET /v2/b2c/event/templates[/{id}]``: an event for sale, across its dates."""

    id: AcmeId
    name: str
    description: str | None = None
    short_description: str | None = None
    #: standard or generalAdmission.
    admission_type: OptCode = None
    type: OptCode = None
    start_time: OptTime = None
    end_time: OptTime = None
    available: bool | None = None
    member_only_event: bool | None = None
    price_list: PriceList | None = None
    add_ons: list[AddOn] = Field(default_factory=list)


class EventTime(AcmeModel):
    """``GET /v2/b2c/event/templates/{id}/times``: one time slot (an event instance)."""

    #: The event instance id: what ``get_event`` and a cart's ``eventId`` take.
    id: AcmeId
    event_template_id: OptId = None
    start_time: OptTime = None
    end_time: OptTime = None
    available_seats: int | None = None
    add_ons: list[AddOn] = Field(default_factory=list)
