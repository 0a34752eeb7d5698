"""Verified Telegram turns against a bare python-telegram-bot echo bot, at 1 and 200 fans.

Every bot runs as deployed, in a process of its own, and gets real Update JSON (Telegram's
samples in ``tests/data/telegram`` with the fan's ids) POSTed to its webhook; both answer
through the *same* fake Bot API (``bench._bot_api``), served in this process, which sees each
message arrive.

* **Usher**: ``usher serve`` (as ``bench._usher_procs serve``: the real command with pacer
  limits it never reaches, see below). The webhook stores the update in the Redis inbox and
  answers; the process's inbox consumer takes it, ``TelegramBot.process`` claims it, shows
  "typing…", runs the conversation core under the fan's Redis lock, renders the replies (QR
  codes drawn as PNGs, button keys stored) and sends every message through the shared Redis
  pacer. Real Redis; ACME is the simulator served by ``usher sandbox`` (remote in production).
  Every simulated fan first verifies a phone by sharing their contact (real turns), the four
  sandbox fans' numbers in turn, so a ticket reply is 3 messages (2 QR photos) to 10 (7 QR).
* **Echo** (``bench._echo_bot``): PTB's own Starlette webhook recipe and one ``MessageHandler``
  answering ``reply_text(text)``: one ``sendMessage``. Both bots handle 32 updates at a time.

**Turn time**: from the moment the update is sent to the bot's webhook to the arrival at the
fake Bot API of the bot's last message for it (how many messages each reply has is measured
once per sandbox fan before the series). Turns: "my orders" (find my order: the order list
with its buttons) and "show my tickets" (QR photos). One fan at a time (100 turns, the fans in
turn), and 200 fans at once in a closed loop (each fan sends its next turn when the last was
answered; three each, after one unmeasured round).

**Pacing**: every fan has a chat of its own, and Usher's pacer is given limits it never reaches
(10,000 messages/s overall and per chat, see ``limits``), so the figures are the cost of a turn,
not Telegram's waiting: at the production limits (30/s per bot, 1/s per chat with a burst of 3)
a ten-message ticket reply takes at least 7 s by design. The pacer still makes its Redis call
for every message.

The ACME answer cache works as in production (searches 30 s, orders 60 s); the simulated fans
share four sandbox identities, so most ACME calls are cache hits. A second one-fan series
empties the ACME cache before every turn (``concurrency_1_cold_acme_cache``). A third puts
Telegram 50 ms (round trip) away (``concurrency_1_bot_api_50ms_away``): the webhook call
reaches the bot 25 ms after it is made, and every Bot API call takes 25 ms to arrive and 25 ms
to be answered. On loopback a Bot API call costs about 1 ms, so the first series weigh
Usher's own work against next to nothing; this one shows the ratios a fan would see.

Figures per series: p50/p95/p99 of both bots, the ratios (targets, issue 8: a verified turn at
most 2.0x the echo bot's time at p50 and 3.0x at p99), messages and Bot API calls per turn,
ACME calls and Redis commands per turn, the conversation core's mean time (Usher's own
``/metrics``), throughput, and CPU per turn of each bot's process.

    python -m bench.turns [--fans 200] [--sequential 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import aiohttp
import httpx
import redis.asyncio as redis_asyncio
from prometheus_client.parser import text_string_to_metric_families

from adapters.sandbox.config import DEFAULT_ACME_API_KEY, DEFAULT_ACME_TENANT_ID, DEFAULT_TM_API_KEY
from adapters.telegram.webhook import SECRET_HEADER
from bench._bot_api import LimitedBotApi, SendLimits
from bench._harness import (
    PRODUCTION_BASICS,
    clean_env,
    cpu_seconds,
    free_port,
    latency_ms,
    start,
    stop,
    timed,
    usher,
    wait_up,
)
from bench._redis_profile import bench_redis, profile
from bench._updates import UpdateIds
from bench._webhook import Driver
from bot.app import logs
from tests.support.fake_telegram import TOKEN
from tests.support.servers import serve_in_loop

#: Turns of each kind played under MONITOR for the command profile (apart from the timings).
PROFILED_TURNS = 20
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
WEBHOOK_SECRET = "bench-webhook-secret"
WEBHOOK = "/telegram/webhook"
WARM_UP_TURNS = 20
#: A third one-fan series puts Telegram this far away (round trip, seconds), as a data centre
#: some way off would be (the loopback round trip is about 1 ms).
DISTANT_API = 0.05
DISTANT_TURNS = 30
#: Seconds the load generator keeps an idle connection (uvicorn closes them after 5 s).
CLIENT_KEEP_ALIVE = 2.0
#: A turn not answered in full within this long counts as failed.
TURN_TIMEOUT = 60.0
#: A reply is complete once no message came for this long (only when counting its messages).
QUIET = 1.0


def usher_env(api: str, sandbox: str, redis_url: str) -> dict[str, str]:
    """Usher's settings for the benchmarks: ACME and Ticketmaster at the simulator process,
    Telegram at the fake Bot API, real Redis (``USHER_*`` variables)."""
    return {
        "USHER_REDIS_URL": redis_url,
        "USHER_ACME_BASE_URL": sandbox,
        "USHER_ACME_API_KEY": DEFAULT_ACME_API_KEY,
        "USHER_ACME_TENANT_ID": str(DEFAULT_ACME_TENANT_ID),
        "USHER_TM_BASE_URL": sandbox,
        "USHER_TM_API_KEY": DEFAULT_TM_API_KEY,
        **PRODUCTION_BASICS,
        "USHER_PUBLIC_URL": "https://usher.example.com",
        "USHER_TELEGRAM_TOKEN": TOKEN,
        "USHER_TELEGRAM_API_URL": api,
        "USHER_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        # The per-fan turn bucket at its widest: a benchmark fan takes dozens of turns a
        # minute, which a real fan never does (the bucket's cost, one script, is still paid).
        "USHER_TURN_RATE": "6000",
        "USHER_TURN_BURST": "1000",
    }


def identity(user: int) -> tuple[str, str]:
    """The sandbox fan (name, phone) whose phone ``user`` verifies."""
    return IDENTITIES[(user - FIRST_USER) % len(IDENTITIES)]


@dataclass
class Arrivals:
    """Messages the fake Bot API accepted, per chat, and turns waiting for their last one."""

    count: Counter[str] = field(default_factory=Counter)
    calls: int = 0
    _waiting: dict[str, list[tuple[int, asyncio.Future[float]]]] = field(default_factory=dict)

    def accepted(self, chat_id: str, at: float) -> None:
        """The fake's hook: one more message for ``chat_id``, arrived at ``at``."""
        self.count[chat_id] += 1
        waiting = self._waiting.get(chat_id)
        if not waiting:
            return
        for entry in [w for w in waiting if w[0] <= self.count[chat_id]]:
            waiting.remove(entry)
            if not entry[1].done():
                entry[1].set_result(at)

    def wait(self, chat_id: str, messages: int) -> asyncio.Future[float]:
        """Resolves with the arrival time of the chat's ``messages``-th message from now."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        target = self.count[chat_id] + messages
        self._waiting.setdefault(chat_id, []).append((target, future))
        return future


@dataclass
class Bot:
    """A bot under test: its process, webhook and ``/metrics`` (Usher only)."""

    name: str
    proc: subprocess.Popen[bytes]
    base: str
    metrics: bool


@dataclass
class Bench:
    """Everything the series share."""

    session: aiohttp.ClientSession
    arrivals: Arrivals
    fake: LimitedBotApi
    admin: redis_asyncio.Redis
    fans: list[int]
    redis_url: str
    ids: UpdateIds = field(default_factory=UpdateIds)
    #: Messages of Usher's reply per (sandbox fan, turn kind), measured before the series.
    replies: dict[tuple[str, str], int] = field(default_factory=dict)
    #: Round trip to Telegram (seconds) the series model; 0 on loopback.
    distance: float = 0.0
    #: Redis commands this process sent (not the bots'): left out of their counts.
    own_commands: int = 0

    async def turn(self, bot: Bot, user: int, text: str, messages: int) -> float:
        """POST one update; seconds until the arrival of the bot's last message for it."""
        done = self.arrivals.wait(str(user), messages)
        body = json.dumps(self.ids.text(user, text))
        headers = {SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"}
        started = time.monotonic()
        if self.distance:  # Telegram's webhook call takes half a round trip to reach the bot
            await asyncio.sleep(self.distance / 2)
        async with self.session.post(f"{bot.base}{WEBHOOK}", data=body, headers=headers) as r:
            if r.status != 200:
                raise RuntimeError(f"{bot.name}'s webhook answered {r.status}")
        return await asyncio.wait_for(done, TURN_TIMEOUT) - started

    def expected(self, bot: Bot, user: int, kind: str) -> int:
        """Messages of the bot's reply: one for the echo bot, as measured for Usher."""
        return self.replies[(identity(user)[0], kind)] if bot.name == "usher" else 1

    async def drop_acme_cache(self) -> None:
        """Empty Usher's ACME answer cache (its commands are left out of the turn's count)."""
        cursor, keys = 0, []
        while True:
            cursor, found = await self.admin.scan(cursor, match="usher:cache:acme:*", count=10**6)
            self.own_commands += 1
            keys += found
            if cursor == 0:
                break
        if keys:
            await self.admin.delete(*keys)
            self.own_commands += 1

    async def redis_commands(self) -> int:
        """Commands the Redis server has processed so far (all its clients)."""
        stats = await self.admin.info("stats")
        self.own_commands += 1
        return int(stats["total_commands_processed"]) - self.own_commands


async def metrics_of(session: aiohttp.ClientSession, bot: Bot) -> dict[str, float]:
    """The counters of Usher's ``/metrics`` this benchmark reads, summed over labels."""
    if not bot.metrics:
        return {}
    async with session.get(f"{bot.base}/metrics") as response:
        text = await response.text()
    wanted = {
        "usher_turns_total": {"outcome": "ok"},
        "usher_turn_seconds_sum": {},
        "usher_turn_seconds_count": {},
        "usher_upstream_seconds_count": {"service": "acme"},
        "usher_cache_total": {"cache": "acme_search"},
    }
    found: dict[str, float] = dict.fromkeys(wanted, 0.0)
    found["acme_search_hits"] = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = wanted.get(sample.name)
            if labels is not None and labels.items() <= sample.labels.items():
                found[sample.name] += sample.value
                if sample.name == "usher_cache_total" and sample.labels.get("result") == "hit":
                    found["acme_search_hits"] += sample.value
    return found


@dataclass
class Series:
    """One bot's measured series and what it cost."""

    samples: list[float]
    wall: float
    cpu: float
    messages: int
    calls: int
    redis_commands: int
    metrics: dict[str, float]

    @property
    def turns(self) -> int:
        return len(self.samples)


async def measure(bench: Bench, bot: Bot, run: Callable[[], Awaitable[list[float]]]) -> Series:
    """Run a series of ``bot``'s turns, with the counters around it."""
    metrics = await metrics_of(bench.session, bot)
    messages, calls = sum(bench.arrivals.count.values()), sum(bench.fake.tally.methods.values())
    commands = await bench.redis_commands()
    cpu, wall = cpu_seconds(bot.proc.pid), time.perf_counter()
    samples = await run()
    wall, cpu = time.perf_counter() - wall, cpu_seconds(bot.proc.pid) - cpu
    after = await metrics_of(bench.session, bot)
    return Series(
        samples=samples,
        wall=wall,
        cpu=cpu,
        messages=sum(bench.arrivals.count.values()) - messages,
        calls=sum(bench.fake.tally.methods.values()) - calls,
        redis_commands=await bench.redis_commands() - commands,
        metrics={name: after[name] - metrics[name] for name in after},
    )


def figures(mine: Series, theirs: Series, by_fan: dict[str, int]) -> dict[str, object]:
    """Usher's series against the echo bot's, as JSON figures."""
    usher_lat, echo_lat = latency_ms(mine.samples), latency_ms(theirs.samples)
    m = mine.metrics
    turns = mine.turns
    lookups = m["usher_cache_total"]
    return {
        "usher": usher_lat,
        "echo": echo_lat,
        "ratio_p50": round(usher_lat["p50_ms"] / echo_lat["p50_ms"], 2),
        "ratio_p99": round(usher_lat["p99_ms"] / echo_lat["p99_ms"], 2),
        "messages_per_turn": round(mine.messages / turns, 2),
        "messages_per_turn_by_sandbox_fan": by_fan,
        "bot_api_calls_per_turn": round(mine.calls / turns, 2),
        "echo_messages_per_turn": round(theirs.messages / theirs.turns, 2),
        "acme_http_calls_per_turn": round(m["usher_upstream_seconds_count"] / turns, 2),
        "acme_search_cache_hit_ratio": round(m["acme_search_hits"] / lookups, 3)
        if lookups
        else None,
        "redis_commands_per_turn": round(mine.redis_commands / turns, 1),
        "core_turn_mean_ms": round(
            m["usher_turn_seconds_sum"] / max(m["usher_turn_seconds_count"], 1) * 1000, 2
        ),
        "throughput_turns_per_s": {
            "usher": round(turns / mine.wall, 1),
            "echo": round(theirs.turns / theirs.wall, 1),
        },
        "cpu_ms_per_turn": {
            "usher_serve": round(mine.cpu / turns * 1000, 2),
            "echo_bot": round(theirs.cpu / theirs.turns * 1000, 2),
        },
        "failed_turns": turns - int(m["usher_turns_total"]),
    }


async def sequential(
    bench: Bench, bots: tuple[Bot, Bot], kind: str, count: int, *, cold: bool = False
) -> dict[str, object]:
    """One fan at a time, the fans in turn; ``cold``: no ACME answer cached at any turn."""
    text = TURNS[kind]
    users = [bench.fans[i % len(bench.fans)] for i in range(count)]
    series: list[Series] = []
    for bot in bots:

        async def run(bot: Bot = bot) -> list[float]:
            samples = []
            for user in users:
                if cold and bot.name == "usher":
                    await bench.drop_acme_cache()
                samples.append(await bench.turn(bot, user, text, bench.expected(bot, user, kind)))
            return samples

        series.append(await measure(bench, bot, run))
    return figures(series[0], series[1], _by_fan(bench, kind, users))


async def concurrent(
    bench: Bench, bots: tuple[Bot, Bot], kind: str, rounds: int
) -> dict[str, object]:
    """Every fan at once, each sending its next turn as soon as the last was answered."""
    text = TURNS[kind]
    series: list[Series] = []
    for bot in bots:

        async def loop(count: int, bot: Bot = bot) -> list[float]:
            samples: list[float] = []

            async def one_fan(user: int) -> None:
                for _ in range(count):
                    messages = bench.expected(bot, user, kind)
                    samples.append(await bench.turn(bot, user, text, messages))

            await asyncio.gather(*(one_fan(user) for user in bench.fans))
            return samples

        async def measured(loop: Callable[[int], Awaitable[list[float]]] = loop) -> list[float]:
            return await loop(rounds)

        await loop(1)  # warm-up round: connections open, caches filled
        series.append(await measure(bench, bot, measured))
    return figures(series[0], series[1], _by_fan(bench, kind, bench.fans))


def _by_fan(bench: Bench, kind: str, users: Iterable[int]) -> dict[str, int]:
    names = {identity(user)[0] for user in users}
    return {name: bench.replies[(name, kind)] for name, _ in IDENTITIES if name in names}


async def verify_fans(bench: Bench, serve: Bot) -> float:
    """Each fan asks for their orders, then shares their contact (real turns); seconds."""
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as http:
        driver = Driver(http, serve.base, WEBHOOK_SECRET, bench.ids)
        await driver.feed([bench.ids.text(user, "my orders") for user in bench.fans])
        await driver.feed([bench.ids.contact(user, identity(user)[1]) for user in bench.fans])
    return time.perf_counter() - started


async def count_replies(bench: Bench, serve: Bot) -> None:
    """How many messages Usher's reply to each kind of turn has, per sandbox fan."""
    for index, (name, _) in enumerate(IDENTITIES):
        user = bench.fans[index]
        for kind, text in TURNS.items():
            before = bench.arrivals.count[str(user)]
            await bench.turn(serve, user, text, 1)
            while True:  # the rest of the reply: until no message came for a while
                seen = bench.arrivals.count[str(user)]
                await asyncio.sleep(QUIET)
                if bench.arrivals.count[str(user)] == seen:
                    break
            bench.replies[(name, kind)] = bench.arrivals.count[str(user)] - before
        if bench.replies[(name, "find_order")] != 1:  # the order list, nothing else
            raise RuntimeError(f"fans verified as {name} were asked to verify again")


async def run(fans: int, sequential_turns: int, rounds: int) -> dict[str, object]:
    """The whole benchmark on its own Redis (``bench._redis_profile.bench_redis``)."""
    async with bench_redis() as redis_url:
        return await run_on(redis_url, fans, sequential_turns, rounds)


async def profile_turns(bench: Bench, serve: Bot) -> dict[str, object]:
    """The Redis command profile of each kind of turn (MONITOR; apart from the timings)."""
    found: dict[str, object] = {}
    for kind, text in TURNS.items():
        users = [bench.fans[i % len(bench.fans)] for i in range(PROFILED_TURNS)]

        async def play(text: str = text, kind: str = kind, users: list[int] = users) -> None:
            for user in users:
                await bench.turn(serve, user, text, bench.expected(serve, user, kind))

        found[kind] = (await profile(bench.redis_url, len(users), play)).figures()
    return found


async def run_on(
    redis_url: str, fans: int, sequential_turns: int, rounds: int
) -> dict[str, object]:
    """Processes up, fans verified, the series run; the JSON figures."""
    arrivals = Arrivals()
    fake = LimitedBotApi(SendLimits(), on_accept=arrivals.accepted)
    ports = {name: free_port() for name in ("sandbox", "serve", "echo")}
    admin = redis_asyncio.Redis.from_url(redis_url)
    await admin.flushdb()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        async with serve_in_loop(fake) as api:
            sandbox = f"http://127.0.0.1:{ports['sandbox']}"
            procs["sandbox"] = usher(["sandbox", "--port", str(ports["sandbox"])], clean_env())
            await wait_up(f"{sandbox}/__sandbox__/faults", procs["sandbox"])
            limits = ["--overall", str(UNREACHED), "--per-chat", str(UNREACHED), "--burst", "1000"]
            procs["serve"] = start(
                "bench._usher_procs",
                ["serve", "--port", str(ports["serve"]), *limits],
                clean_env(**usher_env(api, sandbox, redis_url)),
            )
            procs["echo"] = start(
                "bench._echo_bot", ["--api", api, "--port", str(ports["echo"])], clean_env()
            )
            serve = Bot("usher", procs["serve"], f"http://127.0.0.1:{ports['serve']}", True)
            echo = Bot("echo", procs["echo"], f"http://127.0.0.1:{ports['echo']}", False)
            await wait_up(f"{serve.base}/healthz", serve.proc)
            await wait_up(f"{echo.base}/", echo.proc)
            # Idle connections are dropped before uvicorn's 5 s keep-alive closes them, so a
            # POST never races the server closing the connection it is written to.
            connector = aiohttp.TCPConnector(limit=fans + 50, keepalive_timeout=CLIENT_KEEP_ALIVE)
            async with aiohttp.ClientSession(connector=connector) as session:
                users = [FIRST_USER + i for i in range(fans)]
                bench = Bench(session, arrivals, fake, admin, users, redis_url)
                return await _all_series(bench, (serve, echo), sequential_turns, rounds, procs)
    finally:
        for proc in procs.values():
            stop(proc)
        await admin.flushdb()
        await admin.aclose()


async def _all_series(
    bench: Bench,
    bots: tuple[Bot, Bot],
    sequential_turns: int,
    rounds: int,
    procs: dict[str, subprocess.Popen[bytes]],
) -> dict[str, object]:
    serve = bots[0]
    setup = await verify_fans(bench, serve)
    await count_replies(bench, serve)
    for kind in TURNS:  # warm-up: caches filled, every code path run once
        for bot in bots:
            for user in bench.fans[:WARM_UP_TURNS]:
                await bench.turn(bot, user, TURNS[kind], bench.expected(bot, user, kind))
    redis_profile = await profile_turns(bench, serve)
    sandbox_cpu, started = cpu_seconds(procs["sandbox"].pid), time.perf_counter()
    bench_cpu = cpu_seconds()
    one = {kind: await sequential(bench, bots, kind, sequential_turns) for kind in TURNS}
    cold_turns = max(20, sequential_turns // 2)
    cold = {kind: await sequential(bench, bots, kind, cold_turns, cold=True) for kind in TURNS}
    bench.fake.latency = bench.distance = DISTANT_API
    distant = {kind: await sequential(bench, bots, kind, DISTANT_TURNS) for kind in TURNS}
    bench.fake.latency = bench.distance = 0.0
    many = {kind: await concurrent(bench, bots, kind, rounds) for kind in TURNS}
    levels = {
        "concurrency_1": one,
        "concurrency_1_cold_acme_cache": cold,
        f"concurrency_1_bot_api_{round(DISTANT_API * 1000)}ms_away": distant,
        f"concurrency_{len(bench.fans)}": many,
    }
    elapsed = time.perf_counter() - started
    return {
        "benchmark": "telegram_turns",
        "fans": len(bench.fans),
        "sandbox_identities": [name for name, _ in IDENTITIES],
        "redis": bench.redis_url,
        "turn_time": "update POSTed to the bot's webhook -> its last message for it arrives at"
        " the fake Bot API (one process, shared by both bots)",
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
        "cpu_s_of_bench_process": round(cpu_seconds() - bench_cpu, 1),
        "cpu_s_of_usher_sandbox": round(cpu_seconds(procs["sandbox"].pid) - sandbox_cpu, 1),
        "measured_s": round(elapsed, 1),
        "targets": {"ratio_p50_max": TARGET_P50, "ratio_p99_max": TARGET_P99},
        "verdicts": {
            f"{level}/{kind}": _verdict(levels[level][kind])
            for level in ("concurrency_1", f"concurrency_{len(bench.fans)}")
            for kind in TURNS
        },
        "redis_commands_note": "server-wide count on the benchmark's own Redis (a private"
        " redis-server unless USHER_BENCH_REDIS_URL is set); inner script commands included",
        "redis_profile_1_fan": redis_profile,
    }


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


def main() -> None:
    """Parse the options, run, print the JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fans", type=int, default=200)
    parser.add_argument("--sequential", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    logs.configure("WARNING")
    print(json.dumps(timed(run(options.fans, options.sequential, options.rounds)), indent=2))


if __name__ == "__main__":
    main()
