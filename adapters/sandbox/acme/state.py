"""Everything one ACME simulator instance remembers, behind one lock.

State belongs to the app instance (no module globals), so two sandboxes in one test run never
see each other's carts or orders. uvicorn serves the app in a thread while tests may read the
state from theirs, so every read-modify-write happens under :attr:`AcmeSandboxState.lock`
(handlers hold it only around plain in-memory work, never across an ``await``).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from adapters.sandbox.acme.catalog_data import Catalog
from adapters.sandbox.acme.pricing import price_cart
from adapters.sandbox.acme.records import (
    InstanceRecord,
    MemberRule,
    OrderRecord,
    tenant_day,
)
from adapters.sandbox.acme.seed import DOCUMENTED_CART, DOCUMENTED_CART_ID, seed_orders
from adapters.sandbox.config import SandboxKeys

SESSION_TTL = timedelta(hours=1)
#: ACME refuses the same card and amount again within this window (error 16003).
DUPLICATE_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class Charge:
    """A card payment taken at checkout (the card only as a fingerprint)."""

    card: str
    amount: Decimal
    at: datetime


@dataclass
class AcmeSandboxState:
    """Orders, carts, sessions, checkouts and the catalog of one simulator."""

    keys: SandboxKeys
    catalog: Catalog
    clock: Callable[[], datetime]
    orders: dict[str, OrderRecord] = field(default_factory=dict)
    carts: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, datetime] = field(default_factory=dict)
    #: ``x-acme-request-uuid`` of every completed checkout -> the order it made.
    checkouts: dict[str, str] = field(default_factory=dict)
    charges: list[Charge] = field(default_factory=list)
    #: ``(order number, email)`` of every confirmation resent.
    emails_sent: list[tuple[str, str]] = field(default_factory=list)
    session_ttl: timedelta = SESSION_TTL
    lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def seeded(cls, keys: SandboxKeys, clock: Callable[[], datetime]) -> AcmeSandboxState:
        """A fresh simulator with the seed data dated around ``clock()``."""
        now = clock()
        catalog = Catalog.seeded(now)
        state = cls(keys=keys, catalog=catalog, clock=clock)
        for record in seed_orders(catalog, keys.acme_tenant_id, now):
            state.orders[record.detail["id"]] = record
        state.carts[DOCUMENTED_CART_ID] = price_cart(
            DOCUMENTED_CART, catalog, now, DOCUMENTED_CART_ID
        ).json
        return state

    def now(self) -> datetime:
        """The simulator's clock."""
        return self.clock()

    def open_session(self) -> tuple[str, datetime]:
        """A new session key and when it expires."""
        token = secrets.token_urlsafe(15)
        expires = self.now() + self.session_ttl
        with self.lock:
            self.sessions[token] = expires
        return token, expires

    def session_valid(self, token: str) -> bool:
        """True for a session this simulator opened that has not expired."""
        with self.lock:
            expires = self.sessions.get(token)
        return expires is not None and self.now() < expires

    def next_order_ids(self) -> tuple[int, int]:
        """(id, order number) for a new order; call under the lock."""
        order_id = max(int(key) for key in self.orders) + 1
        number = max(int(r.detail["orderNumber"]) for r in self.orders.values()) + 1
        return order_id, number

    def search(self, email: str | None, phone: str | None) -> list[OrderRecord]:
        """Orders whose ``email`` and/or ``phoneNumber`` are exactly what was asked for.

        Exactly as stored, as a database query would: the documents never say the search
        ignores case or reads a phone in another spelling, so it does neither (a client that
        sends one spelling finds only the orders stored in it). None when neither is given.
        """
        if not email and not phone:
            return []
        with self.lock:
            records = list(self.orders.values())
        return [
            record
            for record in records
            if (not email or record.summary.get("email") == email)
            and (not phone or record.summary.get("phoneNumber") == phone)
        ]

    def orders_for_event(self, event_id: str) -> list[OrderRecord]:
        """Orders with at least one line for this event instance."""
        with self.lock:
            records = list(self.orders.values())
        return [
            record
            for record in records
            if any(item.get("eventId") == event_id for item in record.detail.get("orderItems", []))
        ]

    def order_by_number(self, number: str) -> OrderRecord | None:
        """The order with this order number."""
        with self.lock:
            return next(
                (r for r in self.orders.values() if r.detail.get("orderNumber") == number), None
            )

    def purchased(self, membership_id: int, rule: MemberRule, instance: InstanceRecord) -> int:
        """Member-priced tickets already bought under ``rule`` on the instance's day."""
        day = tenant_day(instance.start)
        rule_set = instance.template.rule_set_id
        total = 0
        with self.lock:
            for record in self.orders.values():
                if not record.counts:
                    continue
                for use in record.uses:
                    bought = self.catalog.instances.get(use.instance_id)
                    if (
                        use.membership_id == membership_id
                        and use.price_point_id in rule.price_point_ids
                        and bought is not None
                        and bought.template.rule_set_id == rule_set
                        and tenant_day(bought.start) == day
                    ):
                        total += use.quantity
        return total

    def recent_charge(self, card: str, amount: Decimal) -> bool:
        """True when this card paid this amount within the duplicate window."""
        since = self.now() - DUPLICATE_WINDOW
        with self.lock:
            return any(c.card == card and c.amount == amount and c.at > since for c in self.charges)
