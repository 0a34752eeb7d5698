"""Verified Telegram turns against a bare python-telegram-bot echo bot, at 1 and 200 fans.

Both bots are real PTB 22 ``Application`` objects built without an updater, as ``usher serve``
builds its bot, and both talk to the *same* fake Bot API over loopback HTTP (``bench._bot_api``,
a process of its own, as Telegram is another machine). Every update is real Update JSON (the
samples in ``tests/data/telegram`` with the fan's ids) and goes through ``Update.de_json`` and
``Application.process_update``: what Usher's webhook route does with a POSTed update (the HTTP
hop into the bot is left out for both bots).

* **Usher** (in this process): ``TelegramBot`` as ``bot.bootstrap.telegram_bot`` builds it
  (de-duplication claim, "typing…", the conversation core under the fan's Redis lock, replies
  rendered, QR codes drawn as PNGs, button keys stored, every message through the shared Redis
  pacer), real Redis, and the ACME simulator served by ``usher sandbox`` in a process of its
  own (ACME is remote in production). Every simulated fan first verifies a phone by sharing
  their contact (real turns), the four sandbox fans' numbers in turn, so a ticket reply ranges
  from three messages (two QR photos) to ten (seven QR photos).
* **Echo** (``bench._echo_bot``, a process of its own per series): a ``MessageHandler`` that
  answers ``reply_text(text)``: one ``sendMessage``.

Turn time: from the raw update to the end of ``process_update``, which returns once the bot's
last Bot API call for that update has been answered. Turns: "my orders" (find my order: the
order list with buttons) and "show my tickets" (QR photos). One fan at a time (100 turns, the
fans in turn), then 200 fans at once in a closed loop (each fan sends its next turn when the
last was answered; 3 turns each, after one unmeasured round on a fresh HTTP pool: see
``concurrent``).

Pacing: every fan has a chat of its own, and the pacer is given limits it never reaches
(10,000/s overall and per chat; see ``limits`` in the JSON), so the figures are the cost of a
turn, not Telegram's waiting (production: 30/s per bot, 1/s per chat with a burst of 3, so a
ten-message ticket reply takes at least 7 s by design). The pacer still makes its Redis call
for every message.

The ACME answer cache works as in production (searches 30 s, orders 60 s); the simulated fans
share four sandbox identities, so most ACME calls are cache hits. A second one-fan series
empties the ACME cache before every turn (``concurrency_1_cold_acme_cache``). A third one has
the fake Bot API answer every call 50 ms late (``concurrency_1_bot_api_50ms_away``): on
loopback a Bot API call costs about 1 ms, so the first series weigh Usher's own work against
next to nothing; this one shows the ratios with a round trip to a Telegram data centre.

Figures per series: p50/p95/p99 of both bots, the ratios (targets, issue 8: a verified turn at
most 2.0x the echo bot's time at p50 and 3.0x at p99), messages and Bot API calls per turn,
Redis round trips and ACME calls per turn, time in the conversation core, throughput, and CPU
per turn of each bot's process.

    python -m bench.turns [--fans 200] [--sequential 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import redis.asyncio as redis_asyncio
from prometheus_client import REGISTRY

from adapters.sandbox.config import DEFAULT_ACME_API_KEY, DEFAULT_ACME_TENANT_ID, DEFAULT_TM_API_KEY
from adapters.telegram import TelegramBot
from bench._bot_api import LATENCY_PATH, STATS_PATH
from bench._echo_bot import UpdateIds, closed_loop, turn
from bench._harness import (
    ROOT,
    SECRET_KEY,
    clean_env,
    cpu_seconds,
    free_port,
    latency_ms,
    start,
    stop,
    usher,
    wait_up,
)
from bench._usher_procs import limits_from, telegram_bot
from bot import logs
from bot.bootstrap import Usher, build
from bot.messages import Fan, Inbound, Reply
from bot.settings import load_settings
from tests.support.fake_telegram import TOKEN

REDIS_URL = os.environ.get("USHER_BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
FIRST_USER = 820_000_000
#: The sandbox fans whose phones the simulated fans share (Telegram's form: no "+").
IDENTITIES = (
    ("alex", "14155550134"),
    ("priya", "16175550199"),
    ("marcus", "12125550147"),
    ("sofia", "442079460958"),
)
TURNS = {"find_order": "my orders", "show_tickets": "show my tickets"}
#: Never reached: the figures are the turn's cost, not Telegram's pacing.
UNREACHED = 10_000.0
TARGET_P50, TARGET_P99 = 2.0, 3.0
#: Fans verified at once during set-up (few, so the HTTP pools stay small for the 1-fan series).
SETUP_CONCURRENCY = 8
WARM_UP_TURNS = 20
#: A third one-fan series has the fake Bot API answer every call after this many seconds, as a
#: Telegram data centre some way off would (the loopback round trip is about 1 ms).
DISTANT_API = 0.05
DISTANT_TURNS = 30
#: The echo bot's update ids start here (it does not de-duplicate; Usher's start at 1).
ECHO_UPDATES = 500_000_000

Handle = Callable[[Inbound], Awaitable[list[Reply]]]


@dataclass
class CoreTimer:
    """Wraps the conversation core the Telegram bot calls, timing each turn in it."""

    handle: Handle
    samples: list[float] = field(default_factory=list)

    async def __call__(self, inbound: Inbound) -> list[Reply]:
        """Run the core's turn, keeping its duration."""
        started = time.perf_counter()
        try:
            return await self.handle(inbound)
        finally:
            self.samples.append(time.perf_counter() - started)


