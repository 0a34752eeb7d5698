"""The shared send limiter on the real Redis: several processes, one budget per bot and chat.

Each "process" is its own Redis connection, its own PTB ``Bot`` (own HTTP pool) and its own
``Pacer``; the timestamps are taken by the fake Bot API as the calls arrive.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest
import redis.asyncio as redis_asyncio
from prometheus_client import REGISTRY
from redis.asyncio.client import Pipeline
from telegram import Bot
from telegram.error import RetryAfter

from adapters.store.pacing import Limits, Pacer, PacingTimeout, Rate
from adapters.store.store import Store
from adapters.telegram.send import retry_after
from tests.conftest import TEST_REDIS_URL
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.redis_count import Tally, counting_redis
from tests.support.servers import serve_in_loop

SCOPE = "telegram:7000000001"
#: How much closer together two calls may arrive than they were let go (loop wake-ups and
#: loopback HTTP delay one call more than the next; the limiter itself is exact in Redis).
JITTER = 0.05
FAST = Rate(1000.0, burst=100)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    api = FakeTelegram()
    async with serve_in_loop(api.app) as url:
        api.url = url
        yield api


class Process:
    """One process's view: its own Redis connection, Bot and Pacer."""

    def __init__(self, fake: FakeTelegram, limits: Limits) -> None:
        self.store = Store(redis_asyncio.Redis.from_url(TEST_REDIS_URL), prefix="usher-test:")
        self.bot = Bot(TOKEN, base_url=f"{fake.url}/bot")
        self.pacer = Pacer(self.store, SCOPE, limits=limits, retry_after_of=retry_after)

    async def send(self, chat: str, text: str) -> None:
        await self.pacer.run(chat, partial(self.bot.send_message, chat, text))

    async def close(self) -> None:
        await self.bot.shutdown()
        await self.store.close()


@pytest.fixture
async def processes(
    real_redis: redis_asyncio.Redis, fake: FakeTelegram, request: pytest.FixtureRequest
) -> AsyncIterator[list[Process]]:
    limits: Limits = request.param
    both = [Process(fake, limits), Process(fake, limits)]
    for process in both:
        await process.bot.initialize()
    try:
        yield both
    finally:
        for process in both:
            await process.close()


def arrivals(fake: FakeTelegram) -> list[float]:
    return sorted(call.at for call in fake.sent("sendMessage"))


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


@pytest.mark.parametrize("processes", [Limits(overall=FAST, per_chat=Rate(10.0))], indirect=True)
async def test_two_processes_together_keep_to_the_per_chat_rate(
    processes: list[Process], fake: FakeTelegram
) -> None:
    await asyncio.gather(
        *(p.send("42", f"{i}.{n}") for i, p in enumerate(processes) for n in range(6))
    )
    times = arrivals(fake)
    assert len(times) == 12
    assert min(gaps(times)) >= 0.1 - JITTER
    assert times[-1] - times[0] >= 1.1 - JITTER


@pytest.mark.parametrize("processes", [Limits(overall=Rate(20.0), per_chat=FAST)], indirect=True)
async def test_two_processes_together_keep_to_the_overall_rate(
    processes: list[Process], fake: FakeTelegram
) -> None:
    await asyncio.gather(
        *(p.send(f"{i}{n}", "hello") for i, p in enumerate(processes) for n in range(8))
    )
    times = arrivals(fake)
    assert len(times) == 16
    assert min(gaps(times)) >= 0.05 - JITTER
    assert len({call.params["chat_id"] for call in fake.sent("sendMessage")}) == 16


@pytest.mark.parametrize(
    "processes", [Limits(overall=FAST, per_chat=Rate(4.0, burst=3))], indirect=True
)
async def test_a_burst_goes_at_once_then_the_rate_holds(
    processes: list[Process], fake: FakeTelegram
) -> None:
    first, second = processes
    await asyncio.gather(*(p.send("7", "x") for p in (first, second, first, second, first)))
    times = arrivals(fake)
    assert times[2] - times[0] < 0.1
    assert times[3] - times[0] >= 0.25 - JITTER
    assert times[4] - times[0] >= 0.5 - JITTER


