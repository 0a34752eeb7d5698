"""The inbox's per-fan order check, sent in the update claim's round trip (``FanOrder``).

Real Redis, two consumers' view of one stream: an entry whose fan has an earlier entry pending
anywhere in the group is not claimed (its claim is given back at once), and claims once that
entry is done; an entry with nothing of its fan's before it is claimed in one round trip.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis_asyncio

from adapters.store.store import Store
from adapters.telegram.claims import UpdateClaims
from adapters.telegram.inbox import Entry, Inbox
from tests.conftest import TEST_REDIS_URL
from tests.support.redis_count import Tally, counting_redis

SCOPE = "telegram:7000000001"


class Side:
    """One process: its Redis connection (counted), inbox and claims."""

    def __init__(self, tally: Tally) -> None:
        self.store = Store(counting_redis(TEST_REDIS_URL, tally), prefix="usher-test:")
        self.inbox = Inbox(self.store)
        self.claims = UpdateClaims(self.store, SCOPE, lease=5.0)


@pytest.fixture
async def sides(real_redis: redis_asyncio.Redis) -> AsyncIterator[tuple[Side, Side, Tally]]:
    tally = Tally()
    first, second = Side(tally), Side(tally)
    await first.inbox.join()
    try:
        yield first, second, tally
    finally:
        await first.store.close()
        await second.store.close()


async def read_one(side: Side, consumer: str) -> Entry:
    [entry] = await side.inbox.read(consumer, 1, 10)
    return entry


def claim_key(update_id: int) -> str:
    return f"usher-test:{SCOPE}:update:{update_id}"


async def test_an_entry_with_nothing_earlier_of_its_fan_is_claimed_in_one_round_trip(
    sides: tuple[Side, Side, Tally],
) -> None:
    _, second, tally = sides
    await second.inbox.add(b"{}", "43")
    ours = await read_one(second, "b")
    await second.claims.begin(1, "warm")  # the claim script is loaded
    tally.reset()

    claim = await second.claims.begin(2, "b/2", second.inbox.fan_order(ours))

    assert claim.mine
    assert tally.trips == ["XPENDING+EVALSHA"], "the look and the claim, one round trip"


async def test_another_fans_earlier_entry_holds_nobody_back(
    sides: tuple[Side, Side, Tally],
) -> None:
    first, second, tally = sides
    await first.inbox.add(b"{}", "42")  # pending in the other process
    await second.inbox.add(b"{}", "43")
    await read_one(first, "a")
    ours = await read_one(second, "b")
    await second.claims.begin(1, "warm")
    tally.reset()

    assert (await second.claims.begin(2, "b/2", second.inbox.fan_order(ours))).mine
    assert tally.trips == ["XPENDING+EVALSHA", "XRANGE"], "the unknown entry's fan is read"


async def test_an_entry_behind_its_fans_earlier_one_waits_unclaimed_then_goes(
    sides: tuple[Side, Side, Tally], real_redis: redis_asyncio.Redis
) -> None:
    first, second, tally = sides
    await first.inbox.add(b"{}", "42")
    await first.inbox.add(b"{}", "42")
    earlier = await read_one(first, "a")  # held by the other process
    later = await read_one(second, "b")
    order = second.inbox.fan_order(later)

    assert not (await second.claims.begin(8, "b/8", order)).mine
    assert await real_redis.get(claim_key(8)) is None, "the claim is given back at once"
    tally.reset()
    assert not (await second.claims.begin(8, "b/8", order)).mine
    assert tally.trips == ["XPENDING"], "while waiting it looks alone and claims nothing"

    await first.inbox.done(earlier.id)
    claim = await second.claims.begin(8, "b/8", order)
    assert claim.mine
    assert (await real_redis.get(claim_key(8))) == b"run b/8"


async def test_a_done_update_is_done_whatever_is_pending_before_it(
    sides: tuple[Side, Side, Tally],
) -> None:
    first, second, _ = sides
    await first.inbox.add(b"{}", "42")
    await first.inbox.add(b"{}", "42")
    await read_one(first, "a")
    later = await read_one(second, "b")
    await second.claims.finish(9)

    claim = await second.claims.begin(9, "b/9", second.inbox.fan_order(later))

    assert claim.done
    assert not claim.mine


async def test_the_look_and_claim_survive_a_redis_that_forgot_the_script(
    sides: tuple[Side, Side, Tally], real_redis: redis_asyncio.Redis
) -> None:
    first, second, _ = sides
    await first.inbox.add(b"{}", "42")
    entry = await read_one(second, "b")
    await second.claims.begin(1, "warm")
    await real_redis.script_flush()  # as after a Redis restart

    assert (await second.claims.begin(10, "b/10", second.inbox.fan_order(entry))).mine
