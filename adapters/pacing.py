"""Outbound pacing: one send-rate limiter in Redis, shared by every process of a bot.

Telegram allows a bot about 30 messages per second overall and about one per second in a
private chat (short bursts are tolerated); past that it answers 429 with ``retry_after``.
Any process (web workers, the background worker, a polling laptop) may send for the same bot,
so a per-process limiter such as PTB's ``AIORateLimiter`` cannot keep the bot under the limit:
the budget has to live where all of them can see it, in Redis.

Algorithm: GCRA (the "generic cell rate algorithm", a token bucket kept as one timestamp).
Each bucket (the bot overall, and each chat) is a single Redis key holding its *theoretical
arrival time* (TAT). A send may go when ``now >= TAT - (burst - 1) * interval``; taking it moves
the TAT on by one ``interval``. One Lua script checks both buckets and takes both or neither,
atomically, with Redis' own clock (``TIME``). Why this shape:

* exact: unlike a fixed window (INCR + PEXPIRE) there is no window boundary where two windows'
  worth of sends go out back to back, and unlike a sliding log it stores one number per bucket;
* no polling in the dark: a refused caller learns how long until both buckets allow it and
  sleeps that long (plus a few ms of jitter, so waiters do not all retry in the same instant);
* slots are granted *now*, never reserved ahead: a reservation for a busy chat one second out
  would also hold the bot-wide bucket for that second and stall every other chat behind it.
  The price is that concurrent waiters are not served strictly first come, first served; a
  reply's messages are sent one after another, so a fan still reads them in order;
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import structlog

from adapters.store import Store
from bot.metrics import SEND_RETRIES

log = structlog.get_logger("usher.pacing")
T = TypeVar("T")
#: Up to this much is added to each wait, so waiting senders do not all ask at the same instant.
JITTER = 0.005

#: KEYS: the buckets; ARGV: interval (ms) and burst of each. Takes a slot from every bucket
#: and returns 0, or takes nothing and returns the ms until all of them will allow a send.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local wait = 0
local tats = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  tats[i] = tat
  local until_free = tat - (burst - 1) * interval - now
  if until_free > wait then wait = until_free end
end
if wait > 0 then return math.ceil(wait) end
for i, key in ipairs(KEYS) do
  local tat = tats[i] + tonumber(ARGV[2 * i - 1])
  redis.call('SET', key, string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1)
end
return 0
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

    async def acquire(self, chat_id: str) -> None:
        """Wait until both the bot and the chat have a free slot, and take it."""
        overall, chat = self.limits.overall, self.limits.per_chat
        args = [overall.interval_ms, overall.burst, chat.interval_ms, chat.burst]
        waited = 0.0
        while True:
            wait_ms = int(await self._take(keys=self._keys(chat_id), args=args))
            if wait_ms <= 0:
                return
            wait = wait_ms / 1000 + random.uniform(0, JITTER)
            if waited + wait > self.limits.max_wait:
                raise PacingTimeout(f"no send slot within {self.limits.max_wait:g} s")
            await asyncio.sleep(wait)
            waited += wait

    async def hold(self, chat_id: str, seconds: float) -> None:
        """Let nothing be sent to ``chat_id`` (by any process) for ``seconds``."""
        chat = self.limits.per_chat
        await self._hold(
            keys=[self._keys(chat_id)[1]],
            args=[math.ceil(seconds * 1000), chat.interval_ms, chat.burst],
        )

    async def run(self, chat_id: str, send: Callable[[], Awaitable[T]]) -> T:
        """Call ``send`` in a free slot; on a rate-limit answer wait as told and try again."""
        waited = 0.0
        while True:
            await self.acquire(chat_id)
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
