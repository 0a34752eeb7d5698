"""Redis stream of fans waiting for a person (``handoff``), read by the support console."""

from __future__ import annotations

import json
import time

from adapters.store import Store
from bot.messages import Fan

#: The stream keeps the newest requests only; older ones have long been answered.
MAX_LENGTH = 10_000


class RedisHandoffQueue:
    """Appends requests to the ``handoff`` stream."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def request(self, fan: Fan, chat_id: str, lang: str, history: list[str]) -> None:
        """XADD one request with the conversation so far."""
        await self.store.redis.xadd(
            self.store.key("handoff"),
            {
                "fan": fan.key,
                "chat_id": chat_id,
                "lang": lang,
                "history": json.dumps(history[-20:]),
                "at": f"{time.time():.3f}",
            },
            maxlen=MAX_LENGTH,
            approximate=True,
        )
