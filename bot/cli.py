"""The ``usher`` command (design.md's public contract).

    usher demo                      chat in the terminal against the built-in sandboxes
    usher converse                  the same bot over JSON lines (scripts and tests)
    usher serve [--host --port]     the web app (pages, API, health, metrics)
    usher intent ["TEXT"]           print the recognised intent and slots as JSON
    usher sandbox [--host --port]   serve the ACME and Ticketmaster simulators
    usher api-token                 print the bearer token for POST /api/tm/orders

A configuration problem prints one line naming the variable and exits with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence
from urllib.parse import urlsplit

import uvicorn

from adapters import console
from adapters.pages.tm_orders_api import api_token
from adapters.sandbox.app import Sandbox
from adapters.sandbox.config import SandboxKeys
from adapters.sandbox.demo import register_demo_orders
from bot import logs
from bot.bootstrap import build
from bot.errors import ConfigError
from bot.intent_cli import run_intent_command
from bot.messages import Fan
from bot.settings import Settings, load_settings
from bot.web import create_app

DEMO_USER = "demo"
DEMO_INTRO = """Usher demo: you are chatting with the bot on the built-in sandboxes.
Try "where are my tickets?", then the email alex.rivera@example.com (the sandbox shows the
code mail right here), or share a phone with /contact +14155550134, or send an order number
with its email: 100148401 janedoe@gmail.com. Your Ticketmaster orders open on the ticket
page served at USHER_PUBLIC_URL (http://localhost:8000).
Type a button's number to press it, /quit to leave."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="usher", description="Usher, the ticket bot.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="chat in the terminal against the built-in sandboxes")
    sub.add_parser("converse", help="the bot over JSON lines on stdin/stdout")
    serve = sub.add_parser("serve", help="run the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    intent = sub.add_parser("intent", help="recognise the intent of TEXT (or of each stdin line)")
    intent.add_argument("text", nargs="?")
    sandbox = sub.add_parser("sandbox", help="serve the ACME and Ticketmaster simulators")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8100)
    sub.add_parser("api-token", help="print the bearer token of POST /api/tm/orders")
    return parser


async def _converse(settings: Settings) -> None:
    usher = build(settings)
    try:
        await console.converse(usher.conversation.handle, sys.stdin, sys.stdout)
    finally:
        await usher.aclose()


async def _demo(settings: Settings) -> None:
    """The terminal chat, with the web app served alongside so ticket links open."""
    usher = build(settings)
    if settings.tm_sandbox:
        await register_demo_orders(usher.tm_orders, Fan(console.CHANNEL, DEMO_USER))
    url = urlsplit(str(settings.public_url))
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(usher, close_on_shutdown=False),
            host=url.hostname or "127.0.0.1",
            port=url.port or 8000,
            log_level="critical",
            lifespan="off",
        )
    )
    serving = asyncio.create_task(server.serve())
    try:
        await console.demo(
            usher.conversation.handle, sys.stdin, sys.stdout, DEMO_INTRO, user=DEMO_USER
        )
    finally:
        server.should_exit = True
        with contextlib.suppress(BaseException):
            await serving
        await usher.aclose()


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
    if args.command in ("demo", "converse"):
        logs.configure("ERROR")
        asyncio.run(_demo(settings) if args.command == "demo" else _converse(settings))
        return 0
    logs.configure("INFO")
    if args.command == "serve":
        usher = build(settings)
        if settings.secret_key is None:
            print(f"sandbox API token (POST /api/tm/orders): {api_token(settings.signing_key())}")
        uvicorn.run(create_app(usher), host=args.host, port=args.port, log_level="warning")
        return 0
    if args.command == "sandbox":
        keys = SandboxKeys.from_settings(settings)
        print(f"Usher sandbox on http://{args.host}:{args.port}\n{keys.describe()}", flush=True)
        uvicorn.run(Sandbox(keys), host=args.host, port=args.port, log_level="warning")
        return 0
    if args.command == "api-token":
        if settings.secret_key is None:
            print("usher: USHER_SECRET_KEY: set it to get a stable API token", file=sys.stderr)
            return 2
        print(api_token(settings.signing_key()))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
