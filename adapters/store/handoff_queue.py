"""Human handoff in Redis: the ``handoff`` stream, and the state of each open handoff.

The stream carries two kinds of entry, both written during a fan's turn and read by the support
console (``adapters.slack.handoff``) through a consumer group:

* ``request``: the fan asked for a person (``fan``, ``chat_id``, ``lang``, ``history`` as a
  JSON list, ``at``). Entries written before kinds existed have no ``kind`` and are requests.
* ``message``: something the fan wrote while a handoff is open (``fan``, ``text``, ``at``).

Going through the stream rather than calling Slack from the fan's turn keeps the turn fast and
independent of Slack, and a consumer group gives at-least-once delivery across processes.

Once the console has posted a request, :class:`HandoffBoard` remembers where (a Slack channel
and message ``ts``: the *thread*), which fan it is for, who took it and whether it is closed.
Keys: ``handoff:thread:{channel}:{ts}`` (hash, 30 days), ``handoff:fan:{fan}`` (the open
thread of a fan; it lapses after :data:`IDLE_TTL` without a word from either side, so a handoff
nobody answers does not swallow the fan's messages forever) and ``handoff:asked:{fan}`` (the
fan's request cooldown: set when a request is queued, for :data:`ASK_COOLDOWN`, and cleared
when an agent closes the handoff, so the fan can ask anew at once).

The queue a fan hears about is ``handoff:waiting``: a sorted set of the fans whose request no
agent has taken yet, by the time they first asked (asking again keeps the place). Taking or
closing a handoff takes the fan out; a request nobody took for :data:`IDLE_TTL` drops out too.
A closed handoff leaves ``handoff:rating:{fan}`` (who helped, 7 days) for the fan's rating.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from redis.typing import EncodableT, FieldT

from adapters.store.store import Store, awaited
from adapters.store.streams import HANDOFF
from bot.messages import Fan
from bot.staff import PendingRating
from handlers.handoff import Requested

#: The stream keeps the newest entries only; older ones have long been answered.
MAX_LENGTH = 10_000
#: How long the board remembers a handoff thread (to take, answer or close it).
THREAD_TTL = 30 * 24 * 3600
#: An open handoff with no message either way for this long stops capturing the fan's text.
IDLE_TTL = 24 * 3600
#: How long a fan may rate a closed handoff.
RATING_TTL = 7 * 24 * 3600
REQUEST = "request"
MESSAGE = "message"
#: A fan's next request for a person within this long is not queued (nor posted again).
ASK_COOLDOWN = 15 * 60.0


class RedisHandoffQueue:
    """Appends requests and the fan's words to the ``handoff`` stream (``HandoffQueue``)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.board = HandoffBoard(store)

    async def request(self, fan: Fan, chat_id: str, lang: str, history: list[str]) -> Requested:
        """XADD one request with the conversation so far; the fan's place in the queue.

        Place 0 when an agent already has the fan's open handoff (the request goes to its
        thread). Nothing is added while an earlier request is on its way (the cooldown).
        """
        if not await self.store.claim(asked_key(self.store, fan), ttl=ASK_COOLDOWN):
            return Requested(await self.board.wait(fan), queued=False)
        await self._add(
            {
                "kind": REQUEST,
                "fan": fan.key,
                "chat_id": chat_id,
                "lang": lang,
                "history": json.dumps(history[-20:]),
            }
        )
        return Requested(await self.board.wait(fan))

    async def take_rating(self, fan: Fan) -> PendingRating | None:
        """The closed handoff the fan may rate (once: it is forgotten as it is read)."""
        return await self.board.take_rating(fan)

    async def is_open(self, fan: Fan) -> bool:
        """True while the fan's request is posted for agents and not closed (nor idle)."""
        return await self.board.thread_of(fan) is not None

    async def forward(self, fan: Fan, text: str) -> None:
        """XADD what the fan wrote, for the thread of their open handoff."""
        await self._add({"kind": MESSAGE, "fan": fan.key, "text": text})
        await self.board.touch(fan)

    async def _add(self, fields: dict[str, str]) -> None:
        entry: dict[FieldT, EncodableT] = {"at": f"{time.time():.3f}"}
        entry.update(fields)
        await self.store.redis.xadd(
            self.store.key(*HANDOFF), entry, maxlen=MAX_LENGTH, approximate=True
        )


@dataclass(frozen=True)
class Thread:
    """Where a handoff lives on the agents' side: a channel and its first message's ``ts``."""

    channel: str
    ts: str


@dataclass(frozen=True)
class HandoffRecord:
    """One handoff as the board knows it."""

    thread: Thread
    fan: Fan
    lang: str
    agent: str | None
    closed_by: str | None


