"""Outbound pacing: one send-rate limiter in Redis, shared by every process of a bot.

Telegram allows a bot about 30 messages per second overall and about one per second in a
private chat (short bursts are tolerated); past that it answers 429 with ``retry_after``.
Any process (web workers, the background worker, a polling laptop) may send for the same bot,
so a per-process limiter such as PTB's ``AIORateLimiter`` cannot keep the bot under the limit:
the budget has to live where all of them can see it, in Redis.

Algorithm: GCRA (the "generic cell rate algorithm", a token bucket kept as one timestamp).
Each bucket (the bot overall, and each chat) is a single Redis key holding its *theoretical
arrival time* (TAT). A send may go at ``TAT - (burst - 1) * interval``; taking it moves the TAT
on by one ``interval``. One Lua script looks at both buckets and takes both or neither,
atomically, with Redis' own clock (``TIME``). Why this shape:

* exact: unlike a fixed window (INCR + PEXPIRE) there is no window boundary where two windows'
  worth of sends go out back to back, and unlike a sliding log it stores one number per bucket;
* **the bot-wide slot is reserved, the chat is not**: when the chat could send now and only the
  bot-wide bucket is full, the caller is given the bot's next free slot (in the future) and
  sleeps until it. Slots handed out this way follow each other exactly one interval apart,
  however late each sleeper wakes: granting only "now" lost the waiter's wake-up and Redis
  round trip on every slot, 12 % of a 100/s limit (bench.broadcast). Concurrent senders are
  served first come, first served. A chat that is itself over its rate reserves nothing: it is
  told how long until it may ask again, so a busy chat one second out never holds a bot-wide
  slot (and every other chat behind it) for that second;
* headroom: the bot-wide bucket runs at ``1 - headroom`` of the limit (98 %). Sends leave on
  exact slots but reach Telegram a few ms apart more or less; the spare slots keep any one
  second's worth of arrivals within the limit. A sender that wakes for its slot later than
  that slack allows (a busy process) lets the slot go and takes another: sent late, it would
  squeeze against the next slot (one 429 in 2,000 sends at 30/s before this rule);
* a caller refused because another took the chat's slot first waits with a few ms of random
  jitter, so such waiters spread out instead of asking in the same instant again;
* clocks of different machines do not matter, only the Redis server's;
* keys expire by themselves once a bucket is full again, so idle chats leave nothing behind.

When Telegram still answers 429 (another bot on the same token, a stricter limit than we
assume), the bucket of that chat is pushed back by ``retry_after`` for every process, and the
send is retried after that wait, within a budget; past the budget the error is raised.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from redis.asyncio.client import Pipeline

from adapters.store.scripts import answer_of, queue_script, raise_first_error
from adapters.store.store import Store
from bot.app.metrics import LATE_SLOTS, SEND_RETRIES

log = structlog.get_logger("usher.pacing")
T = TypeVar("T")
#: Judges what the commands an :data:`Along` added found (their results, errors included, in
#: order): raises when the message must not go.
Settle = Callable[[list[Any]], Awaitable[None]]
#: Adds commands to the round trip of a send's first slot request (see :meth:`Pacer.run`);
#: returns how to judge their results, or None for "any error is raised".
Along = Callable[[Pipeline], Settle | None]


def along_all(*alongs: Along | None) -> Along | None:
    """Several :data:`Along` in one, in order (None when there are none)."""
    given = [along for along in alongs if along is not None]
    if len(given) <= 1:
        return given[0] if given else None

    def add(pipe: Pipeline) -> Settle:
        parts: list[tuple[int, Settle | None]] = []
        for along in given:
            before = len(pipe)
            judge = along(pipe)
            parts.append((len(pipe) - before, judge))

        async def settle(found: list[Any]) -> None:
            start = 0
            for count, judge in parts:
                await settled(found[start : start + count], judge)
                start += count

        return settle

    return add


async def settled(found: list[Any], judge: Settle | None) -> None:
    """Hand ``found`` to ``judge``; without one, raise the first error in it."""
    if judge is not None:
        await judge(found)
        return
    raise_first_error(found)


#: Up to this much is added to a wait after a lost race, so waiters do not keep colliding.
JITTER = 0.005

#: KEYS: the bot's bucket, the chat's; ARGV: interval (ms) and burst of each, then the
#: longest reservation (ms). Returns {1, us}: both slots taken, the send may go in ``us``
#: microseconds (0: now); or {0, us}: nothing taken, ask again in ``us`` (the chat is over its
#: rate, or the bot's next slot is further off than the longest reservation).
#: Microseconds, not ms: whole milliseconds would add up to 1 ms to every slot.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local bot_interval, bot_burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local chat_interval, chat_burst = tonumber(ARGV[3]), tonumber(ARGV[4])
local bot_tat = math.max(tonumber(redis.call('GET', KEYS[1]) or now), now)
local chat_tat = math.max(tonumber(redis.call('GET', KEYS[2]) or now), now)
local at = math.max(now, bot_tat - (bot_burst - 1) * bot_interval)
local chat_free = chat_tat - (chat_burst - 1) * chat_interval
if chat_free > at then return {0, math.ceil((chat_free - now) * 1000)} end
if at - now > tonumber(ARGV[5]) then return {0, math.ceil((at - now) * 1000)} end
bot_tat = math.max(bot_tat, at) + bot_interval
chat_tat = math.max(chat_tat, at) + chat_interval
redis.call('SET', KEYS[1], string.format('%.3f', bot_tat), 'PX', math.ceil(bot_tat - now) + 1)
redis.call('SET', KEYS[2], string.format('%.3f', chat_tat), 'PX', math.ceil(chat_tat - now) + 1)
return {1, math.ceil((at - now) * 1000)}
"""

