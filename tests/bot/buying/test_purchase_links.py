"""Purchase links on real Redis, and opening them from a deep link."""

from __future__ import annotations

import pytest
import redis.asyncio as redis_asyncio

from adapters.store.purchase_links import RedisLinkStore
from adapters.store.store import Store
from bot.app.bootstrap import Usher
from bot.buying.purchase_links import LinkGone, PurchaseLinks
from bot.errors import InvalidInput
from tests.conftest import TEST_REDIS_URL
from tests.support.chat import Chat
from tests.support.redis_count import Tally, counting_redis


class Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def links(real_redis: redis_asyncio.Redis, clock: Clock) -> PurchaseLinks:
    return PurchaseLinks(RedisLinkStore(Store(real_redis, prefix="usher-test:")), clock)


async def test_codes_are_opaque_deep_link_safe_and_counted(links: PurchaseLinks) -> None:
    link = await links.create(event_id="61f99cfb62bd1f467c397829", created_by="U1", quantity=2)
    assert len(link.code) <= 64
    assert all(c.isalnum() or c in "-_" for c in link.code)
    assert "61f99" not in link.code
    opened = await links.open(link.code)
    assert opened == link
    await links.counted(link.code, "carts")
    [(reported, stats)] = await links.report()
    assert reported.code == link.code
    assert stats == {"clicks": 1, "carts": 1, "purchases": 0}


async def test_expired_revoked_and_unknown_links_read_alike(
    links: PurchaseLinks, clock: Clock
) -> None:
    expiring = await links.create(event_id="e", created_by="U1", expires_at=clock.now + 60)
    revoked = await links.create(event_id="e", created_by="U1")
    await links.revoke(revoked.code)
    clock.now += 61
    for code in (expiring.code, revoked.code, "nope", "../../etc", "x" * 65):
        with pytest.raises(LinkGone):
            await links.open(code)


@pytest.mark.parametrize("quantity", [0, -1, 21])
async def test_bad_quantities_are_refused(links: PurchaseLinks, quantity: int) -> None:
    with pytest.raises(InvalidInput):
        await links.create(event_id="e", created_by="U1", quantity=quantity)


async def test_a_deep_link_to_nothing_gets_a_clear_answer(usher: Usher) -> None:
    chat = Chat(usher, "d1")
    await chat.say("/start doesNotExist_123")
    assert "expired or was switched off" in chat.text
    await chat.say("/start@usher_bot ../etc/passwd")
    assert "expired or was switched off" in chat.text


async def test_the_report_reads_every_link_in_three_round_trips(
    real_redis: redis_asyncio.Redis, clock: Clock
) -> None:
    tally = Tally()
    client = counting_redis(TEST_REDIS_URL, tally)
    counted = PurchaseLinks(RedisLinkStore(Store(client, prefix="usher-test:")), clock)
    try:
        made = [
            await counted.create(event_id="61f99cfb62bd1f467c397829", created_by="U1")
            for _ in range(5)
        ]
        await counted.counted(made[0].code, "carts")
        tally.reset()
        report = await counted.report()
    finally:
        await client.aclose()
    assert {link.code for link, _ in report} == {link.code for link in made}
    assert [stats["carts"] for link, stats in report if link.code == made[0].code] == [1]
    assert tally.round_trips == 3