@dataclass
class RoundTrips:
    """Counts one Redis client's round trips: each command, and each pipeline as one."""

    count: int = 0

    def watch(self, client: Any) -> None:
        """Wrap the client's ``execute_command`` and ``pipeline`` (on the instance only)."""
        execute, pipeline = client.execute_command, client.pipeline

        async def counted(*args: Any, **options: Any) -> Any:
            self.count += 1
            return await execute(*args, **options)

        def counted_pipeline(*args: Any, **options: Any) -> Any:
            self.count += 1
            return pipeline(*args, **options)

        client.execute_command = counted
        client.pipeline = counted_pipeline


def _metric(name: str, labels: dict[str, str]) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for family in REGISTRY.collect():
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                total += sample.value
    return total


@dataclass
class World:
    """Everything the series share."""

    usher: Usher
    bot: TelegramBot
    core: CoreTimer
    api: str
    http: httpx.AsyncClient
    fans: list[int]
    trips: RoundTrips
    admin: redis_asyncio.Redis
    ids: UpdateIds = field(default_factory=UpdateIds)
    echo_updates: int = ECHO_UPDATES

    def identity(self, user: int) -> str:
        """The sandbox fan whose phone ``user`` verified."""
        return IDENTITIES[(user - FIRST_USER) % len(IDENTITIES)][0]

    async def api_stats(self) -> dict[str, Any]:
        """The fake Bot API's counters."""
        stats: dict[str, Any] = (await self.http.get(f"{self.api}{STATS_PATH}")).json()
        return stats

    async def drop_acme_cache(self) -> None:
        """Empty Usher's ACME answer cache (through a Redis client of our own: not counted)."""
        pattern = self.usher.store.key("cache", "acme", "*")
        keys = [k async for k in self.admin.scan_iter(match=pattern)]
        if keys:
            await self.admin.delete(*keys)

    async def echo(self, text: str, *, rounds: int = 0, sequential: int = 0) -> dict[str, Any]:
        """One series of the echo bot, in a process of its own: samples, CPU and wall time."""
        args = ["--api", self.api, "--text", text, "--first-user", str(FIRST_USER)]
        args += ["--fans", str(len(self.fans)), "--first-update", str(self.echo_updates)]
        args += ["--rounds", str(rounds), "--sequential", str(sequential)]
        self.echo_updates += 10_000_000
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench._echo_bot",
            *args,
            cwd=ROOT,
            env=clean_env(),
            stdout=subprocess.PIPE,
        )
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"echo bot series failed ({proc.returncode})")
        result: dict[str, Any] = json.loads(out)
        return result


