"""The Telegram settings, checked, and the PTB application built from them.

``TelegramConfig.from_settings`` turns the ``USHER_TELEGRAM_*`` settings into one checked value
(ConfigError with one line naming the variable when one is wrong); ``build_application`` makes
the PTB ``Application``: with PTB's updater for ``usher telegram --polling``, without one for
the webhook served inside ``usher serve``, pointed at a local Bot API (or a test's fake) when
``USHER_TELEGRAM_API_URL`` is set, and sending on aiohttp (``adapters.telegram.transport``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from telegram.ext import Application

from adapters.telegram.transport import AiohttpRequest
from bot.app.settings import Settings
from bot.errors import ConfigError

TOKEN_PATTERN = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")
#: Telegram's rule for ``secret_token``.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
WEBHOOK_PATH = "/telegram/webhook"

PtbApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class TelegramConfig:
    """The Telegram settings, checked."""

    token: str
    api_url: str | None = None
    webhook_secret: str | None = None
    public_url: str = "http://localhost:8000"
    #: Seconds after which another process takes over an update whose handler stopped.
    takeover: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramConfig | None:
        """None when Telegram is off (no ``USHER_TELEGRAM_TOKEN``); ConfigError when wrong."""
        if settings.telegram_token is None:
            return None
        token = settings.telegram_token.get_secret_value().strip()
        if not TOKEN_PATTERN.match(token):
            raise ConfigError("USHER_TELEGRAM_TOKEN: expected the token from @BotFather (123:ABC)")
        secret = settings.telegram_webhook_secret
        if secret is not None and not SECRET_PATTERN.match(secret.get_secret_value()):
            raise ConfigError(
                "USHER_TELEGRAM_WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and -"
            )
        api_url = settings.telegram_api_url
        return cls(
            token=token,
            api_url=str(api_url).rstrip("/") if api_url is not None else None,
            webhook_secret=secret.get_secret_value() if secret is not None else None,
            public_url=str(settings.public_url).rstrip("/"),
            takeover=settings.telegram_takeover.total_seconds(),
        )

    @property
    def bot_id(self) -> str:
        """The bot's numeric id (the token's public half): scopes its Redis keys and limits."""
        return self.token.split(":", 1)[0]

    @property
    def webhook_url(self) -> str:
        """Where Telegram is told to POST updates."""
        return self.public_url + WEBHOOK_PATH

    def require_secret(self) -> str:
        """The webhook secret; a webhook without one would accept updates from anyone."""
        if self.webhook_secret is None:
            raise ConfigError(
                "USHER_TELEGRAM_WEBHOOK_SECRET: needed for the webhook when "
                "USHER_TELEGRAM_TOKEN is set"
            )
        return self.webhook_secret


def build_application(config: TelegramConfig, *, polling: bool = False) -> PtbApplication:
    """A PTB application for ``config``: with PTB's updater for polling, without for webhooks.

    Bot API calls go through ``AiohttpRequest`` (``adapters.telegram.transport``), with the
    connection pools PTB's builder would give its own transport: 256 for calls, 1 for
    ``getUpdates`` (made even without an updater: PTB's ``Bot`` always holds both). PTB refuses
    its pool-size and timeout builder methods next to a request object: set them here instead.
    """
    # Polling handles one update at a time (PTB's default), so a fan's messages are answered
    # in the order they were sent.
    builder = (
        Application.builder()
        .token(config.token)
        .request(AiohttpRequest(connection_pool_size=256))
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
    )
    if config.api_url is not None:
        builder = builder.base_url(f"{config.api_url}/bot")
        builder = builder.base_file_url(f"{config.api_url}/file/bot")
    if not polling:
        builder = builder.updater(None)
    return builder.build()
