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
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from redis.typing import EncodableT, FieldT

from adapters.store.store import Store, awaited
from adapters.store.streams import HANDOFF
from bot.messages import Fan

#: The stream keeps the newest entries only; older ones have long been answered.
MAX_LENGTH = 10_000
#: How long the board remembers a handoff thread (to take, answer or close it).
THREAD_TTL = 30 * 24 * 3600
#: An open handoff with no message either way for this long stops capturing the fan's text.
IDLE_TTL = 24 * 3600
REQUEST = "request"
MESSAGE = "message"
#: A fan's next request for a person within this long is not queued (nor posted again).
ASK_COOLDOWN = 15 * 60.0


class RedisHandoffQueue:
    """Appends requests and the fan's words to the ``handoff`` stream (``HandoffQueue``)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.board = HandoffBoard(store)

    async def request(self, fan: Fan, chat_id: str, lang: str, history: list[str]) -> bool:
        """XADD one request with the conversation so far, unless one is on its way."""
        if not await self.store.claim(asked_key(self.store, fan), ttl=ASK_COOLDOWN):
            return False
        await self._add(
            {
                "kind": REQUEST,
                "fan": fan.key,
                "chat_id": chat_id,
                "lang": lang,
                "history": json.dumps(history[-20:]),
            }
        )
        return True

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
        await awaited(self.redis.hsetnx(key, "agent", agent))
        holder = await awaited(self.redis.hget(key, "agent"))
        return _text(holder) if holder is not None else agent

    async def close(self, thread: Thread, agent: str) -> HandoffRecord | None:
        """Close the handoff; the record when this call closed it, None if it already was."""
        record = await self.get(thread)
        if record is None:
            return None
        if not await awaited(self.redis.hsetnx(self._thread_key(thread), "closed_by", agent)):
            return None
        if await self.thread_of(record.fan) == thread:
            await self.redis.delete(self._fan_key(record.fan), asked_key(self.store, record.fan))
        return record

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
