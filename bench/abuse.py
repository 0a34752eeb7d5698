"""Abuse: one flooding fan beside 200 normal ones, and a purchase link hammered from 10 addresses.

Processes as in ``bench.turns``: ``usher sandbox``, ``usher serve`` (``bench._usher_procs``,
pacer limits never reached, so the figures are the turns' cost) on real Redis, Telegram at the
fake Bot API served in this process.

* **Flood**: 200 verified fans in a closed loop ("my orders", each fan's next turn as soon as
  the last was answered), first alone (baseline), then again while one more verified fan posts
  "my orders" 50 times a second through the same webhook. The normal fans' p50/p99 in the flood
  run against the baseline (target: within 1.2x); the flooder's turns counted by outcome
  (answered, told to slow down once, silenced by the per-fan bucket), and ACME calls in each
  run: the flood run may cost at most one call per *answered* flooder turn more than the
  baseline; silenced turns cost none.
* **Link**: 1,000 ``GET /l/{code}`` from 10 loopback addresses (127.0.0.2 to .11), with a
  browser's user agent and no cookies kept (a script pretending to be browsers): how many
  carts the link opened (target: at most 10), and the answers by status.

    python -m bench.abuse [--fans 200] [--rounds 3] [--flood-rate 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import time
from collections import Counter

import aiohttp
import httpx
import redis.asyncio as redis_asyncio

from adapters.store.purchase_links import RedisLinkStore
from adapters.store.store import Store
from bench._bot_api import LimitedBotApi, SendLimits
from bench._harness import clean_env, free_port, latency_ms, start, stop, timed, usher, wait_up
from bench._redis_profile import bench_redis
from bench._webhook import Driver
from bench.turns import (
    FIRST_USER,
    IDENTITIES,
    UNREACHED,
    WEBHOOK_SECRET,
    Arrivals,
    Bench,
    Bot,
    identity,
    usher_env,
)
from bot.buying.purchase_links import PurchaseLinks
from tests.support.servers import serve_in_loop
from tests.support.ticket_page import BROWSER

TEXT = "my orders"
TARGET_RATIO = 1.2
MAX_LINK_CARTS = 10
LINK_REQUESTS, ADDRESSES = 1000, 10
#: The documented Behind-the-Scenes Tour and its Adult price (acme-discounts-carts.txt).
TOUR, ADULT = "61f99cfb62bd1f467c397829", "6130fea5bf4aec4ef5db0dc5"


async def metric(session: aiohttp.ClientSession, base: str, name: str, **labels: str) -> float:
    """One counter of Usher's ``/metrics``, summed over the samples matching ``labels``."""
    async with session.get(f"{base}/metrics") as response:
        text = await response.text()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def closed_loop(bench: Bench, serve: Bot, rounds: int) -> list[float]:
    """Every normal fan at once, each sending its next turn when the last was answered."""
    samples: list[float] = []

    async def one_fan(user: int) -> None:
        for _ in range(rounds):
            samples.append(await bench.turn(serve, user, TEXT, 1))

    await asyncio.gather(*(one_fan(user) for user in bench.fans))
    return samples


async def flood(bench: Bench, serve: Bot, user: int, rate: float, stop_at: asyncio.Event) -> int:
    """Post the flooder's messages at ``rate`` a second until ``stop_at``; how many."""
    sent = 0
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    started = time.monotonic()
    while not stop_at.is_set():
        body = bench.ids.text(user, TEXT)
        async with bench.session.post(f"{serve.base}/telegram/webhook", json=body, headers=headers):
            sent += 1
        await asyncio.sleep(max(0.0, started + sent / rate - time.monotonic()))
    return sent


