"""A turn's end held back to go ahead of its first message (``ending_with_first_message``).

Real Redis: the state is saved before the message is sent (the send reads it back), even when
Redis forgot the script; an end that fails stops the message; an end that nothing was sent
with is run when the block ends; the lock is given back in every case.
"""

from __future__ import annotations

import pytest
import redis.asyncio as redis_asyncio
from redis.exceptions import ResponseError

from adapters.store.pacing import Pacer
from adapters.store.store import Store
from adapters.store.turns import HeldEnd, RedisTurns, ending_with_first_message
from bot.messages import Fan, Reply

FAN = Fan("telegram", "42")
SCOPE = "telegram:7000000001"


@pytest.fixture
async def turns(real_redis: redis_asyncio.Redis) -> RedisTurns:
    return RedisTurns(Store(real_redis, prefix="usher-test:"))


async def saved_state(turns: RedisTurns) -> bytes | None:
    raw: bytes | None = await turns.store.redis.get(turns.key("state", FAN))
    return raw


async def one_turn(turns: RedisTurns, event: str, step: int) -> None:
    async with turns.begin(FAN, event) as opened:
        await opened.save({"step": step}, [Reply(f"step {step}")])


async def test_the_state_is_saved_before_the_first_message_goes(turns: RedisTurns) -> None:
    pacer = Pacer(turns.store, SCOPE)
    seen: list[bytes | None] = []

    async def send() -> None:
        seen.append(await saved_state(turns))

    async with ending_with_first_message() as ending:
        await one_turn(turns, "1", 1)
        assert await saved_state(turns) is None, "held back until the first message"
        await pacer.run("42", send, along=ending.along)

    assert seen == [b'{"step":1}']
    assert await turns.store.redis.get(turns.lock_key(FAN)) is None, "the lock is given back"


async def test_a_redis_that_forgot_the_script_still_saves_before_sending(
    turns: RedisTurns,
) -> None:
    pacer = Pacer(turns.store, SCOPE)
    await one_turn(turns, "0", 0)  # every script is loaded
    await turns.store.redis.script_flush()
    seen: list[bytes | None] = []

    async def send() -> None:
        seen.append(await saved_state(turns))

    async with ending_with_first_message() as ending:
        await one_turn(turns, "1", 1)
        await pacer.run("42", send, along=ending.along)

    assert seen == [b'{"step":1}']


async def test_an_end_that_fails_stops_the_message(turns: RedisTurns) -> None:
    pacer = Pacer(turns.store, SCOPE)
    held = HeldEnd()
    sent: list[str] = []

    async def send() -> None:
        sent.append("sent")

    # A state TTL of 0 makes the script's SET fail inside Redis.
    keys = [turns.lock_key(FAN), turns.key("state", FAN), turns.key("history", FAN), "x"]
    await held.hold(turns.end_script, keys, ["token", "{}", 0, "", 1000, "", 1000])
    with pytest.raises(ResponseError):
        await pacer.run("42", send, along=held.along)
    assert sent == []


async def test_an_end_nothing_was_sent_with_runs_when_the_block_ends(turns: RedisTurns) -> None:
    async with ending_with_first_message():
        await one_turn(turns, "1", 1)
    assert await saved_state(turns) == b'{"step":1}'

    async def failing_before_the_first_slot() -> None:
        async with ending_with_first_message():
            await one_turn(turns, "2", 2)
            raise RuntimeError("the sending failed before its first slot")

    with pytest.raises(RuntimeError):
        await failing_before_the_first_slot()
    assert await saved_state(turns) == b'{"step":2}', "the turn ran: its end is kept"
    assert await turns.store.redis.get(turns.lock_key(FAN)) is None
