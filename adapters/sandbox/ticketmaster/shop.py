"""The Ticketmaster sandbox's purchase flow: availability, reserve, payment, commit, delete.

It behaves like the Partner API where the bot could notice: seats are held for ``hold_time``
seconds by the injected clock and then released (the cart becomes "invalid or stale", 90003);
the event's ticket limit (10161), sold-out rows (20052), events off sale (90001), declined
Braintree nonces (20122) and bad CVVs (20152) answer with the documented codes; a committed cart
becomes an order whose token order management accepts. Request bodies are read as plain JSON
on purpose, not with the client's models, so the two check each other in the tests.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from adapters.sandbox.ticketmaster.data import (
    Cart,
    CartLine,
    Event,
    Offer,
    Order,
    Ticket,
    TMRefusal,
    bad_input,
    new_barcode,
    text_field,
)
from adapters.sandbox.ticketmaster.views import availability_body, cart_body

HOLD_SECONDS = 300


def stale_cart() -> TMRefusal:
    """Ticketmaster's answer for an unknown, expired, committed or deleted cart."""
    return TMRefusal(400, 90003, "Invalid or stale cart_id")


class TMShop:
    """Carts and purchases of one sandbox instance."""

    def __init__(
        self, events: dict[str, Event], orders: dict[str, Order], clock: Callable[[], float]
    ) -> None:
        self.events = events
        self.orders = orders
        self.clock = clock
        self.carts: dict[str, Cart] = {}
        self._sequence = 30100

    def event(self, event_id: str) -> Event:
        try:
            return self.events[event_id]
        except KeyError:
            raise TMRefusal(404, 404, f"Event {event_id} not found") from None

    def availability(self, event_id: str) -> dict[str, Any]:
        """The documented availability shape plus the newer top-level ``safeTixEnabled``."""
        self._expire_carts()
        return availability_body(self.event(event_id))

    def reserve(self, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Hold the best available seats (lowest numbers, one row per ticket type)."""
        self._expire_carts()
        event = self.event(event_id)
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        if not event.onsale <= now < event.offsale:
            raise TMRefusal(403, 90001, "Event is not API transactable")
        wanted = _wanted_tickets(event, body)
        if event.ticket_limit and sum(count for _, count in wanted) > event.ticket_limit:
            raise TMRefusal(400, 10161, "Ticket limit reached")
        lines: list[CartLine] = []
        for offer, count in wanted:
            line = self._hold(event, offer, count)
            if line is None:
                for held in lines:
                    _release(event, held)
                raise TMRefusal(400, 20052, "No inventory found to match request")
            lines.append(line)
        cart = Cart(str(uuid.uuid4()), event, lines, self.clock() + HOLD_SECONDS)
        self.carts[cart.id] = cart
        return self.cart_body(cart)

    def add_payment(self, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Accept Braintree test nonces; ``fake-processor-declined...`` ones are declined."""
        cart_id = body.get("cartId", body.get("cart_id"))
        cart = self.cart(event_id, cart_id if isinstance(cart_id, str) else "")
        payment = body.get("payment")
        if not isinstance(payment, dict):
            raise bad_input("payment is required")
        for name in ("first_name", "last_name", "email_address", "type"):
            text_field(payment, name)
        text_field(payment, "third_party_account_id")
        card = payment.get("card")
        if not isinstance(card, dict):
            raise bad_input("card is required")
        number, cin = str(card.get("number", "")), str(card.get("cin", ""))
        if number.startswith("fake-processor-declined") or not number:
            raise TMRefusal(400, 20122, "Payment Not Accepted")
        if not re.fullmatch(r"\d{3,4}", cin):
            raise TMRefusal(400, 20152, "Invalid CVV/Security code")
        cart.payment = payment
        cart.charged = [
            {
                "id": 1,
                "payment_id": "1",
                "type": "CC",
                "amount": float(cart.total("grand")),
                "card": {
                    "expire_month": card.get("expire_month"),
                    "expire_year": card.get("expire_year"),
                    "issuer": "VISA",
                    "number": "*" * 18 + (number[-4:] if number[-4:].isdigit() else "1111"),
                },
            }
        ]
        # The hold may grow while the buyer proceeds.
        cart.expires_at = max(cart.expires_at, self.clock() + HOLD_SECONDS)
        return self.cart_body(cart)

    def commit(self, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Turn a paid cart into an order; its token works with order management at once."""
        cart = self.cart(event_id, text_field(body, "cart_id"))
        if cart.payment is None:
            raise TMRefusal(400, 20122, "Payment Not Accepted: the cart has no payment")
        self._sequence += 1
        event = cart.event
        order = Order(
            token=secrets.token_urlsafe(24),
            order_number=f"71-{self._sequence}/{event.host}",
            account=cart.payment["third_party_account_id"],
            event=event,
            tickets=[_sold(event, line, seat) for line in cart.lines for seat in line.seats],
            order_date=dt.datetime.fromtimestamp(self.clock(), dt.UTC).date(),
            customer_email=cart.payment.get("email_address"),
            segment_type="ROTATING_SYMBOLOGY" if event.safetix else "BARCODE",
            delay_until=event.delay_until,
        )
        self.orders[order.token] = order
        del self.carts[cart.id]
        return {
            "order_token": order.token,
            "order_number": order.order_number,
            "grand_total": float(cart.total("grand")),
            "redemption_url": "https://myorder.ticketmaster.invalid/redeem/"
            + quote(order.order_number, safe=""),
        }

    def delete(self, event_id: str, cart_id: str) -> None:
        """Release a cart's seats."""
        cart = self.cart(event_id, cart_id)
        _release(cart.event, *cart.lines)
        del self.carts[cart.id]

    def cart(self, event_id: str, cart_id: str) -> Cart:
        """A live cart of this event, or 90003."""
        self._expire_carts()
        cart = self.carts.get(cart_id)
        if cart is None or cart.event.id != event_id:
            raise stale_cart()
        return cart

    def cart_body(self, cart: Cart) -> dict[str, Any]:
        """The cart answer, with the seconds the seats stay held."""
        return cart_body(cart, hold_time=max(0, int(cart.expires_at - self.clock())))

    def _hold(self, event: Event, offer: Offer, count: int) -> CartLine | None:
        for section, row in event.rows:
            free = event.free_seats(section, row)
            if len(free) >= count:
                seats = free[:count]
                event.taken.update((section, row, seat) for seat in seats)
                return CartLine(offer, section, row, seats)
        return None

    def _expire_carts(self) -> None:
        now = self.clock()
        for cart in [cart for cart in self.carts.values() if cart.expires_at <= now]:
            _release(cart.event, *cart.lines)
            del self.carts[cart.id]


def _wanted_tickets(event: Event, body: dict[str, Any]) -> list[tuple[Offer, int]]:
    tickets = body.get("tickets")
    if not isinstance(tickets, list) or not tickets:
        raise bad_input("tickets is required")
    wanted: list[tuple[Offer, int]] = []
    for entry in tickets:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise bad_input("tickets[].id is required")
        count = entry.get("quantity")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise bad_input("tickets[].quantity must be a positive number")
        price = entry.get("price")
        level = str(price["id"]) if isinstance(price, dict) and "id" in price else None
        offer = event.offer(entry["id"], level)
        if offer is None:
            raise TMRefusal(400, 20052, "No inventory found to match request")
        wanted.append((offer, count))
    return wanted


def _release(event: Event, *lines: CartLine) -> None:
    for line in lines:
        event.taken.difference_update((line.section, line.row, seat) for seat in line.seats)


def _sold(event: Event, line: CartLine, seat: int) -> Ticket:
    offer = line.offer
    return Ticket(
        event_id=event.id,
        section=line.section,
        row=line.row,
        seat=str(seat),
        barcode=new_barcode(),
        seat_id=str(60000000 + secrets.randbelow(10_000_000)),
        price=offer.face_value,
        service=offer.service,
        facility=offer.facility,
        tax=offer.face_tax + offer.service_tax,
    )
