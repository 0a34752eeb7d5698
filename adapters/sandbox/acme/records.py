"""What the ACME simulator knows, as plain records, and how each is shown as ACME JSON.

The simulator deliberately does not reuse the client's pydantic models: it builds the JSON the
way the documents show it, so the client's parsing is tested against an independent writer.
Money is ``Decimal`` and written as ``"24.00"``; event start times go out as epoch milliseconds
and other times as ISO 8601 with the tenant's offset, as in acme-orders.txt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from bot.app.settings import SANDBOX_TIMEZONE

#: The sandbox venue's zone (the documented orders are written at -07:00, Pacific daylight
#: time): its events start at local times there, whatever the season.
TENANT_TZ = ZoneInfo(SANDBOX_TIMEZONE)
CENT = Decimal("0.01")


def money(value: Decimal) -> str:
    """``Decimal("24")`` -> ``"24.00"``."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def iso(value: datetime) -> str:
    """A time as ACME writes it in orders: ISO 8601 at the tenant's offset, to the second."""
    return value.astimezone(TENANT_TZ).replace(microsecond=0).isoformat()


def epoch_ms(value: datetime) -> int:
    """A time as ACME writes ``eventStartTime``."""
    return round(value.timestamp() * 1000)


def e164(raw: str) -> str | None:
    """A phone in E.164 (US unless it says otherwise), or None when it is not a number."""
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def tenant_day(value: datetime) -> str:
    """The tenant's calendar day of a time: the unit of ``oneDay`` member rules."""
    return value.astimezone(TENANT_TZ).date().isoformat()


@dataclass(frozen=True)
class PricePoint:
    """A person type of an event with its full price and member price (None: no discount)."""

    id: str
    name: str
    price: Decimal
    member_price: Decimal | None = None


@dataclass(frozen=True)
class AddOnRecord:
    """A fixed-price inventory item sold with an event; ``id`` is its inventory id."""

    id: str
    name: str
    price: Decimal
    description: str = ""

    def json(self) -> dict[str, Any]:
        """As listed in an event's ``addOns``."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "price": money(self.price),
            "type": "addOn",
            "active": True,
        }


@dataclass(frozen=True)
class MemberRule:
    """ "Members of level L may buy N member-priced tickets a day across these price points"."""

    id: str
    level_id: str
    allowed: int
    price_point_ids: tuple[str, ...]


@dataclass(frozen=True)
class TemplateRecord:
    """An event for sale: its prices, add-ons and member rules (shared by its instances)."""

    id: str
    name: str
    description: str
    price_points: tuple[PricePoint, ...]
    add_ons: tuple[AddOnRecord, ...] = ()
    rule_set_id: str | None = None
    rules: tuple[MemberRule, ...] = ()
    admission_type: str = "standard"
    duration: timedelta = timedelta(hours=2)

    def price_point(self, price_point_id: str) -> PricePoint | None:
        """The person type with this id, if the event sells it."""
        return next((p for p in self.price_points if p.id == price_point_id), None)

    def add_on(self, inventory_id: str) -> AddOnRecord | None:
        """The add-on with this inventory id, if the event sells it."""
        return next((a for a in self.add_ons if a.id == inventory_id), None)

    def price_list_json(self, member: bool) -> dict[str, Any]:
        """``priceList`` with ``discountedPrice`` = the member price when ``member``."""
        prices = []
        for order, point in enumerate(self.price_points):
            discounted = point.member_price if member and point.member_price is not None else None
            prices.append(
                {
                    "personType": {"id": point.id, "name": point.name, "active": True},
                    "price": money(point.price),
                    "discountedPrice": money(discounted if discounted is not None else point.price),
                    "displayOrder": order,
                }
            )
        return {"priceListId": f"pl-{self.id}", "prices": prices}

    def json(self, member: bool) -> dict[str, Any]:
        """As ``GET /v2/b2c/event/templates[/{id}]`` shows it."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "shortDescription": self.description.split(".")[0],
            "admissionType": self.admission_type,
            "type": "standard",
            "available": True,
            "memberOnlyEvent": False,
            "priceList": self.price_list_json(member),
            "addOns": [add_on.json() for add_on in self.add_ons],
        }


