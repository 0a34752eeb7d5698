"""Resident memory of one ``usher serve`` process with 10,000 fans' state in Redis.

What runs, as deployed: real Redis; ``usher sandbox`` (the ACME simulator, remote in
production, so its memory is not counted); a fake Telegram Bot API (``bench._bot_api``), and
the process measured: ``usher serve`` with the Telegram webhook, started as
``bench._usher_procs serve`` (``usher serve`` line for line, but with pacer limits of
1,000 messages/s overall and per chat, so that 10,000 fans' turns fit in the benchmark's three
minutes; at Telegram's 30/s they would take 333 s. The limits change how long sends wait, not
what a fan costs the process).

1. One fan asks for their orders and shares their contact through the webhook (real turns);
   their conversation state becomes the template.
2. The other fans' state is written through the store's own code paths
   (``Identity.prove`` for the verified phone, ``RedisStateStore.save`` for the conversation
   state), the four sandbox fans' phones in turn.
3. Every second fan (``--turns-every 2``; 1 for all of them, which takes about three minutes
   on this 2-core machine at 16 ms of CPU per turn) then sends "my orders" through
   ``POST /telegram/webhook`` (a verified turn: ACME search through the cache, the order list,
   a button key per order), and every 25th of them also "show my tickets" (QR photos): 5,000
   fans spread over all 10,000 run a turn in the process, so any per-fan cache or table would
   fill. At most 64 updates are unanswered at any time, so what is
   measured is the process's state, not a backlog of queued updates.

Figures: RSS (``VmRSS`` from ``/proc``) at start (after start-up, before any turn), after each
quarter of the fans, at the end, and the peak (``VmHWM``); the growth per 1,000 fans after the
first quarter (a per-fan cache would show here); turns handled and failed. Target (issue 8):
at most 150 MB per process.

    python -m bench.memory [--fans 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from adapters.store.identity import RedisStateStore
from bench._bot_api import STATS_PATH
from bench._harness import (
    clean_env,
    cpu_seconds,
    free_port,
    rss_mib,
    start,
    stop,
    timed,
    usher,
    wait_up,
)
from bench._webhook import Driver, channel_events
from bench.turns import IDENTITIES, WEBHOOK_SECRET, usher_env
from bot.app import logs
from bot.app.bootstrap import Usher, build
from bot.app.settings import load_settings
from bot.messages import Fan
from bot.turn import CHAT_ID

REDIS_URL = os.environ.get("USHER_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
FIRST_USER = 840_000_000
TICKETS_EVERY = 25
#: Every this-many-th fan runs turns through the process (1: all of them, about 3 minutes).
TURNS_EVERY = 2
#: 150 MB (issue 8) in the MiB that /proc reports.
TARGET_MIB = round(150e6 / 2**20, 1)
SEND_RATE = 1000.0


def peak_mib(pid: int) -> float:
    """Peak resident set size (``VmHWM``) of ``pid`` in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmHWM for process {pid}")


async def run(fans: int, turns_every: int = TURNS_EVERY) -> dict[str, object]:
    """The whole benchmark; its JSON figures."""
    ports = {name: free_port() for name in ("api", "sandbox", "serve")}
    api, sandbox, base = (f"http://127.0.0.1:{ports[n]}" for n in ("api", "sandbox", "serve"))
    env = usher_env(api, sandbox, REDIS_URL)
    procs: dict[str, subprocess.Popen[bytes]] = {
        "api": start("bench._bot_api", ["--port", str(ports["api"])], clean_env()),
        "sandbox": usher(["sandbox", "--port", str(ports["sandbox"])], clean_env()),
    }
    for name in [n for n in os.environ if n.startswith("USHER_")]:
        del os.environ[name]
    os.environ.update(env)
    app = build(load_settings())
    try:
        await app.store.redis.flushdb()
        await wait_up(f"{api}{STATS_PATH}", procs["api"])
        await wait_up(f"{sandbox}/__sandbox__/faults", procs["sandbox"])
        rate = str(SEND_RATE)
        procs["serve"] = start(
            "bench._usher_procs",
            ["serve", "--port", str(ports["serve"]), "--overall", rate, "--per-chat", rate],
            clean_env(**env),
        )
        await wait_up(f"{base}/healthz", procs["serve"])
        pid = procs["serve"].pid
        await asyncio.sleep(1.0)
        figures: dict[str, object] = {"rss_mib_at_start": rss_mib(pid)}
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=8)) as http:
            driver = Driver(http, base, WEBHOOK_SECRET)
            users = [FIRST_USER + i for i in range(fans)]
            template = await _template(driver, RedisStateStore(app.store), users[0])
            written = time.perf_counter()
            await _write_state(app, users[1:], template)
            figures["state_written_s"] = round(time.perf_counter() - written, 1)
            figures.update(await _exercise(driver, users[::turns_every], pid))
            events = await channel_events(http, base)
        figures["rss_mib_peak"] = peak_mib(pid)
        figures["updates_by_outcome"] = events
        figures["redis_keys"] = await app.store.redis.dbsize()
    finally:
        for proc in procs.values():
            stop(proc)
        await app.store.redis.flushdb()
        await app.aclose()
    return _report(fans, figures)


