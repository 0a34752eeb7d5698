"""Fixtures for the adapter tests: the Slack app against a local fake Slack, and a real headless
Chromium (Debian's, driven by Playwright) for the web pages and the chat widget."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack

import pytest
import redis.asyncio as redis_asyncio
from playwright.async_api import Browser, async_playwright

from tests.conftest import TEST_REDIS_URL
from tests.support.browser import CHROMIUM_ARGS, chromium_path
from tests.support.fake_slack import FakeSlack
from tests.support.servers import serve_asgi
from tests.support.slack_env import SlackEnv, start_instance


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlack]:
    """The fake Slack Web API, served in a thread for the whole module (cleared per test)."""
    fake = FakeSlack()
    with serve_asgi(fake.app) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    """Closes what a test started, in reverse order, inside the test's event loop."""
    async with AsyncExitStack() as exits:
        yield exits


@pytest.fixture
async def slack(
    real_redis: redis_asyncio.Redis,
    stack: AsyncExitStack,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
) -> SlackEnv:
    """Usher with Slack on (agents, a marketer, a handoff channel), served on loopback."""
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)
    fake_slack.reset()
    return await start_instance(stack, fake_slack, TEST_REDIS_URL)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """One browser per test; each test opens its own contexts (separate cookie jars)."""
    path = chromium_path()
    async with async_playwright() as pw:
        instance = await pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            await instance.close()
