"""The pure parts of the ACME reminders: when a fan's plan is asked for, which events count."""

from __future__ import annotations

import json
from pathlib import Path

from bot.acme.models import Order
from bot.acme.reminders import PLAN_GAP, held_events, plan_when_due
from bot.messages import Fan

DATA = Path(__file__).parents[2] / "data" / "acme"


async def test_a_fans_plan_is_asked_for_at_most_every_ten_minutes() -> None:
    asked: list[Fan] = []

    async def seen(fan: Fan) -> None:
        asked.append(fan)

    state: dict[str, object] = {}
    fan = Fan("console", "p1")
    await plan_when_due(state, fan, seen, 1000.0)
    await plan_when_due(state, fan, seen, 1000.0 + PLAN_GAP - 1)
    assert asked == [fan]
    await plan_when_due(state, fan, seen, 1000.0 + PLAN_GAP)
    assert asked == [fan, fan]


def test_the_documented_order_holds_no_ticket_to_remind_of() -> None:
    """acme-orders.txt's order has events (Sailing, Hiking) but no ``ticketVos``: nothing a
    gate would scan, so nothing to remind of, even before its events."""
    order = Order.model_validate(json.loads((DATA / "order_get_response.json").read_text()))
    assert {item.event_name for item in order.order_items if item.event_name} == {
        "Sailing",
        "Hiking",
    }
    assert held_events([order], now=0.0) == {}