@dataclass
class InstanceRecord:
    """A dated occurrence of a template; ``sold`` changes as checkouts happen."""

    id: str
    template: TemplateRecord
    start: datetime
    capacity: int
    sold: int = 0

    @property
    def end(self) -> datetime:
        """When it ends."""
        return self.start + self.template.duration

    @property
    def available(self) -> int:
        """Seats left."""
        return max(0, self.capacity - self.sold)

    def json(self, member: bool) -> dict[str, Any]:
        """As ``GET /v2/b2c/events/{id}`` shows it."""
        return {
            "id": self.id,
            "templateId": self.template.id,
            "name": self.template.name,
            "description": self.template.description,
            "startTime": iso(self.start),
            "endTime": iso(self.end),
            "capacity": self.capacity,
            "available": self.available,
            "soldQuantity": self.sold,
            "admissionType": self.template.admission_type,
            "type": "standard",
            "state": "published",
            "priceList": self.template.price_list_json(member),
            "addOns": [add_on.json() for add_on in self.template.add_ons],
        }

    def time_json(self) -> dict[str, Any]:
        """As one entry of ``GET /v2/b2c/event/templates/{id}/times``."""
        return {
            "id": self.id,
            "eventTemplateId": self.template.id,
            "startTime": iso(self.start),
            "endTime": iso(self.end),
            "availableSeats": self.available,
            "addOns": [add_on.json() for add_on in self.template.add_ons],
        }


@dataclass(frozen=True)
class MemberRecord:
    """A membership: the card number a fan types maps to ACME's internal ``membershipId``."""

    membership_id: int
    card_number: str
    first_name: str
    last_name: str
    email: str
    phone: str
    level_id: str
    level_name: str
    starts: datetime
    expires: datetime

    def active(self, now: datetime) -> bool:
        """True while the membership is current."""
        return self.starts <= now < self.expires

    def entry_json(self, now: datetime) -> dict[str, Any]:
        """``memberListEntry`` of ``GET /v2/b2c/membership/validate``."""
        return {
            "membershipId": self.membership_id,
            "membershipNumber": self.card_number,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "email": self.email,
            "phoneNumber": self.phone,
            "membershipLevelId": self.level_id,
            "membershipLevelName": self.level_name,
            "startDate": iso(self.starts),
            "expirationDate": iso(self.expires),
            "membershipStanding": "active" if self.active(now) else "expired",
        }


@dataclass(frozen=True)
class CouponRecord:
    """A coupon: an amount or a percentage off eligible tickets, maybe limited in time."""

    id: str
    code: str
    amount_off: Decimal | None = None
    percent_off: Decimal | None = None
    expires: datetime | None = None
    #: Templates it applies to; None means every event.
    template_ids: frozenset[str] | None = None

    def expired(self, now: datetime) -> bool:
        """True once past its end date."""
        return self.expires is not None and now >= self.expires

    def applies_to(self, template_id: str) -> bool:
        """True when tickets of this event are eligible."""
        return self.template_ids is None or template_id in self.template_ids

    def unit_price(self, retail: Decimal) -> Decimal:
        """The coupon price of one ticket (never below zero)."""
        if self.amount_off is not None:
            return max(Decimal(0), retail - self.amount_off)
        percent = self.percent_off or Decimal(0)
        return (retail * (100 - percent) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Fan:
    """The buyer on an order: contact details as the fan typed them at checkout."""

    first_name: str
    last_name: str
    email: str
    #: Raw as typed (search shows it like this; ``GET`` shows it in E.164).
    phone: str
    zip_code: str
    customer_id: int
    visitor_id: str
    address: tuple[str, str, str, str] = ("", "", "", "United States")


@dataclass(frozen=True)
class MemberUse:
    """Member-priced tickets an order used: what ``purchasedQuantity`` counts."""

    membership_id: int
    instance_id: str
    price_point_id: str
    quantity: int


@dataclass
class OrderRecord:
    """An order as ``GET`` shows it (``detail``) and as search lists it (``summary``)."""

    detail: dict[str, Any]
    summary: dict[str, Any]
    uses: tuple[MemberUse, ...] = field(default=())
    #: False for refunded or voided orders, whose member tickets no longer count.
    counts: bool = True
