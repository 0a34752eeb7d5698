""" "Where is my order?": the fan's orders across every verified email and phone, and details.

Search results carry no items, so the orders on the page being shown are fetched in full
(in parallel) to name their events. Pages hold a few orders each with "details" and
"tickets" buttons; the buttons carry only an order id, which is checked again on use.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from bot.acme.reminders import plan_when_due
from bot.formatting import money, when
from bot.identity import Identity
from bot.messages import Button, Fan, Reply
from bot.orders import OrderBook
from bot.turn import Turn
from handlers.order_text import event_names, first_event_time, item_name, status_key
from handlers.verify import Verify

PAGE_SIZE = 5


class FindOrder:
    """Lists orders and shows one order's details."""

    def __init__(
        self,
        orders: OrderBook,
        identity: Identity,
        verify: Verify,
        tz: ZoneInfo,
        *,
        seen: Callable[[Fan], Awaitable[None]] | None = None,
    ) -> None:
        #: Told when a fan looks at their orders (plans their event reminders).
        self.seen = seen
        self.orders = orders
        self.identity = identity
        self.verify = verify
        self.tz = tz

    async def __call__(self, turn: Turn) -> list[Reply]:
        """The ``find_order`` intent: verify first when needed, then list."""
        started = await self.verify.from_slots(turn, "find_order")
        if started is not None:
            return started
        verified = await self.identity.verified(turn.fan)
        if not verified.anything:
            return await self.verify.intro(turn, resume="find_order")
        number = turn.slots.get("order_number")
        if isinstance(number, str):
            order = await self.orders.by_number(number, verified)
            return await self.details(turn, order.id)
        return await self.page(turn, 1)

    async def page(self, turn: Turn, page: int) -> list[Reply]:
        """One page of the fan's orders, newest first."""
        verified = await self.identity.verified(turn.fan)
        if not verified.anything:
            return await self.verify.intro(turn, resume="find_order")
        orders = await self.orders.visible_orders(verified)
        if orders and self.seen is not None:
            await plan_when_due(turn.state, turn.fan, self.seen, time.time())
        if not orders:
            who = ", ".join(sorted(verified.emails | verified.phones)) or "you"
            return [turn.reply("no_orders", who=who)]
        pages = (len(orders) + PAGE_SIZE - 1) // PAGE_SIZE
        page = min(max(page, 1), pages)
        chunk = orders[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        full = {o.id: o for o in await self.orders.details([o.id for o in chunk], verified)}
        lines = [
            turn.say("orders_header", shown=len(chunk) + (page - 1) * PAGE_SIZE, total=len(orders))
        ]
        buttons: list[Button] = []
        for summary in chunk:
            order = full.get(summary.id, summary)
            number = order.order_number or order.id
            facts = {
                "number": number,
                "events": ", ".join(event_names(order)) or turn.say("no_events"),
                "amount": money(order.total_amount),
                "status": turn.say(status_key(order)),
            }
            if order.dates_hidden:
                lines.append(turn.say("order_line_undated", **facts))
            else:
                moment = when(first_event_time(order) or order.created_on, self.tz, turn.lang)
                lines.append(turn.say("order_line", when=moment, **facts))
            buttons.append(turn.button("button_details", f"order:{order.id}", number=number))
            buttons.append(turn.button("button_show_tickets", f"tickets:{order.id}", number=number))
        if page < pages:
            buttons.append(turn.button("button_more", f"orders:{page + 1}"))
        return [Reply("\n".join(lines), buttons=tuple(buttons))]

    async def details(self, turn: Turn, order_id: str) -> list[Reply]:
        """One order's items and totals (after the ownership check)."""
        verified = await self.identity.verified(turn.fan)
        order = await self.orders.owned_order(order_id, verified)
        number = order.order_number or order.id
        items = "\n".join(
            turn.say(
                "order_item_line",
                name=item_name(item),
                quantity=item.quantity,
                when=f" · {when(item.event_start_time, self.tz, turn.lang)}"
                if item.event_start_time and not order.dates_hidden
                else "",
                amount=money(item.amount),
            )
            for item in order.order_items
        )
        text = turn.say(
            "order_details",
            number=number,
            status=turn.say(status_key(order)),
            placed=when(order.created_on or order.creation_date, self.tz, turn.lang),
            items=items,
            amount=money(order.total_amount),
        )
        return [
            Reply(
                text,
                buttons=(turn.button("button_show_tickets", f"tickets:{order.id}", number=number),),
            )
        ]

    async def button_orders(self, turn: Turn, argument: str) -> list[Reply]:
        """``orders`` or ``orders:<page>``."""
        page = int(argument) if argument.isdigit() and len(argument) < 6 else 1
        return await self.page(turn, page)

    async def button_order(self, turn: Turn, argument: str) -> list[Reply]:
        """``order:<id>``: details (ownership checked in :meth:`details`)."""
        return await self.details(turn, argument)
