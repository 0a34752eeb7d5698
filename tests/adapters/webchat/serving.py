"""``usher serve`` as a real process for the web chat tests (killed and restarted by some)."""

from __future__ import annotations

from asyncio.subprocess import Process
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.adapters.telegram.processes import launched, until


@asynccontextmanager
async def serving(log: Path, port: int, env: dict[str, str]) -> AsyncIterator[Process]:
    """``usher serve`` on ``port``, up (``/healthz``) before the body runs; its output in
    ``log``, stopped at the end (if a test has not killed it already)."""
    async with (
        launched(log, "serve", "--port", str(port), env=env) as proc,
        httpx.AsyncClient(timeout=5) as http,
    ):

        async def up() -> bool:
            return (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200

        await until(up, "serve start", log)
        yield proc
