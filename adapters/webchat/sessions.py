"""Web chat sessions in Redis: who a widget is, what was said (a day), who holds a socket.

A session is issued by the server, never chosen by the browser. The widget keeps one opaque
token, ``<id>.<secret>``: the id names the fan (``web:<id>``, which staff tools and Redis keys
may show), the secret proves the browser holds the session and is stored only as a SHA-256
digest. Presenting a session's id without its secret, or a token that was never issued,
expired or was signed out, opens nothing: the browser is given a new, empty session.

Keys, all of one session under one hash tag (a Redis Cluster keeps them on one node, so the
scripts below may touch them together), under the store prefix::

    webchat:{id}:session      hash: secret digest, created; lives FRESH_TTL until the first
                              message, then ACTIVE_TTL from the last message
    webchat:{id}:log          stream of entries (the fan's messages, the bot's replies),
                              entries older than LOG_TTL trimmed, at most LOG_MAX kept
    webchat:{id}:holders      set of the process ids holding a socket of this session
    webchat:{id}:ref:{ref}:{side}  "already logged" markers for a message id, LOG_TTL

Appending to the log and waking the holders is one Lua script: the entries are added (and the
session's life renewed when the fan wrote), then each holding process (but the caller) gets a
PUBLISH on its own channel naming the session. It answers the id of the entry that was last
before, so a process whose socket had shown everything up to it can send the new entries
straight away instead of reading them back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapters.store.store import Store, awaited

FRESH_TTL = 3600.0
ACTIVE_TTL = 30 * 24 * 3600.0
LOG_TTL = 24 * 3600.0
LOG_MAX = 300
HOLDERS_TTL = 24 * 3600.0

_APPEND = """
-- KEYS: session, log, holders[, marker]
-- ARGV: log ttl ms, max, self, channel prefix, session id, session ttl ms (0: keep), entries...
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local ids = {last[1] and last[1][1] or ''}
if KEYS[4] and not redis.call('SET', KEYS[4], '1', 'NX', 'PX', ARGV[1]) then return ids end
if ARGV[6] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[6]) end
local now = redis.call('TIME')
local oldest = (tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)) - tonumber(ARGV[1])
for i = 7, #ARGV do
  ids[#ids + 1] = redis.call('XADD', KEYS[2], 'MINID', tostring(oldest), '*', 'e', ARGV[i])
end
redis.call('XTRIM', KEYS[2], 'MAXLEN', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
for _, holder in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  if holder ~= ARGV[3] then redis.call('PUBLISH', ARGV[4] .. holder, ARGV[5]) end
end
return ids
"""


@dataclass(frozen=True)
class Session:
    """An open session: its id (the fan's user id) and the token the widget keeps."""

    id: str
    token: str
    fresh: bool


@dataclass(frozen=True)
class Entry:
    """One logged message: its stream id (the widget's "last seen") and its content."""

    id: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Appended:
    """What an append added (none when it was a repeat), after which entry (None: first)."""

    after: str | None
    entries: list[Entry]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Sessions:
    """The Redis side of web chat."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis
        self._append = self.redis.register_script(_APPEND)

    def key(self, session_id: str, *parts: str) -> str:
        """A key of one session (``webchat:{id}:...``)."""
        return self.store.key("webchat", "{" + session_id + "}", *parts)

    def channel_prefix(self) -> str:
        """Process ``p`` is woken on ``channel_prefix() + p``."""
        return self.store.key("webchat", "wake", "")

    # --- sessions -------------------------------------------------------------------------

    async def open(self, token: str | None) -> Session:
        """The session ``token`` names, when it is genuine and alive; else a new one."""
        if token is not None:
            session_id, _, secret = token.partition(".")
            raw = await awaited(self.redis.hget(self.key(session_id, "session"), "digest"))
            stored = bytes(raw).decode() if isinstance(raw, bytes) else None
            if stored is not None and hmac.compare_digest(stored, _digest(secret)):
                return Session(session_id, token, fresh=False)
        session_id, secret = secrets.token_urlsafe(16), secrets.token_urlsafe(32)
        key = self.key(session_id, "session")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"digest": _digest(secret), "created": int(time.time())})
            pipe.pexpire(key, int(FRESH_TTL * 1000))
            await pipe.execute()
        return Session(session_id, f"{session_id}.{secret}", fresh=True)

    async def alive(self, session_id: str) -> bool:
        """True while the session exists (not expired, not signed out)."""
        return bool(await self.redis.exists(self.key(session_id, "session")))

    async def forget(self, session_id: str) -> list[str]:
        """Delete the session and its log; the processes that held a socket of it.

        Its "already logged" markers are left to expire within the day: without the session
        nothing can be appended under them.
        """
        holders_key = self.key(session_id, "holders")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.smembers(holders_key)
            pipe.delete(self.key(session_id, "session"), self.key(session_id, "log"), holders_key)
            holders, _ = await pipe.execute()
        return [bytes(holder).decode() for holder in holders]

    # --- the log --------------------------------------------------------------------------

    async def append(
        self,
        session_id: str,
        entries: Sequence[dict[str, Any]],
        *,
        process: str = "",
        once: str | None = None,
        fan_wrote: bool = False,
    ) -> Appended | None:
        """Log ``entries`` and wake every process holding the session but ``process``.

        ``once`` (a message id and side) logs them only the first time it is given: a turn
        handled again after a lost connection adds nothing twice. ``fan_wrote``: the session
        lives ACTIVE_TTL from now. None when the session is gone.
        """
        keys = [
            self.key(session_id, "session"),
            self.key(session_id, "log"),
            self.key(session_id, "holders"),
        ]
        if once is not None:
            keys.append(self.key(session_id, "ref", once))
        args: list[str | int] = [
            int(LOG_TTL * 1000),
            LOG_MAX,
            process,
            self.channel_prefix(),
            session_id,
            int(ACTIVE_TTL * 1000) if fan_wrote else 0,
        ]
        args.extend(json.dumps(entry, ensure_ascii=False) for entry in entries)
        answer = await self._append(keys=keys, args=args)
        if answer is None:
            return None
        after, *ids = (bytes(value).decode() for value in answer)
        if not ids:  # logged before (``once``): nothing new
            return Appended(after or None, [])
        added = [Entry(entry_id, dict(entry)) for entry_id, entry in zip(ids, entries, strict=True)]
        return Appended(after or None, added)

    async def after(self, session_id: str, last: str | None, *, count: int = 100) -> list[Entry]:
        """Logged entries after ``last`` (all kept ones when None), oldest first."""
        start = "-" if last is None else f"({last}"
        rows = await self.redis.xrange(self.key(session_id, "log"), min=start, count=count)
        entries = []
        for entry_id, fields in rows:
            body = json.loads(fields[b"e"])
            entries.append(Entry(bytes(entry_id).decode(), body))
        return entries

    # --- who holds a socket ---------------------------------------------------------------

    async def hold(self, session_id: str, process: str) -> None:
        """``process`` has a socket of the session open: wake it for new entries."""
        key = self.key(session_id, "holders")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(key, process)
            pipe.pexpire(key, int(HOLDERS_TTL * 1000))
            await pipe.execute()

    async def release(self, session_id: str, process: str) -> None:
        """``process`` closed its last socket of the session."""
        await awaited(self.redis.srem(self.key(session_id, "holders"), process))

    # --- rates ----------------------------------------------------------------------------

    async def count(self, names: Sequence[str], window: float) -> list[int]:
        """Count one event in each fixed window ``rate:webchat:<name>``, in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in names:
                key = self.store.key("rate", "webchat", name)
                pipe.incr(key)
                pipe.pexpire(key, int(window * 1000), nx=True)
            results = await pipe.execute()
        return [int(value) for value in results[::2]]