async def flood_figures(
    bench: Bench, serve: Bot, rounds: int, rate: float, flooder: int
) -> dict[str, object]:
    """The baseline and the flood run, and what the flood cost."""
    base, session = serve.base, bench.session
    await closed_loop(bench, serve, 1)  # warm-up: connections open, caches filled
    acme_before = await metric(session, base, "usher_upstream_seconds_count", service="acme")
    baseline = await closed_loop(bench, serve, rounds)
    acme_baseline = await metric(session, base, "usher_upstream_seconds_count", service="acme")
    throttled = await metric(session, base, "usher_turns_total", outcome="throttled")
    answered = bench.arrivals.count[str(flooder)]
    stop_at = asyncio.Event()
    flooding = asyncio.create_task(flood(bench, serve, flooder, rate, stop_at))
    await asyncio.sleep(1.0)  # the flood is on before the first measured turn
    flooded = await closed_loop(bench, serve, rounds)
    stop_at.set()
    sent = await flooding
    await asyncio.sleep(2.0)  # the flood's queued updates worked off
    acme_flood = await metric(session, base, "usher_upstream_seconds_count", service="acme")
    silenced = await metric(session, base, "usher_turns_total", outcome="throttled") - throttled
    flooder_answered = bench.arrivals.count[str(flooder)] - answered
    base_lat, flood_lat = latency_ms(baseline), latency_ms(flooded)
    alone = await flood_alone(bench, serve, rate, flooder)
    ratio_p50 = round(flood_lat["p50_ms"] / base_lat["p50_ms"], 2)
    ratio_p99 = round(flood_lat["p99_ms"] / base_lat["p99_ms"], 2)
    return {
        "normal_fans": len(bench.fans),
        "closed_loop_turns_per_fan": rounds,
        "baseline": base_lat,
        "with_flooder": flood_lat,
        "ratio_p50": ratio_p50,
        "ratio_p99": ratio_p99,
        "flooder": {
            "rate_per_s": rate,
            "messages_sent": sent,
            "answers_received": flooder_answered,
            "turns_refused_by_the_bucket": int(silenced),
        },
        "acme_calls": {
            "baseline_run": int(acme_baseline - acme_before),
            "flood_run": int(acme_flood - acme_baseline),
            "note": "both runs include the normal fans' calls (their cached searches expire"
            " after 30 s); the flooder's own cost is measured alone below",
        },
        "flooder_alone": alone,
        "verdict": {
            "p50_within_1.2x": ratio_p50 <= TARGET_RATIO,
            "p99_within_1.2x": ratio_p99 <= TARGET_RATIO,
            # Answered turns (the slow-down answer included) may cost what one uncached turn
            # costs each; refused ones nothing.
            "refused_turns_cost_no_upstream_call": alone["acme_calls"]
            <= alone["answered"] * alone["acme_calls_of_one_uncached_turn"],
        },
    }


async def flood_alone(
    bench: Bench, serve: Bot, rate: float, flooder: int, seconds: float = 4.0
) -> dict[str, int]:
    """The flooder alone with ACME's cache emptied, so every turn that runs must ask ACME:
    ACME calls against the flooder's answered turns (refused ones must cost none)."""
    base, session = serve.base, bench.session
    # What one turn that runs costs ACME with nothing cached (a normal fan of the same sandbox
    # identity as the flooder's), to weigh the flooder's answered turns with.
    same = next(u for u in bench.fans if identity(u) == identity(flooder))
    await bench.drop_acme_cache()
    calls = await metric(session, base, "usher_upstream_seconds_count", service="acme")
    await bench.turn(serve, same, TEXT, 1)
    per_turn = await metric(session, base, "usher_upstream_seconds_count", service="acme") - calls
    await bench.drop_acme_cache()
    calls = await metric(session, base, "usher_upstream_seconds_count", service="acme")
    refused = await metric(session, base, "usher_turns_total", outcome="throttled")
    answered = bench.arrivals.count[str(flooder)]
    stop_at = asyncio.Event()
    flooding = asyncio.create_task(flood(bench, serve, flooder, rate, stop_at))
    await asyncio.sleep(seconds)
    stop_at.set()
    sent = await flooding
    await asyncio.sleep(2.0)
    return {
        "seconds": int(seconds),
        "messages_sent": sent,
        "answered": bench.arrivals.count[str(flooder)] - answered,
        "refused": int(
            await metric(session, base, "usher_turns_total", outcome="throttled") - refused
        ),
        "acme_calls": int(
            await metric(session, base, "usher_upstream_seconds_count", service="acme") - calls
        ),
        "acme_calls_of_one_uncached_turn": int(per_turn),
    }


