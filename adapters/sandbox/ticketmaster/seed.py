"""The Ticketmaster sandbox's starting data: events and orders under known tokens.

Built per app instance from the injected clock, so the events are always upcoming whenever the
demo runs and the delayed order always becomes deliverable ``DELAY_DAYS`` after start.

| order token | order | event | third_party_account_id | barcodes | kind |
|---|---|---|---|---|---|
| sandbox-order-documented | 39-20827/PHX | 3F005105D843DFA3 | 12313131 | 1212121212121212 | SafeTix (the document's order; its 2020 delay date has passed) |
| sandbox-order-securerender-doc | 39-20901/PHX | 3F005237E5CB39EA | 783412345 | 964537283421, 963267823784 | SafeTix (the secure render sample's tickets) |
| sandbox-order-safetix | 71-30001/NYC | 1A005E6A9C3B4D01 | 88800001 | 7001000100010001, 7001000100010002 | SafeTix |
| sandbox-order-barcode | 71-30002/NYC | 1A005E6A9C3B4D02 | 88800001 | 8001000100010001, 8001000100010002 | barcode only |
| sandbox-order-delayed | 71-30003/NYC | 1A005E6A9C3B4D03 | 88800001 | 9001000100010001, 9001000100010002 | delayed until start + 14 days |
| sandbox-order-documented-delay-off | 39-20804/PHX | 3F005105D843DFA3 | 12313131 | 1212121212120804 | SafeTix answered with `"barcode_id": ""` (the document's Delay-OFF sample) |
| sandbox-order-no-barcodes | 71-30004/NYC | 1A005E6A9C3B4D01 | 88800001 | 7001000100010011, 7001000100010012 | SafeTix answered with empty barcodes, two tickets |
| sandbox-order-voided | 71-30005/NYC | 1A005E6A9C3B4D01 | 88800001 | 7001000100010021 | order-level `voided: true` |

The document's order answers order management in the document's shape (send device 12345 /
web / android to get it field for field; its Delay-OFF order with 12345 / NATIVE / IOS), the
secure render sample's order says Ticketmaster mails a redemption claim
(``tm_sends_redemption_claim_email: true``), and the document's secure render request works as
written. Every event can also be bought (availability, reserve, payment, commit); event
1A005E6A9C3B4D04 is ``locRowSeatRestrict`` and 1A005E6A9C3B4D00 is past (not transactable).
"""  # noqa: E501

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from adapters.sandbox.ticketmaster.data import Event, Offer, Order, Ticket
from bot.app.settings import SANDBOX_TIMEZONE

DOC_EVENT_ID = "3F005105D843DFA3"
RENDER_DOC_EVENT_ID = "3F005237E5CB39EA"
PAYMENT_DOC_EVENT_ID = "0B004D43F86C478F"
SAFETIX_EVENT_ID = "1A005E6A9C3B4D01"
BARCODE_EVENT_ID = "1A005E6A9C3B4D02"
DELAYED_EVENT_ID = "1A005E6A9C3B4D03"
RESTRICTED_EVENT_ID = "1A005E6A9C3B4D04"
PAST_EVENT_ID = "1A005E6A9C3B4D00"

# Order tokens of the seeded orders: sandbox identifiers, published on purpose (not secrets).
DOC_ORDER_TOKEN = "sandbox-order-documented"  # noqa: S105
RENDER_DOC_ORDER_TOKEN = "sandbox-order-securerender-doc"  # noqa: S105
SAFETIX_ORDER_TOKEN = "sandbox-order-safetix"  # noqa: S105
BARCODE_ORDER_TOKEN = "sandbox-order-barcode"  # noqa: S105
DELAYED_ORDER_TOKEN = "sandbox-order-delayed"  # noqa: S105
DOC_DELAY_OFF_ORDER_TOKEN = "sandbox-order-documented-delay-off"  # noqa: S105
NO_BARCODES_ORDER_TOKEN = "sandbox-order-no-barcodes"  # noqa: S105
VOIDED_ORDER_TOKEN = "sandbox-order-voided"  # noqa: S105
#: The secure render sample's Apple Wallet pass id (its first ticket keeps it).
DOC_WALLET_ID = "b5d02b52-4b21-4233-b41a-722f20467535"

