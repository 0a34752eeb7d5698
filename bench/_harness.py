"""Shared plumbing of the benchmarks (not a benchmark itself).

Real processes as the deployment runs them (``start``), a readiness wait, resident memory from
``/proc`` (no extra dependency), the environment without the developer's ``USHER_*`` settings,
and percentiles computed the same way in every benchmark.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Coroutine, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import httpx

from adapters.sandbox.config import DEFAULT_ACME_PUB_API_KEY

ROOT = Path(__file__).resolve().parent.parent
#: A 32+ character key, as ``USHER_SECRET_KEY`` must be outside the sandbox.
SECRET_KEY = "usher-benchmark-secret-key-0123456789abcdef"


def timed(main: Coroutine[Any, Any, dict[str, object]]) -> dict[str, object]:
    """Run a benchmark's coroutine; its figures plus ``run_s``, the whole run's seconds."""
    started = time.perf_counter()
    figures = asyncio.run(main)
    return {**figures, "run_s": round(time.perf_counter() - started, 1)}


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: What production requires besides the channel and upstream settings (design.md: strict);
#: the simulators are reached over loopback HTTP, which only ``USHER_ALLOW_HTTP`` permits.
PRODUCTION_BASICS = {
    "USHER_SECRET_KEY": SECRET_KEY,
    "USHER_SMTP_URL": "smtps://127.0.0.1:9",  # never used: the fans verify by phone
    "USHER_TIMEZONE": "America/Los_Angeles",
    "USHER_ALLOW_HTTP": "true",
    "USHER_ACME_PUB_API_KEY": DEFAULT_ACME_PUB_API_KEY,
}


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any ``USHER_*`` setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("USHER_")}
    env.update(extra)
    return env


def start(
    module: str, args: Sequence[str], env: Mapping[str, str], *, log: IO[bytes] | None = None
) -> subprocess.Popen[bytes]:
    """``python -m module args...`` from the repository root; output to ``log`` or nowhere."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=log if log is not None else subprocess.DEVNULL,
    )


def usher(args: Sequence[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """The real ``usher`` command (``python -m bot.app.cli``) in a process of its own."""
    return start("bot.app.cli", args, env)


def stop(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it does not end within ``timeout``."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


async def wait_up(url: str, proc: subprocess.Popen[bytes] | None = None, limit: float = 30) -> None:
    """Wait until ``url`` answers HTTP at all (any status); fail if ``proc`` died first."""
    deadline = time.monotonic() + limit
    async with httpx.AsyncClient(timeout=2) as client:
        while True:
            try:
                await client.get(url)
                return
            except httpx.TransportError:
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(f"process for {url} exited with {proc.returncode}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not come up within {limit:g} s") from None
                await asyncio.sleep(0.05)


def rss_mib(pid: int) -> float:
    """Resident set size of process ``pid`` in MiB (``VmRSS`` in ``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int | None = None) -> float:
    """User plus system CPU time of process ``pid`` (this one when None), in seconds."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def pick(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile of already sorted samples (nearest rank, as bench.show_tickets)."""
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def latency_ms(samples: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean in milliseconds of samples in seconds."""
    ordered = sorted(samples)
    return {
        "p50_ms": round(pick(ordered, 0.50) * 1000, 2),
        "p95_ms": round(pick(ordered, 0.95) * 1000, 2),
        "p99_ms": round(pick(ordered, 0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2) if ordered else 0.0,
        "samples": len(ordered),
    }
