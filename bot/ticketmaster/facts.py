"""What scheduled jobs need to know about a registered Ticketmaster order.

Its tickets (from the cached order management answer, or a fresh one), the event they are for
and when it starts (``eventDateTime`` of the event's availability). Every Ticketmaster call made
here goes through the shared :class:`~bot.schedule.Pacer` first: Ticketmaster may rate-limit
calls that are not in direct response to a fan, so scheduled calls are paced together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.schedule import Pacer
from bot.ticketmaster.models import OrderManagementResponse, OrderTicket
from bot.ticketmaster.ports import TmOrderRef
from bot.ticketmaster.safetix import SafeTix, delay_date, event_time


@dataclass(frozen=True)
class OrderFacts:
    """A registered order with its Ticketmaster answer and event start (None when unknown)."""

    order: TmOrderRef
    answer: OrderManagementResponse
    starts_at: int | None

    @property
    def live(self) -> list[OrderTicket]:
        """Tickets that were not voided."""
        return [t for t in self.answer.tickets if not t.voided]

    @property
    def safetix(self) -> list[OrderTicket]:
        """Tickets with a token: the ones to refresh through secure render."""
        return [t for t in self.live if t.is_safetix]

    @property
    def event_id(self) -> str | None:
        """The event the tickets are for."""
        live = self.live
        return live[0].event_id if live else None

    @property
    def ready_on(self) -> date | None:
        """The day the tickets become available, while delivery is delayed."""
        return delay_date(self.answer)

    @property
    def name(self) -> str:
        """What the fan calls the event: the registered name, else Ticketmaster's code."""
        live = self.live
        fallback = (live[0].event_code or live[0].event_id) if live else ""
        return self.order.event_name or fallback


class FactFinder:
    """Reads orders and event times for jobs, pacing every Ticketmaster call."""

    def __init__(self, safetix: SafeTix, pacer: Pacer) -> None:
        self.safetix = safetix
        self.pacer = pacer

    async def order(self, ref: str) -> TmOrderRef | None:
        """The registration, or None when it is gone."""
        return await self.safetix.store.get(ref)

    async def facts(
        self, order: TmOrderRef, *, load: bool, fresh: bool = False
    ) -> OrderFacts | None:
        """The order's facts from the cached answer; ``load`` asks Ticketmaster when none is
        cached (None otherwise), ``fresh`` always asks. UpstreamError when Ticketmaster fails."""
        answer = None if fresh else await self.safetix.store.cached_order(order.ref)
        if answer is None:
            if not load:
                return None
            await self.pacer.wait()
            answer = await self.safetix.load(order)
        live = [t for t in answer.tickets if not t.voided]
        starts_at = await self.event_start(live[0].event_id) if live else None
        return OrderFacts(order, answer, starts_at)

    async def event_start(self, event_id: str) -> int | None:
        """The event's start (epoch seconds), from the hourly availability cache when it can."""
        event = await self.safetix.store.cached_event(event_id)
        if event is None:
            await self.pacer.wait()
            event = await self.safetix.event(event_id)
        moment = event_time(event)
        if moment is None:
            return None
        return int(moment.timestamp())
