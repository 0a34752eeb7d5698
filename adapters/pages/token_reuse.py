"""A page's tokens reused for a few seconds: reloads cost no extra secure-render call.

Why: every view of the secure ticket page asks Ticketmaster's secure render for fresh tokens,
and that quota is shared by the whole gate on event day. A fan who reloads the page ten times
in a row (a weak signal at the gate, an impatient thumb, a script) would spend ten calls for
tokens that are a second old. So the tokens a browser got are kept for :data:`REUSE_SECONDS`
under that binding (the browser, the live link and the order; Redis, so any process can serve
the reload) and given back to the same binding only: another browser has its own device id, so
its own tokens, and a fresh link starts afresh.

The SafeTix tokens are secrets; they already live in Redis as the fallback cache
(``adapters.store.tm_orders``), and these copies expire in seconds.
"""

from __future__ import annotations

import dataclasses
import hashlib

from adapters.store.store import Store
from bot.app.metrics import CACHE
from bot.ticketmaster.ports import PageTicket

#: "A few seconds": long enough to absorb a burst of reloads, short enough that a fan who comes
#: back to the page later gets tokens refreshed for that view.
REUSE_SECONDS = 5.0


class RecentTokens:
    """The tokens each browser got last for each order, for :data:`REUSE_SECONDS`."""

    def __init__(self, store: Store, seconds: float = REUSE_SECONDS) -> None:
        self.store = store
        self.seconds = seconds

    def _key(self, binding: str) -> str:
        digest = hashlib.sha256(binding.encode()).hexdigest()[:32]
        return self.store.key("page", "tokens", digest)

    async def get(self, binding: str) -> list[PageTicket] | None:
        """The tokens this binding (browser, link, order) got seconds ago, if any."""
        cached = await self.store.get_json(self._key(binding))
        if not isinstance(cached, list):
            CACHE.labels("page_tokens", "miss").inc()
            return None
        CACHE.labels("page_tokens", "hit").inc()
        return [
            PageTicket(**{**t, "seat": tuple(t["seat"]) if t["seat"] else None}) for t in cached
        ]

    async def put(self, binding: str, tickets: list[PageTicket]) -> None:
        """Keep what this binding was just given."""
        records = [dataclasses.asdict(t) for t in tickets]
        await self.store.set_json(self._key(binding), records, ttl=self.seconds)
