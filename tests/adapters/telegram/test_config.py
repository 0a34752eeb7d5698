"""The Telegram settings: checked once, one line naming the variable when wrong."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.telegram.bot import TelegramBot, TelegramConfig, build_application
from bot.app.bootstrap import Usher
from bot.app.settings import load_settings
from bot.errors import ConfigError
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.production import PRODUCTION


def config(**settings: Any) -> TelegramConfig | None:
    return TelegramConfig.from_settings(load_settings(**{**PRODUCTION, **settings}))


def test_telegram_is_off_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("USHER_TELEGRAM_TOKEN", raising=False)
    assert config() is None


def test_the_settings_make_the_webhook_url_and_the_api_url() -> None:
    made = config(
        telegram_token=f" {TOKEN} ",
        telegram_webhook_secret="s3cret_-",
        telegram_api_url="http://127.0.0.1:8081/",
        public_url="https://tickets.example.com/",
    )
    assert made == TelegramConfig(
        token=TOKEN,
        api_url="http://127.0.0.1:8081",
        webhook_secret="s3cret_-",
        public_url="https://tickets.example.com",
    )
    assert made.bot_id == "7000000001"
    assert made.webhook_url == "https://tickets.example.com/telegram/webhook"
    assert made.require_secret() == "s3cret_-"


@pytest.mark.parametrize(
    ("settings", "line"),
    [
        (
            {"telegram_token": "not-a-token"},
            "USHER_TELEGRAM_TOKEN: expected the token from @BotFather (123:ABC)",
        ),
        (
            {"telegram_token": "123:abc def"},
            "USHER_TELEGRAM_TOKEN: expected the token from @BotFather (123:ABC)",
        ),
        (
            {"telegram_token": TOKEN, "telegram_webhook_secret": "has spaces"},
            "USHER_TELEGRAM_WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and -",
        ),
        (
            {"telegram_token": TOKEN, "telegram_webhook_secret": "x" * 257},
            "USHER_TELEGRAM_WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and -",
        ),
    ],
)
def test_a_wrong_setting_is_one_line_naming_it(settings: dict[str, str], line: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config(**settings)
    assert str(raised.value) == line


def test_the_webhook_needs_its_secret() -> None:
    made = config(telegram_token=TOKEN)
    assert made is not None
    with pytest.raises(ConfigError, match=r"^USHER_TELEGRAM_WEBHOOK_SECRET: needed"):
        made.require_secret()


async def test_a_token_telegram_refuses_stops_start_up_with_one_line(
    usher: Usher, fake_api: FakeTelegram
) -> None:
    config = TelegramConfig(token="7000000001:revoked", api_url=fake_api.url)
    bot = TelegramBot(build_application(config), config, usher.conversation.handle, usher.store)
    with pytest.raises(ConfigError) as raised:
        await bot.start()
    assert str(raised.value) == "USHER_TELEGRAM_TOKEN: Telegram does not accept this token"
    assert "revoked" not in str(raised.value)
