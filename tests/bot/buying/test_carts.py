"""Unpaid carts are deleted after their time, on ACME and in Redis (real Redis, sandbox ACME)."""

from __future__ import annotations

import asyncio

import pytest

from adapters.sandbox.faults import Fault
from adapters.store.carts import RedisCartStore
from bot.acme.cart_models import CartItem
from bot.app.bootstrap import Usher
from bot.buying.cart_edits import request_cart
from bot.buying.carts import CART_TTL, SWEEP_RETRY, Carts, OpenCart
from bot.messages import Fan
from tests.support.shop import ADULT, TOUR

FAN = Fan("console", "sweep")


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def carts(usher: Usher, clock: Clock) -> Carts:
    return Carts(usher.acme, RedisCartStore(usher.store), clock)


async def open_one(carts: Carts) -> OpenCart:
    return await carts.open(TOUR, [CartItem.tickets(TOUR, ADULT, 1)], fan=FAN)


def on_acme(usher: Usher, opened: OpenCart) -> bool:
    assert usher.sandbox is not None
    return opened.record.cart_id in usher.sandbox.acme.state.acme.carts


async def test_an_unpaid_cart_is_deleted_a_ttl_after_its_last_change(
    usher: Usher, carts: Carts, clock: Clock
) -> None:
    idle, busy = await open_one(carts), await open_one(carts)
    clock.now += 10 * 3600
    busy = await carts.change(busy, request_cart(busy.cart))  # a change restarts its clock
    clock.now += CART_TTL - 10 * 3600 + 1
    assert await carts.sweep() == 1
    assert not on_acme(usher, idle)
    assert await carts.get(idle.record.cart_id, FAN) is None
    assert on_acme(usher, busy)
    assert await carts.get(busy.record.cart_id, FAN) is not None
    assert await carts.sweep() == 0
    clock.now += 10 * 3600
    assert await carts.sweep() == 1
    assert not on_acme(usher, busy)


async def test_a_failed_delete_is_tried_again_later(
    usher: Usher, carts: Carts, clock: Clock
) -> None:
    opened = await open_one(carts)
    assert usher.sandbox is not None
    usher.sandbox.faults.add(Fault("/v2/b2c/carts", method="DELETE", status=503))
    clock.now += CART_TTL + 1
    assert await carts.sweep() == 0
    assert on_acme(usher, opened)
    usher.sandbox.faults.clear()
    assert await carts.sweep() == 0  # rescheduled, not due yet
    clock.now += SWEEP_RETRY
    assert await carts.sweep() == 1
    assert not on_acme(usher, opened)


async def test_concurrent_sweeps_delete_each_cart_once_and_in_batches(
    usher: Usher, carts: Carts, clock: Clock
) -> None:
    opened = [await open_one(carts) for _ in range(5)]
    clock.now += CART_TTL + 1
    assert await carts.sweep(limit=2) == 2
    assert sum(await asyncio.gather(carts.sweep(), carts.sweep(), carts.sweep())) == 3
    assert not any(on_acme(usher, cart) for cart in opened)


async def test_a_cart_is_only_its_fans(usher: Usher, carts: Carts) -> None:
    opened = await open_one(carts)
    assert await carts.get(opened.record.cart_id, Fan("console", "someone-else")) is None
    assert await carts.get(opened.record.cart_id, None) is None
    assert await carts.get("no-such-cart", FAN) is None


async def test_a_cart_gone_from_acme_is_forgotten(usher: Usher, carts: Carts) -> None:
    opened = await open_one(carts)
    await usher.acme.delete_cart(opened.record.cart_id)
    assert await carts.get(opened.record.cart_id, FAN) is None
    assert await RedisCartStore(usher.store).get(opened.record.cart_id) is None


async def test_a_discarded_cart_that_acme_would_not_delete_is_swept_later(
    usher: Usher, carts: Carts, clock: Clock
) -> None:
    opened = await open_one(carts)
    assert usher.sandbox is not None
    usher.sandbox.faults.add(Fault("/v2/b2c/carts", method="DELETE", status=503))
    await carts.discard(opened.record.cart_id)
    assert await carts.get(opened.record.cart_id, FAN) is None
    usher.sandbox.faults.clear()
    clock.now += SWEEP_RETRY
    assert await carts.sweep() == 1
    assert not on_acme(usher, opened)


async def test_the_worker_cron_sweeps_through_the_shop(usher: Usher) -> None:
    """The worker's ``sweep_carts`` job reaches the same sweep the shop uses."""
    from adapters.jobs.worker import sweep_carts

    opened = await usher.shop.carts.open(TOUR, [CartItem.tickets(TOUR, ADULT, 1)], fan=FAN)
    await RedisCartStore(usher.store).schedule(opened.record.cart_id, 0.0)
    await sweep_carts({"scheduling": usher.scheduling})
    assert not on_acme(usher, opened)
