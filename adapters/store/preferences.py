"""Redis implementation of ``bot.preferences.Preferences``.

Keys (under the store prefix):

* ``prefs:reminders-off``  set of fan keys who said "stop reminders" (reminders are opt-out)
* ``prefs:offers``         sorted set of fan keys who asked for offers, every score 0, so
                           ``ZRANGEBYLEX`` walks them in a stable order from any cursor
* ``prefs:offers:since``   hash fan key -> when they opted in (evidence of consent)
"""

from __future__ import annotations

import time
from collections.abc import Callable

from adapters.store.store import Store, awaited
from bot.messages import Fan


class RedisPreferences:
    """Reminder opt-outs and offer opt-ins."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.redis = store.redis
        self.clock = clock
        self._reminders_off = store.key("prefs", "reminders-off")
        self._offers = store.key("prefs", "offers")
        self._since = store.key("prefs", "offers", "since")

    async def reminders_on(self, fan: Fan) -> bool:
        """True unless the fan opted out."""
        return not await awaited(self.redis.sismember(self._reminders_off, fan.key))

    async def set_reminders(self, fan: Fan, on: bool) -> None:
        """Remove or add the opt-out."""
        if on:
            await awaited(self.redis.srem(self._reminders_off, fan.key))
        else:
            await awaited(self.redis.sadd(self._reminders_off, fan.key))

    async def offers_on(self, fan: Fan) -> bool:
        """True when the fan is in the opt-in set."""
        return await self.redis.zscore(self._offers, fan.key) is not None

    async def set_offers(self, fan: Fan, on: bool) -> None:
        """Opt in (recording when) or out."""
        async with self.redis.pipeline(transaction=True) as pipe:
            if on:
                pipe.zadd(self._offers, {fan.key: 0})
                pipe.hsetnx(self._since, fan.key, repr(self.clock()))
            else:
                pipe.zrem(self._offers, fan.key)
                pipe.hdel(self._since, fan.key)
            await pipe.execute()

    async def offer_fans(self, after: str, limit: int) -> list[Fan]:
        """Opted-in fans whose key sorts after ``after`` ("" for the first), at most ``limit``."""
        low = f"({after}" if after else "-"
        keys = await self.redis.zrangebylex(self._offers, low, "+", start=0, num=limit)
        return [Fan.from_key(key.decode()) for key in keys]
