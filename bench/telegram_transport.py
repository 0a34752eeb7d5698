"""CPU and time of one Bot API call through PTB's ``Bot``: PTB's httpx transport against ours.

One fake Bot API (``bench._bot_api``, no send limits) runs in a process of its own, so its CPU
is not counted. This process then sends ``--calls`` calls one after another through a PTB
``Bot`` on ``HTTPXRequest`` (PTB's default) and through one on ``AiohttpRequest``
(``adapters.telegram.transport``, what Usher uses), alternating for ``--rounds`` rounds
(A B A B...) so that whatever else the machine does hits both alike. Each round starts with a
fresh ``Bot`` and ``--warmup`` calls that are not counted. The calls are ``sendMessage`` (a
form) and, with ``--photos``, ``sendPhoto`` too (a multipart upload of one ticket's QR code
as Usher draws it, with a caption).

Per transport it reports CPU milliseconds per call (``time.process_time``: this process only,
so PTB's own work, the same on both sides, is included) and wall-clock percentiles per call,
then the ratios httpx / aiohttp. ``--uvloop`` runs on uvloop's event loop, as ``usher serve``
does (uvicorn picks it); the default is asyncio's own loop.

    python -m bench.telegram_transport [--calls 2000] [--rounds 3] [--warmup 200] [--photos]
        [--uvloop]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from adapters.qr import qr_png
from adapters.sandbox.acme.order_builder import seeded_barcode
from adapters.telegram.transport import AiohttpRequest
from bench._bot_api import STATS_PATH
from bench._harness import clean_env, free_port, latency_ms, start, stop, wait_up
from tests.support.fake_telegram import TOKEN

CHAT_ID = 5550134
TEXT = "Here are your tickets for Friday's show. Doors open at 7 pm; show this message at gate B."
#: A ticket's QR code as Usher sends it (for a sandbox ticket's barcode).
QR_PNG = qr_png(seeded_barcode(100148401, 1))
TRANSPORTS: dict[str, Callable[[], BaseRequest]] = {
    "httpx": HTTPXRequest,
    "aiohttp": AiohttpRequest,
}


Send = Callable[[Bot], Awaitable[object]]
CALLS: dict[str, Send] = {
    "sendMessage": lambda bot: bot.send_message(CHAT_ID, TEXT),
    "sendPhoto": lambda bot: bot.send_photo(
        CHAT_ID, QR_PNG, caption="Jazz Night · Row F, seat 12", filename="ticket.png"
    ),
}


async def one_round(
    base_url: str, make: Callable[[], BaseRequest], send: Send, calls: int, warmup: int
) -> tuple[float, list[float]]:
    """CPU seconds for ``calls`` sends after ``warmup`` sends, and each send's wall time."""
    bot = Bot(TOKEN, base_url=f"{base_url}/bot", request=make(), get_updates_request=make())
    walls: list[float] = []
    async with bot:
        for _ in range(warmup):
            await send(bot)
        cpu_started = time.process_time()
        for _ in range(calls):
            started = time.perf_counter()
            await send(bot)
            walls.append(time.perf_counter() - started)
        cpu = time.process_time() - cpu_started
    return cpu, walls


async def compare(
    base_url: str, send: Send, calls: int, rounds: int, warmup: int
) -> dict[str, object]:
    """Both transports on one call, alternating round by round."""
    cpu: dict[str, float] = dict.fromkeys(TRANSPORTS, 0.0)
    walls: dict[str, list[float]] = {name: [] for name in TRANSPORTS}
    for _ in range(rounds):
        for name, make in TRANSPORTS.items():
            spent, times = await one_round(base_url, make, send, calls, warmup)
            cpu[name] += spent
            walls[name].extend(times)
    figures: dict[str, dict[str, float]] = {}
    for name in TRANSPORTS:
        figures[name] = {
            "cpu_ms_per_call": round(cpu[name] / (calls * rounds) * 1000, 3),
            **latency_ms(walls[name]),
        }
    httpx, aiohttp = figures["httpx"], figures["aiohttp"]
    cpu_ratio = httpx["cpu_ms_per_call"] / aiohttp["cpu_ms_per_call"]
    return {
        **figures,
        "cpu_ratio_httpx_to_aiohttp": round(cpu_ratio, 2),
        "p50_ratio_httpx_to_aiohttp": round(httpx["p50_ms"] / aiohttp["p50_ms"], 2),
    }


async def run(calls: int, rounds: int, warmup: int, photos: bool) -> dict[str, object]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    api = start("bench._bot_api", ["--port", str(port)], clean_env())
    methods = ["sendMessage", "sendPhoto"] if photos else ["sendMessage"]
    results: dict[str, object] = {}
    try:
        await wait_up(base_url + STATS_PATH, api)
        for method in methods:
            results[method] = await compare(base_url, CALLS[method], calls, rounds, warmup)
    finally:
        stop(api)
    return {
        "benchmark": "telegram_transport",
        "calls_per_round": calls,
        "rounds": rounds,
        "warmup_calls_per_round": warmup,
        "qr_png_bytes": len(QR_PNG),
        **results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000, help="counted calls per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per transport")
    parser.add_argument("--warmup", type=int, default=200, help="uncounted calls per round")
    parser.add_argument("--photos", action="store_true", help="sendPhoto as well")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop's event loop")
    options = parser.parse_args()
    coroutine = run(options.calls, options.rounds, options.warmup, options.photos)
    started = time.perf_counter()
    if options.uvloop:
        import uvloop

        figures = uvloop.run(coroutine)
    else:
        figures = asyncio.run(coroutine)
    loop = "uvloop" if options.uvloop else "asyncio"
    run_s = round(time.perf_counter() - started, 1)
    print(json.dumps({**figures, "loop": loop, "run_s": run_s}, indent=2))


if __name__ == "__main__":
    main()
