"""How much work is waiting, for the ``usher_queue_depth`` gauge on ``/metrics``.

Read at scrape time (a few O(1) Redis calls), so the gauge is right whichever process is
scraped: the queues live in Redis, not in any process.
"""

from __future__ import annotations

from adapters.store.job_queue import queue_name
from adapters.store.store import Store, awaited
from adapters.store.streams import GROUP_STREAMS


async def queue_depths(store: Store) -> dict[str, int]:
    """``{"jobs": n, "handoff": n, "telegram_inbox": n}``."""
    depths = {"jobs": int(await awaited(store.redis.zcard(queue_name(store))))}
    for label, parts in GROUP_STREAMS.items():
        depths[label] = int(await awaited(store.redis.xlen(store.key(*parts))))
    return depths