@pytest.mark.parametrize("processes", [Limits(overall=FAST, per_chat=FAST)], indirect=True)
async def test_a_429_holds_that_chat_for_every_process(
    processes: list[Process], fake: FakeTelegram
) -> None:
    first, second = processes
    fake.rate_limit("sendMessage", retry_after=1)
    flooded = asyncio.create_task(first.send("9", "first"))
    await fake.wait_for(1, "sendMessage")
    await asyncio.sleep(0.05)  # the 429 has been read and the hold written
    await asyncio.gather(flooded, second.send("9", "second"), second.send("10", "other chat"))
    calls = fake.sent("sendMessage")
    refused_at = calls[0].at
    by_text = {call.params["text"]: call.at for call in calls[1:]}
    assert by_text["other chat"] - refused_at < 0.5
    assert by_text["first"] - refused_at >= 1.0
    assert by_text["second"] - refused_at >= 1.0


@pytest.mark.parametrize(
    "processes", [Limits(overall=FAST, per_chat=FAST, retry_budget=0.5)], indirect=True
)
async def test_a_retry_after_beyond_the_budget_is_raised(
    processes: list[Process], fake: FakeTelegram
) -> None:
    fake.rate_limit("sendMessage", retry_after=1)
    with pytest.raises(RetryAfter):
        await processes[0].send("11", "too slow")
    assert len(fake.sent("sendMessage")) == 1


async def test_no_slot_within_max_wait_is_refused_without_reserving(
    real_redis: redis_asyncio.Redis,
) -> None:
    store = Store(real_redis, prefix="usher-test:")
    pacer = Pacer(store, SCOPE, limits=Limits(overall=FAST, per_chat=Rate(1.0), max_wait=0.3))
    await pacer.acquire("12")
    started = time.monotonic()
    for _ in range(3):
        with pytest.raises(PacingTimeout):
            await pacer.acquire("12")
    assert time.monotonic() - started < 0.2
    chat_key = f"usher-test:pace:{SCOPE}:chat:12"
    assert 0 < await real_redis.pttl(chat_key) <= 1001, "an idle chat's bucket expires"


async def test_only_rate_limit_errors_are_retried(real_redis: redis_asyncio.Redis) -> None:
    pacer = Pacer(Store(real_redis, prefix="usher-test:"), SCOPE, retry_after_of=retry_after)
    calls = 0

    async def broken() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("not a rate limit")

    with pytest.raises(ValueError):
        await pacer.run("13", broken)
    assert calls == 1
    assert retry_after(RetryAfter(3)) == 3.0
    assert retry_after(ValueError()) is None


