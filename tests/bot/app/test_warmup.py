"""Warm-up: what a fresh process builds lazily is built before its first fan arrives."""

from __future__ import annotations

import pytest
import redis.asyncio as redis_asyncio

from adapters import upstream
from adapters.store.store import Store
from bot.acme.models import Order, OrderPage
from bot.app import warmup
from bot.app.bootstrap import Usher, build
from bot.app.settings import load_settings
from bot.ticketmaster.models import SecureRenderResponse
from tests.support.chat import Outbox


async def test_warm_up_builds_what_the_first_turn_would(
    usher: Usher, real_redis: redis_asyncio.Redis
) -> None:
    upstream._ADAPTERS.clear()
    await real_redis.script_flush()
    lock = usher.store.redis.lock("probe")

    steps = await warmup.warm_up(usher)

    assert set(steps) == {"copy", "recogniser", "models", "qr", "redis"}
    assert {Order, OrderPage, SecureRenderResponse} <= set(upstream._ADAPTERS)
    # The per-fan lock's release script is loaded in Redis before the first turn needs it.
    assert lock.lua_release is not None
    assert await real_redis.script_exists(lock.lua_release.sha) == [True]


async def test_warm_up_never_stops_a_start_when_redis_is_down(
    outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(redis_asyncio.Redis(port=1, socket_connect_timeout=0.2, retry=None))
    usher = build(load_settings(), mailer=outbox, store=store)
    try:
        steps = await warmup.warm_up(usher)
    finally:
        await usher.aclose()
    assert "redis" not in steps
    assert {"copy", "recogniser", "models", "qr"} <= set(steps)
