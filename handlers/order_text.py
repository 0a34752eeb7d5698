"""How an order reads in a message: its status, events, first date, ticket count.

Shared by the fan's order list (``handlers.find_order``), the status-only answer of an order
lookup (``handlers.verify``) and the staff console's order cards (``adapters.slack.blocks``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from bot.acme.models import Order, OrderItem
from bot.order_cache import event_times


def status_key(order: Order) -> str:
    """The copy key for the order's state as a fan would put it.

    An order whose every ticket is ``Void`` (acme-orders.txt's ``ticketStatus``) reads
    "voided", not "paid": ACME leaves its amounts as they were (known from its items only,
    which search results lack)."""
    tickets = [ticket for _, ticket in order.tickets]
    if tickets and all((t.ticket_status or "").lower() == "void" for t in tickets):
        return "status_voided"
    total = order.total_amount or Decimal("0")
    if order.refund_amount and total > 0 and order.refund_amount >= total:
        return "status_refunded"
    if order.balance_amount and order.balance_amount > 0:
        return "status_due"
    if order.check_in_status == "CheckedIn":
        return "status_checked_in"
    if order.check_in_status == "PartiallyCheckedIn":
        return "status_partly_checked_in"
    return "status_paid"


def item_name(item: OrderItem) -> str:
    """What the line is: the event and ticket type, or the add-on's name."""
    if item.event_name and item.ticketing_type_name:
        return f"{item.event_name} ({item.ticketing_type_name})"
    return (
        item.event_name
        or item.inventory_name
        or item.display_name
        or item.item_name
        or item.item_type
        or "?"
    )


def first_event_time(order: Order) -> datetime | None:
    """The earliest event start among the order's items."""
    times = event_times(order)
    return min(times) if times else None


def event_names(order: Order) -> list[str]:
    """The distinct event names, in order of appearance."""
    names: list[str] = []
    for item in order.order_items:
        if item.event_name and item.event_name not in names:
            names.append(item.event_name)
    return names


def ticket_count(order: Order) -> int:
    """How many admission tickets the order holds (add-ons and memberships not counted)."""
    return sum(item.quantity for item in order.order_items if item.is_event)
