""" "Show my tickets": the right event's tickets, not every ticket the fan ever bought.

ACME: one QR code (its value is the ticket ``uuid``, which is what the gate scans) per valid
ticket, grouped by event, with the event, time and ticket type beside each. Ticketmaster:
tickets with a token go on the secure page (a signed link; the token never enters the chat),
barcode-only tickets become QR codes, a delayed order gets its "ready on" date.

Which event: the one the fan named ("tickets for the jazz concert", "tonight", "sábado"; the
recogniser's ``event`` slot, read by ``bot.events`` against the fan's own upcoming events), or
else tonight's (today's, at the venue), else the next one, with a button for each other event.
A fan at the door with tickets for five events gets one event's codes, not five; the others are
one tap away. When nothing is upcoming, the answer says why: refunded, voided, or over.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.acme.models import Order, OrderItem
from bot.acme.reminders import plan_when_due
from bot.errors import NotAllowed, UpstreamError
from bot.events import HeldEvent, default_choice, find, read_words
from bot.formatting import when
from bot.identity import Identity
from bot.links import TicketLinks
from bot.messages import Button, Fan, Image, Link, Reply
from bot.order_times import PAST_AFTER
from bot.orders import OrderBook, ticket_live
from bot.ticketmaster.cart_models import Availability
from bot.ticketmaster.models import OrderManagementResponse, OrderTicket
from bot.ticketmaster.ports import TmOrderRef
from bot.ticketmaster.safetix import SafeTix, delay_date, event_time, ticket_label
from bot.turn import Turn
from handlers.verify import Verify

TM_PREFIX = "tm-"
EVENT_PREFIX = "ev:"
#: Other events offered as buttons under the tickets shown (the rest: "My orders").
MAX_EVENT_BUTTONS = 8
#: Orders named in a "nothing upcoming" answer.
MAX_EMPTY_LINES = 5
FAR = datetime.max.replace(tzinfo=UTC)


@dataclass
class _AcmeEvent:
    """One ACME event's valid tickets: ``(uuid, ticket type)``."""

    held: HeldEvent
    tickets: list[tuple[str, str]] = field(default_factory=list)
    #: The order hides its dates (``hideEventDate``): no time is shown for this event.
    dates_hidden: bool = False


@dataclass(frozen=True)
class _TmView:
    """A registered Ticketmaster order, loaded: what its answer needs."""

    held: HeldEvent
    order: TmOrderRef
    answer: OrderManagementResponse
    live: list[OrderTicket]
    event: Availability | None


Shown = _AcmeEvent | _TmView


