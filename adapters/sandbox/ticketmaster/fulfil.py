"""Order management and secure render of the Ticketmaster sandbox.

Behaviour, decided where the documents are silent (tests and the demo rely on it):

* **Order management** takes the documented body (``device_type`` web/native, ``device_os``
  ios/android/other, any case; the documented length limits) and answers 400 (10002) when it is
  incomplete, 404 for an unknown order token, and 403 when ``third_party_account_id`` is not
  the one the order was bought with.
* **Every answer mints a new token**: base64 of JSON ``{"b": barcode, "s": seat id, "t", "ck",
  "ek": random, "rt": render type, "n": counter, "iat": clock}``, the layout of the document's
  token plus a seat and a counter, so tests can tell a fresh token from a cached one and read
  the ticket back (:func:`decode_token`).
* **Empty barcodes** (the document's Delay-OFF sample): an order seeded with ``hide_barcodes``
  answers ``"barcode_id": ""`` next to each token. Secure render cannot take such a ticket
  (``barcode`` is required: ``400 missing.barcode.attribute``); order management mints new
  tokens for it on every call.
* **Barcode-only events**: ``render_type`` "barcode", the barcode, no token.
* **Delay Delivery**: before the delay date (by the injected clock, UTC) tickets carry neither
  barcode nor token and ``additional_info`` carries the date; from that day on, tokens.
* **Secure render**: the whole call fails (400, 10002) when the body lacks ``deviceId``,
  ``deviceType``, ``deviceOs`` or a non-empty ``tickets`` list, or when ``x-user-id`` is missing.
  Otherwise each ticket answers on its own: ``400 missing.<field>.attribute``, ``404
  ticket.not.found`` (unknown barcode, or event/section/row/seat not those of the barcode),
  ``403 user.mismatch`` (``x-user-id`` is not the order's ``third_party_account_id``),
  ``400 safetix.not.enabled`` (barcode-only event), ``403 delivery.delayed``. The status is 200
  when at least one ticket got a token and 400 when none did, like the document's 400 sample.
* **What each call carried** is recorded (:attr:`TMFulfilment.renders`: device id, type and OS,
  ``x-user-id``, barcodes; the newest 10,000), so tests can check which device id each secure
  render and order management call was made for (the FAQ wants one id per device).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adapters.sandbox.ticketmaster.data import Order, Ticket, TMRefusal, bad_input, text_field

RENDER_FIELDS = ("eventId", "section", "row", "seat", "barcode")
DEVICE_TYPES = frozenset({"web", "native"})
DEVICE_OSES = frozenset({"ios", "android", "other"})
ROTATING = "rotating_symbology"


#: How many calls :attr:`TMFulfilment.renders` keeps.
RECORDED_CALLS = 10_000


@dataclass(frozen=True)
class DeviceCall:
    """One secure render or order management call, as far as devices go."""

    endpoint: str
    device_id: str
    device_type: str
    device_os: str
    user_id: str
    barcodes: tuple[str, ...]


def decode_token(token: str) -> dict[str, Any]:
    """The JSON inside a sandbox token (tests use it; real tokens are opaque)."""
    decoded: dict[str, Any] = json.loads(base64.b64decode(token))
    return decoded


class TMFulfilment:
    """Tokens for the orders of one sandbox instance."""

    def __init__(self, orders: dict[str, Order], clock: Callable[[], float]) -> None:
        self.orders = orders
        self.clock = clock
        self._minted = 0
        #: Every secure render and order management call's device, newest last.
        self.renders: deque[DeviceCall] = deque(maxlen=RECORDED_CALLS)

    def delivered(self, order: Order) -> bool:
        """False while Delay Delivery still holds the order's tokens back."""
        today = dt.datetime.fromtimestamp(self.clock(), dt.UTC).date()
        return order.delay_until is None or today >= order.delay_until

    def mint(self, barcode: str, render_type: str = ROTATING, seat_id: str = "") -> str:
        """A new rotating token for a ticket (its barcode, or its seat when it has none)."""
        self._minted += 1
        payload = {
            "b": barcode,
            "s": seat_id,
            "t": base64.b64encode(secrets.token_bytes(24)).decode(),
            "ck": secrets.token_hex(20),
            "ek": secrets.token_hex(20),
            "rt": render_type,
            "n": self._minted,
            "iat": int(self.clock()),
        }
        return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()

    def order_management(self, order_token: str | None, body: Any) -> dict[str, Any]:
        """The order in the document's shape, with fresh tokens where they are due."""
        if not order_token:
            raise bad_input("order_token is required")
        if not isinstance(body, dict):
            raise bad_input("the body must be a JSON object")
        device_id = text_field(body, "device_id", 50)
        device_type = text_field(body, "device_type", 20)
        device_os = text_field(body, "device_os", 50)
        account = text_field(body, "third_party_account_id", 100)
        if device_type.lower() not in DEVICE_TYPES:
            raise bad_input("device_type must be web or native")
        if device_os.lower() not in DEVICE_OSES:
            raise bad_input("device_os must be ios, android or other")
        order = self.orders.get(order_token)
        self.renders.append(
            DeviceCall("order_management", device_id, device_type, device_os, account, ())
        )
        if order is None:
            raise TMRefusal(404, 404, "Order not found")
        if account != order.account:
            raise TMRefusal(403, 403, "third_party_account_id does not match the order")
        return self._order_body(order, device_id, device_type, device_os)

    def secure_render(self, user_id: str | None, body: Any) -> tuple[int, dict[str, Any]]:
        """(status, body): per-ticket tokens or errors."""
        if not isinstance(body, dict):
            raise bad_input("the body must be a JSON object")
        device = {name: text_field(body, name, 50) for name in ("deviceId", "deviceType")}
        device["deviceOs"] = text_field(body, "deviceOs", 50)
        tickets = body.get("tickets")
        if not isinstance(tickets, list) or not tickets:
            raise bad_input("tickets is required")
        if not user_id:
            raise bad_input("the x-user-id header is required")
        barcodes = tuple(str(t.get("barcode", "")) for t in tickets if isinstance(t, dict))
        self.renders.append(
            DeviceCall(
                "secure_render",
                device["deviceId"],
                device["deviceType"],
                device["deviceOs"],
                user_id,
                barcodes,
            )
        )
        ios = device["deviceOs"].lower() == "ios"
        results = [self._render_one(entry, user_id, ios) for entry in tickets]
        answer = {
            **device,
            "nfcCapableDevice": ios and device["deviceType"].lower() == "native",
            "tickets": results,
        }
        return (200 if any("token" in result for result in results) else 400), answer

    def _render_one(self, entry: Any, user_id: str, ios: bool) -> dict[str, Any]:
        fields = entry if isinstance(entry, dict) else {}
        echo = {name: fields[name] for name in RENDER_FIELDS if name in fields}

        def error(code: int, reason: str) -> dict[str, Any]:
            return {**echo, "error": {"code": code, "error": reason}}

        for name in RENDER_FIELDS:
            if not isinstance(fields.get(name), str) or not fields[name]:
                return error(400, f"missing.{name}.attribute")
        found = self._find(fields["barcode"])
        if found is None or not _same_seat(found[1], fields):
            return error(404, "ticket.not.found")
        order, ticket = found
        if order.account != user_id:
            return error(403, "user.mismatch")
        if not order.event.safetix:
            return error(400, "safetix.not.enabled")
        if not self.delivered(order):
            return error(403, "delivery.delayed")
        result = {
            **echo,
            "token": self.mint(ticket.barcode, seat_id=ticket.seat_id),
            "renderType": ROTATING,
        }
        if ios:
            result["passData"] = {"ios": {"pkPassId": ticket.pk_pass_id}}
        return result

    def _find(self, barcode: str) -> tuple[Order, Ticket] | None:
        for order in self.orders.values():
            for ticket in order.tickets:
                if ticket.barcode == barcode:
                    return order, ticket
        return None

    def _order_body(
        self, order: Order, device_id: str, device_type: str, device_os: str
    ) -> dict[str, Any]:
        safetix = order.event.safetix
        body: dict[str, Any] = {}
        if order.customer_email:
            body["customer_email"] = order.customer_email
        body["third_party_source"] = order.third_party_source
        if order.options:
            body["options"] = order.options
        body["delivery"] = {
            "carrier": order.carrier,
            "service_level": "SAFETIX" if safetix else "ETICKET",
            "description": {"short": "SafeTix Rotating Entry Token" if safetix else "eTickets"},
        }
        body["tickets"] = [self._ticket_body(order, ticket) for ticket in order.tickets]
        body["voided"] = order.voided
        if order.delay_until is not None:
            body["additional_info"] = {"safetix_delivery_delay_date": order.delay_until.isoformat()}
        body.update(
            device_id=device_id,
            device_type=device_type,
            device_os=device_os,
            nfc_capable_device=device_type.lower() == "native" and device_os.lower() == "ios",
            third_party_account_id=order.account,
        )
        if order.claim_email is not None:
            body["tm_sends_redemption_claim_email"] = order.claim_email
        return body

    def _ticket_body(self, order: Order, ticket: Ticket) -> dict[str, Any]:
        event = order.event
        delivered = self.delivered(order)
        entry: dict[str, Any]
        if not event.safetix:
            entry = {"render_type": "barcode", "segment_type": "BARCODE"}
        else:
            entry = {"render_type": ROTATING, "segment_type": order.segment_type}
            if delivered:
                entry["token"] = self.mint(ticket.barcode, seat_id=ticket.seat_id)
        shown = delivered and not order.hide_barcodes
        return {
            "barcode_id": ticket.barcode if shown else "",
            "display_id": order.order_number,
            "event_code": event.code,
            "event_host": event.host,
            "event_id": event.id,
            "is_ga": False,
            "is_national_vip": False,
            "order_date": order.order_date.isoformat(),
            "order_number": order.order_number,
            "portal": event.portal,
            "row": ticket.row,
            "seat_id": ticket.seat_id,
            "seat_name": ticket.seat,
            "section": ticket.section,
            "voided": False,
            "charges": _charges(ticket),
            "secure_entry_data": entry,
        }


def _same_seat(ticket: Ticket, fields: dict[str, Any]) -> bool:
    wanted = (ticket.event_id, ticket.section, ticket.row, ticket.seat)
    given = tuple(fields[name] for name in ("eventId", "section", "row", "seat"))
    return wanted == given


def _charges(ticket: Ticket) -> list[dict[str, Any]]:
    """The five charges in the document's order and wording."""
    rows: list[tuple[str, str, str, Decimal]] = [
        ("Price", "price", "price", ticket.price),
        ("Distance Charge", "distance_charge", "fee", Decimal(0)),
        ("Facility Charge", "facility_charge", "fee", ticket.facility),
        ("Service Charge", "service_charge", "fee", ticket.service),
        ("Tax", "tax", "tax", ticket.tax),
    ]
    return [
        {
            "description": description,
            "sub_type": sub_type,
            "type": kind,
            "amount": {"amount": float(amount), "currency": "USD"},
        }
        for description, sub_type, kind, amount in rows
    ]
