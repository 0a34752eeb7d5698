"""Several ``usher serve`` processes on one Redis are one Telegram bot: real processes.

Two serves share the real Redis, the fake Bot API and one sandbox (the app ``usher sandbox``
serves, run here so faults can be put in it), with a one-second takeover time. Updates are
posted to their webhooks as Telegram would post them; what the fan gets is read at the fake.
"""

from __future__ import annotations

import asyncio
import signal
import time
from asyncio.subprocess import Process
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as redis_asyncio

from adapters.sandbox.app import Sandbox
from adapters.sandbox.config import (
    DEFAULT_ACME_API_KEY,
    DEFAULT_ACME_PUB_API_KEY,
    DEFAULT_ACME_TENANT_ID,
    DEFAULT_TM_API_KEY,
)
from adapters.sandbox.faults import Fault
from adapters.telegram.inbox import GROUP
from adapters.telegram.webhook import SECRET_HEADER
from tests.adapters.telegram.conftest import (
    FAN_ID,
    SECRET,
    decode_qr,
    load_update,
    press_update,
    text_update,
)
from tests.adapters.telegram.processes import launched, output_of, telegram_env, until
from tests.conftest import TEST_REDIS_URL
from tests.support.fake_telegram import Call, FakeTelegram
from tests.support.redis_server import PrivateRedis
from tests.support.servers import free_port, serve_in_loop

INBOX = "usher:telegram:inbox"
VERIFIED = "phone number is verified"
ASK = "make sure it's you"


@dataclass
class Serve:
    """One ``usher serve`` process."""

    name: str
    url: str
    proc: Process
    log: Path

    async def post(self, http: httpx.AsyncClient, update: dict[str, Any]) -> httpx.Response:
        """POST ``update`` to this process's webhook, as Telegram does."""
        return await http.post(
            f"{self.url}/telegram/webhook", json=update, headers={SECRET_HEADER: SECRET}
        )


@dataclass
class Bot:
    """The serves, their Redis and the fake Bot API: one bot, as the fan sees it."""

    serves: list[Serve]
    redis: redis_asyncio.Redis
    fake: FakeTelegram
    http: httpx.AsyncClient

    async def deliver(self, serve: Serve, update: dict[str, Any]) -> list[Call]:
        """Post ``update`` to ``serve``; once every queued update is handled, what was sent."""
        before = len(self.fake.messages())
        assert (await serve.post(self.http, update)).status_code == 200
        await self.settled()
        return self.fake.messages()[before:]

    async def settled(self, *, within: float = 20) -> None:
        """Wait until the inbox is empty: every update queued so far is handled."""

        async def empty() -> bool:
            return int(await self.redis.xlen(INBOX)) == 0

        await until(empty, "an empty inbox", self.serves[0].log, within=within)


def serve_env(fake: FakeTelegram, redis_url: str, sandbox_url: str | None) -> dict[str, str]:
    """The settings of every serve: one bot, one Redis, one sandbox, a one-second takeover."""
    upstreams = (
        {
            "USHER_ACME_BASE_URL": sandbox_url,
            "USHER_ACME_API_KEY": DEFAULT_ACME_API_KEY,
            "USHER_ACME_TENANT_ID": str(DEFAULT_ACME_TENANT_ID),
            "USHER_TM_BASE_URL": sandbox_url,
            "USHER_TM_API_KEY": DEFAULT_TM_API_KEY,
            "USHER_ACME_PUB_API_KEY": DEFAULT_ACME_PUB_API_KEY,
            "USHER_ALLOW_HTTP": "true",  # the simulators over loopback HTTP
            "USHER_SECRET_KEY": "scale-out-test-key-0123456789abcdefghij",
            "USHER_SMTP_URL": "smtps://127.0.0.1:9",  # never used: fans verify by phone here
            "USHER_TIMEZONE": "America/Los_Angeles",
        }
        if sandbox_url is not None
        else {}
    )
    return telegram_env(
        fake,
        USHER_TELEGRAM_WEBHOOK_SECRET=SECRET,
        USHER_REDIS_URL=redis_url,
        USHER_TELEGRAM_TAKEOVER="1s",
        **upstreams,
    )


@asynccontextmanager
async def running(
    tmp_path: Path,
    fake: FakeTelegram,
    redis_url: str,
    sandbox_url: str | None,
    *,
    count: int = 2,
) -> AsyncIterator[Bot]:
    """``count`` serves on ``redis_url``, up and consuming."""
    env = serve_env(fake, redis_url, sandbox_url)
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
        serves = []
        for name in "ABCD"[:count]:
            port, log = free_port(), tmp_path / f"serve-{name}.log"
            proc = await stack.enter_async_context(
                launched(log, "serve", "--port", str(port), env=env)
            )
            serves.append(Serve(name, f"http://127.0.0.1:{port}", proc, log))
        for serve in serves:

            async def up(url: str = serve.url) -> bool:
                return (await http.get(f"{url}/healthz")).status_code == 200

            await until(up, f"serve {serve.name} start", serve.log)
        client = redis_asyncio.Redis.from_url(redis_url)
        stack.push_async_callback(client.aclose)
        yield Bot(serves, client, fake, http)


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[Sandbox, str]]:
    """One ACME and Ticketmaster sandbox for every serve, steerable from the test."""
    box = Sandbox()
    async with serve_in_loop(box) as url:
        yield box, url


