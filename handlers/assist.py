"""An agent acting for the fan of a handoff: who the fan is, their orders, their tickets.

Channel-free, like ``handlers.support``: the Slack adapter (``adapters.slack.assist``) checks
that the agent took the handoff and renders the answers; this module decides and audits.

* :meth:`FanAssist.context`: what the bot knows about the fan when an agent takes them: what
  they proved (emails by code, phones by Telegram contact), their upcoming orders, and their
  last messages. Only the orders the fan may see (``bot.orders``) are listed.
* :meth:`FanAssist.send_tickets`: the order's tickets go to the fan on their own channel,
  through exactly the code that answers the fan's own "tickets" button (``ShowTickets.button``),
  ownership check included: an order whose email or phone the fan has not proved is refused
  whatever the agent clicks or a forged payload says, and nothing is sent.
* :meth:`FanAssist.send_code`: instead, a one-time code to the email on the order (the order's
  own address, masked for the fan, under the usual code limits), exactly as after the fan's
  own order lookup; the fan's conversation waits for the code and, once it verifies, shows
  that order's tickets.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from bot import copy
from bot.acme.models import Order
from bot.errors import NotAllowed, NotFound
from bot.formatting import mask_email
from bot.identity import Identity, Verified
from bot.messages import Fan, Reply
from bot.order_cache import event_times
from bot.order_times import soonest
from bot.orders import OrderBook, is_order_id
from bot.outbound import Messenger
from bot.ports import StateStore
from bot.staff import AuditLog, StaffError
from bot.turn import HISTORY, RESUME, Turn
from handlers.show_tickets import ShowTickets
from handlers.verify import Verify

#: Upcoming orders listed for the agent (each is a card with buttons).
MAX_ORDERS = 10

Action = Callable[[Turn], Awaitable[list[Reply]]]


class FanConversation(Protocol):
    """Acting on a fan's conversation from outside a turn (``bot.conversation.Conversation``)."""

    async def act_for(self, fan: Fan, action: Action) -> list[Reply]:
        """Run ``action`` on the fan's saved conversation, under their lock; its replies."""
        ...


@dataclass(frozen=True)
class FanContext:
    """What an agent who takes a fan gets to see (in their DM only)."""

    verified: Verified
    orders: list[Order]
    history: list[str]


@dataclass(frozen=True)
class Sent:
    """Tickets delivered to the fan: the order's number and how many tickets."""

    number: str
    count: int


@dataclass(frozen=True)
class NotVerified:
    """The fan has not proved the order: nothing was sent. ``email`` is the order's address
    (masked) a code can go to; None when the order has none (or does not exist)."""

    order_id: str
    email: str | None


class FanAssist:
    """Agent actions on behalf of a handoff's fan, each one audited."""

    def __init__(
        self,
        conversation: FanConversation,
        identity: Identity,
        orders: OrderBook,
        tickets: ShowTickets,
        verify: Verify,
        messenger: Messenger,
        states: StateStore,
        audit: AuditLog,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.conversation = conversation
        self.identity = identity
        self.orders = orders
        self.tickets = tickets
        self.verify = verify
        self.messenger = messenger
        self.states = states
        self.audit = audit
        self.clock = clock

    async def context(self, agent: str, fan: Fan) -> FanContext:
        """The fan's proofs, upcoming orders (soonest first) and last messages."""
        verified = await self.identity.verified(fan)
        state = await self.states.load(fan)
        lines = state.get(HISTORY)
        history = [str(line) for line in lines] if isinstance(lines, list) else []
        orders: list[Order] = []
        if verified.anything:
            summaries = await self.orders.visible_orders(verified)
            full = await self.orders.details([o.id for o in summaries], verified)
            orders = self._upcoming(full)[:MAX_ORDERS]
        await self.audit.record(agent, "fan_context", detail=fan.key)
        return FanContext(verified, orders, history)

    async def send_tickets(self, agent: str, fan: Fan, order_id: str) -> Sent | NotVerified:
        """The order's tickets to the fan, when the fan may have them; else nothing is sent."""
        if not is_order_id(order_id):
            raise StaffError("order_not_found", id=order_id)
        verified = await self.identity.verified(fan)
        try:
            order = await self.orders.owned_order(order_id, verified)
        except NotAllowed:
            await self.audit.record(agent, "send_tickets_refused", order=order_id, detail=fan.key)
            return NotVerified(order_id, await self._order_email(order_id))
        replies = await self.conversation.act_for(
            fan, lambda turn: self.tickets.button(turn, order.id)
        )
        count = sum(len(reply.images) + len(reply.links) for reply in replies)
        number = order.order_number or order.id
        if count == 0:
            raise StaffError("tickets_none", number=number)
        lang = await self.messenger.language_of(fan)
        intro = Reply(copy.text("assist_tickets_intro", lang, number=number))
        await self.messenger.send(fan, [intro, *replies])
        await self.audit.record(agent, "send_tickets", order=order.id, detail=fan.key)
        return Sent(number, count)

    async def send_code(self, agent: str, fan: Fan, order_id: str) -> str:
        """Mail a code to the order's own email for the fan to type; the masked address.

        The fan's conversation then waits for the code (``handlers.verify``, as after a fan's
        own order lookup) and carries on with this order's tickets once it verifies.
        """
        order = await self._order(order_id)
        if order is None or not order.email:
            raise StaffError("assist_no_email", id=order_id)
        shown = mask_email(order.email.strip().lower())

        async def mail(turn: Turn) -> list[Reply]:
            turn.state[RESUME] = f"tickets:{order.id}"
            replies = await self.verify.send_code(turn, order.email or "", on_order=True)
            if turn.awaiting != "code":  # over the code limits: the fan is told nothing
                raise StaffError("assist_code_limit", email=shown)
            number = order.order_number or order.id
            return [turn.reply("assist_code_intro", number=number), *replies]

        replies = await self.conversation.act_for(fan, mail)
        await self.messenger.send(fan, replies)
        await self.audit.record(agent, "send_code", order=order.id, detail=f"{fan.key} {shown}")
        return shown

    def _upcoming(self, orders: list[Order]) -> list[Order]:
        """Orders with an event still to come (or just begun), soonest first."""
        now = datetime.fromtimestamp(self.clock(), UTC)
        later = datetime.max.replace(tzinfo=UTC)
        dated = [(soonest(event_times(o), now), o) for o in orders]
        return [o for start, o in sorted(dated, key=lambda pair: pair[0]) if start < later]

    async def _order(self, order_id: str) -> Order | None:
        if not is_order_id(order_id):
            return None
        try:
            return await self.orders.source.get_order(order_id)
        except NotFound:
            return None

    async def _order_email(self, order_id: str) -> str | None:
        order = await self._order(order_id)
        return mask_email(order.email) if order is not None and order.email else None