class HandoffBoard:
    """Which thread is which fan's, who took it, and whether it is still open."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis

    def _thread_key(self, thread: Thread) -> str:
        return self.store.key("handoff", "thread", thread.channel, thread.ts)

    def _fan_key(self, fan: Fan) -> str:
        return self.store.key("handoff", "fan", fan.key)

    @property
    def _waiting_key(self) -> str:
        return self.store.key("handoff", "waiting")

    def _rating_key(self, fan: Fan) -> str:
        return self.store.key("handoff", "rating", fan.key)

    async def wait(self, fan: Fan, now: float | None = None) -> int:
        """Queue the fan (keeping an earlier place); their place, or 0 when an agent has them."""
        thread = await self.thread_of(fan)
        record = await self.get(thread) if thread is not None else None
        if record is not None and record.agent is not None:
            return 0
        now = time.time() if now is None else now
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(self._waiting_key, "-inf", now - IDLE_TTL)
            pipe.zadd(self._waiting_key, {fan.key: now}, nx=True)
            pipe.zrank(self._waiting_key, fan.key)
            *_, rank = await pipe.execute()
        return int(rank) + 1

    async def waiting(self) -> int:
        """How many fans wait for an agent now."""
        return int(await awaited(self.redis.zcard(self._waiting_key)))

    async def open(self, thread: Thread, fan: Fan, lang: str) -> None:
        """Record a freshly posted request as the fan's open handoff."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._thread_key(thread), mapping={"fan": fan.key, "lang": lang})
            pipe.expire(self._thread_key(thread), THREAD_TTL)
            pipe.set(self._fan_key(fan), f"{thread.channel} {thread.ts}", ex=IDLE_TTL)
            await pipe.execute()

    async def get(self, thread: Thread) -> HandoffRecord | None:
        """The handoff started by this message, or None when it is not one (or forgotten)."""
        raw = await awaited(self.redis.hgetall(self._thread_key(thread)))
        fields = {key.decode(): value.decode() for key, value in raw.items()}
        if "fan" not in fields:
            return None
        return HandoffRecord(
            thread=thread,
            fan=Fan.from_key(fields["fan"]),
            lang=fields.get("lang", "en"),
            agent=fields.get("agent"),
            closed_by=fields.get("closed_by"),
        )

    async def thread_of(self, fan: Fan) -> Thread | None:
        """The fan's open handoff, if any."""
        raw = await self.redis.get(self._fan_key(fan))
        if raw is None:
            return None
        channel, _, ts = raw.decode().partition(" ")
        return Thread(channel, ts)

    async def take(self, thread: Thread, agent: str) -> str:
        """Assign the handoff to ``agent`` unless someone has it; return who has it now."""
        key = self._thread_key(thread)
        if await awaited(self.redis.hsetnx(key, "agent", agent)):
            fan = await awaited(self.redis.hget(key, "fan"))
            if fan is not None:
                await awaited(self.redis.zrem(self._waiting_key, _text(fan)))
            return agent
        holder = await awaited(self.redis.hget(key, "agent"))
        return _text(holder) if holder is not None else agent

    async def close(self, thread: Thread, agent: str) -> HandoffRecord | None:
        """Close the handoff; the record when this call closed it, None if it already was."""
        record = await self.get(thread)
        if record is None:
            return None
        if not await awaited(self.redis.hsetnx(self._thread_key(thread), "closed_by", agent)):
            return None
        helper = record.agent or agent
        rating: dict[str, Any] = {"agent": helper, "channel": thread.channel, "ts": thread.ts}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self._waiting_key, record.fan.key)
            pipe.set(self._rating_key(record.fan), json.dumps(rating), ex=RATING_TTL)
            await pipe.execute()
        if await self.thread_of(record.fan) == thread:
            await self.redis.delete(self._fan_key(record.fan), asked_key(self.store, record.fan))
        return record

    async def take_rating(self, fan: Fan) -> PendingRating | None:
        """The fan's closed handoff awaiting a rating, read once (GETDEL)."""
        raw = await self.redis.getdel(self._rating_key(fan))
        if raw is None:
            return None
        data = json.loads(raw)
        return PendingRating(agent=str(data["agent"]), thread=f"{data['channel']}/{data['ts']}")

    async def touch(self, fan: Fan, thread: Thread | None = None) -> None:
        """Keep the fan's handoff open for another :data:`IDLE_TTL`.

        With ``thread`` (an agent wrote in it), a handoff that had lapsed is reopened, unless
        the fan has since moved on to another handoff.
        """
        key = self._fan_key(fan)
        if thread is None:
            await self.redis.expire(key, IDLE_TTL)
            return
        value = f"{thread.channel} {thread.ts}"
        if not await self.redis.set(key, value, ex=IDLE_TTL, nx=True):
            current = await self.redis.get(key)
            if current is not None and current.decode() == value:
                await self.redis.expire(key, IDLE_TTL)


def asked_key(store: Store, fan: Fan) -> str:
    """The fan's request cooldown (see the module docstring)."""
    return store.key("handoff", "asked", fan.key)


def _text(value: str | bytes) -> str:
    """redis-py types replies as str; without ``decode_responses`` they are bytes."""
    return value.decode() if isinstance(value, bytes) else value