async def test_a_sender_waiting_on_the_bot_wide_rate_sleeps_once_to_a_reserved_slot(
    real_redis: redis_asyncio.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No second ask, no jitter: the slot it was told is its own (bench.broadcast lost 12 %
    of a 100/s limit when every slot went to whoever asked after waking up)."""
    limits = Limits(Rate(4.0), per_chat=FAST)
    pacer = Pacer(Store(real_redis, prefix="usher-test:"), SCOPE, limits=limits)
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await real_sleep(seconds)

    def no_jitter(*_: float) -> float:
        raise AssertionError("jitter added without a lost race")

    monkeypatch.setattr("adapters.store.pacing.asyncio.sleep", sleep)
    monkeypatch.setattr("adapters.store.pacing.random.uniform", no_jitter)
    await pacer.acquire("1")
    await pacer.acquire("2")
    interval = 0.25 / (1 - limits.headroom)
    assert len(slept) == 1
    assert interval - 0.05 < slept[0] <= interval


async def test_reserved_slots_follow_each_other_one_interval_apart(
    real_redis: redis_asyncio.Redis,
) -> None:
    limits = Limits(Rate(50.0), per_chat=FAST)
    pacer = Pacer(Store(real_redis, prefix="usher-test:"), SCOPE, limits=limits)
    granted: list[float] = []

    async def send(chat: int) -> None:
        await pacer.acquire(str(chat))
        granted.append(time.monotonic())

    await asyncio.gather(*(send(chat) for chat in range(26)))
    interval = 0.02 / (1 - limits.headroom)
    span = granted[-1] - granted[0]
    assert span >= 25 * interval - JITTER, "never faster than the rate"
    assert span < 25 * interval + 0.1, "and no time lost between slots"


async def test_a_chat_over_its_rate_reserves_no_bot_wide_slot(
    real_redis: redis_asyncio.Redis,
) -> None:
    limits = Limits(Rate(50.0), per_chat=Rate(1.0))
    pacer = Pacer(Store(real_redis, prefix="usher-test:"), SCOPE, limits=limits)
    await pacer.acquire("busy")
    waiting = asyncio.create_task(pacer.acquire("busy"))  # the chat is free again in 1 s
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await asyncio.gather(*(pacer.acquire(f"other{n}") for n in range(5)))
    assert time.monotonic() - started < 0.5, "the busy chat held nothing for the others"
    assert not waiting.done()
    await waiting


async def test_waiters_that_lose_a_chats_slot_spread_out_with_jitter(
    real_redis: redis_asyncio.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(real_redis, prefix="usher-test:")
    pacer = Pacer(store, SCOPE, limits=Limits(FAST, per_chat=Rate(20.0)))
    jitters: list[float] = []
    real_uniform = random.uniform

    def uniform(low: float, high: float) -> float:
        jitters.append(high)
        return real_uniform(low, high)

    monkeypatch.setattr("adapters.store.pacing.random.uniform", uniform)
    await asyncio.gather(*(pacer.acquire("1") for _ in range(4)))
    assert jitters, "three waiters woke for the chat's one slot: the losers added jitter"


async def test_a_sender_that_wakes_too_late_for_its_slot_takes_another(
    real_redis: redis_asyncio.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sent late, a message would squeeze against the next slot's: one 429 at 30/s."""
    # A slot half a second off: still ahead after the first acquire on a loaded machine.
    limits = Limits(Rate(2.0), per_chat=FAST)
    pacer = Pacer(Store(real_redis, prefix="usher-test:"), SCOPE, limits=limits)
    real_sleep = asyncio.sleep
    sleeps: list[float] = []

    async def oversleep(seconds: float) -> None:
        sleeps.append(seconds)
        await real_sleep(seconds + (0.1 if len(sleeps) == 1 else 0.0))  # the first wake is late

    takes = 0
    take = pacer._take

    async def counted(*, keys: list[str], args: list[float]) -> Any:
        nonlocal takes
        takes += 1
        return await take(keys=keys, args=args)

    monkeypatch.setattr(pacer, "_take", counted)
    await pacer.acquire("1")
    monkeypatch.setattr("adapters.store.pacing.asyncio.sleep", oversleep)
    missed = REGISTRY.get_sample_value("usher_send_slots_missed_total", {"scope": SCOPE}) or 0
    await pacer.acquire("2")
    assert takes == 3, "the late slot was given up and another taken"
    assert REGISTRY.get_sample_value("usher_send_slots_missed_total", {"scope": SCOPE}) == (
        missed + 1
    )


async def test_commands_along_go_in_the_first_slot_requests_round_trip_before_the_send(
    real_redis: redis_asyncio.Redis,
) -> None:
    tally = Tally()
    store = Store(counting_redis(TEST_REDIS_URL, tally), prefix="usher-test:")
    pacer = Pacer(store, SCOPE, limits=Limits(overall=FAST, per_chat=FAST))
    await pacer.acquire("20")  # the script is loaded
    tally.reset()
    seen: list[bytes | None] = []
    attempts = 0

    async def send() -> None:
        nonlocal attempts
        attempts += 1
        seen.append(await real_redis.get("usher-test:keyboard"))
        if attempts == 1:
            raise RetryAfter(0)

    def keyboard(pipe: Pipeline) -> None:
        pipe.incr("usher-test:keyboard")

    pacer.retry_after_of = retry_after
    try:
        await pacer.run("20", send, along=keyboard)
    finally:
        await store.close()
    assert seen == [b"1", b"1"], "written before the send, and once (not again on a retry)"
    assert tally.trips[0] == "INCRBY+EVALSHA"


async def test_commands_along_still_run_when_redis_forgot_the_script(
    real_redis: redis_asyncio.Redis,
) -> None:
    pacer = Pacer(Store(real_redis, prefix="usher-test:"), SCOPE)
    await pacer.acquire("21")
    await real_redis.script_flush()  # as after a Redis restart

    def keyboard(pipe: Pipeline) -> None:
        pipe.set("usher-test:keyboard", "k")

    async def send() -> object:
        return await real_redis.get("usher-test:keyboard")

    assert await pacer.run("22", send, along=keyboard) == b"k"
