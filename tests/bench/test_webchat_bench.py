"""``bench.webchat`` still measures what it says: a tiny run of both sides, every turn answered."""

from __future__ import annotations

import pytest
import redis.asyncio as redis_asyncio

from bench.webchat import run
from tests.conftest import TEST_REDIS_URL

pytestmark = pytest.mark.redis


async def test_a_tiny_run_answers_every_turn_on_both_sides(
    real_redis: redis_asyncio.Redis,
) -> None:
    figures = await run(sockets=6, every=0.5, seconds=1.5, redis_url=TEST_REDIS_URL)
    for side in ("usher", "echo"):
        measured = figures[side]
        assert isinstance(measured, dict)
        assert measured["sockets_open"] == 6
        assert measured["failed"] == 0
        assert measured["turns"] >= 6
        assert measured["rss_mib_with_sockets"] >= measured["rss_mib_start"] > 0
    assert isinstance(figures["ratio"], dict)
    assert figures["ratio"]["p50"] > 0
