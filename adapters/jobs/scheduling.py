"""Wiring of the scheduled work: one object that the web app, Slack and the worker share.

Built once in ``bot.app.bootstrap.build``. The web app uses ``planner.order_registered`` (a
registered Ticketmaster order gets its jobs), Slack uses ``broadcasts.start_broadcast``, the
conversation uses ``preferences``, and ``usher worker`` runs the jobs with all of it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from adapters.store.broadcasts import RedisBroadcastStore
from adapters.store.job_queue import ArqJobQueue, NoWorkerQueue, RedisFailureLog, RedisMarks
from adapters.store.pacing import Limits, Pacer, PacingTimeout, Rate
from adapters.store.preferences import RedisPreferences
from adapters.store.purchase_links import RedisLinkStore
from adapters.store.store import Store
from adapters.store.tm_orders import RedisTmOrderStore
from bot.acme.reminders import AcmeReminders, FanOrders, FanProofs
from bot.app.settings import Settings
from bot.broadcasts import Broadcasts
from bot.outbound import Messenger
from bot.schedule import JobBook, PacerBusy
from bot.ticketmaster.facts import FactFinder
from bot.ticketmaster.notices import FanNotices
from bot.ticketmaster.planner import TicketPlanner
from bot.ticketmaster.refresh import RefreshAhead
from bot.ticketmaster.safetix import SafeTix

#: The shared limiter's scope for scheduled Ticketmaster calls.
TM_RATE = "tm-scheduled"
#: Longest a job waits for a Ticketmaster slot before going back to the queue.
TM_MAX_WAIT = 20.0


class TmCallPacer:
    """``bot.schedule.Pacer`` on the shared Redis limiter of ``adapters.store.pacing``.

    That limiter meters a bot and each of its chats; scheduled Ticketmaster calls have one
    budget, so both of its buckets get the same rate under one fixed name.
    """

    def __init__(self, store: Store, per_second: float) -> None:
        rate = Rate(per_second)
        self._pacer = Pacer(
            store, TM_RATE, limits=Limits(overall=rate, per_chat=rate, max_wait=TM_MAX_WAIT)
        )

    async def wait(self) -> None:
        """Take a slot; PacerBusy when none comes within TM_MAX_WAIT."""
        try:
            await self._pacer.acquire("all")
        except PacingTimeout as exc:
            raise PacerBusy(TM_MAX_WAIT) from exc


@dataclass
class Scheduling:
    """The jobs' parts, bound to one store."""

    store: Store
    queue: ArqJobQueue | NoWorkerQueue
    book: JobBook
    preferences: RedisPreferences
    tm_orders: RedisTmOrderStore
    planner: TicketPlanner
    refresher: RefreshAhead
    notices: FanNotices
    broadcasts: Broadcasts
    #: Reminders and "doors open" notices for the ACME events fans hold tickets for.
    acme_reminders: AcmeReminders
    #: Deletes unpaid carts past their time (bound once the shop exists; see bootstrap).
    cart_sweep: Callable[[], Awaitable[int]] | None = None

    async def aclose(self) -> None:
        """Close the queue's connections."""
        await self.queue.close()


def build_scheduling(
    settings: Settings,
    store: Store,
    safetix: SafeTix,
    tm_orders: RedisTmOrderStore,
    messenger: Messenger,
    clock: Callable[[], float],
    *,
    proofs: FanProofs,
    acme_orders: FanOrders,
) -> Scheduling:
    """Every part of the scheduled work; jobs are only queued on a shared (real) Redis."""
    queue: ArqJobQueue | NoWorkerQueue = (
        NoWorkerQueue() if store.embedded else ArqJobQueue(store, clock)
    )
    book = JobBook(queue, RedisMarks(store, clock), RedisFailureLog(store), clock)
    preferences = RedisPreferences(store, clock)
    facts = FactFinder(safetix, TmCallPacer(store, settings.tm_refresh_rate))
    before = settings.reminder_before.total_seconds()
    tz = settings.zone()
    return Scheduling(
        store=store,
        queue=queue,
        book=book,
        preferences=preferences,
        tm_orders=tm_orders,
        planner=TicketPlanner(facts, book, tm_orders, tz=tz, remind_before=before),
        refresher=RefreshAhead(safetix, facts, book),
        notices=FanNotices(facts, book, messenger, preferences, tz=tz, remind_before=before),
        broadcasts=Broadcasts(
            RedisBroadcastStore(store), RedisLinkStore(store), preferences, messenger, book
        ),
        acme_reminders=AcmeReminders(
            proofs,
            acme_orders,
            book,
            messenger,
            preferences,
            tz=tz,
            remind_before=before,
            doors_before=settings.venue().doors_before,
        ),
    )
