"""Redis restarts under open sockets: the subscription comes back, and nothing is lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from redis.exceptions import RedisError

from bot.messages import Fan, Reply
from tests.adapters.webchat.conftest import StartSite
from tests.support.redis_server import PrivateRedis

pytestmark = pytest.mark.redis


async def test_a_message_sent_after_redis_restarted_reaches_the_open_socket(
    start_site: StartSite, tmp_path: Path
) -> None:
    private = PrivateRedis(tmp_path)
    private.start()
    try:
        holder = await start_site(redis_url=private.url)
        sender = await start_site(redis_url=private.url)
        fan = holder.widget()
        await fan.open()
        await fan.answer("help")
        private.kill()
        await asyncio.sleep(0.5)  # the listener notices, and keeps trying
        private.start()  # same port, same data (append-only file)
        who = Fan("web", str(fan.session_id))
        for attempt in range(50):  # the sender's own pool reconnects on first use
            try:
                await sender.usher.messenger.send(who, [Reply("Back online")])
                break
            except RedisError:
                await asyncio.sleep(0.1 * attempt)
        arrived = await fan.next("message", within=20)
        assert arrived["replies"][0]["text"] == "Back online"
    finally:
        private.kill()
