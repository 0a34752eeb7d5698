"""1,000 web chat sockets on one ``usher serve``, a turn every 5 s each, against a bare echo.

What runs, as deployed: real Redis (a private ``redis-server``, ``bench._redis_profile``, unless
``USHER_BENCH_REDIS_URL`` names one); ``usher sandbox`` (ACME and Ticketmaster, remote in
production, so not counted); the process measured, the real ``usher serve`` with web chat on
(``USHER_WEBCHAT_ORIGINS``); and the floor it is weighed against, ``bench._ws_echo``, a bare
Starlette WebSocket on uvicorn with the same options that answers each message from memory.

The load (this process, one asyncio loop): ``--sockets`` widgets connect as the script does
(Origin header, hello, the session frame), spread over 25 loopback addresses (127.0.0.2...,
as fans come from many addresses; Usher's per-address limits are for abuse, not for this).
Then each sends "where are my tickets?" every ``--every`` seconds, starting at a random
moment, for ``--seconds``: for Usher a real turn (the frame checked, the fan's message logged
in the session's Redis stream, the per-fan turn bucket, the fan's lock and state, the
recogniser, the verify prompt, the reply logged and pushed back from the log), answered with
two frames, the echo of the message and the bot's reply.

**Turn time**: from sending the frame to receiving the bot's reply. A socket sends its next
turn only once the last was answered (a turn still open at its next tick counts as late).
**Memory**: resident memory (``VmRSS``) after start-up and a warm-up turn, with every socket
open and idle, and at the end of the load; "per 1,000 sockets" is the growth from the first to
the second, scaled. **CPU** per turn: the server process's user+system time over the load
divided by the turns answered. **Redis**: the commands one turn sends, and those its scripts
run, counted under MONITOR over 20 turns (one each of 20 sockets) before the timed load.

    python -m bench.webchat [--sockets 1000] [--every 5] [--seconds 40]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as redis_asyncio
from websockets.asyncio.client import ClientConnection, connect

from bench._harness import (
    clean_env,
    cpu_seconds,
    free_port,
    latency_ms,
    rss_mib,
    start,
    stop,
    timed,
    usher,
    wait_up,
)
from bench._redis_profile import bench_redis, profile
from bench.turns import usher_env as telegram_env

ORIGIN = "http://localhost:8080"
ADDRESSES = [f"127.0.0.{n}" for n in range(2, 27)]
TEXT = "where are my tickets?"
#: A turn not answered within this long counts as failed.
TURN_TIMEOUT = 30.0
CONNECT_CONCURRENCY = 50
PROFILED_TURNS = 20


@dataclass
class Side:
    """What one server did under the load."""

    latencies: list[float] = field(default_factory=list)
    failed: int = 0
    late: int = 0
    refused: int = 0


async def open_socket(url: str, address: str) -> ClientConnection:
    """Connect from ``address`` and say hello as the widget does; the open socket."""
    socket = await connect(
        url,
        origin=ORIGIN,  # type: ignore[arg-type]
        local_addr=(address, 0),
        max_size=2**20,
        compression=None,
        ping_interval=None,
    )
    await socket.send(json.dumps({"type": "hello", "session": None, "last": None}))
    while json.loads(await socket.recv())["type"] != "session":
        pass
    return socket


async def open_all(url: str, count: int) -> tuple[list[ClientConnection], int]:
    """``count`` sockets, a few dozen handshakes at a time; (the open ones, how many failed)."""
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    refused = 0

    async def one(number: int) -> ClientConnection | None:
        nonlocal refused
        async with gate:
            try:
                return await open_socket(url, ADDRESSES[number % len(ADDRESSES)])
            except Exception:
                refused += 1
                return None

    opened = await asyncio.gather(*(one(n) for n in range(count)))
    return [socket for socket in opened if socket is not None], refused


async def turn(socket: ClientConnection, ref: str) -> float:
    """Send one message; seconds until the bot's reply arrived."""
    sent = time.perf_counter()
    await socket.send(json.dumps({"type": "text", "text": TEXT, "ref": ref}))
    while True:
        frame = json.loads(await socket.recv())
        if frame.get("type") == "message" and frame.get("from") == "bot":
            return time.perf_counter() - sent
        if frame.get("type") == "notice":
            raise RuntimeError(f"refused: {frame.get('reason')}")


async def fan(
    socket: ClientConnection, number: int, every: float, until: float, side: Side
) -> None:
    """One widget's turns: every ``every`` seconds from a random start, until ``until``."""
    await asyncio.sleep(random.uniform(0, every))
    tick, count = time.monotonic(), 0
    while tick < until:
        count += 1
        try:
            side.latencies.append(
                await asyncio.wait_for(turn(socket, f"f{number}-{count}"), TURN_TIMEOUT)
            )
        except Exception:
            side.failed += 1
            return
        tick += every
        while tick < time.monotonic():  # the answer took longer than a tick
            side.late += 1
            tick += every
        await asyncio.sleep(max(0.0, tick - time.monotonic()))


