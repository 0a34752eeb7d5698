"""``POST /telegram/webhook``: Telegram's updates into Redis, inside ``usher serve``.

The route answers as soon as the update is safely queued in the Telegram inbox (a Redis
stream, ``adapters.telegram.inbox``): Telegram waits for our answer before sending that chat's
next update and redelivers when the answer is slow, and a ticket reply (several QR photos,
paced at about one message a second per chat) takes longer than it should wait. Every
``usher serve`` runs a consumer on the inbox, so the update is handled by whichever process is
free, and taken over by another one if the process handling it dies.

What each request gets:

* no ``X-Telegram-Bot-Api-Secret-Token`` header, or a wrong one (compared in constant time):
  403, and the body is not even read. PTB does not check the secret in this mode.
* a ``Content-Length`` over :data:`MAX_BODY`: 413, nothing read (``adapters.bodies``).
* a body that is not JSON, not an update, or that turns out too large while it is read (no
  length declared): 200 and a log line, reading stops at the limit. Telegram would only
  redeliver the same bad body, so there is nothing to gain from an error status.
* an update of a kind we did not ask for: 200, a log line, nothing done.
* a good update: 200 once it is in the inbox; 503 when Redis cannot take it, so Telegram
  keeps it and tries again later (an update is never acknowledged before it is stored).
  De-duplication on ``update_id`` happens when it is handled (``TelegramBot.process``).

Nothing here answers 500: an unexpected failure reading a body is logged and answered 200.
"""

from __future__ import annotations

import hmac
import json

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import Update

from adapters.bodies import declared_too_large, too_large
from adapters.telegram.bot import WEBHOOK_PATH, TelegramBot
from adapters.telegram.inbound import CHANNEL, update_kind
from adapters.telegram.inbox import Inbox
from adapters.telegram.inbox_consumer import InboxConsumer, poll_until
from bot.app.metrics import CHANNEL_EVENTS

log = structlog.get_logger("usher.telegram")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
#: Far above any real update (a message is at most 4,096 characters plus its metadata).
MAX_BODY = 256 * 1024
IDLE_POLL = 0.01


class TelegramWebhook:
    """The Telegram ``WebChannel`` of ``bot.app.web.create_app``."""

    def __init__(self, bot: TelegramBot, *, set_webhook: bool = False) -> None:
        """``set_webhook``: call ``setWebhook`` (and set the command menu) at start-up."""
        self.bot = bot
        self.secret = bot.config.require_secret().encode()
        self.set_webhook = set_webhook
        self.inbox = Inbox(bot.store)
        self.consumer = InboxConsumer(self.inbox, bot, takeover=bot.config.takeover)

    def routes(self) -> list[BaseRoute]:
        """The webhook route."""
        return [Route(WEBHOOK_PATH, self.receive, methods=["POST"])]

    async def start(self) -> None:
        """Start PTB (``getMe``), register the webhook when asked to, and work the inbox."""
        await self.bot.start()
        if self.set_webhook:
            try:
                await self.bot.set_webhook()
            except Exception:
                await self.bot.stop()
                raise
        await self.consumer.start()

    async def stop(self) -> None:
        """Finish the updates in hand (others stay queued for other processes), stop PTB."""
        await self.consumer.stop()
        await self.bot.stop()

    async def wait_idle(self) -> None:
        """Return once every update queued so far, by any process, has been handled."""
        await poll_until(self._idle, IDLE_POLL)

    async def _idle(self) -> bool:
        return not self.consumer.working and not await self.inbox.size()

    async def receive(self, request: Request) -> Response:
        """One webhook call from Telegram."""
        given = request.headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode(), self.secret):
            CHANNEL_EVENTS.labels(CHANNEL, "forbidden").inc()
            log.warning("telegram_webhook_forbidden", secret_given=given is not None)
            return Response(status_code=403)
        if declared_too_large(request, MAX_BODY):
            _malformed("body too large")
            return too_large(MAX_BODY)
        try:
            received = await self._read(request)
        except Exception:
            log.exception("telegram_webhook_failed")
            return Response(status_code=200)
        if received is None:
            return Response(status_code=200)
        body, update = received
        sender = update.effective_user
        try:
            await self.inbox.add(body, str(sender.id) if sender is not None else "", update)
        except Exception as exc:
            CHANNEL_EVENTS.labels(CHANNEL, "unavailable").inc()
            log.error(
                "telegram_intake_unavailable", update_id=update.update_id, error=type(exc).__name__
            )
            return Response(status_code=503)
        return Response(status_code=200)

    async def _read(self, request: Request) -> tuple[bytes, Update] | None:
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
        return bytes(body), update


def _malformed(reason: str, **details: str) -> None:
    """Count and log a body that is not an update."""
    CHANNEL_EVENTS.labels(CHANNEL, "malformed").inc()
    log.warning("telegram_webhook_malformed", reason=reason, **details)
