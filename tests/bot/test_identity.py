"""The one-time-code and proof policy, on the real Redis adapters."""

from __future__ import annotations

import re

import pytest
import redis.asyncio as redis_asyncio

from adapters.store.identity import RedisIdentityStore, RedisRateCounter
from adapters.store.store import Store
from bot.identity import CodeCheck, Identity, SendResult
from bot.messages import Fan

JANE = Fan("telegram", "1001")
MALLORY = Fan("telegram", "6666")
TEMPLATE = "Your Usher code is {code}."


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject, body))

    def last_code(self) -> str:
        match = re.search(r"\b(\d{6})\b", self.sent[-1][2])
        assert match
        return match.group(1)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def identity(real_redis: redis_asyncio.Redis, clock: Clock, outbox: Outbox) -> Identity:
    store = Store(real_redis, prefix="usher-test:")
    return Identity(
        RedisIdentityStore(store), RedisRateCounter(store), outbox, secret=b"s" * 32, clock=clock
    )


async def send(identity: Identity, fan: Fan = JANE, email: str = "jane@example.com") -> SendResult:
    return await identity.send_code(fan, email, subject="code", body_template=TEMPLATE)


async def test_code_is_six_digits_single_use_and_verifies_the_email(
    identity: Identity, outbox: Outbox
) -> None:
    assert await send(identity, email="Jane@Example.com ") is SendResult.SENT
    assert outbox.sent[-1][0] == "jane@example.com"
    code = outbox.last_code()
    result = await identity.check_code(JANE, code)
    assert result.outcome is CodeCheck.OK
    assert result.email == "jane@example.com"
    assert (await identity.verified(JANE)).emails == {"jane@example.com"}
    assert (await identity.check_code(JANE, code)).outcome is CodeCheck.NO_CODE


async def test_code_is_hashed_at_rest(
    identity: Identity, outbox: Outbox, real_redis: redis_asyncio.Redis
) -> None:
    await send(identity)
    code = outbox.last_code()
    for key in await real_redis.keys("*"):
        dump = repr(await real_redis.dump(key))
        assert code not in dump
        assert b"jane@example.com" not in key


async def test_code_expires_after_ten_minutes(
    identity: Identity, outbox: Outbox, clock: Clock
) -> None:
    await send(identity)
    clock.now += 10 * 60 + 1
    assert (await identity.check_code(JANE, outbox.last_code())).outcome is CodeCheck.EXPIRED
    assert not (await identity.verified(JANE)).anything


async def test_five_wrong_tries_lock_the_code_out(identity: Identity, outbox: Outbox) -> None:
    await send(identity)
    code = outbox.last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    outcomes = [(await identity.check_code(JANE, wrong)) for _ in range(5)]
    assert [o.outcome for o in outcomes] == [CodeCheck.WRONG] * 4 + [CodeCheck.LOCKED_OUT]
    assert [o.tries_left for o in outcomes[:4]] == [4, 3, 2, 1]
    assert (await identity.check_code(JANE, code)).outcome is CodeCheck.NO_CODE


async def test_a_new_code_voids_the_old(identity: Identity, outbox: Outbox) -> None:
    await send(identity)
    old = outbox.last_code()
    await send(identity)
    new = outbox.last_code()
    if old != new:
        assert (await identity.check_code(JANE, old)).outcome is CodeCheck.WRONG
    assert (await identity.check_code(JANE, new)).outcome is CodeCheck.OK


async def test_three_sends_per_hour_per_email(
    identity: Identity, outbox: Outbox, clock: Clock
) -> None:
    fans = [Fan("console", f"u{i}") for i in range(4)]
    results = [await send(identity, fan) for fan in fans]
    assert results == [SendResult.SENT] * 3 + [SendResult.TOO_MANY]
    assert len(outbox.sent) == 3


async def test_three_sends_per_hour_per_fan(identity: Identity, outbox: Outbox) -> None:
    results = [await send(identity, email=f"e{i}@example.com") for i in range(4)]
    assert results == [SendResult.SENT] * 3 + [SendResult.TOO_MANY]


async def test_a_code_only_works_for_the_fan_it_was_sent_to(
    identity: Identity, outbox: Outbox
) -> None:
    await send(identity)
    assert (await identity.check_code(MALLORY, outbox.last_code())).outcome is CodeCheck.NO_CODE
    assert not (await identity.verified(MALLORY)).anything


async def test_proofs_last_thirty_days(identity: Identity, clock: Clock) -> None:
    await identity.prove(JANE, "phone", "+14155550134")
    await identity.prove(JANE, "order", "30263798")
    verified = await identity.verified(JANE)
    assert verified.phones == {"+14155550134"}
    assert verified.orders == {"30263798"}
    clock.now += 30 * 24 * 3600 + 1
    assert not (await identity.verified(JANE)).anything


async def test_forget_drops_the_proofs_and_the_code_on_its_way(
    identity: Identity, outbox: Outbox
) -> None:
    await identity.prove(JANE, "phone", "+14155550134")
    await send(identity)
    code = outbox.last_code()
    await identity.forget(JANE)
    assert not (await identity.verified(JANE)).anything
    assert (await identity.check_code(JANE, code)).outcome is CodeCheck.NO_CODE
