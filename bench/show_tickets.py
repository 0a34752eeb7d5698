"""Time of a verified "show my tickets" turn, against a "help" turn in the same run.

Both turns go through the whole core (per-fan Redis lock, state load and save, recognition);
the tickets turn also searches ACME for the fan's orders, fetches each one and builds the QR
replies. The ACME and Ticketmaster simulators answer in-process (no network), so the figures
are Usher's own cost plus the sandbox's. Redis is the real server when reachable
(``USHER_BENCH_REDIS_URL``, default redis://127.0.0.1:6379/14), else the embedded one.

    python -m bench.show_tickets [--turns 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time

import redis.asyncio as redis_asyncio
import redis.exceptions

from adapters.store.store import Store, connect
from bot.app import logs
from bot.app.bootstrap import build
from bot.app.settings import load_settings
from bot.messages import Inbound

REDIS_URL = os.environ.get("USHER_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


class NoMail:
    async def send(self, to: str, subject: str, body: str) -> None:
        return None


async def _store() -> tuple[Store, str]:
    client = redis_asyncio.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (redis.exceptions.ConnectionError, OSError):
        await client.aclose()
        return connect(None), "embedded"
    return Store(client, prefix="usher-bench:"), REDIS_URL


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "p50_ms": round(pick(0.50) * 1000, 3),
        "p95_ms": round(pick(0.95) * 1000, 3),
        "p99_ms": round(pick(0.99) * 1000, 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
    }


async def main(turns: int) -> dict[str, object]:
    store, redis_used = await _store()
    usher = build(load_settings(), mailer=NoMail(), store=store)
    handle = usher.conversation.handle
    fan = ("console", "bench-fan")
    await handle(Inbound(*fan, fan[1], text="my tickets"))
    await handle(Inbound(*fan, fan[1], contact_phone="+14155550134"))
    tickets = Inbound(*fan, fan[1], text="show my tickets")
    help_turn = Inbound(*fan, fan[1], text="help")
    replies = await handle(tickets)
    qr_count = sum(len(r.images) for r in replies)
    timings: dict[str, list[float]] = {"show_tickets": [], "help": []}
    for _ in range(turns):
        for name, event in (("show_tickets", tickets), ("help", help_turn)):
            started = time.perf_counter()
            await handle(event)
            timings[name].append(time.perf_counter() - started)
    if redis_used != "embedded":
        await store.redis.flushdb()
    await usher.aclose()
    show, baseline = _percentiles(timings["show_tickets"]), _percentiles(timings["help"])
    return {
        "benchmark": "show_tickets_turn",
        "turns": turns,
        "redis": redis_used,
        "qr_codes_per_turn": qr_count,
        "show_tickets": show,
        "help_turn": baseline,
        "ratio_p50": round(show["p50_ms"] / baseline["p50_ms"], 2),
    }


if __name__ == "__main__":
    logs.configure("WARNING")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=200)
    print(json.dumps(asyncio.run(main(parser.parse_args().turns)), indent=2))
