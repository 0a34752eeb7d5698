"""Redis for a benchmark: a private server, and the command profile of what a bot sends.

A private ``redis-server`` (no persistence, its own port) makes the command counts exact: on
the shared server at 127.0.0.1:6379 every other client's commands would count too. Set
``USHER_BENCH_REDIS_URL`` to measure against another server instead.

The profile listens with MONITOR while a few turns run and sorts each command by who ran it:
the bot's client connections (what crosses the network: every command of a pipeline or a
MULTI block counts, and ``EVALSHA`` counts once) or a Lua script inside Redis (``redis.call``,
no network, but work for the one Redis every process shares). MONITOR slows Redis down, so the
profile runs apart from the timed series.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import redis.asyncio as redis_asyncio
import redis.exceptions

from bench._harness import free_port


@contextlib.asynccontextmanager
async def bench_redis() -> AsyncIterator[str]:
    """The Redis URL to benchmark on: ``USHER_BENCH_REDIS_URL``, else a private server."""
    given = os.environ.get("USHER_BENCH_REDIS_URL")
    binary = shutil.which("redis-server")
    if given or binary is None:
        yield given or "redis://127.0.0.1:6379/8"
        return
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="usher-bench-redis-") as folder:
        proc = _redis_server(binary, port, folder)
        url = f"redis://127.0.0.1:{port}/0"
        try:
            client = redis_asyncio.Redis.from_url(url)
            deadline = time.monotonic() + 10
            while True:
                try:
                    await client.ping()
                    break
                except (OSError, redis.exceptions.ConnectionError):
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.05)
            await client.aclose()
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _redis_server(binary: str, port: int, folder: str) -> subprocess.Popen[bytes]:
    """redis-server on ``port``, keeping nothing on disk."""
    args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    return subprocess.Popen(
        [binary, *args, "--dir", folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@dataclass
class Profile:
    """Commands seen during some turns, by source and by name."""

    turns: int = 0
    sent: Counter[str] = field(default_factory=Counter)
    in_scripts: Counter[str] = field(default_factory=Counter)

    def figures(self) -> dict[str, object]:
        """Per turn: commands sent, commands run inside scripts, and each command's count."""
        per = max(self.turns, 1)
        return {
            "turns_profiled": self.turns,
            "commands_sent_per_turn": round(sum(self.sent.values()) / per, 2),
            "commands_in_scripts_per_turn": round(sum(self.in_scripts.values()) / per, 2),
            "sent_by_command": {
                name: round(count / per, 2) for name, count in self.sent.most_common()
            },
            "in_scripts_by_command": {
                name: round(count / per, 2) for name, count in self.in_scripts.most_common()
            },
        }


async def profile(url: str, turns: int, run: Callable[[], Awaitable[None]]) -> Profile:
    """MONITOR the server at ``url`` while ``run`` plays ``turns`` turns."""
    found = Profile(turns=turns)
    client = redis_asyncio.Redis.from_url(url)
    ready = asyncio.Event()

    async def listen() -> None:
        async with client.monitor() as monitor:
            ready.set()
            async for seen in monitor.listen():
                command = str(seen.get("command", "")).split(" ", 1)[0].upper()
                if not command:
                    continue
                bucket = found.in_scripts if seen.get("client_type") == "lua" else found.sent
                bucket[command] += 1

    listening = asyncio.create_task(listen())
    await asyncio.wait_for(ready.wait(), 5)
    await asyncio.sleep(0.1)
    try:
        await run()
        await asyncio.sleep(0.3)  # the last acknowledgements after the last message
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await listening
        await client.aclose()
    return found