@dataclass
class Series:
    """One measured series of Usher turns and the echo bot's matching series."""

    usher: list[float]
    usher_cpu: float
    usher_wall: float
    echo: dict[str, Any]
    core: list[float]
    messages: dict[str, int]
    turns_by_fan: dict[str, int]
    calls: int
    trips: int
    acme_calls: float
    search_hits: float
    search_lookups: float
    failed: int

    def figures(self) -> dict[str, object]:
        """The series as JSON figures."""
        mine, theirs = latency_ms(self.usher), latency_ms(self.echo["samples"])
        turns = len(self.usher)
        echo_turns = len(self.echo["samples"])
        return {
            "usher": mine,
            "echo": theirs,
            "ratio_p50": round(mine["p50_ms"] / theirs["p50_ms"], 2),
            "ratio_p99": round(mine["p99_ms"] / theirs["p99_ms"], 2),
            "messages_per_turn": round(sum(self.messages.values()) / turns, 2),
            "messages_per_turn_by_sandbox_fan": {
                name: round(self.messages.get(name, 0) / count, 2)
                for name, count in self.turns_by_fan.items()
            },
            "bot_api_calls_per_turn": round(self.calls / turns, 2),
            "echo_messages_per_turn": 1,
            "redis_round_trips_per_turn": round(self.trips / turns, 1),
            "acme_http_calls_per_turn": round(self.acme_calls / turns, 2),
            "acme_search_cache_hit_ratio": (
                round(self.search_hits / self.search_lookups, 3) if self.search_lookups else None
            ),
            "core_turn_p50_ms": latency_ms(self.core)["p50_ms"],
            "throughput_turns_per_s": {
                "usher": round(turns / self.usher_wall, 1),
                "echo": round(echo_turns / self.echo["wall_s"], 1),
            },
            "cpu_ms_per_turn": {
                "usher": round(self.usher_cpu / turns * 1000, 2),
                "echo": round(self.echo["cpu_s"] / echo_turns * 1000, 2),
            },
            "failed_turns": self.failed,
        }


async def _measure(
    world: World,
    run_usher: Callable[[], Awaitable[tuple[list[float], float]]],
    run_echo: Callable[[], Awaitable[dict[str, Any]]],
    turns_of: Counter[int],
) -> Series:
    """Run Usher's series (counting what it sent and used), then the echo bot's.

    ``run_usher`` returns the samples and CPU seconds to leave out (bench work inside the
    series); ``turns_of``: how many turns each fan (user id) takes in it.
    """
    before = await world.api_stats()
    ok = _metric("usher_turns_total", {"channel": "telegram", "outcome": "ok"})
    acme = _metric("usher_upstream_seconds_count", {"service": "acme"})
    hits = _metric("usher_cache_total", {"cache": "acme_search", "result": "hit"})
    lookups = _metric("usher_cache_total", {"cache": "acme_search"})
    trips = world.trips.count
    world.core.samples.clear()
    cpu, wall = cpu_seconds(), time.perf_counter()
    samples, excluded = await run_usher()
    usher_cpu, usher_wall = cpu_seconds() - cpu - excluded, time.perf_counter() - wall
    trips = world.trips.count - trips
    core = list(world.core.samples)
    after = await world.api_stats()
    messages: Counter[str] = Counter()
    turns: Counter[str] = Counter()
    for user, count in turns_of.items():
        name = world.identity(user)
        chat = str(user)
        messages[name] += after["per_chat"].get(chat, 0) - before["per_chat"].get(chat, 0)
        turns[name] += count
    return Series(
        usher=samples,
        usher_cpu=usher_cpu,
        usher_wall=usher_wall,
        echo=await run_echo(),
        core=core,
        messages=dict(messages),
        turns_by_fan=dict(turns),
        calls=sum(after["methods"].values()) - sum(before["methods"].values()),
        trips=trips,
        acme_calls=_metric("usher_upstream_seconds_count", {"service": "acme"}) - acme,
        search_hits=_metric("usher_cache_total", {"cache": "acme_search", "result": "hit"}) - hits,
        search_lookups=_metric("usher_cache_total", {"cache": "acme_search"}) - lookups,
        failed=len(samples)
        - int(_metric("usher_turns_total", {"channel": "telegram", "outcome": "ok"}) - ok),
    )


async def sequential(world: World, text: str, turns: int, *, cold: bool = False) -> Series:
    """One fan at a time (the fans in turn); ``cold``: no ACME answer cached at any turn."""
    app = world.bot.application
    fans = [world.fans[i % len(world.fans)] for i in range(turns)]

    async def run_usher() -> tuple[list[float], float]:
        samples, excluded = [], 0.0
        for user in fans:
            if cold:
                cpu = cpu_seconds()
                await world.drop_acme_cache()
                excluded += cpu_seconds() - cpu
            samples.append(await turn(app, world.ids.text(user, text)))
        return samples, excluded

    async def run_echo() -> dict[str, Any]:
        return await world.echo(text, sequential=turns)

    return await _measure(world, run_usher, run_echo, Counter(fans))


