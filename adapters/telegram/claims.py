"""Who is handling which Telegram update, across every process: the ``update_id`` claims.

An update is in one of three states, kept in Redis under ``telegram:{bot}:update:{id}``:

* **free** (no key): nobody has handled it, or whoever started it died and its lease lapsed;
* **running** (``run <holder>``, a short lease the holder renews while it works): one process
  is handling it now; anyone else waits instead of handling it a second time;
* **done** (``done``, 24 hours): answered; a redelivery, a duplicate entry or a process that
  takes the update over acknowledges it and does nothing more.

Why a lease and not a plain 24-hour claim (as before): a process killed mid-turn used to leave
its claim behind, so nobody could ever finish that update; a lease lapses within seconds of
its holder's death, and the process that takes the update over picks it up from there.

Next to the claim, ``...:sent`` counts the messages of the answer Telegram already accepted
(written with the next message's slot request, kept an hour).
A turn's replies are saved with the fan's state (``bot.conversation``), so a process taking
over an interrupted update gets the same replies back and sends only the rest: a message can
go out twice only if its holder died between Telegram accepting it and this count moving on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from adapters.store.pacing import Along
from adapters.store.scripts import answer_of, queue_script, raise_first_error
from adapters.store.store import Store

log = structlog.get_logger("usher.telegram")

#: Adds commands to the pipeline that finishes an update.
Finishing = Callable[[Pipeline], object]


class Ahead(Protocol):
    """A check that must pass before an update is handled (the inbox's per-fan order), whose
    first look may ride in the claim's own round trip."""

    async def ready(self) -> bool:
        """Before claiming: False to wait (nothing is claimed)."""
        ...

    def add(self, pipe: Pipeline) -> int:
        """Add the look's commands to the claim's pipeline; how many (0: none this time)."""
        ...

    async def allows(self, found: Sequence[Any]) -> bool:
        """Judge what those commands found: False gives the claim back, to wait."""
        ...


#: A handled update is recognised for this long (Telegram stops redelivering long before).
DONE_TTL_MS = 24 * 3600 * 1000
#: How long the count of an answer's delivered messages is kept. It matters only while the
#: update may be taken over (minutes: ``MAX_DELIVERIES`` takeovers); once the update is done
#: nobody reads it, so it is left to expire instead of costing a DEL on every finish.
SENT_TTL_MS = 3600 * 1000
DONE = "done"
RUNNING = "run "

#: Claim a free update and read how much of its answer was sent; or say why not.
_BEGIN = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, tonumber(redis.call('GET', KEYS[2]) or '0')}
end
local held = redis.call('GET', KEYS[1])
if held and string.sub(held, 1, 4) == 'run ' then
  return {0, 0}
