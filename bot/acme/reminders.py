"""Reminders and "doors open" notices for the ACME events a fan holds tickets for.

Ticketmaster orders are registered to a fan, so their jobs are planned from the registration
(``bot.ticketmaster.planner``). ACME orders are not: a fan's ACME orders are whatever ACME holds
for the emails and phones the fan proved. So:

* **Planning** (``acme_plan``): whenever a fan looks at their orders or tickets, one plan job
  is asked for (at most every :data:`PLAN_GAP`, gated in the fan's own state so a turn costs
  no extra Redis round trip). It reads
  the fan's orders as the fan would see them (the same ownership rule, the same caches) and
  schedules, for every upcoming event with a ticket that still admits, a reminder
  ``USHER_REMINDER_BEFORE`` ahead and a "doors open" notice when the venue states when its
  doors open (``config/venue.toml``, ``doors_open_before``).
* **Sending** (``acme_remind``, ``acme_doors``): at its time a notice checks again that the fan
  still holds a live ticket for that event at that start (proofs expire, tickets are refunded,
  events move: a moved event is planned again and the old notice dropped), that the fan has not
  said "stop reminders" (the same switch as Ticketmaster's), and sends once
  (``bot.schedule.deliver_once``). An order that hides its dates (``hideEventDate``) gets
  "your event", with no name or time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

import structlog

from bot import copy
from bot.acme.models import Order
from bot.errors import UpstreamError
from bot.formatting import when
from bot.identity import Verified
from bot.messages import Button, Fan, Reply
from bot.orders import ticket_live
from bot.outbound import Messenger
from bot.preferences import Preferences
from bot.schedule import (
    ACME_DOORS,
    ACME_PLAN,
    ACME_REMIND,
    AFTER_EVENT,
    JobBook,
    RetryLater,
    acme_notice_job,
    acme_plan_job,
    backoff,
    deliver_once,
)

log = structlog.get_logger("usher.acme_reminders")

#: A fan's plan is asked for at most this often (each turn that shows orders would ask).
PLAN_GAP = 600.0
#: The fan's state key holding when their plan was last asked for (saved with the turn, so
#: the gate costs no Redis round trip of its own).
PLANNED_AT = "acme_planned_at"
#: A plan that cannot reach ACME is retried this many times, then left to the next visit.
PLAN_ATTEMPTS = 5
#: The "stop reminders" button (``handlers.preferences``), as on Ticketmaster's reminders.
STOP_REMINDERS = "prefs:reminders-off"


async def plan_when_due(
    state: dict[str, object], fan: Fan, seen: Callable[[Fan], Awaitable[None]], now: float
) -> None:
    """Call ``seen`` unless this fan's plan was asked for less than :data:`PLAN_GAP` ago
    (``state`` is the fan's conversation state, saved with the turn)."""
    last = state.get(PLANNED_AT)
    if isinstance(last, int | float) and 0 <= now - last < PLAN_GAP:
        return
    state[PLANNED_AT] = now
    await seen(fan)


class FanProofs(Protocol):
    """What the fan proved (``bot.identity.Identity``)."""

    async def verified(self, fan: Fan) -> Verified:
        """The fan's current proofs."""
        ...


class FanOrders(Protocol):
    """The fan's orders under the ownership rule (``bot.orders.OrderBook``)."""

    async def visible_orders(self, verified: Verified) -> list[Order]:
        """Every order the fan may see (search results: no items)."""
        ...

    async def details(self, order_ids: list[str], verified: Verified) -> list[Order]:
        """The fan's orders with their items."""
        ...


@dataclass(frozen=True)
class HeldEvent:
    """An upcoming event the fan holds at least one live ticket for."""

    event_id: str
    name: str
    starts_at: int
    order_id: str
    dates_hidden: bool


def held_events(orders: list[Order], now: float) -> dict[tuple[str, int], HeldEvent]:
    """The fan's upcoming events with a ticket that still admits, by (event id, start)."""
    found: dict[tuple[str, int], HeldEvent] = {}
    for order in orders:
        for item in order.order_items:
            start = item.event_start_time
            if not item.event_id or start is None or start.timestamp() <= now:
                continue
            if not any(ticket_live(t.ticket_status) and t.uuid for t in item.ticket_vos):
                continue
            key = (item.event_id, int(start.timestamp()))
            hidden = order.dates_hidden or (key in found and found[key].dates_hidden)
            name = item.event_name or item.display_name or ""
            found[key] = HeldEvent(key[0], name, key[1], order.id, hidden)
    return found


class AcmeReminders:
    """Plans and sends the ACME reminders and doors notices (jobs run by ``usher worker``)."""

    def __init__(
        self,
        proofs: FanProofs,
        orders: FanOrders,
        book: JobBook,
        messenger: Messenger,
        preferences: Preferences,
        *,
        tz: ZoneInfo,
        remind_before: float,
        doors_before: float | None,
    ) -> None:
        self.proofs = proofs
        self.orders = orders
        self.book = book
        self.messenger = messenger
        self.preferences = preferences
        self.tz = tz
        self.remind_before = remind_before
        self.doors_before = doors_before

    async def seen(self, fan: Fan) -> None:
        """The fan looked at their orders: plan their notices in the worker."""
        if self.book.queue.available:
            await self.book.queue.enqueue(acme_plan_job(fan.key, self.book.clock()))

    async def _held(self, fan: Fan) -> dict[tuple[str, int], HeldEvent]:
        verified = await self.proofs.verified(fan)
        if not verified.anything:
            return {}
        summaries = await self.orders.visible_orders(verified)
        full = await self.orders.details([o.id for o in summaries], verified)
        return held_events(full, self.book.clock())

    async def plan(self, fan_key: str, *, attempt: int = 1) -> list[str]:
        """Schedule the notices of every upcoming event the fan holds; the ids newly queued."""
        try:
            held = await self._held(Fan.from_key(fan_key))
        except UpstreamError as exc:
            if attempt < PLAN_ATTEMPTS:
                raise RetryLater(backoff(attempt), f"ACME: {type(exc).__name__}") from exc
            await self.book.fail(f"acme-plan:{fan_key}", ACME_PLAN, "ACME kept failing")
            return []
        now = self.book.clock()
        leads = [(ACME_REMIND, self.remind_before)]
        if self.doors_before is not None:
            leads.append((ACME_DOORS, self.doors_before))
        queued = []
        for event in held.values():
            for function, before in leads:
                job = acme_notice_job(function, fan_key, event.event_id, event.starts_at, before)
                if job.at > now and await self.book.schedule(job):
                    queued.append(job.job_id)
        if queued:
            log.info("acme_notices_scheduled", jobs=len(queued))
        return queued

    async def remind(self, fan_key: str, event_id: str, event_ts: int, *, attempt: int = 1) -> str:
        """The reminder ``USHER_REMINDER_BEFORE`` ahead of the event."""
        return await self._notice(ACME_REMIND, fan_key, event_id, event_ts, attempt)

    async def doors(self, fan_key: str, event_id: str, event_ts: int, *, attempt: int = 1) -> str:
        """The "doors are open" notice, ``doors_open_before`` ahead of the event."""
        return await self._notice(ACME_DOORS, fan_key, event_id, event_ts, attempt)

    async def _notice(
        self, function: str, fan_key: str, event_id: str, event_ts: int, attempt: int
    ) -> str:
        before = self.remind_before if function == ACME_REMIND else self.doors_before
        job = acme_notice_job(function, fan_key, event_id, event_ts, before or 0.0)
        keep = event_ts + AFTER_EVENT
        if await self.book.is_done(job.job_id):
            return "already done"
        now = self.book.clock()
        if now >= event_ts:
            await self.book.done(job.job_id, keep_until=keep)
            return "too late"
        if now < job.at:
            raise RetryLater(job.at - now, "not due yet")
        fan = Fan.from_key(fan_key)
        try:
            held = await self._held(fan)
        except UpstreamError as exc:
            await self.book.retry_or_give_up(
                job.job_id, function, attempt=attempt, deadline=event_ts, reason=type(exc).__name__
            )
            return "gave up"
        event = held.get((event_id, event_ts))
        if event is None:
            if any(key[0] == event_id for key in held):  # the event moved: plan its new time
                await self.book.queue.enqueue(acme_plan_job(fan_key, now))
            await self.book.done(job.job_id, keep_until=keep)
            return "no longer held at that time"
        if not await self.preferences.reminders_on(fan):
            await self.book.done(job.job_id, keep_until=keep)
            return "reminders off"

        async def notice(lang: str) -> list[Reply]:
            return [self._reply(function, event, lang)]

        return await deliver_once(
            self.book,
            self.messenger,
            fan,
            notice,
            claim=f"sent:{job.job_id}",
            job_id=job.job_id,
            function=function,
            event_ts=event_ts,
            attempt=attempt,
        )

    def _reply(self, function: str, event: HeldEvent, lang: str) -> Reply:
        key = "event_reminder" if function == ACME_REMIND else "doors_open"
        if event.dates_hidden:
            text = copy.text(f"{key}_undated", lang)
        else:
            start = datetime.fromtimestamp(event.starts_at, UTC)
            text = copy.text(key, lang, event=event.name, when=when(start, self.tz, lang))
        return Reply(
            text,
            buttons=(
                Button(copy.text("button_show_my_tickets", lang), f"tickets:{event.order_id}"),
                Button(copy.text("button_stop_reminders", lang), STOP_REMINDERS),
            ),
        )