async def concurrent(world: World, text: str, rounds: int) -> Series:
    """Every fan at once, each sending its next turn as soon as the last was answered.

    Right before the series Usher's bot gets a new HTTP connection pool and one unmeasured
    round, and so does the echo bot (a fresh process): each series runs on live connections,
    as under sustained load. Without this, a burst on a pool whose 200 connections went idle
    meanwhile costs a PTB bot several times its usual CPU per request in httpcore's pool
    bookkeeping (quadratic in the number of connections): an artefact of the series' order.
    """
    app = world.bot.application

    async def run_usher() -> tuple[list[float], float]:
        return await closed_loop(app, world.ids, world.fans, text, rounds), 0.0

    async def run_echo() -> dict[str, Any]:
        return await world.echo(text, rounds=rounds)

    await app.bot.shutdown()  # closes the bot's HTTP pool; initialize() opens a new one
    await app.bot.initialize()
    await closed_loop(app, world.ids, world.fans, text, 1)
    return await _measure(world, run_usher, run_echo, Counter(dict.fromkeys(world.fans, rounds)))


async def verify_fans(world: World) -> float:
    """Each fan asks for their orders, then shares their contact (real turns); seconds."""
    started = time.perf_counter()
    app = world.bot.application
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def one(user: int) -> None:
        phone = IDENTITIES[(user - FIRST_USER) % len(IDENTITIES)][1]
        async with gate:
            await turn(app, world.ids.text(user, "my orders"))
            await turn(app, world.ids.contact(user, phone))

    await asyncio.gather(*(one(user) for user in world.fans))
    for user in world.fans:
        if not (await world.usher.identity.verified(Fan("telegram", str(user)))).phones:
            raise RuntimeError(f"fan {user} did not get verified")
    return time.perf_counter() - started


def _settings_env(api: str, sandbox: str) -> dict[str, str]:
    return {
        "USHER_REDIS_URL": REDIS_URL,
        "USHER_ACME_BASE_URL": sandbox,
        "USHER_ACME_API_KEY": DEFAULT_ACME_API_KEY,
        "USHER_ACME_TENANT_ID": str(DEFAULT_ACME_TENANT_ID),
        "USHER_TM_BASE_URL": sandbox,
        "USHER_TM_API_KEY": DEFAULT_TM_API_KEY,
        "USHER_SECRET_KEY": SECRET_KEY,
        # Required outside the sandbox; never used (fans verify by sharing their contact).
        "USHER_SMTP_URL": "smtp://127.0.0.1:9",
        "USHER_PUBLIC_URL": "https://usher.example.com",
        "USHER_TELEGRAM_TOKEN": TOKEN,
        "USHER_TELEGRAM_API_URL": api,
        "USHER_TELEGRAM_WEBHOOK_SECRET": "bench-webhook-secret",
    }


async def run(fans: int, sequential_turns: int, rounds: int) -> dict[str, object]:
    """The whole benchmark: processes up, fans verified, the series run; the JSON figures."""
    api_port, sandbox_port = free_port(), free_port()
    api, sandbox = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{sandbox_port}"
    procs = {
        "fake_bot_api": start("bench._bot_api", ["--port", str(api_port)], clean_env()),
        "usher_sandbox": usher(["sandbox", "--port", str(sandbox_port)], clean_env()),
    }
    for name in [n for n in os.environ if n.startswith("USHER_")]:
        del os.environ[name]
    os.environ.update(_settings_env(api, sandbox))
    app = build(load_settings())
    bot = telegram_bot(app, limits_from(UNREACHED, UNREACHED, 1000))
    core = CoreTimer(bot.handle)
    bot.handle = core
    admin = redis_asyncio.Redis.from_url(REDIS_URL)
    trips = RoundTrips()
    trips.watch(app.store.redis)
    try:
        await wait_up(f"{api}{STATS_PATH}", procs["fake_bot_api"])
        await wait_up(f"{sandbox}/__sandbox__/faults", procs["usher_sandbox"])
        await admin.flushdb()
        await bot.start()
        async with httpx.AsyncClient(timeout=30) as http:
            users = [FIRST_USER + i for i in range(fans)]
            world = World(app, bot, core, api, http, users, trips, admin)
            return await _all_series(world, procs, sequential_turns, rounds)
    finally:
        await bot.stop()
        await admin.flushdb()
        await admin.aclose()
        await app.aclose()
        for proc in procs.values():
            stop(proc)