async def _template(driver: Driver, states: RedisStateStore, user: int) -> dict[str, Any]:
    """A real fan's conversation state after "my orders" and sharing their contact."""
    await driver.feed([driver.ids.text(user, "my orders")])
    await driver.feed([driver.ids.contact(user, IDENTITIES[0][1])])
    state = await states.load(Fan("telegram", str(user)))
    if not state:
        raise RuntimeError("the template fan has no state")
    return state


async def _write_state(app: Usher, users: list[int], template: dict[str, Any]) -> None:
    """Each fan's verified phone and conversation state, through the store's code paths."""
    states = RedisStateStore(app.store)
    gate = asyncio.Semaphore(64)

    async def one(user: int) -> None:
        fan = Fan("telegram", str(user))
        phone = "+" + IDENTITIES[(user - FIRST_USER) % len(IDENTITIES)][1]
        async with gate:
            await app.identity.prove(fan, "phone", phone)
            await states.save(fan, {**template, CHAT_ID: str(user)})

    await asyncio.gather(*(one(user) for user in users))


async def _exercise(driver: Driver, users: list[int], pid: int) -> dict[str, object]:
    """The turns of ``users``, a quarter of them at a time; RSS after each quarter (keyed by
    how many of them have had their turns)."""
    checkpoints: dict[str, float] = {}
    quarter = -(-len(users) // 4)
    started, cpu = time.perf_counter(), cpu_seconds(pid)
    turns = 0
    for offset in range(0, len(users), quarter):
        chunk = users[offset : offset + quarter]
        updates = [driver.ids.text(u, "my orders") for u in chunk]
        updates += [
            driver.ids.text(u, "show my tickets")
            for u in chunk
            if (u - users[0]) % TICKETS_EVERY == 0
        ]
        await driver.feed(updates)
        turns += len(updates)
        checkpoints[str(offset + len(chunk))] = rss_mib(pid)
    elapsed = time.perf_counter() - started
    return {
        "fans_with_turns": len(users),
        "rss_mib_after_fans": checkpoints,
        "exercise_turns": turns,
        "exercise_s": round(elapsed, 1),
        "turns_per_s": round(turns / elapsed, 1),
        "serve_cpu_ms_per_turn": round((cpu_seconds(pid) - cpu) / turns * 1000, 2),
    }


def _report(fans: int, figures: dict[str, object]) -> dict[str, object]:
    checkpoints = figures["rss_mib_after_fans"]
    assert isinstance(checkpoints, dict)
    points = sorted((int(k), float(v)) for k, v in checkpoints.items())
    first, last = points[0], points[-1]
    growth = (last[1] - first[1]) / ((last[0] - first[0]) / 1000) if last[0] > first[0] else 0.0
    end = last[1]
    return {
        "benchmark": "memory",
        "fans": fans,
        "process": "usher serve (bench._usher_procs serve: usher serve + a 1,000/s pacer)",
        "redis": REDIS_URL,
        **figures,
        "rss_mib_at_end": end,
        "growth_mib_per_1000_fans_after_first_quarter": round(growth, 2),
        "target": "at most 150 MB (143.1 MiB) per process",
        "met": end <= TARGET_MIB,
        "peak_within_target": float(str(figures["rss_mib_peak"])) <= TARGET_MIB,
    }


def main() -> None:
    """Parse the options, run, print the JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fans", type=int, default=10_000)
    parser.add_argument("--turns-every", type=int, default=TURNS_EVERY)
    options = parser.parse_args()
    logs.configure("WARNING")
    print(json.dumps(timed(run(options.fans, options.turns_every)), indent=2))


if __name__ == "__main__":
    main()
