"""Add-ons (audio guide, parking...): for the event in the fan's cart, or one they hold tickets for.

What ACME sells with an event is in the event itself (``GET /v2/b2c/events/{id}``: ``addOns``
with name and price), so that is what the fan is offered. Which events count as "theirs" comes
from their verified orders (``bot.orders.OrderBook``, the ownership rule at every access): an
upcoming event with at least one valid ticket. A button naming an event is checked against that
list again when pressed; buttons naming an add-on are checked against the event's add-ons.

Quantities *set* rather than add ("Parking: 2" means two in the cart), so pressing a button
twice changes nothing; 0 takes the add-on out. A fan may type the count too, or say it all at
once: "add 2 parking".
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.acme.catalog_models import AddOn, EventInstance
from bot.acme.models import Order
from bot.buying.cart_edits import MAX_QUANTITY, with_add_on
from bot.buying.carts import CART, OpenCart
from bot.formatting import money, when
from bot.identity import Identity
from bot.messages import NUMBER as ANSWER_NUMBER
from bot.messages import Button, Reply
from bot.orders import OrderBook, ticket_live
from bot.turn import Turn
from handlers.cart import CartDesk, moving_on
from handlers.verify import Verify

#: State key: the event whose add-ons were listed last (the cart is made for it on a choice).
ADDON_EVENT = "addon_event"
#: State key: the add-on waiting for a typed quantity.
ADDON_PENDING = "addon_pending"
#: Events that started longer ago than this are over: no add-ons for them.
STARTED_AGO = timedelta(hours=2)
QUANTITY_CHOICES = (0, 1, 2, 3, 4)
NUMBER = re.compile(r"^\s*(\d{1,2})\s*$")
MAX_EVENT_BUTTONS = 8


@dataclass(frozen=True)
class HeldEvent:
    """An upcoming event the fan holds a valid ticket for, as its add-on button names it."""

    name: str
    start: datetime | None
    #: An order for it hides its dates (``hideEventDate``): its button shows no date.
    dates_hidden: bool = False


def held_events(orders: list[Order], now: datetime) -> dict[str, HeldEvent]:
    """``{event id: event}`` of upcoming events with a valid ticket, soonest first."""
    found: dict[str, HeldEvent] = {}
    for order in orders:
        for item in order.order_items:
            start = item.event_start_time
            live = any(ticket_live(ticket.ticket_status) for ticket in item.ticket_vos)
            if item.is_event and item.event_id and live and (start is None or start > now):
                known = found.get(item.event_id)
                hidden = order.dates_hidden or (known is not None and known.dates_hidden)
                name = known.name if known is not None else item.event_name or ""
                found[item.event_id] = HeldEvent(name, start, hidden)
    far = datetime.max.replace(tzinfo=UTC)
    return dict(sorted(found.items(), key=lambda kv: kv[1].start or far))


class BuyAddOn:
    """The ``buy_addon`` intent and the ``addons``/``addon`` buttons."""

    def __init__(
        self,
        desk: CartDesk,
        orders: OrderBook,
        identity: Identity,
        verify: Verify,
        tz: ZoneInfo,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.desk = desk
        self.orders = orders
        self.identity = identity
        self.verify = verify
        self.tz = tz
        self.clock = clock

    async def __call__(self, turn: Turn) -> list[Reply]:
        """The intent ("add parking", "2 audio guides"): the cart's event, or one they hold."""
        opened = await self.desk.current(turn)
        if opened is not None:
            event = await self.desk.event(opened, turn)
            return await self._offer(turn, event)
        verified = await self.identity.verified(turn.fan)
        if not verified.anything:
            return await self.verify.intro(turn, resume="buy_addon")
        held = await self._held(turn)
        if not held:
            return [turn.reply("addons_no_events")]
        if len(held) == 1:
            event = await self.desk.carts.api.get_event(next(iter(held)))
            return await self._offer(turn, event)
        buttons = tuple(
            turn.button("button_event_undated", f"addons:{event_id}", event=event.name)
            if event.dates_hidden
            else turn.button(
                "button_event",
                f"addons:{event_id}",
                event=event.name,
                when=when(event.start, self.tz, turn.lang),
            )
            for event_id, event in list(held.items())[:MAX_EVENT_BUTTONS]
        )
        return [Reply(turn.say("addons_pick_event"), buttons=buttons)]

    async def button_event(self, turn: Turn, argument: str) -> list[Reply]:
        """``addons`` (as the intent) or ``addons:<event id>`` (checked: the cart's or held)."""
        if not argument:
            return await self(turn)
        opened = await self.desk.current(turn)
        mine = opened is not None and opened.record.event_id == argument
        if not mine and argument not in await self._held(turn):
            return [turn.reply("not_found_or_not_yours")]
        return await self._offer(turn, await self.desk.carts.api.get_event(argument))

    async def button_add_on(self, turn: Turn, argument: str) -> list[Reply]:
        """``addon:<inventory id>`` asks how many; ``addon:<inventory id>:<n>`` sets it."""
        inventory_id, _, count = argument.partition(":")
        event = await self._listed_event(turn)
        add_on = _find(event, inventory_id) if event is not None else None
        if event is None or add_on is None:
            return [turn.reply("stale_addon")]
        if not count:
            turn.state[ADDON_PENDING] = add_on.id
            turn.expect("addon_quantity")
            buttons = tuple(
                Button(turn.say("button_none") if n == 0 else str(n), f"addon:{add_on.id}:{n}")
                for n in QUANTITY_CHOICES
            )
            price = money(add_on.price)
            question = turn.say("ask_addon_quantity", name=add_on.name, price=price)
            return [Reply(question, buttons, expects=ANSWER_NUMBER)]
        if not count.isdigit() or int(count) > MAX_QUANTITY:
            return [turn.reply("bad_quantity", most=MAX_QUANTITY)]
        return await self._set(turn, event, add_on, int(count))

    async def step_quantity(self, turn: Turn) -> list[Reply] | None:
        """Waiting for how many of the pending add-on."""
        match = NUMBER.match(turn.inbound.text or "")
        pending = turn.state.get(ADDON_PENDING)
        if isinstance(pending, str) and match is not None:
            return await self.button_add_on(turn, f"{pending}:{int(match.group(1))}")
        if isinstance(pending, str) and not moving_on(turn):
            return [turn.reply("bad_quantity", most=MAX_QUANTITY)]
        turn.state.pop(ADDON_PENDING, None)
        turn.expect(None)
        return None

    async def _offer(self, turn: Turn, event: EventInstance) -> list[Reply]:
        """The event's add-ons; straight into the cart when the text named one and a count."""
        turn.state[ADDON_EVENT] = event.id
        name = event.name or ""
        if not event.add_ons:
            return [turn.reply("addons_none", event=name)]
        named = _named(event.add_ons, turn.inbound.text or "")
        quantity = turn.slots.get("quantity")
        if named is not None and isinstance(quantity, int) and 0 <= quantity <= MAX_QUANTITY:
            return await self._set(turn, event, named, quantity)
        if named is not None:
            return await self.button_add_on(turn, named.id)
        lines = [turn.say("addons_list", event=name)]
        lines += [turn.say("addon_line", name=a.name, price=money(a.price)) for a in event.add_ons]
        buttons = tuple(
            turn.button("button_addon", f"addon:{a.id}", name=a.name, price=money(a.price))
            for a in event.add_ons
        )
        return [Reply("\n".join(lines), buttons=buttons)]

    async def _set(
        self, turn: Turn, event: EventInstance, add_on: AddOn, quantity: int
    ) -> list[Reply]:
        """Exactly ``quantity`` of the add-on in the cart for ``event`` (made when needed)."""
        turn.state.pop(ADDON_PENDING, None)
        turn.expect(None)
        opened, notes = await self._cart_for(turn, event.id)
        opened = await self.desk.change(
            turn, opened, with_add_on(opened.cart, event.id, add_on.id, quantity)
        )
        notes.append(turn.say("addon_set", name=add_on.name, quantity=quantity))
        return [await self.desk.show(turn, opened, intro="\n".join(notes))]

    async def _cart_for(self, turn: Turn, event_id: str) -> tuple[OpenCart, list[str]]:
        """The fan's cart for this event, or a new one (closing a cart for another event)."""
        notes: list[str] = []
        opened = await self.desk.current(turn)
        if opened is not None and opened.record.event_id == event_id:
            return opened, notes
        if opened is not None:
            turn.state.pop(CART, None)
            await self.desk.carts.discard(opened.record.cart_id)
            notes.append(turn.say("cart_replaced"))
        fresh = await self.desk.carts.open(event_id, [], fan=turn.fan)
        self.desk.adopt(turn, fresh)
        return fresh, notes

    async def _listed_event(self, turn: Turn) -> EventInstance | None:
        """The event whose add-ons the fan was offered (the state says which; never a payload)."""
        event_id = turn.state.get(ADDON_EVENT)
        if not isinstance(event_id, str):
            opened = await self.desk.current(turn)
            event_id = opened.record.event_id if opened is not None else None
        if event_id is None:
            return None
        return await self.desk.carts.api.get_event(event_id)

    async def _held(self, turn: Turn) -> dict[str, HeldEvent]:
        verified = await self.identity.verified(turn.fan)
        summaries = await self.orders.visible_orders(verified)
        full = await self.orders.details([o.id for o in summaries], verified)
        now = datetime.fromtimestamp(self.clock(), UTC) - STARTED_AGO
        return held_events(full, now)


def _find(event: EventInstance, inventory_id: str) -> AddOn | None:
    return next((a for a in event.add_ons if a.id == inventory_id), None)


def _named(add_ons: list[AddOn], text: str) -> AddOn | None:
    """The one add-on whose name's words all appear in the text ("2 audio guides" names
    "Audio Guide"); None when none or several do."""
    words = set(re.findall(r"\w+", text.lower()))
    stems = {word.rstrip("s") for word in words}
    hits = [
        a
        for a in add_ons
        if all(w in words or w.rstrip("s") in stems for w in re.findall(r"\w+", a.name.lower()))
    ]
    return hits[0] if len(hits) == 1 else None