end
return {-1, 0}
"""
#: Renew the lease, only while it is still ours.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
#: Give the update back (it failed), only if it is still ours.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


@dataclass(frozen=True)
class Claim:
    """What :meth:`UpdateClaims.begin` found."""

    #: True: the update is ours to handle now. False with ``done``: answered already.
    #: False without: someone else is handling it right now.
    mine: bool
    done: bool = False
    #: How many messages of the answer Telegram already accepted (a takeover skips them).
    sent: int = 0


class UpdateClaims:
    """The claims of one bot's updates (see the module docstring)."""

    def __init__(self, store: Store, scope: str, *, lease: float) -> None:
        """``lease``: seconds a dead holder keeps an update from everyone else."""
        self.store = store
        self.scope = scope
        self.lease_ms = max(int(lease * 1000), 1)
        redis = store.redis
        self._begin = redis.register_script(_BEGIN)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    def _key(self, update_id: int) -> str:
        return self.store.key(self.scope, "update", update_id)

    def _sent_key(self, update_id: int) -> str:
        return self.store.key(self.scope, "update", update_id, "sent")

    async def begin(self, update_id: int, holder: str, ahead: Ahead | None = None) -> Claim:
        """Take the update for ``holder`` when it is free and ``ahead`` (if any) allows.

        An ``ahead`` that says wait leaves the update free (``mine`` and ``done`` False: ask
        again later); one that has something to look at sends it with the claim, one round
        trip, and the claim is given back at once if what it found says wait.
        """
        if ahead is not None and not await ahead.ready():
            return Claim(mine=False)
        keys = [self._key(update_id), self._sent_key(update_id)]
        args: list[str | int] = [RUNNING + holder, self.lease_ms]
        looked: list[Any] = []
        if ahead is None:
            found = await self._begin(keys=keys, args=args)
        else:
            looked, found = await self._begin_with(ahead, keys, args)
        status, sent = (int(value) for value in found)
        if ahead is not None and status != -1 and not await ahead.allows(looked):
            if status == 1:
                await self.release(update_id, holder)
            return Claim(mine=False)
        return Claim(mine=status == 1, done=status == -1, sent=sent)

    async def _begin_with(
        self, ahead: Ahead, keys: list[str], args: list[str | int]
    ) -> tuple[list[Any], Any]:
        """The claim script with ``ahead``'s commands before it, in one pipeline (no MULTI:
        the look only reads)."""
        async with self.store.redis.pipeline(transaction=False) as pipe:
            added = ahead.add(pipe)
            queue_script(pipe, self._begin, keys, args)
            results = await pipe.execute(raise_on_error=False)
        raise_first_error(results[:added])
        return results[:added], await answer_of(results[added], self._begin, keys, args)

    def counting(self, update_id: int, count: int) -> Along:
        """The command that records that the first ``count`` messages of the answer were
        delivered, for the round trip that asks for the next message's slot."""

        def add(pipe: Pipeline) -> None:
            pipe.set(self._sent_key(update_id), count, px=SENT_TTL_MS)

        return add

    async def sent(self, update_id: int, count: int) -> None:
        """:meth:`counting` in a round trip of its own."""
        async with self.store.redis.pipeline(transaction=False) as pipe:
            self.counting(update_id, count)(pipe)
            await pipe.execute()

    async def finish(self, update_id: int, also: Finishing | None = None) -> None:
        """Mark the update answered (whoever holds it: the answer is out either way).

        ``also`` adds the caller's own bookkeeping (the inbox acknowledging its entry) to the
        same round trip. No MULTI: the commands run in order, and each partial outcome is
        safe (an entry left unacknowledged is taken over later and acknowledged then, its
        update being done). The ``sent`` count is left to expire (:data:`SENT_TTL_MS`).
        """
        async with self.store.redis.pipeline(transaction=False) as pipe:
            pipe.set(self._key(update_id), DONE, px=DONE_TTL_MS)
            if also is not None:
                also(pipe)
            await pipe.execute()

    async def release(self, update_id: int, holder: str) -> None:
        """Give a failed update back at once (what was sent stays counted)."""
        await self._release(keys=[self._key(update_id)], args=[RUNNING + holder])

    @contextlib.asynccontextmanager
    async def held(self, update_id: int, holder: str) -> AsyncIterator[None]:
        """Renew ``holder``'s lease on the update every third of it while the body runs."""
        renewing = asyncio.create_task(self._keep(update_id, holder))
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing

    async def _keep(self, update_id: int, holder: str) -> None:
        key = self._key(update_id)
        while True:
            await asyncio.sleep(self.lease_ms / 3000)
            try:
                kept = await self._renew(keys=[key], args=[RUNNING + holder, self.lease_ms])
            except RedisError as exc:  # a blink: the next renewal may still be in time
                log.warning("telegram_claim_renewal_failed", update_id=update_id, error=str(exc))
                continue
            if not kept:
                # We stalled past the lease and another process may have taken over: the
                # turn's replies are shared, so at worst a message goes out twice.
                log.warning("telegram_claim_lost", update_id=update_id)
                return
