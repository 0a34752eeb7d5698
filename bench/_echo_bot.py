"""The bare python-telegram-bot echo bot of ``bench.turns``, with a webhook, in its own process.

PTB's own recipe for a webhook inside an ASGI app (its ``customwebhookbot`` Starlette example):
the route puts ``Update.de_json(body)`` on the application's update queue and answers 200; the
application (no updater, ``base_url`` pointed at the fake Bot API) runs one ``MessageHandler``
that answers ``reply_text(text)``: one ``sendMessage`` per update, nothing else. Updates are
handled up to 32 at a time, as ``usher serve`` handles its inbox (``MAX_IN_FLIGHT``).

    python -m bench._echo_bot --api http://127.0.0.1:8201 --port 8301
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from adapters.telegram.app import WEBHOOK_PATH, PtbApplication
from tests.support.fake_telegram import TOKEN

#: Updates handled at once (``adapters.telegram.inbox.MAX_IN_FLIGHT`` for Usher).
CONCURRENT_UPDATES = 32


async def _echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text is not None:
        await message.reply_text(message.text)


def echo_bot(api: str) -> PtbApplication:
    """The bare echo bot on the fake Bot API at ``api``."""
    app: PtbApplication = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .updater(None)
        .concurrent_updates(CONCURRENT_UPDATES)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    return app


def webhook_app(bot: PtbApplication) -> Starlette:
    """The webhook: each POSTed update onto the bot's queue, answered 200 at once."""

    async def receive(request: Request) -> Response:
        await bot.update_queue.put(Update.de_json(await request.json(), bot.bot))
        return Response()

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with bot:
            await bot.start()
            yield
            await bot.stop()

    return Starlette(routes=[Route(WEBHOOK_PATH, receive, methods=["POST"])], lifespan=lifespan)


def main() -> None:
    """Serve the echo bot's webhook on loopback until terminated."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", required=True)
    parser.add_argument("--port", type=int, required=True)
    options = parser.parse_args()
    app = webhook_app(echo_bot(options.api))
    uvicorn.run(app, host="127.0.0.1", port=options.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
