""" "Resend my confirmation email": ACME mails an order's confirmation again, to its own email.

The same ACME call agents use from Slack (``POST /v2/b2b/orders/{orderNumber}/email``), with
the fan's ownership check in front: only an order the fan may see, and only ever to the email
stored on that order, never to an address typed in the chat (that would hand the order's
confirmation, and with it the order number, to whoever asks). Which order: the one named in the
message, else the fan's only order, else the fan picks from their latest (buttons that carry an
order id, checked again when pressed).

Throttled, because each call makes ACME send a real mail to someone's inbox: one mail per
order per :data:`ORDER_WINDOW`, at most :data:`MAX_PER_FAN` per fan per hour.
"""

from __future__ import annotations

from typing import Protocol

from bot.acme.models import Order
from bot.formatting import mask_email
from bot.identity import Identity
from bot.messages import Reply
from bot.orders import OrderBook
from bot.ports import RateCounter
from bot.turn import Turn
from handlers.verify import Verify

#: How long before the same order's confirmation may be mailed again.
ORDER_WINDOW = 15 * 60.0
#: Confirmation mails one fan may ask for in an hour, all orders together.
MAX_PER_FAN = 3
FAN_WINDOW = 3600.0
#: Orders offered as buttons when the fan has several.
CHOICES = 5


class ConfirmationMailer(Protocol):
    """The ACME call (``adapters.acme.client.AcmeClient`` fits)."""

    async def resend_confirmation(self, order_number: str, email: str) -> None:
        """Have ACME mail the order's confirmation again."""
        ...


class ResendConfirmation:
    """The ``resend_confirmation`` intent and its ``resend:<order id>`` button."""

    def __init__(
        self,
        orders: OrderBook,
        identity: Identity,
        verify: Verify,
        mailer: ConfirmationMailer,
        counter: RateCounter,
    ) -> None:
        self.orders = orders
        self.identity = identity
        self.verify = verify
        self.mailer = mailer
        self.counter = counter

    async def __call__(self, turn: Turn) -> list[Reply]:
        """Resend the named order's confirmation, the only order's, or ask which."""
        started = await self.verify.from_slots(turn, "resend_confirmation")
        if started is not None:
            return started
        verified = await self.identity.verified(turn.fan)
        if not verified.anything:
            return await self.verify.intro(turn, resume="resend_confirmation")
        number = turn.slots.get("order_number")
        if isinstance(number, str):
            return await self._resend(turn, await self.orders.by_number(number, verified))
        orders = await self.orders.visible_orders(verified)
        if not orders:
            return [turn.reply("resend_no_orders")]
        if len(orders) == 1:
            return await self.button(turn, orders[0].id)
        buttons = tuple(
            turn.button(
                "button_resend_confirmation", f"resend:{o.id}", number=o.order_number or o.id
            )
            for o in orders[:CHOICES]
        )
        return [turn.reply("resend_which", buttons=buttons)]

    async def button(self, turn: Turn, argument: str) -> list[Reply]:
        """``resend:<order id>``: the id is untrusted, so ownership is checked again."""
        verified = await self.identity.verified(turn.fan)
        if not verified.anything:
            return await self.verify.intro(turn, resume="resend_confirmation")
        return await self._resend(turn, await self.orders.owned_order(argument, verified))

    async def _resend(self, turn: Turn, order: Order) -> list[Reply]:
        number = order.order_number
        if not number or not order.email:
            return [turn.reply("resend_impossible", number=number or order.id)]
        # The per-order limit first: repeating the same order must not use up the fan's hour.
        # It is counted only once ACME took the request, so a failed call can be retried; a
        # fan's turns run one at a time (the turn lock), so a double tap cannot slip between.
        if await self.counter.peek(f"resend:order:{order.id}") >= 1:
            return [turn.reply("resend_too_soon", number=number)]
        if await self.counter.hit(f"resend:fan:{turn.fan.key}", FAN_WINDOW) > MAX_PER_FAN:
            return [turn.reply("resend_limit")]
        await self.mailer.resend_confirmation(number, order.email)
        await self.counter.hit(f"resend:order:{order.id}", ORDER_WINDOW)
        return [turn.reply("resend_done", number=number, email=mask_email(order.email))]