async def load(url: str, pid: int, sockets: int, every: float, seconds: float) -> dict[str, Any]:
    """Warm up, open the sockets, run the turns; one side's figures."""
    warm, _ = await open_all(url, 1)
    await turn(warm[0], "warm-up")
    await warm[0].close()
    await asyncio.sleep(1.0)
    rss_start = rss_mib(pid)
    opened_at = time.perf_counter()
    opened, refused = await open_all(url, sockets)
    connect_s = time.perf_counter() - opened_at
    await asyncio.sleep(2.0)
    rss_sockets = rss_mib(pid)
    side = Side(refused=refused)
    cpu_before = cpu_seconds(pid)
    until = time.monotonic() + seconds
    await asyncio.gather(*(fan(s, n, every, until, side) for n, s in enumerate(opened)))
    cpu_used = cpu_seconds(pid) - cpu_before
    rss_end = rss_mib(pid)
    for socket in opened:
        with contextlib.suppress(Exception):
            await socket.close()
    turns = len(side.latencies)
    return {
        "sockets_open": len(opened),
        "sockets_refused": side.refused,
        "connect_all_s": round(connect_s, 1),
        "turns": turns,
        "turns_per_s": round(turns / seconds, 1),
        "failed": side.failed,
        "late": side.late,
        "turn": latency_ms(side.latencies),
        "rss_mib_start": rss_start,
        "rss_mib_with_sockets": rss_sockets,
        "rss_mib_end": rss_end,
        "rss_mib_per_1000_sockets": round(
            (rss_sockets - rss_start) * 1000 / max(1, len(opened)), 1
        ),
        "cpu_ms_per_turn": round(cpu_used * 1000 / max(1, turns), 2),
    }


def usher_env(sandbox: str, redis_url: str) -> dict[str, str]:
    """``bench.turns``' production-like settings, with web chat on instead of Telegram."""
    env = {k: v for k, v in telegram_env("", sandbox, redis_url).items() if "TELEGRAM" not in k}
    env.update(USHER_WEBCHAT_ORIGINS=ORIGIN)
    return clean_env(**env)


async def redis_profile(url: str, redis_url: str, turns: int = PROFILED_TURNS) -> dict[str, object]:
    """The Redis commands of ``turns`` turns, one per socket, one after the other (MONITOR;
    apart from the timings; one per socket as each fan's turn bucket would slow one down)."""
    sockets, _ = await open_all(url, turns)

    async def play() -> None:
        for number, socket in enumerate(sockets):
            await turn(socket, f"profile-{number}")

    try:
        return (await profile(redis_url, turns, play)).figures()
    finally:
        for socket in sockets:
            await socket.close()


async def run(
    sockets: int, every: float, seconds: float, redis_url: str | None = None
) -> dict[str, object]:
    """Both sides, one after the other, on this machine (``redis_url``'s database is flushed;
    None: a private server, or ``USHER_BENCH_REDIS_URL``)."""
    if redis_url is None:
        async with bench_redis() as private:
            return await run(sockets, every, seconds, private)
    load_before = os.getloadavg()[0]
    redis = redis_asyncio.Redis.from_url(redis_url)
    await redis.flushdb()
    sandbox_port, usher_port, echo_port = free_port(), free_port(), free_port()
    sandbox = usher(["sandbox", "--port", str(sandbox_port)], clean_env())
    serve = echo = None
    try:
        await wait_up(f"http://127.0.0.1:{sandbox_port}/", sandbox)
        env = usher_env(f"http://127.0.0.1:{sandbox_port}", redis_url)
        serve = usher(["serve", "--port", str(usher_port)], env)
        await wait_up(f"http://127.0.0.1:{usher_port}/healthz", serve)
        commands = await redis_profile(f"ws://127.0.0.1:{usher_port}/chat/ws", redis_url)
        usher_side = await load(
            f"ws://127.0.0.1:{usher_port}/chat/ws", serve.pid, sockets, every, seconds
        )
        stop(serve)
        echo = start("bench._ws_echo", ["--port", str(echo_port)], clean_env())
        await wait_up(f"http://127.0.0.1:{echo_port}/", echo)
        echo_side = await load(
            f"ws://127.0.0.1:{echo_port}/chat/ws", echo.pid, sockets, every, seconds
        )
    finally:
        for proc in (serve, echo, sandbox):
            if proc is not None:
                stop(proc)
        await redis.flushdb()
        await redis.aclose()

    def ratio(key: str, inner: str | None = None) -> float:
        mine, floor = usher_side[key], echo_side[key]
        if inner is not None:
            mine, floor = mine[inner], floor[inner]
        return round(float(mine) / float(floor), 2) if floor else 0.0

    return {
        "sockets": sockets,
        "turn_every_s": every,
        "load_s": seconds,
        "usher": usher_side,
        "echo": echo_side,
        "ratio": {
            "p50": ratio("turn", "p50_ms"),
            "p99": ratio("turn", "p99_ms"),
            "rss_per_1000_sockets": ratio("rss_mib_per_1000_sockets"),
            "cpu_per_turn": ratio("cpu_ms_per_turn"),
        },
        "usher_redis_per_turn": commands,
        # Whatever else this machine ran (other processes compete for its cores).
        "load_average_1min": {"start": round(load_before, 1), "end": round(os.getloadavg()[0], 1)},
        "cpu_cores": os.cpu_count(),
    }


def main() -> None:
    """Parse the command line, run, print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--every", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=40.0)
    options = parser.parse_args()
    print(json.dumps(timed(run(options.sockets, options.every, options.seconds)), indent=2))


if __name__ == "__main__":
    main()