class ShowTickets:
    """Builds the ticket messages for a fan, one of their events, or one of their orders."""

    def __init__(
        self,
        orders: OrderBook,
        identity: Identity,
        verify: Verify,
        safetix: SafeTix,
        links: TicketLinks,
        tz: ZoneInfo,
        clock: Callable[[], float] = time.time,
        *,
        seen: Callable[[Fan], Awaitable[None]] | None = None,
    ) -> None:
        #: Told when a fan looks at their tickets (plans their ACME event reminders).
        self.seen = seen
        self.orders = orders
        self.identity = identity
        self.verify = verify
        self.safetix = safetix
        self.links = links
        self.tz = tz
        self.clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def __call__(self, turn: Turn) -> list[Reply]:
        """The ``show_tickets`` intent: the named event's tickets, else tonight's or the next."""
        started = await self.verify.from_slots(turn, "show_tickets")
        if started is not None:
            return started
        verified = await self.identity.verified(turn.fan)
        number = turn.slots.get("order_number")
        if isinstance(number, str) and verified.anything:
            order = await self.orders.by_number(number, verified)
            return await self.button(turn, order.id)
        tm_orders = await self.safetix.store.orders_of(turn.fan)
        if not verified.anything and not tm_orders:
            return await self.verify.intro(turn, resume="show_tickets")
        full: list[Order] = []
        if verified.anything:
            listing = await self.orders.listing(verified)
            summaries = listing.orders
            if summaries and self.seen is not None:
                await plan_when_due(turn.state, turn.fan, self.seen, self.clock())
            full = await self.orders.details(
                [o.id for o in summaries], verified, ahead=listing.ahead
            )
        events, notes = await self._upcoming(turn, full, tm_orders)
        if not events:
            return [*notes, self._nothing_upcoming(turn, full)]
        words = turn.slots.get("event")
        if isinstance(words, str):
            wanted = read_words(words, self._now().astimezone(self.tz).date())
            if wanted.anything:
                chosen = find([e.held for e in events], wanted, self.tz)
                if not chosen:
                    return [*notes, self._no_match(turn, words, events)]
                picked = [e for e in events if e.held in chosen]
                return await self._show(turn, picked, []) + notes
        shown, others = default_choice([e.held for e in events], self._now(), self.tz)
        picked = [e for e in events if e.held in shown]
        rest = [e for e in events if e.held in others]
        return await self._show(turn, picked, rest) + notes

    async def button(self, turn: Turn, argument: str) -> list[Reply]:
        """``tickets`` (as the intent), ``tickets:ev:<acme event id>`` (one event),
        ``tickets:<acme order id>`` (one order) or ``tickets:tm-<ref>``."""
        if not argument:
            turn.slots = {}
            return await self(turn)
        if argument.startswith(TM_PREFIX):
            tm_order = await self.safetix.owned(turn.fan, argument.removeprefix(TM_PREFIX))
            try:
                view = await self._tm_view(tm_order)
            except UpstreamError:
                return [turn.reply("tm_unavailable")]
            if view is not None and view.answer.voided:
                return [turn.reply("tm_order_voided", event=view.held.name)]
            return await self._tm_replies(turn, view) if view else [turn.reply("no_tickets")]
        verified = await self.identity.verified(turn.fan)
        if not verified.anything:
            return await self.verify.intro(turn, resume="show_tickets")
        if argument.startswith(EVENT_PREFIX):
            listing = await self.orders.listing(verified)
            ids = [o.id for o in listing.orders]
            full = await self.orders.details(ids, verified, ahead=listing.ahead)
            wanted = EVENT_PREFIX + argument.removeprefix(EVENT_PREFIX)
            found = [e for e in self._acme_events(full) if e.held.key == wanted]
            if not found:
                return [turn.reply("not_found_or_not_yours")]
            return await self._show(turn, found, [])
        order = await self.orders.owned_order(argument, verified)
        events = self._acme_events([order])
        if events:
            return await self._show(turn, events, [])
        # The fan asked for this order: its codes, if still valid, even for an event that is
        # over (said so in the header); else why there are none.
        past = self._acme_events([order], upcoming=False)
        if not past:
            return [self._order_without_tickets(turn, order)]
        return [self._acme_reply(turn, event, over=True) for event in past]

    # --- choosing ----------------------------------------------------------------------------

    async def _upcoming(
        self, turn: Turn, orders: list[Order], tm_orders: list[TmOrderRef]
    ) -> tuple[list[Shown], list[Reply]]:
        """Every upcoming event the fan holds tickets for, soonest first, and what to say
        about orders that could not be loaded."""
        events: list[Shown] = list(self._acme_events(orders))
        notes: list[Reply] = []
        for tm_order in tm_orders:
            try:
                view = await self._tm_view(tm_order)
            except UpstreamError:
                notes.append(turn.reply("tm_unavailable"))
                continue
            if view is not None and view.answer.voided:  # the whole order: nothing to show
                notes.append(turn.reply("tm_order_voided", event=view.held.name))
            elif view is not None:
                events.append(view)
        events.sort(key=lambda e: e.held.start or FAR)
        return events, notes

    def _no_match(self, turn: Turn, words: str, events: list[Shown]) -> Reply:
        """The fan named an event they hold no upcoming tickets for: say so, offer theirs."""
        return Reply(
            turn.say("tickets_no_match", what=words),
            buttons=self._event_buttons(turn, events),
        )

    def _event_buttons(self, turn: Turn, events: Sequence[Shown]) -> tuple[Button, ...]:
        buttons = [
            turn.button("button_event_undated", f"tickets:{event.held.key}", event=event.held.name)
            if isinstance(event, _AcmeEvent) and event.dates_hidden
            else turn.button(
                "button_event",
                f"tickets:{event.held.key}",
                event=event.held.name,
                when=when(event.held.start, self.tz, turn.lang),
            )
            for event in events[:MAX_EVENT_BUTTONS]
        ]
        if len(events) > MAX_EVENT_BUTTONS:
            buttons.append(turn.button("button_orders", "orders"))
        return tuple(buttons)

    async def _show(
        self, turn: Turn, shown: Sequence[Shown], others: Sequence[Shown]
    ) -> list[Reply]:
        """The tickets of ``shown``; the last message offers ``others`` as buttons."""
        replies: list[Reply] = []
        for event in shown:
            if isinstance(event, _AcmeEvent):
                replies.append(self._acme_reply(turn, event))
            else:
                replies.extend(await self._tm_replies(turn, event))
        if others and replies:
            last = replies[-1]
            replies[-1] = dataclasses.replace(
                last,
                text=last.text + "\n\n" + turn.say("tickets_others"),
                buttons=last.buttons + self._event_buttons(turn, others),
            )
        return replies

    # --- ACME ---------------------------------------------------------------------------------

    def _acme_events(self, orders: list[Order], *, upcoming: bool = True) -> list[_AcmeEvent]:
        """Valid tickets by event (of upcoming events only, unless told), soonest first."""
        cutoff = self._now() - PAST_AFTER if upcoming else datetime.min.replace(tzinfo=UTC)
        events: dict[str, _AcmeEvent] = {}
        for order in orders:
            for item in order.order_items:
                tickets = [t for t in item.ticket_vos if ticket_live(t.ticket_status) and t.uuid]
                start = item.event_start_time
                if not tickets or (start is not None and start < cutoff):
                    continue
                name = item.event_name or item.display_name or "?"
                key = EVENT_PREFIX + item.event_id if item.event_id else order.id
                event = events.setdefault(key, _AcmeEvent(HeldEvent(key, name, start)))
                event.dates_hidden = event.dates_hidden or order.dates_hidden
                kind = item.ticketing_type_name or item.display_name or ""
                event.tickets.extend((t.uuid, kind) for t in tickets)
        return sorted(events.values(), key=lambda e: e.held.start or FAR)

    def _acme_reply(self, turn: Turn, event: _AcmeEvent, *, over: bool = False) -> Reply:
        """One message for the event, its codes below it (one album on Telegram)."""
        name, count = event.held.name, len(event.tickets)
        # An order that hides its dates (``hideEventDate``) shows none: the undated copy.
        dated = {} if event.dates_hidden else {"when": when(event.held.start, self.tz, turn.lang)}
        undated = "_undated" if event.dates_hidden else ""
        images = tuple(
            Image(
                qr=uuid,
                alt=turn.say(
                    "ticket_alt" + undated, event=name, type=kind, index=index, count=count, **dated
                ),
            )
            for index, (uuid, kind) in enumerate(event.tickets, start=1)
        )
        header = ("tickets_header_over" if over else "tickets_header") + undated
        return Reply(turn.say(header, event=name, **dated), images=images)

    # --- nothing to show: say why ------------------------------------------------------------

    def _nothing_upcoming(self, turn: Turn, orders: list[Order]) -> Reply:
        """No upcoming ticket: name the orders that were refunded, voided or are over."""
        lines = [self._state_line(turn, order) for order in orders]
        named = [line for line in lines if line is not None]
        if not named:
            return turn.reply("no_tickets")
        text = [turn.say("no_upcoming"), *named[:MAX_EMPTY_LINES]]
        if len(named) > MAX_EMPTY_LINES:
            text.append(turn.say("no_upcoming_more", count=len(named) - MAX_EMPTY_LINES))
        return Reply("\n".join(text), buttons=(turn.button("button_orders", "orders"),))

    def _state_line(self, turn: Turn, order: Order) -> str | None:
        facts = self._why_no_tickets(turn, order)
        if facts is None:
            return None
        return turn.say("no_upcoming_line" + _undated(order), **facts)

    def _order_without_tickets(self, turn: Turn, order: Order) -> Reply:
        """``tickets:<order id>`` for an order with nothing to show: why, in its own words."""
        facts = self._why_no_tickets(turn, order)
        if facts is None:
            return turn.reply("no_tickets")
        return Reply(turn.say("order_no_tickets" + _undated(order), **facts))

    def _why_no_tickets(self, turn: Turn, order: Order) -> dict[str, str] | None:
        """An order's number, first event, its date and its state (None: no event items)."""
        items = _event_items(order)
        if not items:
            return None
        first = min(items, key=lambda i: i.event_start_time or FAR)
        return {
            "number": order.order_number or order.id,
            "event": first.event_name or first.display_name or "?",
            "when": when(first.event_start_time, self.tz, turn.lang),
            "state": turn.say(_state_key(order, items)),
        }

    # --- Ticketmaster -------------------------------------------------------------------------

    async def _tm_view(self, order: TmOrderRef) -> _TmView | None:
        """The order loaded, or None when it has no live ticket or is no longer the fan's."""
        try:
            answer = await self.safetix.load(order)
        except NotAllowed:
            return None
        live = [t for t in answer.tickets if not t.voided]
        if not live:
            return None
        event = await self.safetix.event(live[0].event_id)
        name = order.event_name or live[0].event_code or live[0].event_id
        start = event_time(event)
        if start is not None and start < self._now() - PAST_AFTER:
            return None
        held = HeldEvent(TM_PREFIX + order.ref, name, start)
        return _TmView(held, order, answer, live, event)

    async def _tm_replies(self, turn: Turn, view: _TmView) -> list[Reply]:
        name, live = view.held.name, view.live
        moment = when(view.held.start, self.tz, turn.lang)
        hide = bool(view.event and view.event.event.loc_row_seat_restrict)
        ready_on = delay_date(view.answer)
        if ready_on is not None:
            day = when(
                datetime.combine(ready_on, datetime.min.time(), self.tz),
                self.tz,
                turn.lang,
                time=False,
            )
            return [turn.reply("safetix_delayed", event=name, date=day)]
        replies: list[Reply] = []
        if any(t.is_safetix for t in live):
            seats = "\n".join(ticket_label(t, hide, turn.lang) for t in live if t.is_safetix)
            url = await self.links.issue(turn.fan, view.order.ref)
            replies.append(
                Reply(
                    turn.say("safetix_intro", event=name, when=moment, seat=seats),
                    links=(Link(turn.say("safetix_link"), url),),
                )
            )
        barcodes = [t for t in live if t.is_barcode_only]
        if barcodes:
            seats = "\n".join(ticket_label(t, hide, turn.lang) for t in barcodes)
            images = tuple(
                Image(
                    qr=t.barcode_id,
                    alt=turn.say(
                        "ticket_alt",
                        event=name,
                        when=moment,
                        type=ticket_label(t, hide, turn.lang),
                        index=index,
                        count=len(barcodes),
                    ),
                )
                for index, t in enumerate(barcodes, start=1)
            )
            replies.append(
                Reply(turn.say("barcode_intro", event=name, when=moment, seat=seats), images=images)
            )
        return replies + self._tm_notes(turn, view.order, view.answer)

    def _tm_notes(
        self, turn: Turn, order: TmOrderRef, answer: OrderManagementResponse
    ) -> list[Reply]:
        """What Ticketmaster says about the order besides its tickets: its ``options`` (such as
        "ACCOUNT MODIFIED"), told as they are, and the redemption claim it mails the fan
        (``tm_sends_redemption_claim_email``), with the claim link when the partner gave it."""
        lines = []
        if answer.options:
            options = ", ".join(option.description for option in answer.options)
            lines.append(turn.say("tm_order_options", options=options))
        if answer.tm_sends_redemption_claim_email:
            lines.append(turn.say("tm_claim_email"))
        links: tuple[Link, ...] = ()
        if order.redemption_url:
            links = (Link(turn.say("tm_claim_link"), order.redemption_url),)
        if not lines and not links:
            return []
        return [Reply("\n".join(lines) or turn.say("tm_claim_link"), links=links)]


def _event_items(order: Order) -> list[OrderItem]:
    """The order's admissions: lines with tickets or an event time (not add-ons)."""
    return [item for item in order.order_items if item.ticket_vos or item.event_start_time]


def _state_key(order: Order, items: list[OrderItem]) -> str:
    """Why an order's tickets are not shown: refunded, voided, or its event is over."""
    statuses = {(t.ticket_status or "").lower() for item in items for t in item.ticket_vos}
    if order.refund_amount and order.total_amount and order.refund_amount >= order.total_amount:
        return "ticket_state_refunded"
    if statuses and statuses <= {"refund", "refunded"}:
        return "ticket_state_refunded"
    if statuses and statuses <= {"void", "cancelled"}:
        return "ticket_state_voided"
    if statuses and all(not ticket_live(status) for status in statuses):
        return "ticket_state_refunded" if "refund" in statuses else "ticket_state_voided"
    return "ticket_state_past"


def _undated(order: Order) -> str:
    """The suffix of the copy keys that leave the date out (ACME's ``hideEventDate``)."""
    return "_undated" if order.dates_hidden else ""
