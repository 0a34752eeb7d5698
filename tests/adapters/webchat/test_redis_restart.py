"""Redis restarts under open sockets: the subscription comes back, and nothing is lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from redis.exceptions import RedisError
from websockets.exceptions import ConnectionClosed, InvalidStatus

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


async def test_a_message_sent_while_redis_is_down_is_handled_once_it_is_back(
    start_site: StartSite, tmp_path: Path
) -> None:
    private = PrivateRedis(tmp_path)
    private.start()
    try:
        site = await start_site(redis_url=private.url)
        fan = site.widget()
        await fan.open()
        await fan.answer("help")
        last = fan.seen[-1]["id"]
        private.kill()
        await fan.say("my tickets", ref="during-outage")
        with pytest.raises(ConnectionClosed) as closed:  # "try again later", not silence
            await fan.next(within=30)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1011
        private.start()
        again = site.widget()
        for attempt in range(50):  # the widget's back-off, until Redis answers again
            try:
                await again.open(fan.token, last=last)
                break
            except (ConnectionClosed, InvalidStatus):  # refused while the pool reconnects
                await asyncio.sleep(0.05 * attempt)
        await again.say("my tickets", ref="during-outage")  # sent again, same id
        echo = await again.next("message")
        assert echo["from"] == "fan"
        assert echo["ref"] == "during-outage"
        reply = await again.next("message")
        assert reply["from"] == "bot"
    finally:
        private.kill()
