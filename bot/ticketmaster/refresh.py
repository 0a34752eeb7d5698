"""The SafeTix refresh 20 hours before the event (the ``tm_refresh`` job).

The SafeTix document asks partners to refresh every token 20 hours before the event, so that
if the refresh at the gate fails the Secure Entry SDK still has a recent, valid token. This job
makes that call for one registered order: secure render of all its SafeTix tickets, with the
fan's sticky device id and ``x-user-id`` = the order's ``third_party_account_id``, exactly as
the ticket page does (order management instead when a ticket has no barcode, see
``SafeTix.renew``). The tokens and the order answer are then cached until after the event,
which is what ``SafeTix.refresh`` falls back to when Ticketmaster is down at display time.

Runs once: never before its time (a job that starts early goes back to sleep), skipped when the
event moved (the planner queues the new time), retried with backoff on failure until the event
starts, then recorded as failed.
"""

from __future__ import annotations

from bot.errors import UpstreamError
from bot.schedule import (
    AFTER_EVENT,
    REFRESH,
    JobBook,
    RetryLater,
    plan_job,
    refresh_due,
    refresh_job,
)
from bot.ticketmaster.facts import FactFinder, OrderFacts
from bot.ticketmaster.ports import CachedToken, TmOrderRef
from bot.ticketmaster.safetix import ORDER_TTL, TOKEN_TTL, SafeTix, safetix_tickets


class RefreshAhead:
    """Runs ``tm_refresh`` jobs."""

    def __init__(self, safetix: SafeTix, facts: FactFinder, book: JobBook) -> None:
        self.safetix = safetix
        self.facts = facts
        self.book = book

    async def run(self, ref: str, event_ts: int, *, attempt: int = 1) -> str:
        """Refresh the order's tokens; returns what happened (for logs and tests)."""
        job_id = refresh_job(ref, event_ts).job_id
        keep = event_ts + AFTER_EVENT
        if await self.book.is_done(job_id):
            return "already done"
        order = await self.facts.order(ref)
        if order is None:
            await self.book.done(job_id, keep_until=keep)
            return "order no longer registered"
        now = self.book.clock()
        if now >= event_ts:
            await self.book.fail(job_id, REFRESH, "the event started before the refresh could run")
            await self.book.done(job_id, keep_until=keep)
            return "too late"
        if now < refresh_due(event_ts):
            raise RetryLater(refresh_due(event_ts) - now, "not due yet")
        try:
            facts = await self.facts.facts(order, load=True)
        except UpstreamError as exc:
            return await self._failed(
                job_id, event_ts, attempt, f"order management: {type(exc).__name__}"
            )
        assert facts is not None
        if facts.starts_at is not None and facts.starts_at != event_ts:
            # The event moved: the planner owns the new time (and a new job id).
            await self.book.queue.enqueue(plan_job(ref, now))
            await self.book.done(job_id, keep_until=keep)
            return "event moved"
        if not facts.safetix:
            await self.book.done(job_id, keep_until=keep)
            return "no SafeTix tickets"
        problem = await self._render(order, facts, keep - now)
        if problem is not None:
            return await self._failed(job_id, event_ts, attempt, problem)
        await self.book.done(job_id, keep_until=keep)
        return "refreshed"

    async def _render(self, order: TmOrderRef, facts: OrderFacts, keep_for: float) -> str | None:
        """New tokens for all the order's SafeTix tickets (``SafeTix.renew``: secure render, or
        order management for tickets without a barcode); None when every ticket got one, else
        what went wrong. Whatever was refreshed is cached either way, until after the event."""
        await self.facts.pacer.wait()
        try:
            renewal = await self.safetix.renew(order, facts.answer)
        except UpstreamError as exc:
            return f"{exc.endpoint.replace('_', ' ')}: {type(exc).__name__}"
        now = self.book.clock()
        fresh = [
            CachedToken(key, token.token, now, token.pk_pass_id)
            for key, token in renewal.fresh.items()
        ]
        ttl = max(TOKEN_TTL, keep_for)
        await self.safetix.store.save_tokens(order.ref, fresh, ttl)
        # The page falls back to the cached answer and tokens: both must outlive the event.
        await self.safetix.store.save_order(order.ref, renewal.answer, max(ORDER_TTL, keep_for))
        keys = [key for key, _ in safetix_tickets(renewal.answer)]
        missing = [key for key in keys if key not in renewal.fresh]
        if not missing:
            return None
        return (
            f"refreshed {len(keys) - len(missing)} of {len(keys)} tickets "
            f"({', '.join(renewal.problems)})"
        )

    async def _failed(self, job_id: str, event_ts: int, attempt: int, reason: str) -> str:
        await self.book.retry_or_give_up(
            job_id, REFRESH, attempt=attempt, deadline=event_ts, reason=reason
        )
        return "gave up"
