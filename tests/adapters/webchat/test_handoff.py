"""Human handoff from web chat, as from Telegram: the agent answers in Slack, the widget shows it.

The fan talks over a real socket; the agents' side is the real Bolt app against the fake
Slack; both channels run in one served Usher on the real Redis.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
import redis.asyncio as redis_asyncio

from adapters.slack.app import SlackChannel
from adapters.store.handoff_queue import HandoffBoard
from adapters.store.store import Store
from adapters.webchat.frames import SERVER_OPTIONS
from bot import copy
from bot.app.bootstrap import build
from bot.app.channels import slack_channel, webchat_channel
from bot.app.settings import load_settings
from bot.app.web import create_app
from bot.messages import Fan
from tests.adapters.webchat.conftest import VENUE, Site, text_of
from tests.conftest import TEST_REDIS_URL
from tests.support.chat import Outbox
from tests.support.fake_slack import BOT_TOKEN, FakeSlack
from tests.support.production import PRODUCTION
from tests.support.servers import free_port, serve_in_loop
from tests.support.slack_env import AGENT, ALWAYS_STAFFED, HANDOFF_CHANNEL
from tests.support.slack_requests import SIGNING_SECRET, SlackSender

pytestmark = pytest.mark.redis


@pytest.fixture
async def desk(
    real_redis: redis_asyncio.Redis,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[Site, SlackChannel, SlackSender]]:
    """Usher with web chat and Slack (agents, a handoff channel) served on loopback."""
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)
    fake_slack.reset()
    port = free_port()
    settings = load_settings(
        webchat_origins=VENUE,
        public_url=f"http://127.0.0.1:{port}",
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=f"{fake_slack.base_url}/api/",
        slack_agents=AGENT,
        slack_handoff_channel=HANDOFF_CHANNEL,
        staff_config=ALWAYS_STAFFED,
        **PRODUCTION,
    )
    store = Store(redis_asyncio.Redis.from_url(TEST_REDIS_URL), prefix="usher-test:")
    outbox = Outbox()
    async with AsyncExitStack() as stack:
        usher = build(settings, mailer=outbox, store=store)
        stack.push_async_callback(usher.aclose)
        webchat, slack = webchat_channel(usher), slack_channel(usher)
        assert webchat is not None
        assert slack is not None
        app = create_app(usher, channels=[webchat, slack], close_on_shutdown=False)
        url = await stack.enter_async_context(serve_in_loop(app, port, **SERVER_OPTIONS))
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
        site = Site(usher, webchat, url, outbox, [])

        async def close_widgets() -> None:
            for widget in site.widgets:
                await widget.close()

        stack.push_async_callback(close_widgets)
        yield site, slack, SlackSender(http, url, fake_slack.response_url())


async def test_an_agents_reply_reaches_the_open_widget(
    desk: tuple[Site, SlackChannel, SlackSender], fake_slack: FakeSlack
) -> None:
    site, slack, sender = desk
    fan = site.widget()
    await fan.open()
    await fan.answer("my tickets never arrived")
    assert text_of(await fan.answer("human")) == copy.text("human_queued", position=1)
    posted = await fake_slack.wait_message(lambda m: m["channel"] == HANDOFF_CHANNEL)
    assert "web" in str(posted["text"]) + str(posted.get("blocks"))
    board = HandoffBoard(site.usher.store)
    for _ in range(500):
        if await board.thread_of(Fan("web", str(fan.session_id))) is not None:
            break
        await asyncio.sleep(0.01)

    shown = {k: v for k, v in posted.items() if k != "channel"}
    taken = await sender.press(AGENT, "usher:take", "take", channel=HANDOFF_CHANNEL, message=shown)
    assert taken.status_code == 200
    assert (await fan.next("message"))["replies"][0]["text"] == copy.text("human_taken")

    # The fan's words go to the agents (nothing from the bot), then the agent answers.
    await fan.say("it's order 100148401")
    echo = await fan.next("message")
    assert echo["from"] == "fan"
    relayed = await fake_slack.wait_message(lambda m: m.get("thread_ts") == posted["ts"])
    assert "100148401" in relayed["text"]
    event: dict[str, Any] = {
        "type": "message",
        "channel": HANDOFF_CHANNEL,
        "channel_type": "channel",
        "user": AGENT,
        "text": "Found it, sending your tickets now &amp; sorry!",
        "ts": f"{time.time():.6f}",
        "thread_ts": posted["ts"],
    }
    assert (await sender.event(event, "Ev-web-1")).status_code == 200
    answer = await fan.next("message")
    assert answer["from"] == "bot"
    assert answer["replies"][0]["text"] == "Found it, sending your tickets now & sorry!"
    assert not await slack.drain(5.0)