#: KEYS[1]: a bucket. ARGV: hold (ms), interval (ms), burst. Nothing may be sent through this
#: bucket for ``hold`` ms from now (the TAT moves forward, never back).
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local want = now + tonumber(ARGV[1]) + (tonumber(ARGV[3]) - 1) * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or 0)
if tat < want then
  redis.call('SET', KEYS[1], string.format('%.3f', want), 'PX', math.ceil(want - now) + 1)
end
return 0
"""


@dataclass(frozen=True)
class Rate:
    """``per_second`` sends on average, at most ``burst`` of them back to back."""

    per_second: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("a rate needs per_second > 0 and burst >= 1")

    @property
    def interval_ms(self) -> float:
        """Milliseconds between two sends at the average rate."""
        return 1000.0 / self.per_second


@dataclass(frozen=True)
class Limits:
    """Telegram's documented limits, with the waits we accept.

    ``per_chat`` allows a burst of 3: a ticket reply is a header and a few QR codes, and
    Telegram tolerates short bursts in a private chat while keeping the average at 1/s.
    """

    overall: Rate = field(default_factory=lambda: Rate(30.0, burst=1))
    per_chat: Rate = field(default_factory=lambda: Rate(1.0, burst=3))
    #: Longest wait for a slot before giving up (a backlog this long means a flood upstream).
    max_wait: float = 60.0
    #: Total ``retry_after`` time one send may wait through before its error is raised.
    retry_budget: float = 60.0
    #: Share of the overall rate left unused (see the module docstring).
    headroom: float = 0.02

    @property
    def late_limit(self) -> float:
        """How late (seconds) a sender may wake for its reserved slot and still use it.

        The headroom leaves ``headroom`` seconds of spare slots in every second; a sender
        later than most of that would put one message too many into some one-second window.
        """
        return 0.75 * self.headroom


class PacingTimeout(Exception):
    """No send slot within ``Limits.max_wait``: the bot is far over its rate."""


RetryAfterOf = Callable[[BaseException], float | None]


def _never(_: BaseException) -> float | None:
    return None


class Pacer:
    """The shared limiter of one bot: ``await pacer.run(chat_id, send)``."""

    def __init__(
        self,
        store: Store,
        scope: str,
        *,
        limits: Limits | None = None,
        retry_after_of: RetryAfterOf = _never,
    ) -> None:
        """``scope`` names the bot (e.g. ``telegram:<bot id>``): the limit is per bot token.

        ``retry_after_of`` reads the platform's "slow down, retry in N s" out of an exception
        raised by a send (None: not a rate-limit error).
        """
        self.store = store
        self.scope = scope
        self.limits = limits or Limits()
        self.retry_after_of = retry_after_of
        self._take = store.redis.register_script(_TAKE)
        self._hold = store.redis.register_script(_HOLD)

    def _keys(self, chat_id: str) -> list[str]:
        return [
            self.store.key("pace", self.scope, "all"),
            self.store.key("pace", self.scope, "chat", chat_id),
        ]

    async def acquire(self, chat_id: str, along: Along | None = None) -> None:
        """Wait until both the bot and the chat have a free slot, and take it.

        ``along`` adds commands to the first request's round trip (they run before it).
        """
        overall, chat = self.limits.overall, self.limits.per_chat
        bot_interval = overall.interval_ms / (1.0 - self.limits.headroom)
        waited = 0.0
        lost_races = 0
        while True:
            horizon_ms = max(0.0, self.limits.max_wait - waited) * 1000
            args = [bot_interval, overall.burst, chat.interval_ms, chat.burst, horizon_ms]
            if along is not None:
                reserved, wait_us = await self._take_along(along, self._keys(chat_id), args)
                along = None
            else:
                reserved, wait_us = await self._take(keys=self._keys(chat_id), args=args)
            wait = int(wait_us) / 1_000_000
            if reserved:
                if wait <= 0:
                    return
                due = time.monotonic() + wait
                await asyncio.sleep(wait)
                if time.monotonic() - due <= self.limits.late_limit:
                    return
                # Woken too late (a busy process): sending now would squeeze this message
                # against the next slot's. The slot goes unused; take another.
                LATE_SLOTS.labels(self.scope).inc()
                waited += wait
                continue
            # Asked again after the wait we were told and still no slot: another sender took
            # the chat's slot. From then on spread out a little.
            wait += random.uniform(0, JITTER) if lost_races else 0.0
            lost_races += 1
            if waited + wait > self.limits.max_wait:
                raise PacingTimeout(f"no send slot within {self.limits.max_wait:g} s")
            await asyncio.sleep(wait)
            waited += wait

    async def _take_along(self, along: Along, keys: list[str], args: list[Any]) -> Any:
        """The slot request in one round trip with ``along``'s commands (a pipeline, no MULTI:
        they need not be atomic, only sent before the message)."""
        async with self.store.redis.pipeline(transaction=False) as pipe:
            judge = along(pipe)
            added = len(pipe)
            queue_script(pipe, self._take, keys, args)
            found = await pipe.execute(raise_on_error=False)
        await settled(found[:added], judge)
        return await answer_of(found[added], self._take, keys, args)

    async def hold(self, chat_id: str, seconds: float) -> None:
        """Let nothing be sent to ``chat_id`` (by any process) for ``seconds``."""
        chat = self.limits.per_chat
        await self._hold(
            keys=[self._keys(chat_id)[1]],
            args=[math.ceil(seconds * 1000), chat.interval_ms, chat.burst],
        )

    async def run(
        self, chat_id: str, send: Callable[[], Awaitable[T]], *, along: Along | None = None
    ) -> T:
        """Call ``send`` in a free slot; on a rate-limit answer wait as told and try again.

        ``along`` adds commands that must run before the send (the keyboard its buttons point
        to) to the first slot request's round trip, instead of one of their own.
        """
        waited = 0.0
        while True:
            await self.acquire(chat_id, along)
            along = None
            try:
                return await send()
            except Exception as exc:
                delay = self.retry_after_of(exc)
                if delay is None or waited + delay > self.limits.retry_budget:
                    raise
                waited += delay
                SEND_RETRIES.labels(self.scope).inc()
                log.warning("send_rate_limited", scope=self.scope, retry_after=delay)
                await self.hold(chat_id, delay)
