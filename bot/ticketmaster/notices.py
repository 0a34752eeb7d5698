"""Messages the worker sends about a fan's Ticketmaster tickets: "ready" and "the event is soon".

* **Ready** (``tm_ready``): when delivery was delayed, the fan was told the day in chat. On that
  day (morning, venue time) the job asks Ticketmaster again; once the tickets are there it
  tells the fan, with a "show my tickets" button, and has the planner schedule the SafeTix
  refresh the order now needs. Still not there: it looks again a few hours later.
* **Reminder** (``tm_remind``): ``USHER_REMINDER_BEFORE`` ahead of the event, its name and time
  with a "show my tickets" button, unless the fan said "stop reminders" (read at send time).
  A fan with two orders for one event gets one reminder.

Each message is sent at most once: a claim is taken before sending and released only when the
send raised, so a retry, a second worker or a restart never repeats a message that went out.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import structlog

from bot import copy
from bot.errors import UpstreamError
from bot.formatting import when
from bot.messages import Button, Reply
from bot.outbound import Messenger
from bot.preferences import Preferences
from bot.schedule import (
    AFTER_EVENT,
    READY,
    READY_RECHECK,
    REMIND,
    JobBook,
    RetryLater,
    deliver_once,
    plan_job,
    ready_job,
    remind_job,
)
from bot.ticketmaster.facts import FactFinder

log = structlog.get_logger("usher.notices")

#: The "show my tickets" button of one Ticketmaster order (``handlers.show_tickets``).
SHOW_TM_TICKETS = "tickets:tm-{ref}"
#: The "stop reminders" button (``handlers.preferences``).
STOP_REMINDERS = "prefs:reminders-off"


class FanNotices:
    """Runs ``tm_ready`` and ``tm_remind`` jobs."""

    def __init__(
        self,
        facts: FactFinder,
        book: JobBook,
        messenger: Messenger,
        preferences: Preferences,
        *,
        tz: ZoneInfo,
        remind_before: float,
    ) -> None:
        self.facts = facts
        self.book = book
        self.messenger = messenger
        self.preferences = preferences
        self.tz = tz
        self.remind_before = remind_before

    async def ready(self, ref: str, day: str, event_ts: int, *, attempt: int = 1) -> str:
        """Tell the fan their delayed tickets are ready, once they are."""
        job_id = ready_job(ref, date.fromisoformat(day), event_ts, self.tz).job_id
        keep = event_ts + AFTER_EVENT
        if await self.book.is_done(job_id):
            return "already done"
        order = await self.facts.order(ref)
        if order is None or self.book.clock() >= event_ts:
            await self.book.done(job_id, keep_until=keep)
            return "order gone or event started"
        try:
            facts = await self.facts.facts(order, load=True, fresh=True)
        except UpstreamError as exc:
            await self.book.retry_or_give_up(
                job_id, READY, attempt=attempt, deadline=event_ts, reason=type(exc).__name__
            )
            return "gave up"
        assert facts is not None
        if facts.ready_on is not None or not facts.live:
            if self.book.clock() + READY_RECHECK < event_ts:
                raise RetryLater(READY_RECHECK, "tickets not ready yet")
            await self.book.fail(job_id, READY, "the tickets were still not ready at the event")
            await self.book.done(job_id, keep_until=keep)
            return "never ready"

        async def ready(lang: str) -> list[Reply]:
            text = copy.text("tickets_ready", lang, event=facts.name)
            return [Reply(text, buttons=(_show_tickets(ref, lang),))]

        outcome = await deliver_once(
            self.book,
            self.messenger,
            order.fan,
            ready,
            claim=f"sent:ready:{ref}",
            job_id=job_id,
            function=READY,
            event_ts=event_ts,
            attempt=attempt,
        )
        if outcome == "sent":
            await self.book.queue.enqueue(plan_job(ref, self.book.clock()))
        return outcome

    async def remind(self, ref: str, event_ts: int, *, attempt: int = 1) -> str:
        """Remind the fan of the event, unless they turned reminders off."""
        job_id = remind_job(ref, event_ts, self.remind_before).job_id
        keep = event_ts + AFTER_EVENT
        if await self.book.is_done(job_id):
            return "already done"
        order = await self.facts.order(ref)
        now = self.book.clock()
        if order is None:
            await self.book.done(job_id, keep_until=keep)
            return "order no longer registered"
        if now >= event_ts:
            await self.book.fail(job_id, REMIND, "the event started before the reminder went out")
            await self.book.done(job_id, keep_until=keep)
            return "too late"
        if now < event_ts - self.remind_before:
            raise RetryLater(event_ts - self.remind_before - now, "not due yet")
        try:
            facts = await self.facts.facts(order, load=True)
        except UpstreamError as exc:
            await self.book.retry_or_give_up(
                job_id, REMIND, attempt=attempt, deadline=event_ts, reason=type(exc).__name__
            )
            return "gave up"
        assert facts is not None
        if facts.starts_at is not None and facts.starts_at != event_ts:
            await self.book.queue.enqueue(plan_job(ref, now))
            await self.book.done(job_id, keep_until=keep)
            return "event moved"
        if not await self.preferences.reminders_on(order.fan):
            await self.book.done(job_id, keep_until=keep)
            return "reminders off"
        start = datetime.fromtimestamp(event_ts, UTC)

        async def reminder(lang: str) -> list[Reply]:
            moment = when(start, self.tz, lang)
            text = copy.text("event_reminder", lang, event=facts.name, when=moment)
            stop = Button(copy.text("button_stop_reminders", lang), STOP_REMINDERS)
            return [Reply(text, buttons=(_show_tickets(ref, lang), stop))]

        claim = f"sent:remind:{order.fan.key}:{facts.event_id}:{event_ts}"
        return await deliver_once(
            self.book,
            self.messenger,
            order.fan,
            reminder,
            claim=claim,
            job_id=job_id,
            function=REMIND,
            event_ts=event_ts,
            attempt=attempt,
        )


def _show_tickets(ref: str, lang: str) -> Button:
    return Button(copy.text("button_show_my_tickets", lang), SHOW_TM_TICKETS.format(ref=ref))
