"""A complete Usher on the in-process sandbox and the real Redis server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis_asyncio

from adapters.store import Store
from bot.bootstrap import Usher, build
from bot.settings import load_settings
from tests.support.chat import Outbox


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
async def usher(
    real_redis: redis_asyncio.Redis, outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Usher]:
    import os

    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)
    from tests.conftest import TEST_REDIS_URL

    store = Store(redis_asyncio.Redis.from_url(TEST_REDIS_URL), prefix="usher-test:")
    app = build(load_settings(), mailer=outbox, store=store)
    try:
        yield app
    finally:
        await app.aclose()
