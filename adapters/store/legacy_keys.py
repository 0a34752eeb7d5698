"""The fans' keys as they were named before the hash tags, read once and moved.

Until this release a fan's keys were ``state:telegram:42``; they are now
``state:{telegram:42}`` (``Store.fan_key``), so that one fan's keys share a Redis Cluster slot.
Renaming them outright would have logged every fan out (their proofs) and dropped every
conversation on the day of the upgrade, so the old names are still read, once per fan:

* the fan's first turn (or state read) finds no state under the new name and reads the old
  state and history instead; the turn then saves them under the new names;
* the fan's proofs are moved, the first time they are read and none are under the new name:
  copied to the new key with their expiry, the old key deleted;
* "forget me" (proofs and code) and a signed-out web session (state and history) delete the
  old names too, so nothing the fan asked to drop survives under them.

Pending one-time codes (10 minutes), turn locks and buckets (seconds) and replay records (an
hour) are not carried over: they are short-lived by nature. Everything under the old names
has expired 30 days after the upgrade (the state's own life); this module can go then.
"""

from __future__ import annotations

from adapters.store.store import Store, awaited
from bot.messages import Fan


class LegacyKeys:
    """Reads, moves and deletes a fan's keys under their names of before."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis

    def _old(self, kind: str, fan: Fan) -> str:
        return self.store.key(kind, fan.key)

    async def state(self, fan: Fan) -> tuple[bytes | None, bytes | None]:
        """The state and history saved under the old names (None where absent)."""
        raw_state, raw_history = await self.redis.mget(
            [self._old("state", fan), self._old("history", fan)]
        )
        return raw_state, raw_history

    async def everything(self, fan: Fan) -> tuple[bytes | None, bytes | None, dict[bytes, bytes]]:
        """State, history and proof hash under the old names, in one round trip; the proofs
        are moved to the new name when there are any (one more)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.mget([self._old("state", fan), self._old("history", fan)])
            pipe.hgetall(self._old("proof", fan))
            (raw_state, raw_history), raw_proofs = await pipe.execute()
        if raw_proofs:
            await self._move_proofs(fan, raw_proofs)
        return raw_state, raw_history, raw_proofs

    async def move_proofs(self, fan: Fan) -> dict[bytes, bytes]:
        """The proof hash under the old name (field ``kind:value`` -> expiry), moved to the
        new name with its expiry; empty when there is none."""
        raw: dict[bytes, bytes] = await awaited(self.redis.hgetall(self._old("proof", fan)))
        if raw:
            await self._move_proofs(fan, raw)
        return raw

    async def _move_proofs(self, fan: Fan, raw: dict[bytes, bytes]) -> None:
        old = self._old("proof", fan)
        new = self.store.fan_key("proof", fan)
        last = max(int(float(expires)) for expires in raw.values()) + 1
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(new, mapping=dict(raw))
            pipe.expireat(new, last)
            pipe.delete(old)
            await pipe.execute()

    async def forget_proofs(self, fan: Fan) -> None:
        """Delete the proofs and code under the old names."""
        await self.redis.delete(self._old("proof", fan), self._old("otp", fan))

    async def forget_state(self, fan: Fan) -> None:
        """Delete the state and history under the old names."""
        await self.redis.delete(self._old("state", fan), self._old("history", fan))
