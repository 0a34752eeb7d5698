"""``POST /telegram/webhook``: Telegram's updates into the running bot, inside ``usher serve``.

The route answers at once and handles the update in a background task: Telegram waits for
our answer before sending that chat's next update and redelivers when the answer is slow, and
a ticket reply (several QR photos, paced at about one message a second per chat) takes longer
than it should wait. The tasks are kept and awaited on shutdown, so a deploy finishes the
turns in flight instead of cutting them off.

What each request gets:

* no ``X-Telegram-Bot-Api-Secret-Token`` header, or a wrong one (compared in constant time):
  403, and the body is not even read. PTB does not check the secret in this mode.
* a body that is not JSON, not an update, or too large: 200 and a log line. Telegram would
  only redeliver the same bad body, so there is nothing to gain from an error status.
* an update of a kind we did not ask for: 200, a log line, nothing done.
* a good update: 200; de-duplication on ``update_id`` happens in ``TelegramBot.process``.

Nothing here answers 500: an unexpected failure is logged and answered 200.
"""

from __future__ import annotations

import asyncio
import hmac
import json

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import Update

from adapters.telegram import WEBHOOK_PATH, TelegramBot
from adapters.telegram_inbound import CHANNEL, update_kind
from bot.metrics import CHANNEL_EVENTS

log = structlog.get_logger("usher.telegram")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
#: Far above any real update (a message is at most 4,096 characters plus its metadata).
MAX_BODY = 256 * 1024


class TelegramWebhook:
    """The Telegram ``WebChannel`` of ``bot.web.create_app``."""

    def __init__(self, bot: TelegramBot, *, set_webhook: bool = False) -> None:
        """``set_webhook``: call ``setWebhook`` (and set the command menu) at start-up."""
        self.bot = bot
        self.secret = bot.config.require_secret().encode()
        self.set_webhook = set_webhook
        self._tasks: set[asyncio.Task[None]] = set()

    def routes(self) -> list[BaseRoute]:
        """The webhook route."""
        return [Route(WEBHOOK_PATH, self.receive, methods=["POST"])]

    async def start(self) -> None:
        """Start PTB (``getMe``), and register the webhook when asked to."""
        await self.bot.start()
        if self.set_webhook:
            try:
                await self.bot.set_webhook()
            except Exception:
                await self.bot.stop()
                raise

    async def stop(self) -> None:
        """Finish the updates in hand, then stop PTB."""
        await self.wait_idle()
        await self.bot.stop()

    async def wait_idle(self) -> None:
        """Return once every update received so far has been handled."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def receive(self, request: Request) -> Response:
        """One webhook call from Telegram."""
        given = request.headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode(), self.secret):
            CHANNEL_EVENTS.labels(CHANNEL, "forbidden").inc()
            log.warning("telegram_webhook_forbidden", secret_given=given is not None)
            return Response(status_code=403)
        try:
            update = await self._read(request)
            if update is not None:
                self._spawn(update)
        except Exception:
            log.exception("telegram_webhook_failed")
        return Response(status_code=200)

    async def _read(self, request: Request) -> Update | None:
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_BODY:
                _malformed("body too large")
                return None
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            _malformed("not JSON")
            return None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            _malformed("not an update")
            return None
        try:
            update = Update.de_json(data, self.bot.application.bot)
        except Exception as exc:
            _malformed("not an update", error=str(exc))
            return None
        if not self.bot.wants(update):
            CHANNEL_EVENTS.labels(CHANNEL, "ignored").inc()
            log.info(
                "telegram_update_ignored", update_id=update.update_id, kind=update_kind(update)
            )
            return None
        return update

    def _spawn(self, update: Update) -> None:
        task = asyncio.create_task(self.bot.application.process_update(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _malformed(reason: str, **details: str) -> None:
    """Count and log a body that is not an update."""
    CHANNEL_EVENTS.labels(CHANNEL, "malformed").inc()
    log.warning("telegram_webhook_malformed", reason=reason, **details)
