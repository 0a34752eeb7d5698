"""Run ``usher`` commands as real background processes from an async test."""

from __future__ import annotations

import asyncio
import contextlib
import time
from asyncio.subprocess import Process
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.adapters.telegram.conftest import PUBLIC_URL
from tests.support import log_scan
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.process import ROOT, USHER, clean_env
from tests.support.production import production_env


@asynccontextmanager
async def launched(log: Path, *args: str, env: dict[str, str]) -> AsyncIterator[Process]:
    """``usher ARGS`` in the background, its output in ``log``; stopped at the end, its log
    lines then added to the session's (searched for secrets when the run ends).

    Waits without blocking the loop: the fake Bot API serves from this very loop.
    """
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *USHER, *args, cwd=ROOT, env=env, stdout=out, stderr=out
        )
        try:
            yield proc
        finally:
            if proc.returncode is None:
                proc.terminate()
            await asyncio.wait_for(proc.wait(), timeout=20)
    log_scan.record_lines(output_of(log))


async def until(
    check: Callable[[], Awaitable[bool]], what: str, log: Path, *, within: float = 20
) -> None:
    """Wait for ``check()``; after ``within`` seconds fail with ``what`` and ``log``."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if await check():
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} never happened:\n{output_of(log)}")


def output_of(log: Path) -> str:
    return log.read_bytes().decode()


def telegram_env(fake: FakeTelegram, **extra: str) -> dict[str, str]:
    """A real Telegram bot (on the fake Bot API) is production: its strict settings too."""
    env = production_env(
        USHER_TELEGRAM_TOKEN=TOKEN, USHER_TELEGRAM_API_URL=fake.url, USHER_PUBLIC_URL=PUBLIC_URL
    )
    return clean_env(**{**env, **extra})
