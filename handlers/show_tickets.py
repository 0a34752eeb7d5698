""" "Show my tickets": QR codes for ACME tickets, SafeTix links or QR codes for Ticketmaster.

ACME: one QR code (its value is the ticket ``uuid``, which is what the gate scans) per valid
ticket, grouped by event, with the event, time and ticket type beside each. Ticketmaster:
tickets with a token go on the secure page (a signed link; the token never enters the chat),
barcode-only tickets become QR codes, a delayed order gets its "ready on" date.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.acme.models import Order
from bot.acme.reminders import plan_when_due
from bot.errors import NotAllowed, UpstreamError
from bot.formatting import when
from bot.identity import Identity
from bot.links import TicketLinks
from bot.messages import Fan, Image, Link, Reply
from bot.orders import OrderBook, ticket_live
from bot.ticketmaster.models import OrderManagementResponse
from bot.ticketmaster.ports import TmOrderRef
from bot.ticketmaster.safetix import SafeTix, delay_date, event_time, ticket_label
from bot.turn import Turn
from handlers.verify import Verify

#: Tickets whose event started longer ago than this are "past".
PAST_AFTER = timedelta(hours=6)
#: At most this many events' tickets in one answer; beyond it the fan picks an order.
MAX_EVENTS = 5
TM_PREFIX = "tm-"

#: (event name, start, dates hidden): the start orders and filters the groups; it is shown
#: only when the order does not hide its dates (``hideEventDate``).
EventKey = tuple[str, datetime | None, bool]


class ShowTickets:
    """Builds the ticket messages for a fan, or for one of their orders."""

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
        #: Told when a fan looks at their tickets (plans their event reminders).
        self.seen = seen
        self.orders = orders
        self.identity = identity
        self.verify = verify
        self.safetix = safetix
        self.links = links
        self.tz = tz
        self.clock = clock

    async def __call__(self, turn: Turn) -> list[Reply]:
        """The ``show_tickets`` intent: every upcoming ticket the fan holds."""
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
            return self.verify.intro(turn, resume="show_tickets")
        replies: list[Reply] = []
        had_past = False
        if verified.anything:
            summaries = await self.orders.visible_orders(verified)
            if summaries and self.seen is not None:
                await plan_when_due(turn.state, turn.fan, self.seen, self.clock())
            full = await self.orders.details([o.id for o in summaries], verified)
            upcoming, had_past = self._group(full, only_upcoming=True)
            if len(upcoming) > MAX_EVENTS:
                return [self._pick_order(turn, full)]
            replies.extend(self._acme_replies(turn, upcoming))
        for tm_order in tm_orders:
            replies.extend(await self._tm_replies(turn, tm_order))
        if not replies:
            return [turn.reply("no_upcoming" if had_past else "no_tickets")]
        return replies

    async def button(self, turn: Turn, argument: str) -> list[Reply]:
        """``tickets`` (all), ``tickets:<acme order id>`` or ``tickets:tm-<ref>``."""
        if not argument:
            return await self(turn)
        if argument.startswith(TM_PREFIX):
            tm_order = await self.safetix.owned(turn.fan, argument.removeprefix(TM_PREFIX))
            return await self._tm_replies(turn, tm_order) or [turn.reply("no_tickets")]
        verified = await self.identity.verified(turn.fan)
        if not verified.anything:
            return self.verify.intro(turn, resume="show_tickets")
        order = await self.orders.owned_order(argument, verified)
        groups, _ = self._group([order], only_upcoming=False)
        return self._acme_replies(turn, groups) or [turn.reply("no_tickets")]

    # --- ACME ---------------------------------------------------------------------------------

    def _group(
        self, orders: list[Order], *, only_upcoming: bool
    ) -> tuple[dict[EventKey, list[tuple[str, str]]], bool]:
        """Valid tickets by event: ``{(event, start): [(uuid, ticket type)]}``, soonest first."""
        cutoff = datetime.fromtimestamp(self.clock(), UTC) - PAST_AFTER
        groups: dict[EventKey, list[tuple[str, str]]] = defaultdict(list)
        had_past = False
        for order in orders:
            for item in order.order_items:
                tickets = [t for t in item.ticket_vos if ticket_live(t.ticket_status) and t.uuid]
                if not tickets:
                    continue
                start = item.event_start_time
                if only_upcoming and start is not None and start < cutoff:
                    had_past = True
                    continue
                key = (item.event_name or item.display_name or "?", start, order.dates_hidden)
                kind = item.ticketing_type_name or item.display_name or ""
                groups[key].extend((t.uuid, kind) for t in tickets)
        ordered = sorted(
            groups.items(), key=lambda kv: kv[0][1] or datetime.max.replace(tzinfo=UTC)
        )
        return dict(ordered), had_past

    def _acme_replies(
        self, turn: Turn, groups: dict[EventKey, list[tuple[str, str]]]
    ) -> list[Reply]:
        replies = []
        for (event, start, hidden), tickets in groups.items():
            dated = {} if hidden else {"when": when(start, self.tz, turn.lang)}
            suffix = "_undated" if hidden else ""
            images = tuple(
                Image(
                    qr=uuid,
                    alt=turn.say(
                        "ticket_alt" + suffix,
                        event=event,
                        type=kind,
                        index=index,
                        count=len(tickets),
                        **dated,
                    ),
                )
                for index, (uuid, kind) in enumerate(tickets, start=1)
            )
            replies.append(
                Reply(turn.say("tickets_header" + suffix, event=event, **dated), images=images)
            )
        return replies

    def _pick_order(self, turn: Turn, orders: list[Order]) -> Reply:
        buttons = tuple(
            turn.button("button_show_tickets", f"tickets:{o.id}", number=o.order_number or o.id)
            for o in orders[:10]
        )
        return Reply(turn.say("too_many_tickets"), buttons=buttons)

    # --- Ticketmaster -------------------------------------------------------------------------

    async def _tm_replies(self, turn: Turn, order: TmOrderRef) -> list[Reply]:
        try:
            answer = await self.safetix.load(order)
        except UpstreamError:
            return [turn.reply("tm_unavailable")]
        except NotAllowed:
            return []
        if answer.voided:
            first = answer.tickets[0] if answer.tickets else None
            name = order.event_name or (first.event_code or first.event_id if first else "")
            return [turn.reply("tm_order_voided", event=name)]
        live = [t for t in answer.tickets if not t.voided]
        if not live:
            return []
        event = await self.safetix.event(live[0].event_id)
        name = order.event_name or live[0].event_code or live[0].event_id
        moment = when(event_time(event), self.tz, turn.lang)
        hide = bool(event and event.event.loc_row_seat_restrict)
        ready_on = delay_date(answer)
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
            replies.append(
                Reply(
                    turn.say("safetix_intro", event=name, when=moment, seat=seats),
                    links=(
                        Link(turn.say("safetix_link"), await self.links.issue(turn.fan, order.ref)),
                    ),
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
        return replies + self._tm_notes(turn, order, answer)

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