@pytest.fixture
async def bot(
    tmp_path: Path,
    fake_api: FakeTelegram,
    real_redis: redis_asyncio.Redis,
    sandbox: tuple[Sandbox, str],
) -> AsyncIterator[Bot]:
    """Two serves on the real Redis (its test database, flushed)."""
    async with running(tmp_path, fake_api, TEST_REDIS_URL, sandbox[1]) as started:
        yield started


def texts(calls: list[Call]) -> list[str]:
    return [
        call.params.get("text") or "\n".join(caption for _, caption in call.photos())
        for call in calls
    ]


def assert_once_each(calls: list[Call]) -> None:
    """No message twice: every text and every QR code of an answer is new."""
    words = [call.params["text"] for call in calls if call.method == "sendMessage"]
    codes = [decode_qr(png) for call in calls for png, _ in call.photos()]
    assert len(words) == len(set(words)), words
    assert len(codes) == len(set(codes)), codes


async def test_a_conversation_alternating_between_processes_is_one_conversation(
    bot: Bot,
) -> None:
    a, b = bot.serves
    asked = await bot.deliver(a, text_update(1, "my tickets"))
    assert ASK in texts(asked)[0]

    verified = await bot.deliver(b, load_update("contact_own", 2))
    assert VERIFIED in texts(verified)[0]
    assert any(call.photos() for call in verified)
    assert_once_each(verified)

    orders = await bot.deliver(a, text_update(3, "my orders"))
    assert orders
    assert all(ASK not in text for text in texts(orders))  # B's verification holds on A
    buttons = [
        button
        for call in orders
        if "reply_markup" in call.params
        for row in call.json("reply_markup").get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    ]
    assert buttons

    pressed = await bot.deliver(b, press_update(4, buttons[0]["callback_data"]))
    assert pressed  # the button A sent works on B: its payload is in the shared Redis
    assert all("expired" not in text for text in texts(pressed))
    assert len(bot.fake.sent("answerCallbackQuery")) == 1
    assert {call.params["chat_id"] for call in bot.fake.messages()} == {str(FAN_ID)}


async def test_an_update_delivered_to_both_processes_is_answered_once(bot: Bot) -> None:
    a, b = bot.serves
    update = text_update(7, "help")
    first, second = await asyncio.gather(a.post(bot.http, update), b.post(bot.http, update))
    assert first.status_code == second.status_code == 200
    await bot.settled()
    [answer] = bot.fake.messages()
    assert answer.params["text"].startswith("Here's what I can do")


async def test_a_process_killed_mid_turn_loses_nothing_and_does_nothing_twice(
    bot: Bot, sandbox: tuple[Sandbox, str]
) -> None:
    asked = await bot.deliver(bot.serves[0], text_update(1, "my tickets"))
    assert ASK in texts(asked)[0]
    before = len(bot.fake.messages())
    # The order search of the next turn hangs: the turn is in progress until we kill it.
    stuck = sandbox[0].faults.add(Fault("/v2/b2c/orders/search", method="GET", hang=True, times=1))
    assert (await bot.serves[0].post(bot.http, load_update("contact_own", 2))).status_code == 200

    async def in_progress() -> bool:
        return stuck.hits == 1

    await until(in_progress, "the slow search", bot.serves[0].log)
    # Whichever process took the update from the inbox is the one to kill.
    [pending] = await bot.redis.xpending_range(INBOX, GROUP, min="-", max="+", count=10)
    holder_pid = int(pending["consumer"].decode().rsplit("-", 2)[1])  # host-pid-random
    [victim] = [serve for serve in bot.serves if serve.proc.pid == holder_pid]
    [survivor] = [serve for serve in bot.serves if serve is not victim]
    killed_at = time.monotonic()
    victim.proc.send_signal(signal.SIGKILL)
    assert await victim.proc.wait() == -signal.SIGKILL
    assert bot.fake.messages()[before:] == []  # it died before answering

    await bot.settled(within=30)
    answer = bot.fake.messages()[before:]
    assert VERIFIED in texts(answer)[0]
    assert sum(VERIFIED in text for text in texts(answer)) == 1
    assert any(call.photos() for call in answer)
    assert_once_each(answer)
    assert all("still working" not in text for text in texts(answer))
    assert "telegram_update_taken_over" in output_of(survivor.log)
    # The dead process's turn lock (10 s lease) bounds how long the fan waited.
    assert time.monotonic() - killed_at < 20


async def test_intake_answers_503_while_redis_is_down_and_the_retry_is_handled(
    tmp_path: Path, fake_api: FakeTelegram
) -> None:
    folder = tmp_path / "redis"
    folder.mkdir()
    private = PrivateRedis(folder)
    private.start()
    try:
        async with running(tmp_path, fake_api, private.url, None, count=1) as one:
            [serve] = one.serves
            await one.deliver(serve, text_update(1, "help"))
            private.kill()
            update = text_update(2, "cancel")
            assert (await serve.post(one.http, update)).status_code == 503
            assert (await one.http.get(f"{serve.url}/healthz")).status_code == 503
            private.start()  # same port and data: the inbox and its group survived
            await one.deliver(serve, update)  # Telegram's retry
    finally:
        private.kill()
    first, second = texts(fake_api.messages())
    assert first.startswith("Here's what I can do")
    assert second == "Nothing to cancel. What can I help with?"
