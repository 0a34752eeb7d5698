"""The ``usher`` command (docs/architecture.md's public contract).

    usher demo                      chat in the terminal against the built-in sandboxes
    usher converse                  the same bot over JSON lines (scripts and tests)
    usher serve [--host --port --metrics-port]  the web app (pages, API, health, Slack,
                                    Telegram, web chat); /metrics only on --metrics-port
    usher telegram --polling        the Telegram bot by polling (a laptop; no public URL needed)
    usher intent ["TEXT"]           print the recognised intent and slots as JSON
    usher sandbox [--host --port]   serve the ACME and Ticketmaster simulators
    usher api-token                 print a new random token for USHER_API_TOKENS
    usher worker                    the background jobs (needs USHER_REDIS_URL)
    usher jobs [--json]             what is scheduled and what failed

A configuration problem prints one line naming the variable and exits with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import sys
from collections.abc import Sequence
from functools import partial
from urllib.parse import urlsplit

import uvicorn

from adapters import console
from adapters.pages.tm_orders_api import new_api_token
from adapters.sandbox.app import Sandbox
from adapters.sandbox.config import SandboxKeys
from adapters.sandbox.demo import create_demo_purchase_link, register_demo_orders
from adapters.telegram.webhook import TelegramWebhook
from adapters.webchat.frames import SERVER_OPTIONS
from bot.app import logs
from bot.app.bootstrap import build
from bot.app.channels import slack_channel, telegram_bot, webchat_channel
from bot.app.intent_command import run_intent_command
from bot.app.jobs_command import jobs_command, worker_command
from bot.app.listen import PortTaken, bind
from bot.app.settings import Settings, load_settings
from bot.app.warmup import warm_up
from bot.app.web import WebChannel, create_app, create_metrics_app
from bot.errors import ConfigError
from bot.messages import Fan

DEMO_USER = "demo"
DEMO_INTRO = """Usher demo: you are chatting with the bot on the built-in sandboxes.
Try "where are my tickets?", then the email alex.rivera@example.com (the sandbox shows the
code mail right here), or share a phone with /contact +14155550134, or send an order number
with its email: 100148401 janedoe@gmail.com. Your Ticketmaster orders open on the ticket
page served at USHER_PUBLIC_URL (http://localhost:8000).
The same bot chats on a sample venue page too: open {public_url}chat/demo in a browser.
Type a button's number to press it, /quit to leave."""
DEMO_BUYING = """
Buying: open the venue's purchase link with /start {code}, then try "membership 7700123456"
(last name Lee), "coupon AAA5" or "add an audio guide", and pay on the checkout page with the
test card 4242 4242 4242 4242 (4000 0000 0000 0002 is declined)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="usher", description="Usher, the ticket bot.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="chat in the terminal against the built-in sandboxes")
    sub.add_parser("converse", help="the bot over JSON lines on stdin/stdout")
    serve = sub.add_parser("serve", help="run the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve GET /metrics on this port (on --host); without it, no metrics are served",
    )
    serve.add_argument(
        "--set-webhook",
        action="store_true",
        help="point Telegram at USHER_PUBLIC_URL/telegram/webhook at start-up",
    )
    telegram = sub.add_parser("telegram", help="run the Telegram bot without a web server")
    telegram.add_argument(
        "--polling", action="store_true", required=True, help="fetch updates with getUpdates"
    )
    intent = sub.add_parser("intent", help="recognise the intent of TEXT (or of each stdin line)")
    intent.add_argument("text", nargs="?")
    sandbox = sub.add_parser("sandbox", help="serve the ACME and Ticketmaster simulators")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8100)
    sub.add_parser("api-token", help="print a new random bearer token for USHER_API_TOKENS")
    sub.add_parser("worker", help="run the background jobs (needs USHER_REDIS_URL)")
    jobs = sub.add_parser("jobs", help="list scheduled and failed jobs")
    jobs.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    return parser


async def _converse(settings: Settings) -> None:
    usher = build(settings)
    try:
        await warm_up(usher)
        await console.converse(usher.conversation.handle, sys.stdin, sys.stdout)
    finally:
        await usher.aclose()


async def _demo(settings: Settings, listener: socket.socket) -> None:
    """The terminal chat, with the web app served alongside so ticket links open."""
    usher = build(settings)
    await warm_up(usher)
    if settings.tm_sandbox:
        await register_demo_orders(usher.tm_orders, Fan(console.CHANNEL, DEMO_USER))
    intro = DEMO_INTRO.format(public_url=settings.public_url)
    if settings.acme_sandbox:
        link = await create_demo_purchase_link(usher.shop.links)
        intro += DEMO_BUYING.format(code=link.code)
    screen = console.Screen()
    usher.messenger.add(console.CHANNEL, console.ConsoleSender(sys.stdout, screen))
    webchat = webchat_channel(usher)
    if webchat is not None and settings.tm_sandbox:  # web fans get the demo's orders too
        webchat.endpoint.on_new_session = partial(register_demo_orders, usher.tm_orders)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(usher, channels=[webchat] if webchat else [], close_on_shutdown=False),
            log_level="critical",
            lifespan="on",  # starts the web chat's listener
            **SERVER_OPTIONS,
        )
    )
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        await console.demo(
            usher.conversation.handle, sys.stdin, sys.stdout, intro, DEMO_USER, screen
        )
    finally:
        server.should_exit = True
        with contextlib.suppress(BaseException):
            await serving
        await usher.aclose()


async def _telegram_polling(settings: Settings) -> None:
    """The Telegram bot on PTB's polling loop until Ctrl-C (or SIGTERM)."""
    usher = build(settings)
    try:
        bot = telegram_bot(usher, polling=True)
        if bot is None:
            raise ConfigError("USHER_TELEGRAM_TOKEN: needed for usher telegram")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        print("Usher is polling Telegram; Ctrl-C to stop.", file=sys.stderr, flush=True)
        await bot.run_polling(stop)
    finally:
        await usher.aclose()


def _demo_listener(settings: Settings) -> socket.socket:
    """The demo's web port (``USHER_PUBLIC_URL``'s), bound before the prompt appears."""
    url = urlsplit(str(settings.public_url))
    port = url.port or 8000
    return bind(
        url.hostname or "127.0.0.1",
        port,
        how_to_change=f"USHER_PUBLIC_URL, e.g. USHER_PUBLIC_URL=http://localhost:{port + 1}",
    )


class _MetricsServer(uvicorn.Server):
    """The metrics listener: the public server owns the signals and stops this one."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()


class _WithMetrics(uvicorn.Server):
    """The public server, with the metrics server started and stopped alongside it."""

    def __init__(
        self, config: uvicorn.Config, metrics: uvicorn.Server, listener: socket.socket
    ) -> None:
        super().__init__(config)
        self.metrics = metrics
        self.metrics_listener = listener
        self._metrics_task: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self._metrics_task = asyncio.create_task(self.metrics.serve([self.metrics_listener]))

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.metrics.should_exit = True
        if self._metrics_task is not None:
            await self._metrics_task
        await super().shutdown(sockets)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``usher`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "intent":
        return run_intent_command(args.text, sys.stdin, sys.stdout)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"usher: {exc}", file=sys.stderr)
        return 2
    if args.command == "converse":
        logs.configure("ERROR")
        asyncio.run(_converse(settings))
        return 0
    if args.command == "demo":
        logs.configure("ERROR")
        try:
            listener = _demo_listener(settings)
        except PortTaken as exc:
            print(f"usher: {exc}", file=sys.stderr)
            return 2
        asyncio.run(_demo(settings, listener))
        return 0
    logs.configure("INFO")
    if args.command == "serve":
        try:
            listener = bind(
                args.host,
                args.port,
                how_to_change=f"--port, e.g. usher serve --port {args.port + 1}",
            )
            metrics_listener = (
                bind(args.host, args.metrics_port, how_to_change="--metrics-port")
                if args.metrics_port is not None
                else None
            )
        except PortTaken as exc:
            print(f"usher: {exc}", file=sys.stderr)
            return 2
        usher = build(settings)
        if not settings.api_tokens:
            print("POST /api/tm/orders is off: set USHER_API_TOKENS (usher api-token makes one)")
        slack = slack_channel(usher)
        channels: list[WebChannel] = [slack] if slack is not None else []
        try:
            telegram = telegram_bot(usher)
            if telegram is not None:
                channels.append(TelegramWebhook(telegram, set_webhook=args.set_webhook))
            elif args.set_webhook:
                raise ConfigError("USHER_TELEGRAM_TOKEN: needed for --set-webhook")
        except ConfigError as exc:
            print(f"usher: {exc}", file=sys.stderr)
            return 2
        webchat = webchat_channel(usher)
        if webchat is not None:
            channels.append(webchat)
        app = create_app(usher, channels=channels)
        config = uvicorn.Config(app, log_level="warning", **SERVER_OPTIONS)
        if metrics_listener is None:
            uvicorn.Server(config).run([listener])
            return 0
        metrics = _MetricsServer(
            uvicorn.Config(create_metrics_app(usher), log_level="warning", lifespan="off")
        )
        _WithMetrics(config, metrics, metrics_listener).run([listener])
        return 0
    if args.command == "telegram":
        try:
            asyncio.run(_telegram_polling(settings))
        except ConfigError as exc:
            print(f"usher: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.command == "sandbox":
        keys = SandboxKeys.from_settings(settings)
        try:
            listener = bind(args.host, args.port, how_to_change="--port")
        except PortTaken as exc:
            print(f"usher: {exc}", file=sys.stderr)
            return 2
        print(f"Usher sandbox on http://{args.host}:{args.port}\n{keys.describe()}", flush=True)
        uvicorn.Server(uvicorn.Config(Sandbox(keys), log_level="warning")).run([listener])
        return 0
    if args.command == "api-token":
        print(new_api_token())
        return 0
    if args.command == "worker":
        return worker_command(settings)
    if args.command == "jobs":
        return jobs_command(settings, as_json=args.json, out=sys.stdout)
    return 2


if __name__ == "__main__":
    sys.exit(main())
