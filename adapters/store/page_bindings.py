"""Which link of a fan's ticket page is live, and which browser it is bound to (Redis).

One hash per fan and order, ``page:{fan digest}:{order ref}``, living as long as a link:

* ``link``: the id of the link the bot handed out last (``bot.links.TicketLinks.issue``); an
  older link of the same page is refused as replaced.
* ``browser``: a digest of the browser the live link is bound to (the page's cookie, never
  stored raw). Set by the page script's first token call from a real browser
  (``adapters.pages.ticket``), never by a GET; dropped when a fresh link is issued.

The check and the binding are one Lua script, so two browsers racing for a fresh link cannot
both win. A page with no hash (a link made without issuing: benchmarks, links from before
this existed) binds on first use like any other.
"""

from __future__ import annotations

from typing import Literal, cast

from adapters.store.store import Store

Binding = Literal["bound", "free", "other", "replaced"]

#: KEYS[1] the page hash; ARGV: link id, browser digest, ttl (s), "1" to bind or "0" to look.
_BIND = """
local link = redis.call('HGET', KEYS[1], 'link')
if link and link ~= ARGV[1] then return 'replaced' end
local browser = redis.call('HGET', KEYS[1], 'browser')
if browser then
  if browser == ARGV[2] then return 'bound' end
  return 'other'
end
if ARGV[4] ~= '1' then return 'free' end
redis.call('HSET', KEYS[1], 'link', ARGV[1], 'browser', ARGV[2])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 'bound'
"""


class RedisPageBindings:
    """The live link and the bound browser of each ticket page (``LinkRegistry`` too)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._bind = store.redis.register_script(_BIND)

    def _key(self, fan_digest: str, ref: str) -> str:
        return self.store.key("page", fan_digest, ref)

    async def issue(self, fan_digest: str, ref: str, link_id: str, ttl: int) -> None:
        """``link_id`` is now the page's only live link, bound to no browser yet."""
        key = self._key(fan_digest, ref)
        async with self.store.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, "link", link_id)
            pipe.hdel(key, "browser")
            pipe.expire(key, ttl)
            await pipe.execute()

    async def bind(
        self, fan_digest: str, ref: str, link_id: str, browser: str, ttl: int
    ) -> Binding:
        """Bind the live link to ``browser`` unless it is bound elsewhere or replaced."""
        return await self._run(fan_digest, ref, link_id, browser, ttl, bind=True)

    async def look(self, fan_digest: str, ref: str, link_id: str, browser: str) -> Binding:
        """What :meth:`bind` would say, binding nothing (``free``: nobody bound it yet)."""
        return await self._run(fan_digest, ref, link_id, browser, 0, bind=False)

    async def _run(
        self, fan_digest: str, ref: str, link_id: str, browser: str, ttl: int, *, bind: bool
    ) -> Binding:
        args: list[str | int] = [link_id, browser, ttl, "1" if bind else "0"]
        raw = await self._bind(keys=[self._key(fan_digest, ref)], args=args)
        answer = raw.decode() if isinstance(raw, bytes) else str(raw)
        return cast(Binding, answer)
