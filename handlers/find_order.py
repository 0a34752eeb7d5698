""" "Where is my order?": the fan's orders across every verified email and phone, and details.

The list puts what is ahead first: upcoming orders, soonest event first; past ones (every event
over, ``bot.order_times``) wait behind a "Past orders (N)" button, latest first, each named
"past", "refunded", "voided"... Both lists page with "previous" and "next"; the buttons carry
the list and the page (``orders:up:2``, ``orders:past:1``), and the old ``orders:<page>``
buttons still in chats open the upcoming list.

Search results carry no items, hence no dates: ``bot.order_times`` learns each order's event
times from one cache read (details and times together) and ACME only for orders it has never
seen; the orders on the page shown are then fetched in full (in parallel) when not at hand, to
name their events. Each order has "details" and "tickets" buttons that carry only its id,
which is checked again on use.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.acme.models import Order
from bot.acme.reminders import plan_when_due
from bot.formatting import money, when
from bot.identity import Identity
from bot.messages import Button, Fan, Reply
from bot.order_times import Timeline
from bot.orders import OrderBook
from bot.turn import Turn
from handlers.order_text import event_names, item_name, status_key
from handlers.verify import Verify

PAGE_SIZE = 5
#: The two lists, as button payloads name them.
UPCOMING, PAST = "up", "past"
#: A page number longer than this is no real page: the last one is shown.
MAX_PAGE_DIGITS = 6
LAST_PAGE = 10**MAX_PAGE_DIGITS


def page_number(text: str) -> int:
    """A button's page: not a number is the first page, an absurdly long one the last."""
    if not (text.isascii() and text.isdigit()):
        return 1
    return LAST_PAGE if len(text) > MAX_PAGE_DIGITS else int(text)


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
        clock: Callable[[], float] = time.time,
    ) -> None:
        #: Told when a fan looks at their orders (plans their event reminders).
        self.seen = seen
        self.orders = orders
        self.identity = identity
        self.verify = verify
        self.tz = tz
        self.clock = clock
        self.timeline = Timeline(orders)

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

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def page(self, turn: Turn, page: int, kind: str = UPCOMING) -> list[Reply]:
        """One page of the fan's upcoming orders (soonest first) or past ones (latest first)."""
        verified = await self.identity.verified(turn.fan)
        if not verified.anything:
            return await self.verify.intro(turn, resume="find_order")
        listing = await self.orders.listing(verified)
        summaries = listing.orders
        if summaries and self.seen is not None:
            await plan_when_due(turn.state, turn.fan, self.seen, self.clock())
        if not summaries:
            who = ", ".join(sorted(verified.emails | verified.phones)) or "you"
            return [turn.reply("no_orders", who=who)]
        now = self._now()
        split = await self.timeline.split(summaries, verified, now, listing.ahead)
        if kind == PAST and not split.past:
            kind = UPCOMING  # an old or forged "past" button with nothing past
        if kind == UPCOMING and not split.upcoming:  # say so; the past list is one tap away
            switch = turn.button("button_past_orders", "orders:past:1", count=len(split.past))
            return [Reply(turn.say("no_upcoming_orders"), buttons=(switch,))]
        shown = split.past if kind == PAST else split.upcoming
        pages = (len(shown) + PAGE_SIZE - 1) // PAGE_SIZE
        page = min(max(page, 1), pages)
        chunk = shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        await self.timeline.complete(split, chunk, verified)
        first = (page - 1) * PAGE_SIZE + 1
        header = "past_orders_header" if kind == PAST else "orders_header"
        lines = [turn.say(header, first=first, last=first + len(chunk) - 1, total=len(shown))]
        buttons: list[Button] = []
        for summary in chunk:
            order = split.full.get(summary.id, summary)
            moment = split.shown_time(order, now)
            lines.append(self._line(turn, order, moment, past=kind == PAST))
            number = order.order_number or order.id
            buttons.append(turn.button("button_details", f"order:{order.id}", number=number))
            buttons.append(turn.button("button_show_tickets", f"tickets:{order.id}", number=number))
        if page > 1:
            buttons.append(turn.button("button_previous", f"orders:{kind}:{page - 1}"))
        if page < pages:
            buttons.append(turn.button("button_next", f"orders:{kind}:{page + 1}"))
        if kind == UPCOMING and split.past:
            count = len(split.past)
            buttons.append(turn.button("button_past_orders", "orders:past:1", count=count))
        elif kind == PAST and split.upcoming:
            count = len(split.upcoming)
            buttons.append(turn.button("button_upcoming_orders", "orders:up:1", count=count))
        return [Reply("\n".join(lines), buttons=tuple(buttons))]

    def _line(self, turn: Turn, order: Order, moment: datetime | None, *, past: bool) -> str:
        """One order: number, events, its date in the list (unless hidden), amount, status."""
        status = status_key(order)
        if past and status == "status_paid":
            status = "status_past"
        facts = {
            "number": order.order_number or order.id,
            "events": ", ".join(event_names(order)) or turn.say("no_events"),
            "amount": money(order.total_amount),
            "status": turn.say(status),
        }
        if order.dates_hidden:
            return turn.say("order_line_undated", **facts)
        return turn.say("order_line", when=when(moment, self.tz, turn.lang), **facts)

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
        """``orders:up:<page>``, ``orders:past:<page>``; ``orders`` and ``orders:<page>`` (old
        buttons still in chats) are the upcoming list. A page that is not a number is the
        first, one past the end (or absurdly long) the last."""
        kind, _, number = argument.partition(":")
        if kind not in (UPCOMING, PAST):
            kind, number = UPCOMING, argument
        return await self.page(turn, page_number(number), kind)

    async def button_order(self, turn: Turn, argument: str) -> list[Reply]:
        """``order:<id>``: details (ownership checked in :meth:`details`)."""
        return await self.details(turn, argument)
