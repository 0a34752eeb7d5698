"""Fixtures of the ticket page tests: Usher's web app with a stand-in Secure Entry SDK (``site``;
the real headless Chromium, ``browser``, is in ``tests/adapters/conftest.py``)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis.asyncio as redis_asyncio
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from adapters.store.store import Store
from bot.app.bootstrap import Usher, build
from bot.app.settings import load_settings
from bot.app.web import create_app
from tests.conftest import TEST_API_TOKEN, TEST_REDIS_URL
from tests.support.browser import STAND_IN_SDK
from tests.support.chat import Outbox
from tests.support.servers import free_port, serve_asgi, serve_in_loop


@pytest.fixture(scope="module")
def sdk_url() -> Iterator[str]:
    async def script(_: Any) -> Response:
        return Response(STAND_IN_SDK, media_type="application/javascript")

    with serve_asgi(Starlette(routes=[Route("/presence-secure-entry.min.js", script)])) as base:
        yield f"{base}/presence-secure-entry.min.js"


@pytest.fixture
def site_env() -> dict[str, str]:
    """More ``USHER_*`` settings for ``site``: a test module overrides this fixture."""
    return {}


@pytest.fixture
async def site(  # the checkout page tests have a ``site`` of their own
    real_redis: redis_asyncio.Redis,
    sdk_url: str,
    site_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[Usher, str]]:
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)
    port = free_port()
    monkeypatch.setenv("USHER_PUBLIC_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("USHER_SECURE_ENTRY_SDK_URL", sdk_url)
    for name, value in site_env.items():
        monkeypatch.setenv(name, value)
    store = Store(redis_asyncio.Redis.from_url(TEST_REDIS_URL), prefix="usher-test:")
    usher = build(load_settings(api_tokens=[TEST_API_TOKEN]), mailer=Outbox(), store=store)
    async with serve_in_loop(create_app(usher), port=port) as base:
        yield usher, base