async def _all_series(
    world: World, procs: dict[str, subprocess.Popen[bytes]], sequential_turns: int, rounds: int
) -> dict[str, object]:
    setup = await verify_fans(world)
    for text in TURNS.values():  # warm-up: caches filled, every code path run once
        for i in range(WARM_UP_TURNS):
            await turn(world.bot.application, world.ids.text(world.fans[i], text))
    cpu_before = {name: cpu_seconds(proc.pid) for name, proc in procs.items()}
    started = time.perf_counter()
    one = {k: (await sequential(world, t, sequential_turns)).figures() for k, t in TURNS.items()}
    cold_turns = max(20, sequential_turns // 2)
    cold = {
        k: (await sequential(world, t, cold_turns, cold=True)).figures() for k, t in TURNS.items()
    }
    await world.http.post(f"{world.api}{LATENCY_PATH}", params={"seconds": str(DISTANT_API)})
    distant = {k: (await sequential(world, t, DISTANT_TURNS)).figures() for k, t in TURNS.items()}
    await world.http.post(f"{world.api}{LATENCY_PATH}", params={"seconds": "0"})
    many = {k: (await concurrent(world, t, rounds)).figures() for k, t in TURNS.items()}
    others = {
        name: round(cpu_seconds(proc.pid) - cpu_before[name], 1) for name, proc in procs.items()
    }
    return _report(
        len(world.fans),
        sequential_turns,
        rounds,
        setup,
        {
            "concurrency_1": one,
            "concurrency_1_cold_acme_cache": cold,
            f"concurrency_1_bot_api_{round(DISTANT_API * 1000)}ms_away": distant,
            f"concurrency_{len(world.fans)}": many,
        },
        others,
        time.perf_counter() - started,
    )


def _verdict(figures: dict[str, object]) -> dict[str, object]:
    p50, p99 = figures["ratio_p50"], figures["ratio_p99"]
    assert isinstance(p50, float)
    assert isinstance(p99, float)
    return {
        "ratio_p50": p50,
        "p50_met": p50 <= TARGET_P50,
        "ratio_p99": p99,
        "p99_met": p99 <= TARGET_P99,
    }


def _report(
    fans: int,
    sequential_turns: int,
    rounds: int,
    setup: float,
    levels: dict[str, dict[str, dict[str, object]]],
    others_cpu: dict[str, float],
    elapsed: float,
) -> dict[str, object]:
    return {
        "benchmark": "telegram_turns",
        "fans": fans,
        "sandbox_identities": [name for name, _ in IDENTITIES],
        "redis": REDIS_URL,
        "turn_time": "raw update -> Update.de_json -> process_update returns (its last Bot API"
        " call answered); both bots on the same fake Bot API process",
        "limits": {
            "usher_pacer": {
                "overall_per_s": UNREACHED,
                "per_chat_per_s": UNREACHED,
                "note": "never reached; every fan has its own chat; production: 30/s overall,"
                " 1/s per chat with a burst of 3",
            },
            "echo_bot": "none (bare PTB)",
            "fake_bot_api": "none enforced",
        },
        "verify_setup_s": round(setup, 1),
        **levels,
        "sequential_turns_per_kind": sequential_turns,
        "closed_loop_turns_per_fan": rounds,
        "cpu_s_of_other_processes": others_cpu,
        "measured_s": round(elapsed, 1),
        "targets": {"ratio_p50_max": TARGET_P50, "ratio_p99_max": TARGET_P99},
        "verdicts": {
            f"{level}/{kind}": _verdict(levels[level][kind])
            for level in ("concurrency_1", f"concurrency_{fans}")
            for kind in TURNS
        },
    }


def main() -> None:
    """Parse the options, run, print the JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fans", type=int, default=200)
    parser.add_argument("--sequential", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    logs.configure("WARNING")
    print(json.dumps(asyncio.run(run(options.fans, options.sequential, options.rounds)), indent=2))


if __name__ == "__main__":
    main()