async def link_figures(base: str, redis_url: str) -> dict[str, object]:
    """1,000 cookie-less browser-looking GETs of one purchase link from 10 addresses."""
    store = Store(redis_asyncio.Redis.from_url(redis_url))
    try:
        links = PurchaseLinks(RedisLinkStore(store))
        link = await links.create(
            event_id=TOUR, ticketing_type_id=ADULT, quantity=1, created_by="bench"
        )
        statuses: Counter[int] = Counter()

        async def from_address(index: int, count: int) -> None:
            connector = aiohttp.TCPConnector(local_addr=(f"127.0.0.{index + 2}", 0))
            async with aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), headers=BROWSER
            ) as session:
                for _ in range(count):
                    url = f"{base}/l/{link.code}"
                    async with session.get(url, allow_redirects=False) as response:
                        statuses[response.status] += 1

        started = time.perf_counter()
        per_address = LINK_REQUESTS // ADDRESSES
        await asyncio.gather(*(from_address(i, per_address) for i in range(ADDRESSES)))
        stats = await links.store.stats(link.code)
    finally:
        await store.close()
    return {
        "requests": LINK_REQUESTS,
        "addresses": ADDRESSES,
        "seconds": round(time.perf_counter() - started, 1),
        "answers_by_status": {str(k): v for k, v in sorted(statuses.items())},
        "carts_opened": stats["carts"],
        "clicks_counted": stats["clicks"],
        "verdict": {"at_most_10_carts": stats["carts"] <= MAX_LINK_CARTS},
    }


async def run(fans: int, rounds: int, rate: float) -> dict[str, object]:
    """The whole benchmark on its own Redis."""
    async with bench_redis() as redis_url:
        arrivals = Arrivals()
        fake = LimitedBotApi(SendLimits(), on_accept=arrivals.accepted)
        ports = {name: free_port() for name in ("sandbox", "serve")}
        admin = redis_asyncio.Redis.from_url(redis_url)
        await admin.flushdb()
        procs: dict[str, subprocess.Popen[bytes]] = {}
        try:
            async with serve_in_loop(fake) as api:
                sandbox = f"http://127.0.0.1:{ports['sandbox']}"
                procs["sandbox"] = usher(["sandbox", "--port", str(ports["sandbox"])], clean_env())
                await wait_up(f"{sandbox}/__sandbox__/faults", procs["sandbox"])
                limits = ["--overall", str(UNREACHED), "--per-chat", str(UNREACHED)]
                procs["serve"] = start(
                    "bench._usher_procs",
                    ["serve", "--port", str(ports["serve"]), *limits],
                    clean_env(**usher_env(api, sandbox, redis_url)),
                )
                base = f"http://127.0.0.1:{ports['serve']}"
                serve = Bot("usher", procs["serve"], base, True)
                await wait_up(f"{base}/healthz", serve.proc)
                connector = aiohttp.TCPConnector(limit=fans + 50, keepalive_timeout=2.0)
                async with aiohttp.ClientSession(connector=connector) as session:
                    users = [FIRST_USER + i for i in range(fans)]
                    flooder = FIRST_USER + fans
                    bench = Bench(session, arrivals, fake, admin, users, redis_url)
                    async with httpx.AsyncClient(timeout=60) as http:
                        driver = Driver(http, base, WEBHOOK_SECRET, bench.ids)
                        everyone = [*users, flooder]
                        await driver.feed([bench.ids.text(u, TEXT) for u in everyone])
                        await driver.feed([bench.ids.contact(u, identity(u)[1]) for u in everyone])
                    turns = await flood_figures(bench, serve, rounds, rate, flooder)
                link = await link_figures(base, redis_url)
        finally:
            for proc in procs.values():
                stop(proc)
            await admin.flushdb()
            await admin.aclose()
    return {
        "benchmark": "abuse",
        "sandbox_identities": [name for name, _ in IDENTITIES],
        "flood": turns,
        "purchase_link": link,
    }


def main() -> None:
    """Parse the options, run, print the JSON figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fans", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--flood-rate", type=float, default=50.0)
    options = parser.parse_args()
    print(json.dumps(timed(run(options.fans, options.rounds, options.flood_rate)), indent=2))


if __name__ == "__main__":
    main()
