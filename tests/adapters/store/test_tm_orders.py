"""The Ticketmaster order store's reads for a ticket view, on the real Redis server.

A view reads the registration with the cached answer (and tokens) in one round trip, and the
event's availability on both of its requests; each text is parsed once, and whatever Redis
no longer holds is never served from the process.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis.asyncio as redis_asyncio

from adapters.store.store import Store
from adapters.store.tm_orders import RedisTmOrderStore
from bot.messages import Fan
from bot.ticketmaster.cart_models import Availability
from bot.ticketmaster.models import OrderManagementResponse
from bot.ticketmaster.ports import CachedToken, TmOrderRef
from tests.conftest import TEST_REDIS_URL
from tests.support.redis_count import Tally, counting_redis

DATA = Path(__file__).parents[2] / "data" / "tm"
ANSWER = OrderManagementResponse.model_validate(
    json.loads((DATA / "order_management_response.json").read_text())
)


def event(event_id: str, restricted: bool = False) -> Availability:
    return Availability.model_validate(
        {"event": {"id": event_id, "locRowSeatRestrict": restricted}}
    )


@pytest.fixture
def store(real_redis: redis_asyncio.Redis) -> Store:
    return Store(real_redis, prefix="usher-test:")


async def test_an_order_answer_is_parsed_once_and_a_refreshed_one_is_read_anew(
    store: Store,
) -> None:
    orders = RedisTmOrderStore(store)
    assert await orders.cached_order("ref") is None
    await orders.save_order("ref", ANSWER, 60)
    first = await orders.cached_order("ref")
    assert first == ANSWER
    assert await orders.cached_order("ref") is first  # the same text: the same parsed copy
    changed = ANSWER.model_copy(update={"tickets": ANSWER.tickets[:1]})
    await RedisTmOrderStore(store).save_order("ref", changed, 60)  # another process refreshed
    assert await orders.cached_order("ref") == changed


async def test_an_event_is_parsed_once_and_a_dropped_or_changed_one_is_never_served(
    store: Store,
) -> None:
    orders = RedisTmOrderStore(store)
    await RedisTmOrderStore(store).save_event("E1", event("E1", restricted=True), 3600)
    first = await orders.cached_event("E1")
    assert first is not None
    assert first.event.loc_row_seat_restrict is True
    assert await orders.cached_event("E1") is first
    await store.redis.delete(store.key("tm", "event", "E1"))  # expired, or dropped by hand
    assert await orders.cached_event("E1") is None
    await RedisTmOrderStore(store).save_event("E1", event("E1", restricted=False), 3600)
    changed = await orders.cached_event("E1")
    assert changed is not None
    assert changed.event.loc_row_seat_restrict is False


async def test_a_registration_and_its_cache_are_read_in_one_round_trip(store: Store) -> None:
    writer = RedisTmOrderStore(store)
    order = TmOrderRef("ref2", Fan("telegram", "7"), "order-token", "acct", "Skyline Live")
    await writer.register(order)
    await writer.save_order("ref2", ANSWER, 60)
    await writer.save_tokens("ref2", [CachedToken("k", "secret-token", 1.0, None)], 60)
    tally = Tally()
    counted = counting_redis(TEST_REDIS_URL, tally)
    try:
        orders = RedisTmOrderStore(Store(counted, prefix="usher-test:"))
        await counted.ping()  # the connection's own set-up is not the store's
        tally.reset()
        found, cached = await orders.get_with_cache("ref2", tokens=True)
        assert tally.round_trips == 1
        assert found == order
        assert cached.answer == ANSWER
        assert cached.tokens == {"k": CachedToken("k", "secret-token", 1.0, None)}
        found, cached = await orders.get_with_cache("ref2", tokens=False)
        assert (found, cached.tokens) == (order, None)
        assert tally.round_trips == 2
    finally:
        await counted.aclose()


async def test_a_view_reads_the_event_its_order_named_last_time_with_it(store: Store) -> None:
    """The event's key comes from the answer: the pipeline reads the events the order named
    when this process last read or wrote it; a process that never did reads none of them."""
    [event_id] = {t.event_id for t in ANSWER.tickets}
    await RedisTmOrderStore(store).save_order("ref3", ANSWER, 60)
    await RedisTmOrderStore(store).save_event(event_id, event(event_id, restricted=True), 60)
    orders = RedisTmOrderStore(store)
    _, first = await orders.get_with_cache("ref3", tokens=False)
    assert first.answer == ANSWER
    assert first.events == {}  # never seen here: the consumer reads the event on its own
    _, second = await orders.get_with_cache("ref3", tokens=False)
    assert list(second.events) == [event_id]
    assert second.events[event_id] == event(event_id, restricted=True)
    await store.redis.delete(store.key("tm", "event", event_id))
    _, third = await orders.get_with_cache("ref3", tokens=False)
    assert third.events == {event_id: None}  # gone from Redis: not served from the process
    moved = ANSWER.model_copy(
        update={"tickets": [t.model_copy(update={"event_id": "OTHER"}) for t in ANSWER.tickets]}
    )
    await orders.save_order("ref3", moved, 60)
    _, fourth = await orders.get_with_cache("ref3", tokens=False)
    assert list(fourth.events) == ["OTHER"]