DOC_ACCOUNT_ID = "12313131"
RENDER_DOC_ACCOUNT_ID = "783412345"
DEMO_ACCOUNT_ID = "88800001"
DEMO_EMAIL = "sam.fan@example.com"
#: How long after the sandbox starts the delayed order's tokens become available.
DELAY_DAYS = 14

VENUE_TZ = ZoneInfo(SANDBOX_TIMEZONE)


def _rows(section: str, rows: str, first: int, last: int) -> dict[tuple[str, str], list[int]]:
    return {(section, row): list(range(first, last + 1)) for row in rows.split()}


def _offers(face: str, service: str) -> list[Offer]:
    return [
        Offer("000000000001", "1", "Standard Ticket", Decimal(face), Decimal(service)),
        Offer("000000000002", "2", "Premium Ticket", Decimal(face) * 2, Decimal(service) * 2),
    ]


def build_events(now: dt.datetime) -> dict[str, Event]:
    """The catalogue, dated relative to ``now`` (the sandbox's start)."""

    def at(days: int) -> dt.datetime:
        # 19:30 at the sandbox venue (USHER_TIMEZONE's sandbox default), written in UTC.
        day = now.date() + dt.timedelta(days=days)
        return dt.datetime.combine(day, dt.time(19, 30), tzinfo=VENUE_TZ).astimezone(dt.UTC)

    delay = now.date() + dt.timedelta(days=DELAY_DAYS)
    balcony = _rows("BALC2", "K L", 100, 110) | _rows("BALC2L", "B", 1, 20)
    block_g = _rows("G", "17 18", 1, 12)
    spec: list[tuple[str, str, str, str, int, dict[str, Any]]] = [
        (DOC_EVENT_ID, "ECAPI1 Live", "ECAPI1", "PHX", 30, {"rows": balcony}),
        (RENDER_DOC_EVENT_ID, "ECAPI2 Live", "ECAPI2", "PHX", 45, {"rows": block_g}),
        (PAYMENT_DOC_EVENT_ID, "EPT0726E Live", "EPT0726E", "LA2", 21, {}),
        (SAFETIX_EVENT_ID, "The Rotating Symbols", "USHER01", "NYC", 10, {}),
        (BARCODE_EVENT_ID, "Plain Barcode Band", "USHER02", "NYC", 12, {"safetix": False}),
        (DELAYED_EVENT_ID, "The Late Deliveries", "USHER03", "NYC", 60, {"delay_until": delay}),
        (RESTRICTED_EVENT_ID, "Secret Seats Tour", "USHER04", "NYC", 5, {"restricted": True}),
        (PAST_EVENT_ID, "Yesterday's Show", "USHER00", "NYC", -2, {}),
    ]  # fmt: skip
    events: dict[str, Event] = {}
    for event_id, name, code, host, days, extra in spec:
        extra.setdefault("rows", _rows("101", "A B C D", 1, 20))
        events[event_id] = Event(
            id=event_id,
            name=name,
            code=code,
            host=host,
            starts_at=at(days),
            portal="SECOND BALCONY" if host == "PHX" else "GATE A",
            offers=_offers("57.00", "34.20"),
            **extra,
        )
    return events


def _ticket(
    event: Event,
    place: tuple[str, str, int],
    barcode: str,
    *,
    seat_id: str | None = None,
    price: str = "57.00",
    service: str = "34.20",
    tax: str = "6.70",
    wallet_id: str | None = None,
) -> Ticket:
    """A seeded ticket; its seat is taken out of the event's inventory."""
    section, row, seat = place
    event.taken.add(place)
    ticket = Ticket(
        event_id=event.id,
        section=section,
        row=row,
        seat=str(seat),
        barcode=barcode,
        seat_id=seat_id or str(50528000 + seat),
        price=Decimal(price),
        service=Decimal(service),
        tax=Decimal(tax),
    )
    if wallet_id:
        ticket.pk_pass_id = wallet_id
    return ticket


