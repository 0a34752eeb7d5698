"""The web chat end to end, as a venue runs it: a real ``usher serve``, the venue's own page on
another origin, Debian's Chromium, a real SMTP server, the fake Slack, the real Redis.

One fan's evening: opens the widget, asks for their tickets, proves their email with the code
from the mail, scans a QR code off the screen, reloads the page; the server is killed and
another one started on the same Redis, and the widget carries on; then the fan asks for a
person and the agent's answer in Slack appears in the widget.
"""

from __future__ import annotations

import signal
import time
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
import redis.asyncio as redis_asyncio
from playwright.async_api import Browser, expect

from adapters.store.store import connect
from bot.app.bootstrap import build
from bot.app.settings import load_settings
from tests.adapters.telegram.processes import output_of
from tests.adapters.webchat.browsing import Fan, venue_site
from tests.adapters.webchat.conftest import ALEX
from tests.adapters.webchat.serving import serving
from tests.conftest import TEST_REDIS_URL
from tests.support import log_scan
from tests.support.fake_slack import BOT_TOKEN, FakeSlack
from tests.support.process import clean_env
from tests.support.servers import free_port
from tests.support.slack_env import AGENT, HANDOFF_CHANNEL
from tests.support.slack_requests import SIGNING_SECRET, SlackSender
from tests.support.smtp import smtp_server

pytestmark = [pytest.mark.redis, pytest.mark.browser]


async def alex_ticket_uuids() -> set[str]:
    """Every valid ticket uuid of alex's orders in the (deterministic) ACME sandbox."""
    usher = build(load_settings(), store=connect(None))
    found: set[str] = set()
    try:
        async for summary in usher.acme.iter_orders(email=ALEX):
            order = await usher.acme.get_order(summary.id)
            for item in order.order_items:
                found.update(ticket.uuid for ticket in item.ticket_vos)
    finally:
        await usher.aclose()
    return found


async def test_a_fans_evening_on_the_venues_page(
    browser: Browser,
    real_redis: redis_asyncio.Redis,
    fake_slack: FakeSlack,
    tmp_path: Path,
) -> None:
    fake_slack.reset()
    expected = await alex_ticket_uuids()
    port = free_port()
    usher_url = f"http://127.0.0.1:{port}"
    with smtp_server() as (mailbox, smtp_url), venue_site(usher_url) as venue:
        env = clean_env(
            USHER_REDIS_URL=TEST_REDIS_URL,
            USHER_PUBLIC_URL=usher_url,
            USHER_SECRET_KEY="webchat-e2e-secret-0123456789abcdefghij",
            USHER_SMTP_URL=smtp_url,  # smtp+insecure://: the test's own server has no TLS
            USHER_TIMEZONE="America/Los_Angeles",
            USHER_WEBCHAT_ORIGINS=venue,
            USHER_SLACK_BOT_TOKEN=BOT_TOKEN,
            USHER_SLACK_SIGNING_SECRET=SIGNING_SECRET,
            USHER_SLACK_API_URL=f"{fake_slack.base_url}/api/",
            USHER_SLACK_AGENTS=AGENT,
            USHER_SLACK_HANDOFF_CHANNEL=HANDOFF_CHANNEL,
        )
        async with AsyncExitStack() as stack:
            first = await stack.enter_async_context(serving(tmp_path / "serve-1.log", port, env))
            context = await browser.new_context()
            fan = Fan(await context.new_page())
            await fan.page.goto(venue)
            await fan.open()

            await fan.say("where are my tickets?")
            await fan.bot_says("make sure it's you")
            await fan.say(ALEX)
            await fan.bot_says("6-digit code")
            code = mailbox.last_code(ALEX)
            log_scan.CODES_SENT.add(code)
            await fan.say(code)
            await expect(fan.page.locator("#usher-chat figure.qr").first).to_be_visible()
            scanned = await fan.qr_codes()
            assert scanned
            assert set(scanned) <= expected  # a gate scanner reads the ticket's uuid

            await fan.page.reload()
            await expect(fan.fan_messages.first).to_have_text("You: where are my tickets?")
            await expect(fan.page.locator("#usher-chat figure.qr")).to_have_count(len(scanned))
            assert await fan.qr_codes() == scanned

            # The serving process dies; another one starts on the same Redis and port.
            first.send_signal(signal.SIGKILL)
            await first.wait()
            await expect(fan.page.locator("#usher-chat .status")).to_have_text(
                "Connection lost. Reconnecting…"
            )
            await stack.enter_async_context(serving(tmp_path / "serve-2.log", port, env))
            await expect(fan.page.locator("#usher-chat .status")).to_be_empty(timeout=40_000)
            await fan.say("my orders")
            await fan.bot_says("Your orders")  # still verified: the proof lives in Redis

            # A person, please: the agent takes it in Slack and answers in the thread.
            await fan.say("human")
            await fan.bot_says("person")
            posted = await fake_slack.wait_message(
                lambda m: m["channel"] == HANDOFF_CHANNEL, within=20
            )
            http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
            slack = SlackSender(http, usher_url, fake_slack.response_url())
            shown = {k: v for k, v in posted.items() if k != "channel"}
            taken = await slack.press(
                AGENT, "usher:take", "take", channel=HANDOFF_CHANNEL, message=shown
            )
            assert taken.status_code == 200
            await fan.bot_says("a person from our support team is here now", within_ms=20_000)
            event = {
                "type": "message",
                "channel": HANDOFF_CHANNEL,
                "channel_type": "channel",
                "user": AGENT,
                "text": "Hi Alex, I can see your order. Anything else?",
                "ts": f"{time.time():.6f}",
                "thread_ts": posted["ts"],
            }
            assert (await slack.event(event, "Ev-e2e-1")).status_code == 200
            await fan.bot_says("Hi Alex, I can see your order.", within_ms=20_000)
            await context.close()
        assert "Traceback" not in output_of(tmp_path / "serve-2.log")
