"""Telegram tests: a real PTB application against the fake Bot API, over loopback HTTP."""

from __future__ import annotations

import asyncio
import copy
import io
import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image

from adapters.store.pacing import Limits, Rate
from adapters.telegram.bot import TelegramBot, TelegramConfig, build_application
from adapters.telegram.webhook import SECRET_HEADER, TelegramWebhook
from bot.app.bootstrap import Usher
from bot.app.web import create_app
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.servers import serve_in_loop

DATA = Path(__file__).parents[2] / "data" / "telegram"
SECRET = "webhook-secret_0123456789"
PUBLIC_URL = "https://usher.example.com"
#: The fan of the sample updates (sandbox fan Alex Rivera, phone +1 415 555 0134).
FAN_ID = 5550134
#: Tests about the conversation should not wait on Telegram's 1 message/s per chat.
UNPACED = Limits(overall=Rate(1000.0, burst=100), per_chat=Rate(1000.0, burst=100))


def load_update(name: str, update_id: int | None = None, **message: Any) -> dict[str, Any]:
    """A sample update from tests/data/telegram, with a new id and message fields if given."""
    data: dict[str, Any] = copy.deepcopy(json.loads((DATA / f"{name}.json").read_text()))
    if update_id is not None:
        data["update_id"] = update_id
    if message:
        data["message"].update(message)
    return data


def text_update(update_id: int, text: str, **sender: Any) -> dict[str, Any]:
    """A private text message from the fan."""
    data = load_update("text_message", update_id, text=text)
    data["message"]["from"].update(sender)
    return data


def press_update(update_id: int, callback_data: str) -> dict[str, Any]:
    """A press on an inline button carrying ``callback_data``."""
    data = load_update("callback_query", update_id)
    data["callback_query"]["data"] = callback_data
    data["callback_query"]["message"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] = (
        callback_data
    )
    return data


def decode_qr(png: bytes) -> str:
    """What a phone's scanner reads from a photo we sent."""
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, f"expected one QR code, found {len(found)}"
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(found[0].text)


def telegram_config(fake: FakeTelegram, *, takeover: float = 30.0) -> TelegramConfig:
    return TelegramConfig(
        token=TOKEN,
        api_url=fake.url,
        webhook_secret=SECRET,
        public_url=PUBLIC_URL,
        takeover=takeover,
    )


def telegram_bot(
    usher: Usher,
    fake: FakeTelegram,
    *,
    limits: Limits = UNPACED,
    polling: bool = False,
    takeover: float = 30.0,
) -> TelegramBot:
    """A Telegram bot for ``usher``, built as ``usher serve`` builds it, on the fake API."""
    config = telegram_config(fake, takeover=takeover)
    return TelegramBot(
        build_application(config, polling=polling),
        config,
        usher.conversation.handle,
        usher.store,
        messenger=usher.messenger,
        limits=limits,
    )


@dataclass
class Served:
    """Usher's web app with the Telegram channel, served on loopback."""

    url: str
    channel: TelegramWebhook
    fake: FakeTelegram
    http: httpx.AsyncClient

    async def post(
        self, body: dict[str, Any] | bytes, *, secret: str | None = SECRET
    ) -> httpx.Response:
        """POST to the webhook as Telegram does (JSON body, secret header)."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return await self.http.post(
            f"{self.url}/telegram/webhook", content=content, headers=headers
        )

    async def deliver(self, body: dict[str, Any] | bytes) -> httpx.Response:
        """POST, then wait until the update has been handled."""
        response = await self.post(body)
        await self.channel.wait_idle()
        return response


@asynccontextmanager
async def serving(usher: Usher, fake: FakeTelegram, bot: TelegramBot) -> AsyncIterator[Served]:
    """Another ``usher serve`` in this process: ``bot``'s webhook and inbox consumer."""
    channel = TelegramWebhook(bot)
    app = create_app(usher, channels=[channel], close_on_shutdown=False)
    async with serve_in_loop(app) as url, httpx.AsyncClient(timeout=10) as http:
        yield Served(url, channel, fake, http)


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    async with serve_in_loop(fake.app) as url:
        fake.url = url
        yield fake


@pytest.fixture
async def served(usher: Usher) -> AsyncIterator[Served]:
    """The fake Bot API and Usher's web app, each on its own loopback port."""
    fake = FakeTelegram()
    running: list[AbstractAsyncContextManager[str]] = []
    try:
        fake_server = serve_in_loop(fake.app)
        fake.url = await fake_server.__aenter__()
        running.append(fake_server)
        channel = TelegramWebhook(telegram_bot(usher, fake))
        app_server = serve_in_loop(create_app(usher, channels=[channel], close_on_shutdown=False))
        url = await app_server.__aenter__()
        running.append(app_server)
        async with httpx.AsyncClient(timeout=10) as http:
            yield Served(url, channel, fake, http)
    finally:
        # Both at once: uvicorn takes a few ticks to stop. Stopping the app stops PTB, which
        # makes no Bot API call on its way out.
        await asyncio.gather(*(server.__aexit__(None, None, None) for server in running))