def build_orders(events: dict[str, Event], now: dt.datetime) -> dict[str, Order]:
    """The seeded orders, each under its known token."""

    def days_ago(days: int) -> dt.date:
        return now.date() - dt.timedelta(days=days)

    doc = events[DOC_EVENT_ID]
    render = events[RENDER_DOC_EVENT_ID]
    safetix = events[SAFETIX_EVENT_ID]
    barcode = events[BARCODE_EVENT_ID]
    delayed = events[DELAYED_EVENT_ID]
    doc_ticket = _ticket(
        doc, ("BALC2", "K", 104), "1212121212121212", seat_id="50528288",
        price="37.00", service="0.00", tax="5.26",
    )  # fmt: skip
    orders = [
        Order(
            DOC_ORDER_TOKEN, "39-20827/PHX", DOC_ACCOUNT_ID, doc, [doc_ticket],
            dt.date(2019, 12, 5), third_party_source="abc.com", carrier="USPS",
            options=[{"option_number": 11, "description": "ACCOUNT MODIFIED"}],
            claim_email=False, delay_until=dt.date(2020, 4, 5),
        ),
        Order(
            RENDER_DOC_ORDER_TOKEN, "39-20901/PHX", RENDER_DOC_ACCOUNT_ID, render,
            [
                _ticket(render, ("G", "17", 1), "964537283421", wallet_id=DOC_WALLET_ID),
                _ticket(render, ("G", "17", 2), "963267823784"),
            ],
            days_ago(3), customer_email="render.sample@example.com", claim_email=True,
        ),
        Order(
            SAFETIX_ORDER_TOKEN, "71-30001/NYC", DEMO_ACCOUNT_ID, safetix,
            [
                _ticket(safetix, ("101", "C", 7), "7001000100010001"),
                _ticket(safetix, ("101", "C", 8), "7001000100010002"),
            ],
            days_ago(2), customer_email=DEMO_EMAIL,
        ),
        Order(
            BARCODE_ORDER_TOKEN, "71-30002/NYC", DEMO_ACCOUNT_ID, barcode,
            [
                _ticket(barcode, ("101", "A", 1), "8001000100010001"),
                _ticket(barcode, ("101", "A", 2), "8001000100010002"),
            ],
            days_ago(2), customer_email=DEMO_EMAIL, segment_type="BARCODE",
        ),
        Order(
            DELAYED_ORDER_TOKEN, "71-30003/NYC", DEMO_ACCOUNT_ID, delayed,
            [
                _ticket(delayed, ("101", "B", 11), "9001000100010001"),
                _ticket(delayed, ("101", "B", 12), "9001000100010002"),
            ],
            days_ago(1), customer_email=DEMO_EMAIL, delay_until=delayed.delay_until,
        ),
        Order(
            DOC_DELAY_OFF_ORDER_TOKEN, "39-20804/PHX", DOC_ACCOUNT_ID, doc,
            [_ticket(doc, ("BALC2L", "B", 9), "1212121212120804", seat_id="67174428")],
            dt.date(2019, 11, 27), third_party_source="BiT (QA)",
            customer_email="raine.cabal@ticketmaster.com",
            segment_type="NFC_ROTATING_SYMBOLOGY", delay_until=dt.date(2020, 4, 5),
            hide_barcodes=True,
        ),
        Order(
            NO_BARCODES_ORDER_TOKEN, "71-30004/NYC", DEMO_ACCOUNT_ID, safetix,
            [
                _ticket(safetix, ("102", "A", 1), "7001000100010011", seat_id="50529001"),
                _ticket(safetix, ("102", "A", 2), "7001000100010012", seat_id="50529002"),
            ],
            days_ago(2), customer_email=DEMO_EMAIL, hide_barcodes=True,
        ),
        Order(
            VOIDED_ORDER_TOKEN, "71-30005/NYC", DEMO_ACCOUNT_ID, safetix,
            [_ticket(safetix, ("102", "A", 3), "7001000100010021", seat_id="50529003")],
            days_ago(2), customer_email=DEMO_EMAIL, voided=True,
        ),
    ]  # fmt: skip
    return {order.token: order for order in orders}
