"""The one-time-code and proof policy, on the real Redis adapters."""

from __future__ import annotations

import re

import pytest
import redis.asyncio as redis_asyncio

from adapters.store.identity import RedisIdentityStore, RedisRateCounter
from adapters.store.store import Store, awaited
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


async def test_three_sends_per_hour_for_one_email_and_fan(identity: Identity) -> None:
    results = [await send(identity) for _ in range(4)]
    assert results == [SendResult.SENT] * 3 + [SendResult.TOO_MANY]


async def test_three_strangers_asking_for_one_email_leave_its_owner_a_code(
    identity: Identity, outbox: Outbox
) -> None:
    strangers = [Fan("console", f"stranger{i}") for i in range(3)]
    for stranger in strangers:
        assert [await send(identity, stranger) for _ in range(4)] == [SendResult.SENT] * 3 + [
            SendResult.TOO_MANY
        ]
    assert await send(identity, JANE) is SendResult.SENT
    assert (await identity.check_code(JANE, outbox.last_code())).outcome is CodeCheck.OK


async def test_an_email_gets_at_most_ten_codes_an_hour_whoever_asks(identity: Identity) -> None:
    fans = [Fan("console", f"asker{i}") for i in range(12)]
    results = [await send(identity, fan) for fan in fans]
    assert results == [SendResult.SENT] * 10 + [SendResult.TOO_MANY] * 2


async def test_one_fan_gets_at_most_five_codes_an_hour_across_emails(identity: Identity) -> None:
    results = [await send(identity, email=f"e{i}@example.com") for i in range(6)]
    assert results == [SendResult.SENT] * 5 + [SendResult.TOO_MANY]


async def wrong_code(outbox: Outbox) -> str:
    return f"{(int(outbox.last_code()) + 1) % 1_000_000:06d}"


async def test_wrong_codes_across_fans_pause_the_email_for_a_day_and_tell_its_owner(
    identity: Identity, outbox: Outbox
) -> None:
    outcomes = []
    for n in range(6):  # 30 wrong codes, 5 from each of 6 fans
        guesser = Fan("console", f"guesser{n}")
        sent = await send(identity, guesser)
        wrong = await wrong_code(outbox) if sent is SendResult.SENT else "000000"
        outcomes += [(await identity.check_code(guesser, wrong)).outcome for _ in range(5)]
    assert set(outcomes[:19]) == {CodeCheck.WRONG, CodeCheck.LOCKED_OUT}
    assert outcomes[19] is CodeCheck.PAUSED
    assert outcomes[20:] == [CodeCheck.NO_CODE] * 10  # the last two fans got no code at all
    notices = [m for m in outbox.sent if m[0] == "jane@example.com" and "wrong codes" in m[2]]
    assert len(notices) == 1
    assert "20 wrong codes" in notices[0][2]
    assert "códigos incorrectos" in notices[0][2]
    # Paused for everyone, the owner included: no mail goes out, no code is checked.
    sent_before = len(outbox.sent)
    assert await send(identity, JANE) is SendResult.PAUSED
    assert len(outbox.sent) == sent_before


async def test_a_pending_code_stops_working_once_the_email_is_paused(
    identity: Identity, outbox: Outbox
) -> None:
    await send(identity, JANE)
    janes_code = outbox.last_code()
    for n in range(4):
        guesser = Fan("console", f"g{n}")
        await send(identity, guesser)
        wrong = await wrong_code(outbox)
        for _ in range(5):
            await identity.check_code(guesser, wrong)
    assert (await identity.check_code(JANE, janes_code)).outcome is CodeCheck.PAUSED
    assert not (await identity.verified(JANE)).anything


async def test_a_paused_email_and_an_unknown_one_read_alike_to_the_asker(
    identity: Identity, outbox: Outbox
) -> None:
    """The pause depends only on wrong codes, never on whether the address has orders."""
    for n in range(4):
        guesser = Fan("console", f"p{n}")
        await send(identity, guesser, email="nobody-at-all@example.com")
        wrong = await wrong_code(outbox)
        for _ in range(5):
            await identity.check_code(guesser, wrong)
    assert await send(identity, email="nobody-at-all@example.com") is SendResult.PAUSED


async def test_a_code_only_works_for_the_fan_it_was_sent_to(
    identity: Identity, outbox: Outbox
) -> None:
    await send(identity)
    assert (await identity.check_code(MALLORY, outbox.last_code())).outcome is CodeCheck.NO_CODE
    assert not (await identity.verified(MALLORY)).anything


async def test_proofs_last_thirty_days(identity: Identity, clock: Clock) -> None:
    await identity.prove(JANE, "phone", "+14155550134")
    await identity.prove(JANE, "email", "jane@example.com")
    verified = await identity.verified(JANE)
    assert verified.phones == {"+14155550134"}
    assert verified.emails == {"jane@example.com"}
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


async def test_an_order_proof_left_by_an_earlier_version_opens_nothing(
    identity: Identity, real_redis: redis_asyncio.Redis, clock: Clock
) -> None:
    """Order-level proofs are gone: one still in Redis from before is ignored."""
    key = "usher-test:proof:{" + JANE.key + "}"
    await awaited(real_redis.hset(key, "order:30263798", repr(clock.now + 3600)))
    assert not (await identity.verified(JANE)).anything
