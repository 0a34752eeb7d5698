"""``bot.ports.OrderIndex`` on Redis: one hash, ``ordernumbers``, order number -> order id.

One hash rather than a key per number: an order costs about 60 bytes in it (numbers and ids
are short digit strings, kept in Redis's compact encoding while the hash is small), a write is
one HSET for a whole page of search results, and nothing expires, because an order number
never changes its order. No personal data is stored: only the two identifiers ACME prints.
"""

from __future__ import annotations

from collections.abc import Sequence

from adapters.store.store import Store, awaited
from bot.acme.models import Order

#: Longest order number or id worth indexing (ACME's are 8-10 digits).
MAX_LENGTH = 40


class RedisOrderIndex:
    """Order numbers the bot has seen, and their ids."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.key = store.key("ordernumbers")

    async def remember(self, orders: Sequence[Order]) -> None:
        """HSET number -> id for every order that has both."""
        mapping = {
            order.order_number: order.id
            for order in orders
            if order.order_number
            and order.id
            and len(order.order_number) <= MAX_LENGTH
            and len(order.id) <= MAX_LENGTH
        }
        if mapping:
            await awaited(self.store.redis.hset(self.key, mapping=mapping))

    async def order_id(self, number: str) -> str | None:
        """The id behind ``number`` (a leading ``#`` is ignored), or None when never seen."""
        number = number.strip().lstrip("#")
        if not number or len(number) > MAX_LENGTH:
            return None
        raw = await awaited(self.store.redis.hget(self.key, number))
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)
