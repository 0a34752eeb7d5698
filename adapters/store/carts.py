"""Redis implementation of ``bot.buying.carts.CartRecordStore``.

Keys: ``cart:{id}`` (the record as JSON, expiring with the cart), ``carts:due`` (sorted set of
cart ids scored by when the unpaid cart is to be deleted), ``carts:sweep`` (a short claim so
only one process sweeps at a time) and ``checkout:order:{order id}`` (the claim that makes an
order's confirmation, and so the fan's message, happen once). Taking a due id is a ``ZREM``,
which exactly one caller wins, so two sweepers never delete the same cart twice.
"""

from __future__ import annotations

import json

from adapters.store.store import Store, awaited
from bot.buying.carts import CartRecord


class RedisCartStore:
    """Cart records and their deletion schedule in Redis."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis
        self.due_key = store.key("carts", "due")

    def _key(self, cart_id: str) -> str:
        return self.store.key("cart", cart_id)

    async def save(self, record: CartRecord, *, due: float, ttl: float) -> None:
        """Store the record for ``ttl`` seconds and schedule the cart's deletion."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(record.cart_id), json.dumps(record.to_json()), px=int(ttl * 1000))
            pipe.zadd(self.due_key, {record.cart_id: due})
            await pipe.execute()

    async def get(self, cart_id: str) -> CartRecord | None:
        """The record, or None."""
        raw = await self.redis.get(self._key(cart_id))
        return None if raw is None else CartRecord.from_json(json.loads(raw))

    async def drop(self, cart_id: str) -> None:
        """Forget the record and its schedule."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key(cart_id))
            pipe.zrem(self.due_key, cart_id)
            await pipe.execute()

    async def finish(self, record: CartRecord, *, ttl: float) -> None:
        """Keep the paid cart's record; ACME consumed the cart, so nothing is left to delete."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(record.cart_id), json.dumps(record.to_json()), px=int(ttl * 1000))
            pipe.zrem(self.due_key, record.cart_id)
            await pipe.execute()

    async def claim_order(self, order_id: str, *, ttl: float) -> bool:
        """SET NX on the order id: the first confirmation wins."""
        return await self.store.claim(self.store.key("checkout", "order", order_id), ttl=ttl)

    async def release_order(self, order_id: str) -> None:
        """Let a later confirmation of the order try again."""
        await self.store.release(self.store.key("checkout", "order", order_id))

    async def take_due(self, now: float, limit: int) -> list[str]:
        """Due cart ids, each unscheduled by exactly one caller."""
        due = await awaited(self.redis.zrangebyscore(self.due_key, "-inf", now, start=0, num=limit))
        taken = []
        for raw in due:
            cart_id = raw.decode()
            if await awaited(self.redis.zrem(self.due_key, cart_id)):
                taken.append(cart_id)
        return taken

    async def schedule(self, cart_id: str, at: float) -> None:
        """(Re)schedule a deletion."""
        await awaited(self.redis.zadd(self.due_key, {cart_id: at}))

    async def claim_sweep(self, ttl: float) -> bool:
        """One sweeper per ``ttl`` seconds."""
        return await self.store.claim(self.store.key("carts", "sweep"), ttl=ttl)
