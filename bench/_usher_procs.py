"""``usher serve`` and ``usher worker`` for the benchmarks, with the pacer's limits configurable.

The real commands build the Telegram bot with the default limits of ``adapters.store.pacing``
(30 messages/s per bot, 1/s per chat with a burst of 3), and no setting changes them. A
benchmark that needs other limits (10,000 broadcast recipients in under three minutes,
10,000 fans' turns for the memory figure, turns timed without Telegram's waiting) runs these
entry points instead.
Each one is the corresponding branch of ``bot/app/cli.py`` / ``bot/app/jobs_command.py`` line
for line (same ``build``, same ``TelegramBot`` and ``build_application``, same web app, arq worker
and uvicorn server, same INFO logging), except that ``Limits`` is passed to ``TelegramBot``:

    python -m bench._usher_procs serve --port 8000 --overall 500 [--per-chat 1 --burst 3]
    [--overall-burst 1]
    python -m bench._usher_procs worker --overall 100

Settings come from the ``USHER_*`` environment, as for the real commands.
"""

from __future__ import annotations

import argparse
import asyncio

import uvicorn

from adapters.jobs.worker import run_worker
from adapters.store.pacing import Limits, Rate
from adapters.telegram.bot import TelegramBot, TelegramConfig, build_application
from adapters.telegram.webhook import TelegramWebhook
from bot.app import logs
from bot.app.bootstrap import Usher, build
from bot.app.settings import load_settings
from bot.app.web import create_app, create_metrics_app


def limits_from(overall: float, per_chat: float, burst: int, overall_burst: int = 1) -> Limits:
    """The pacer's limits: ``overall`` per second (production: no burst), and per chat."""
    return Limits(overall=Rate(overall, burst=overall_burst), per_chat=Rate(per_chat, burst=burst))


def telegram_bot(usher: Usher, limits: Limits) -> TelegramBot:
    """``bot.app.bootstrap.telegram_bot`` with ``limits`` passed on."""
    config = TelegramConfig.from_settings(usher.settings)
    if config is None:
        raise SystemExit("USHER_TELEGRAM_TOKEN is needed")
    return TelegramBot(
        build_application(config),
        config,
        usher.conversation.handle,
        usher.store,
        messenger=usher.messenger,
        limits=limits,
    )


def serve(host: str, port: int, limits: Limits) -> None:
    """The ``usher serve`` branch of ``bot.app.cli.main`` (Telegram webhook on)."""
    logs.configure("INFO")
    usher = build(load_settings())
    channel = TelegramWebhook(telegram_bot(usher, limits))
    app = create_app(usher, channels=[channel])
    # The benchmarks read /metrics from the same port (``usher serve`` keeps it off the
    # public app, on --metrics-port): bench processes are never public.
    app.router.routes.extend(create_metrics_app(usher).routes)
    uvicorn.run(app, host=host, port=port, log_level="warning")


async def _work(limits: Limits) -> None:
    """``bot.app.jobs_command._work``."""
    usher = build(load_settings())
    try:
        telegram = telegram_bot(usher, limits)
        await telegram.start()
        try:
            await run_worker(usher.scheduling)
        finally:
            await telegram.stop()
    finally:
        await usher.aclose()


def main() -> None:
    """Parse the command line and run the chosen process."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["serve", "worker"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--overall", type=float, default=30.0)
    parser.add_argument("--per-chat", type=float, default=1.0)
    parser.add_argument("--burst", type=int, default=3)
    parser.add_argument("--overall-burst", type=int, default=1)
    options = parser.parse_args()
    limits = limits_from(options.overall, options.per_chat, options.burst, options.overall_burst)
    if options.command == "serve":
        serve(options.host, options.port, limits)
    else:
        logs.configure("INFO")
        asyncio.run(_work(limits))


if __name__ == "__main__":
    main()
