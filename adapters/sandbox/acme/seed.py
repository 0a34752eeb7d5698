"""The ACME simulator's fans and their orders.

* Jane Doe (``janedoe@gmail.com``): exactly the documented order ``30263798``, stored as the two
  verbatim copies of acme-orders.txt next to this module (its search and get faces differ in
  more than the items: phone shape and ``createdBy``, so neither is derived from the other).
* Alex Rivera: 25 orders, so paging is exercised; one email typed in mixed case; one refunded,
  one voided.
* Each fan's phone is stored as that fan typed it, in a different spelling per fan, as ACME
  keeps it (the search matches exactly as stored): Alex ``(415) 555-0134``, Priya
  ``+16175550199``, Marcus ``12125550147``, Sofia ``+44 20 7946 0958``, Jane ``1234567890``
  (the document's); each is one of ``bot.acme.types.phone_spellings`` of the number.
* Priya Shah (Dual member; her refunded member tickets no longer count), Marcus Lee
  (Individual member ``5970603``), Sofia Garcia (expired Family member, UK phone): a few orders
  each, past and upcoming, with add-ons, member prices, a coupon, a refund and a void. Sofia's
  upcoming order ``30270301`` hides its event dates (``hideEventDate: true``).
* Noah Kim: a fan with no orders at all.
* Lena Park: a group organiser with twelve tickets for the next jazz night (more than one
  Telegram album holds), a tour and a museum visit.

Also the documented cart ``643e8cbd9f0baf41144ce26b`` (:data:`DOCUMENTED_CART`).

Order ids are fixed (``3027xxxx``); dates move with the day the simulator starts.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources

from adapters.sandbox.acme.catalog_data import (
    ADULT,
    AUDIO_GUIDE,
    DOCUMENTED_TOUR_INSTANCE,
    GA_PREFIX,
    GENERAL_ADMISSION,
    JAZZ,
    PARKING,
    TOUR,
    TOUR_PREFIX,
    Catalog,
    offset_id,
)
from adapters.sandbox.acme.order_builder import Line, OrderSpec, build_order
from adapters.sandbox.acme.records import (
    AddOnRecord,
    Fan,
    InstanceRecord,
    OrderRecord,
    PricePoint,
)

# fmt: off
ALEX = Fan("Alex", "Rivera", "alex.rivera@example.com", "(415) 555-0134", "94110", 7300101,
           "2300101", ("88 Valencia St", "San Francisco", "California", "United States"))
PRIYA = Fan("Priya", "Shah", "priya.shah@example.com", "+16175550199", "02139", 7300102,
            "2300102", ("12 Brattle St", "Cambridge", "Massachusetts", "United States"))
MARCUS = Fan("Marcus", "Lee", "marcus.lee@example.com", "12125550147", "10027", 7300103,
             "2300103", ("400 W 120th St", "New York", "New York", "United States"))
SOFIA = Fan("Sofia", "Garcia", "sofia.garcia@example.com", "+44 20 7946 0958", "SW1A 1AA",
            7300104, "2300104", ("221B Baker Street", "London", "", "United Kingdom"))
#: Known to the demo and conversation tests; has no orders and no membership.
NOAH = Fan("Noah", "Kim", "noah.kim@example.com", "+1 (503) 555-0110", "97205", 7300105,
           "2300105")
#: A group organiser: twelve tickets for the next jazz night, and a tour and a museum visit.
LENA = Fan("Lena", "Park", "lena.park@example.com", "+1 (628) 555-0163", "94103", 7300106,
           "2300106", ("500 Howard St", "San Francisco", "California", "United States"))
# fmt: on
FANS = (ALEX, PRIYA, MARCUS, SOFIA, NOAH, LENA)

FIRST_ORDER_ID = 30270000
FIRST_ORDER_NUMBER = 100150000
#: The cart of acme-discounts-carts.txt as its EntitlementsResult example finds it: member
#: 5970603 with two member-priced Adult tour tickets (one more than the Individual level allows).
DOCUMENTED_CART_ID = "643e8cbd9f0baf41144ce26b"
DOCUMENTED_CART = {
    "id": DOCUMENTED_CART_ID,
    "membershipIds": [5970603],
    "items": [
        {
            "itemId": "9d1629a4a0e14085ab25775651daffb8",
            "eventId": DOCUMENTED_TOUR_INSTANCE,
            "ticketingTypeId": ADULT,
            "quantity": 2,
        }
    ],
}
DOCUMENTED_ORDER = "order_30263798.json"
DOCUMENTED_ORDER_SEARCH = "order_30263798_search.json"


def documented_order() -> OrderRecord:
    """Order 30263798 exactly as acme-orders.txt shows it (get and search)."""
    folder = resources.files("adapters.sandbox.acme")
    detail = json.loads(folder.joinpath(DOCUMENTED_ORDER).read_text(encoding="utf-8"))
    summary = json.loads(folder.joinpath(DOCUMENTED_ORDER_SEARCH).read_text(encoding="utf-8"))
    return OrderRecord(detail, summary)


def seed_orders(catalog: Catalog, tenant_id: int, now: datetime) -> list[OrderRecord]:
    """Every seeded order, the documented one first."""
    book = _OrderBook(catalog, tenant_id, now)
    ga, jazz, tour, tickets, add_on = book.ga, book.jazz, book.tour, book.tickets, book.add_on
    ga_adult, ga_child = GENERAL_ADMISSION.price_points[:2]
    general = JAZZ.price_points[0]
    adult = TOUR.price_points[0]

    for n in range(25):
        fan = replace(ALEX, email="Alex.Rivera@Example.com") if n == 13 else ALEX
        days = -44 + 2 * n
        if n == 24:
            lines = [tickets(tour(3), adult, 2)]
        elif n % 2 == 0:
            lines = [tickets(ga(days), ga_adult, 1)]
            lines += [tickets(ga(days), ga_child, 1)] if n % 4 == 0 else []
            lines += [add_on(ga(days), AUDIO_GUIDE, 1)] if n % 5 == 0 else []
        else:
            lines = [tickets(jazz(days), general, 2)]
            lines += [add_on(jazz(days), PARKING, 1)] if n % 3 == 0 else []
        status = {6: "Refund", 11: "Void"}.get(n, "Normal")
        book.add(n + 1, fan, lines, status=status, checked_in=status == "Normal" and n % 4 == 0)

    save10 = catalog.coupons["SAVE10"]
    # fmt: off
    book.add(101, PRIYA, [tickets(ga(5), ga_adult, 2, member=5970611),
                          add_on(ga(5), AUDIO_GUIDE, 2)], membership_id=5970611)
    book.add(102, PRIYA, [tickets(jazz(9), general, 2, member=5970611),
                          add_on(jazz(9), PARKING, 1)], membership_id=5970611)
    book.add(103, PRIYA, [tickets(tour(-7), adult, 2, member=5970611)], membership_id=5970611,
             status="Refund")
    book.add(201, MARCUS, [tickets(tour(7), adult, 1, member=5970603), tickets(tour(7), adult, 1)],
             membership_id=5970603)
    book.add(202, MARCUS, [tickets(ga(-12), ga_adult, 1, member=5970603),
                           add_on(ga(-12), PARKING, 1)], membership_id=5970603, checked_in=True)
    book.add(203, MARCUS, [tickets(jazz(2), general, 2)], status="Void")
    book.add(301, SOFIA, [tickets(ga(10), ga_adult, 2), tickets(ga(10), ga_child, 1),
                          add_on(ga(10), PARKING, 1)], hide_event_date=True)
    book.add(302, SOFIA, [tickets(jazz(-5), general, 2, price=save10.unit_price(general.price))],
             coupon_id=save10.id, card_last4="0005")
    book.add(401, LENA, [tickets(jazz(2), general, 12)])
    book.add(402, LENA, [tickets(tour(3), adult, 2)])
    book.add(403, LENA, [tickets(ga(9), ga_adult, 3)])
    # fmt: on
    return [documented_order(), *book.orders]


class _OrderBook:
    """Small helpers so the seed above reads like a list of purchases."""

    def __init__(self, catalog: Catalog, tenant_id: int, now: datetime) -> None:
        self.catalog = catalog
        self.tenant_id = tenant_id
        self.now = now
        self.orders: list[OrderRecord] = []

    def ga(self, days: int) -> InstanceRecord:
        """General admission ``days`` from the start day."""
        return self.catalog.instances[offset_id(GA_PREFIX, days)]

    def jazz(self, days: int) -> InstanceRecord:
        """The first (weekly) jazz night on or after the day ``days`` from the start day."""
        day = self.ga(days).start
        return next(i for i in self.catalog.instances_of(JAZZ.id) if i.start >= day)

    def tour(self, days: int) -> InstanceRecord:
        """The tour ``days`` from the start day."""
        return self.catalog.instances[offset_id(TOUR_PREFIX, days)]

    def tickets(
        self,
        event: InstanceRecord,
        point: PricePoint,
        quantity: int,
        *,
        member: int | None = None,
        price: Decimal | None = None,
    ) -> Line:
        """Tickets at full price, at the member price of ``member``, or at ``price``."""
        assert point in event.template.price_points
        if price is None:
            member_price = point.member_price if member is not None else None
            price = point.price if member_price is None else member_price
        return Line(event, quantity, price, price_point=point, member_id=member)

    def add_on(self, event: InstanceRecord, add_on: AddOnRecord, quantity: int) -> Line:
        """An add-on sold with ``event``."""
        assert add_on in event.template.add_ons
        return Line(event, quantity, add_on.price, add_on=add_on)

    def add(
        self,
        n: int,
        fan: Fan,
        lines: list[Line],
        *,
        status: str = "Normal",
        checked_in: bool = False,
        membership_id: int | None = None,
        coupon_id: str | None = None,
        card_last4: str = "4242",
        hide_event_date: bool = False,
    ) -> None:
        """Order ``FIRST_ORDER_ID + n``, placed a few days before its first event."""
        first_start = min(line.instance.start for line in lines)
        created = min(first_start, self.now) - timedelta(days=2 + n % 4, hours=n % 9, minutes=n)
        spec = OrderSpec(
            order_id=FIRST_ORDER_ID + n,
            order_number=FIRST_ORDER_NUMBER + n,
            tenant_id=self.tenant_id,
            fan=fan,
            lines=lines,
            created=created,
            status=status,
            checked_in=checked_in,
            membership_id=membership_id,
            coupon_id=coupon_id,
            card_last4=card_last4,
            hide_event_date=hide_event_date,
        )
        self.orders.append(build_order(spec))
