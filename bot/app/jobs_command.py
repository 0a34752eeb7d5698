"""``usher worker`` and ``usher jobs``: the background jobs on the command line.

``usher worker`` runs the arq worker (``adapters.jobs.worker``) with the same wiring as the web app,
including the Telegram sender when Telegram is configured, so reminders, ready notices and
broadcasts reach Telegram fans through the shared pacer, and the web chat's sender, which
leaves them in the fan's session for the widget. ``usher jobs`` lists the queue and
the recorded failures. Both need ``USHER_REDIS_URL``: jobs written to the embedded Redis would
die with the process that wrote them, so refusing is the only honest answer. The wiring to
argparse lives in ``bot.app.cli``; this module only runs the commands.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TextIO

from adapters.jobs.report import collect, json_lines, table
from adapters.jobs.worker import run_worker
from adapters.store.store import connect
from bot.app.bootstrap import build
from bot.app.channels import telegram_bot, webchat_channel
from bot.app.settings import Settings
from bot.app.warmup import warm_up
from bot.errors import ConfigError

NEEDS_REDIS = (
    "USHER_REDIS_URL: {what} needs a shared Redis server "
    "(the embedded one lives and dies inside a single process)"
)


def worker_command(settings: Settings) -> int:
    """Run the worker until SIGINT/SIGTERM; the exit status."""
    if settings.redis_url is None:
        print(f"usher: {NEEDS_REDIS.format(what='the worker')}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_work(settings))
    except ConfigError as exc:
        print(f"usher: {exc}", file=sys.stderr)
        return 2
    return 0


async def _work(settings: Settings) -> None:
    usher = build(settings)
    try:
        await warm_up(usher)
        webchat_channel(usher)  # registers the web chat's sender: reminders reach web fans too
        telegram = telegram_bot(usher)
        if telegram is not None:
            await telegram.start()
        try:
            await run_worker(usher.scheduling)
        finally:
            if telegram is not None:
                await telegram.stop()
    finally:
        await usher.aclose()


def jobs_command(settings: Settings, *, as_json: bool, out: TextIO) -> int:
    """Print the scheduled and failed jobs; the exit status."""
    if settings.redis_url is None:
        print(f"usher: {NEEDS_REDIS.format(what='usher jobs')}", file=sys.stderr)
        return 2
    for line in asyncio.run(_report(settings.redis_url, as_json)):
        print(line, file=out)
    return 0


async def _report(redis_url: str, as_json: bool) -> list[str]:
    store = connect(redis_url)
    try:
        jobs, failures = await collect(store, time.time())
    finally:
        await store.close()
    return list(json_lines(jobs, failures) if as_json else table(jobs, failures))
