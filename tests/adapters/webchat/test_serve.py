"""``usher serve`` with web chat, as an operator runs it: a real process, its real memory."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import httpx
import pytest
import redis.asyncio as redis_asyncio
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.adapters.webchat.conftest import VENUE
from tests.adapters.webchat.serving import serving
from tests.conftest import TEST_REDIS_URL
from tests.support.process import ROOT, USHER, clean_env
from tests.support.servers import free_port

pytestmark = pytest.mark.redis

MEGABYTE = 1024 * 1024


def rss_kib(pid: int) -> int:
    """Resident memory of a process, from /proc (KiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def big_frame(url: str) -> int | None:
    """Say hello, then send a 1 MB message; the close code the server answered with."""
    async with connect(url, origin=VENUE, max_size=None) as socket:  # type: ignore[arg-type]
        await socket.send(json.dumps({"type": "hello", "session": None, "last": None}))
        await socket.recv()
        text = "x" * MEGABYTE
        try:
            await socket.send(json.dumps({"type": "text", "text": text, "ref": "big"}))
            while True:
                await asyncio.wait_for(socket.recv(), 10)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else None


async def test_one_megabyte_frames_are_refused_without_the_process_growing(
    real_redis: redis_asyncio.Redis, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    env = clean_env(USHER_REDIS_URL=TEST_REDIS_URL, USHER_WEBCHAT_ORIGINS=VENUE)
    async with serving(log, port, env) as proc:
        url = f"ws://127.0.0.1:{port}/chat/ws"
        assert await big_frame(url) == 1009  # warm up: first socket, first frame
        before = rss_kib(proc.pid)
        codes = await asyncio.gather(*(big_frame(url) for _ in range(40)))
        after = rss_kib(proc.pid)
        assert codes == [1009] * 40  # "message too big", read from each frame's header
        # 40 MB were sent at it, 40 at once; it kept none of them (allocator noise aside).
        assert after - before < 4 * 1024, (before, after)


async def test_the_demo_serves_its_venue_page_and_web_fans_get_the_demo_orders() -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        *USHER,
        "demo",
        cwd=ROOT,
        env=clean_env(USHER_PUBLIC_URL=f"http://127.0.0.1:{port}"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            for _ in range(400):
                with contextlib.suppress(httpx.TransportError):
                    page = await http.get(f"http://127.0.0.1:{port}/chat/demo")
                    break
                await asyncio.sleep(0.05)
            assert page.status_code == 200
        # Any page on this machine may chat in the sandbox (here a dev server's port).
        url = f"ws://127.0.0.1:{port}/chat/ws"
        async with connect(url, origin="http://localhost:5173") as socket:  # type: ignore[arg-type]
            await socket.send(json.dumps({"type": "hello", "session": None, "last": None}))
            await socket.recv()
            await socket.send(json.dumps({"type": "text", "text": "my tickets", "ref": "d1"}))
            await socket.recv()  # the echo
            replies = json.loads(await asyncio.wait_for(socket.recv(), 20))["replies"]
        links = [link["url"] for reply in replies for link in reply["links"]]
        assert any("/t/" in url for url in links)  # the demo's SafeTix order
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        await asyncio.wait_for(proc.wait(), 20)
