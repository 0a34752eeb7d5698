"""Upgrading to hash-tagged keys logs nobody out and forgets nothing a fan asked to drop."""

from __future__ import annotations

import json
import time

import redis.asyncio as redis_asyncio

from adapters.store.store import awaited
from bot.app.bootstrap import Usher
from bot.messages import Fan, Inbound

FAN = Fan("telegram", "5550134")


async def old_fan(redis: redis_asyncio.Redis) -> None:
    """A fan as the previous release left them: state, history and a phone proof."""
    await redis.set("usher-test:state:telegram:5550134", json.dumps({"lang": "es"}))
    await redis.set("usher-test:history:telegram:5550134", json.dumps([[1.0, "hola"]]))
    until = time.time() + 3600
    await awaited(
        redis.hset("usher-test:proof:telegram:5550134", "phone:+14155550134", repr(until))
    )


async def test_an_old_fan_keeps_their_proofs_and_language_on_the_first_turn(
    usher: Usher, real_redis: redis_asyncio.Redis
) -> None:
    await old_fan(real_redis)
    replies = await usher.conversation.handle(
        Inbound("telegram", "5550134", "5550134", text="mis pedidos", event_id="1")
    )
    assert replies[0].text.startswith("Tus pedidos (")  # verified by the old proof, in Spanish
    assert await real_redis.exists("usher-test:proof:telegram:5550134") == 0
    assert await awaited(
        real_redis.hexists("usher-test:proof:{telegram:5550134}", "phone:+14155550134")
    )
    saved = json.loads(await real_redis.get("usher-test:state:{telegram:5550134}") or b"{}")
    assert saved["lang"] == "es"
    assert await real_redis.ttl("usher-test:proof:{telegram:5550134}") > 0


async def test_proofs_read_outside_a_turn_are_moved_too(
    usher: Usher, real_redis: redis_asyncio.Redis
) -> None:
    await old_fan(real_redis)
    verified = await usher.identity.verified(FAN)
    assert verified.phones == {"+14155550134"}
    assert await real_redis.exists("usher-test:proof:telegram:5550134") == 0


async def test_forget_me_drops_the_old_names_as_well(
    usher: Usher, real_redis: redis_asyncio.Redis
) -> None:
    await old_fan(real_redis)
    await awaited(real_redis.hset("usher-test:otp:telegram:5550134", "email", "x@example.com"))
    await usher.identity.forget(FAN)
    assert await real_redis.exists("usher-test:proof:telegram:5550134") == 0
    assert await real_redis.exists("usher-test:otp:telegram:5550134") == 0
    assert (await usher.identity.verified(FAN)).phones == frozenset()
