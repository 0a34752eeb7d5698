"""A purchase link opened in the chat (Telegram ``/start <code>``): a fresh cart, shown.

``handlers.deep_link`` has already checked the link (unknown, expired and revoked links get one
answer there) and counted the click. Here the link's event, ticket type, quantity and coupon go
into a *new* cart (``bot.buying.link_carts``), replacing any cart the fan had open, with the fan's
membership when they proved one. A link that names no ticket type first asks which one, with
the prices (member prices too, for a member); the pending link waits in the state, so the
answer button carries only the ticket type id, checked against the event's price list.
"""

from __future__ import annotations

from typing import Any

from bot.buying.carts import CART, MEMBERSHIP
from bot.buying.link_carts import CartCounter, open_link_cart
from bot.buying.purchase_links import PurchaseLink
from bot.errors import BadRequest, NotFound
from bot.formatting import money
from bot.messages import Button, Reply
from bot.turn import Turn
from handlers.cart import CartDesk
from handlers.help import menu

#: State key: a link that waits for the fan to pick a ticket type.
PENDING_LINK = "pending_link"


class StartPurchase:
    """``DeepLink.start_purchase`` and the ``ptype:<id>`` button."""

    def __init__(self, desk: CartDesk, counter: CartCounter) -> None:
        self.desk = desk
        self.counter = counter

    async def __call__(self, turn: Turn, link: PurchaseLink) -> list[Reply]:
        """Open the link's cart, or ask for the ticket type first."""
        try:
            return await self._start(turn, link)
        except (BadRequest, NotFound):
            # The link's event or ticket type is no longer sold: the link is as good as gone.
            return [Reply(turn.say("link_gone"), buttons=menu(turn))]

    async def _start(self, turn: Turn, link: PurchaseLink) -> list[Reply]:
        if link.ticketing_type_id is not None:
            return await self._open(turn, link, link.ticketing_type_id)
        event = await self.desk.carts.api.get_event(link.event_id, _membership(turn.state))
        if not event.price_list.prices:
            return [Reply(turn.say("link_gone"), buttons=menu(turn))]
        turn.state[PENDING_LINK] = link.to_json()
        buttons = []
        for price in event.price_list.prices:
            member = price.discounted_price
            cheaper = member is not None and member < price.price
            key = "button_ticket_type_member" if cheaper else "button_ticket_type"
            buttons.append(
                turn.button(
                    key,
                    f"ptype:{price.person_type.id}",
                    name=price.person_type.name,
                    price=money(price.price),
                    member=money(member),
                )
            )
        return [
            Reply(
                turn.say("choose_ticket_type", event=event.name or "", quantity=link.quantity),
                buttons=tuple(buttons),
            )
        ]

    async def button_type(self, turn: Turn, argument: str) -> list[Reply]:
        """``ptype:<ticketing type id>``: the type for the pending link."""
        raw = turn.state.get(PENDING_LINK)
        if not isinstance(raw, dict):
            return _stale(turn)
        link = PurchaseLink.from_json(raw)
        event = await self.desk.carts.api.get_event(link.event_id)
        if event.price_for(argument) is None:
            return _stale(turn)
        turn.state.pop(PENDING_LINK, None)
        return await self._open(turn, link, argument)

    async def _open(self, turn: Turn, link: PurchaseLink, ticketing_type_id: str) -> list[Reply]:
        previous = turn.state.pop(CART, None)
        if isinstance(previous, str):
            await self.desk.carts.discard(previous)
        made = await open_link_cart(
            self.desk.carts,
            self.counter,
            link,
            ticketing_type_id=ticketing_type_id,
            fan=turn.fan,
            membership_id=_membership(turn.state),
        )
        self.desk.adopt(turn, made.opened)
        notes = [turn.say("cart_opened")]
        if made.coupon_refused is not None:
            notes.append(turn.say("link_coupon_refused", code=made.coupon_refused))
        if made.membership_refused:
            turn.state.pop(MEMBERSHIP, None)
            notes.append(turn.say("membership_not_usable"))
        replies = [await self.desk.show(turn, made.opened, intro="\n".join(notes))]
        offer = await self.desk.check_entitlements(turn, made.opened)
        return replies + ([offer] if offer is not None else [])


def _membership(state: dict[str, Any]) -> int | None:
    value = state.get(MEMBERSHIP)
    return value if isinstance(value, int) else None


def _stale(turn: Turn) -> list[Reply]:
    return [
        Reply(
            turn.say("stale_button"),
            buttons=(Button(turn.say("button_cart"), "cart"), *menu(turn)),
        )
    ]
