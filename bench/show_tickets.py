"""Time of a verified "show my tickets" turn, against a "help" turn in the same run.

Both turns go through the whole core (per-fan Redis lock, state load and save, recognition);
the tickets turn also searches ACME for the fan's orders, fetches each one and builds the QR
replies. The ACME and Ticketmaster simulators answer in-process (no network), so the figures
are Usher's own cost plus the sandbox's. Redis is the real server when reachable
(``USHER_BENCH_REDIS_URL``, default redis://127.0.0.1:6379/14), else the embedded one.

It also reports the first turn of a fresh process against its tenth, with and without the
start-up warm-up (``bot.app.warmup``): each sample is a new process (``--probe``), the two
kinds alternating, so both sides see the same machine.

And, for Telegram, how many Bot API calls a ticket reply takes (``telegram``): each fan's
answer is sent through the real sender (PTB, paced) to the test suite's fake Bot API on
loopback, and the calls counted per event against the target, one text message plus one album
per ten codes (``1 + ceil(tickets / 10)``), next to what one message per code would have taken.

    python -m bench.show_tickets [--turns 200] [--processes 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time

import redis.asyncio as redis_asyncio
import redis.exceptions

from adapters.store.store import Store, connect
from bot.app import logs
from bot.app.bootstrap import build
from bot.app.settings import load_settings
from bot.app.warmup import warm_up
from bot.messages import Fan, Inbound

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


#: (who, what they type): a fan verified by phone (Alex, tickets for several events) and a
#: group organiser verified by email (Lena, twelve jazz tickets).
TELEGRAM_CASES = (
    ("alex", "+14155550134", "my tickets"),
    ("alex", "+14155550134", "tickets for the jazz concert"),
    ("lena", "lena.park@example.com", "tickets for the jazz concert"),
    ("lena", "lena.park@example.com", "my tickets"),
)
SENDS = ("sendMessage", "sendPhoto", "sendMediaGroup")
UNTHROTTLED = {"turn_rate": 6000.0, "turn_burst": 1000}


async def telegram_calls() -> dict[str, object]:
    """Bot API calls per ticket reply, through the real Telegram sender and a fake Bot API."""
    from adapters.store.pacing import Limits, Rate
    from adapters.telegram.app import TelegramConfig, build_application
    from adapters.telegram.bot import TelegramBot
    from tests.support.fake_telegram import TOKEN, FakeTelegram
    from tests.support.servers import serve_in_loop

    fake = FakeTelegram()
    usher = build(load_settings(), mailer=NoMail(), store=connect(None))
    unpaced = Limits(overall=Rate(1000.0, burst=100), per_chat=Rate(1000.0, burst=100))
    cases: list[dict[str, object]] = []
    async with serve_in_loop(fake.app) as url:
        fake.url = url
        config = TelegramConfig(token=TOKEN, api_url=url)
        bot = TelegramBot(
            build_application(config),
            config,
            usher.conversation.handle,
            usher.store,
            limits=unpaced,
        )
        await bot.start()
        try:
            for number, (user, proof, text) in enumerate(TELEGRAM_CASES):
                fan = Fan("telegram", str(5_550_000 + number))
                if "@" in proof:
                    await usher.identity.prove(fan, "email", proof)
                else:
                    await usher.identity.prove(fan, "phone", proof)
                inbound = Inbound(fan.channel, fan.user_id, fan.user_id, text=text)
                replies = await usher.conversation.handle(inbound)
                before = len(fake.calls)
                await bot.sender.send(fan.user_id, replies, lang="en")
                calls = [c for c in fake.calls[before:] if c.method in SENDS]
                codes = sum(len(reply.images) for reply in replies)
                events = sum(1 for reply in replies if reply.images)
                target = sum(1 + -(-len(reply.images) // 10) for reply in replies if reply.images)
                texts = sum(1 for c in calls if c.method == "sendMessage")
                cases.append(
                    {
                        "fan": user,
                        "text": text,
                        "events_shown": events,
                        "qr_codes": codes,
                        "bot_api_calls": len(calls),
                        "calls": [c.method for c in calls],
                        "target_at_most": target,
                        "met": len(calls) <= target,
                        "one_message_per_code_would_take": texts + codes,
                    }
                )
        finally:
            await bot.stop()
            await usher.aclose()
    return {"cases": cases, "all_met": all(bool(case["met"]) for case in cases)}


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
    # One fan takes 400 turns in a row here: the per-fan turn bucket (USHER_TURN_RATE) would
    # answer most of them with silence and the figures would measure the throttle.
    usher = build(load_settings(**UNTHROTTLED), mailer=NoMail(), store=store)
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


async def probe(warm: bool) -> dict[str, float]:
    """In a fresh process: the first and the tenth "where are my tickets?" of new fans (ms)."""
    usher = build(load_settings(), mailer=NoMail())
    if warm:
        await warm_up(usher)
    times = []
    for n in range(10):
        started = time.perf_counter()
        await usher.conversation.handle(Inbound("console", f"new-{n}", f"new-{n}", text="my tix?"))
        times.append((time.perf_counter() - started) * 1000)
    await usher.aclose()
    return {"first_ms": round(times[0], 2), "tenth_ms": round(times[-1], 2)}


def first_turns(processes: int) -> dict[str, object]:
    """``probe`` in ``processes`` new processes per side, alternating cold and warm."""
    samples: dict[str, list[dict[str, float]]] = {"cold": [], "warm": []}
    for _ in range(processes):
        for side in ("cold", "warm"):
            done = subprocess.run(
                [sys.executable, "-m", "bench.show_tickets", "--probe", side],
                capture_output=True,
                text=True,
                check=True,
            )
            samples[side].append(json.loads(done.stdout.strip().splitlines()[-1]))
    summary: dict[str, object] = {"processes_per_side": processes}
    for side, runs in samples.items():
        first = statistics.median(r["first_ms"] for r in runs)
        tenth = statistics.median(r["tenth_ms"] for r in runs)
        summary[side] = {
            "first_turn_p50_ms": round(first, 2),
            "tenth_turn_p50_ms": round(tenth, 2),
            "first_over_tenth": round(first / tenth, 2),
        }
    return summary


if __name__ == "__main__":
    logs.configure("WARNING")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--processes", type=int, default=5)
    parser.add_argument("--probe", choices=("cold", "warm"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(asyncio.run(probe(args.probe == "warm"))))
    else:
        figures = asyncio.run(main(args.turns))
        figures["telegram"] = asyncio.run(telegram_calls())
        figures["first_turn_of_a_fresh_process"] = first_turns(args.processes)
        print(json.dumps(figures, indent=2))
