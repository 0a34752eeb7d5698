"""The SafeTix refresh 20 hours before the event, run by real arq workers on a moving clock."""

from __future__ import annotations

import itertools
from datetime import timedelta

from adapters.jobs.report import collect
from adapters.pages.tm_orders_api import order_ref
from adapters.sandbox.faults import Fault
from adapters.sandbox.ticketmaster.fulfil import decode_token
from adapters.sandbox.ticketmaster.seed import (
    DEMO_ACCOUNT_ID,
    NO_BARCODES_ORDER_TOKEN,
    SAFETIX_EVENT_ID,
    SAFETIX_ORDER_TOKEN,
)
from bot.messages import Fan
from bot.schedule import AFTER_EVENT, REFRESH_LEAD, refresh_job
from bot.ticketmaster.ports import TmOrderRef
from tests.adapters.jobs.conftest import MakeWorld, World

BARCODES = ["7001000100010001", "7001000100010002"]


async def test_refresh_happens_at_t_minus_20h_not_before_with_the_fans_device_and_account(
    world: World,
) -> None:
    await world.fan("r1")
    ref = await world.register("r1", SAFETIX_ORDER_TOKEN)
    await world.drain()  # the plan job loads the order and schedules its jobs
    start = world.event_start(SAFETIX_EVENT_ID)
    [job] = await world.queued("tm_refresh")
    assert job.job_id == f"refresh:{ref}:{start}"
    assert job.at == start - REFRESH_LEAD

    world.clock.set(start - REFRESH_LEAD - 60)
    await world.drain()
    assert world.calls.renders == []

    world.clock.set(start - REFRESH_LEAD)
    await world.drain()
    [render] = world.calls.renders
    assert render.headers["x-user-id"] == DEMO_ACCOUNT_ID
    assert render.body["deviceId"] == await world.device_of("r1")
    assert sorted(ticket["barcode"] for ticket in render.body["tickets"]) == BARCODES
    assert await world.queued("tm_refresh") == []

    cached = await world.usher.tm_orders.tokens(ref)
    assert sorted(cached) == BARCODES
    for token in cached.values():
        minted = decode_token(token.token)
        assert minted["iat"] == start - REFRESH_LEAD, "the token cached is the T-20h one"
    redis, store = world.usher.store.redis, world.usher.store
    for key in (store.key("tm", "tokens", ref), store.key("tm", "answer", ref)):
        assert await redis.pttl(key) / 1000 >= start + AFTER_EVENT - world.clock()


async def test_tickets_without_barcodes_are_refreshed_through_order_management(
    world: World,
) -> None:
    await world.fan("nb")
    ref = await world.register("nb", NO_BARCODES_ORDER_TOKEN)
    await world.drain()
    start = world.event_start(SAFETIX_EVENT_ID)
    assert [job.job_id for job in await world.queued("tm_refresh")] == [f"refresh:{ref}:{start}"]
    managed = len(world.calls.to("/partners/v1/orders"))

    world.clock.set(start - REFRESH_LEAD)
    await world.drain()
    assert world.calls.renders == [], "secure render needs a barcode; none is sent blank"
    assert len(world.calls.to("/partners/v1/orders")) == managed + 1
    cached = await world.usher.tm_orders.tokens(ref)
    assert sorted(cached) == ["seat:1A005E6A9C3B4D01:50529001", "seat:1A005E6A9C3B4D01:50529002"]
    for token in cached.values():
        assert decode_token(token.token)["iat"] == start - REFRESH_LEAD
    assert await world.queued("tm_refresh") == []
    _, failures = await collect(world.usher.store, world.clock())
    assert list(failures) == []


async def test_a_ticketmaster_outage_at_the_gate_is_served_the_t_minus_20h_token(
    world: World,
) -> None:
    await world.fan("r2")
    ref = await world.register("r2", SAFETIX_ORDER_TOKEN)
    await world.drain()
    start = world.event_start(SAFETIX_EVENT_ID)
    world.clock.set(start - REFRESH_LEAD)
    await world.drain()
    refreshed = {b: t.token for b, t in (await world.usher.tm_orders.tokens(ref)).items()}

    world.clock.set(start - 600)  # ten minutes before doors: Ticketmaster is down
    world.sandbox.faults.add(Fault("/marketplace", status=503))
    world.sandbox.faults.add(Fault("/partners", status=503))
    order = await world.usher.safetix.owned(Fan("console", "r2"), ref)
    shown = await world.usher.safetix.refresh(order)
    assert {t.key: t.token for t in shown} == refreshed
    assert not any(t.fresh for t in shown)


async def test_two_workers_and_a_restart_refresh_once(world: World) -> None:
    await world.fan("r3")
    ref = await world.register("r3", SAFETIX_ORDER_TOKEN)
    await world.drain()
    start = world.event_start(SAFETIX_EVENT_ID)

    world.clock.set(start - REFRESH_LEAD)
    await world.drain(workers=2)
    assert len(world.calls.renders) == 1

    # A restart: the reconcile cron plans every order again, a stray duplicate of the job
    # is queued (arq forgot the finished id), and new workers run whatever is due.
    world.clock.advance(300)
    assert await world.usher.scheduling.planner.reconcile() == 0
    assert await world.usher.scheduling.queue.enqueue(refresh_job(ref, start))
    await world.drain(workers=2)
    assert len(world.calls.renders) == 1


async def test_a_late_registration_is_refreshed_at_once_and_failures_back_off_then_give_up(
    world: World,
) -> None:
    start = world.event_start(SAFETIX_EVENT_ID)
    world.clock.set(start - 1800)  # bought half an hour before the show
    await world.fan("r4")
    world.sandbox.faults.add(Fault("/marketplace", status=503))
    ref = await world.register("r4", SAFETIX_ORDER_TOKEN)
    attempts: list[float] = []
    while True:
        before = len(world.calls.renders)
        await world.drain()
        if len(world.calls.renders) > before:
            attempts.append(world.clock())
        queued = await world.queued("tm_refresh")
        if not queued:
            break
        world.clock.set(queued[0].at)
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert gaps == [60, 120, 240, 480], "doubling backoff, then no retry past the start"
    assert attempts[-1] < start

    _, failures = await collect(world.usher.store, world.clock())
    [failure] = [f for f in failures if f.function == "tm_refresh"]
    assert failure.job_id == f"refresh:{ref}:{start}"
    assert "secure render: ServerError" in failure.reason
    assert "gave up after 5 attempts" in failure.reason
    assert await world.usher.scheduling.book.is_done(failure.job_id)


async def test_an_event_that_moved_is_refreshed_at_its_new_time_only(world: World) -> None:
    await world.fan("r5")
    ref = await world.register("r5", SAFETIX_ORDER_TOKEN)
    await world.drain()
    start = world.event_start(SAFETIX_EVENT_ID)
    event = world.sandbox.tm.state.tm.events[SAFETIX_EVENT_ID]
    event.starts_at += timedelta(days=2)  # postponed; the hourly availability cache expires
    moved = start + 2 * 86400
    await world.usher.store.redis.delete(world.usher.store.key("tm", "event", SAFETIX_EVENT_ID))

    assert await world.usher.scheduling.planner.reconcile() >= 1
    ids = sorted(job.job_id for job in await world.queued("tm_refresh"))
    assert ids == sorted([f"refresh:{ref}:{start}", f"refresh:{ref}:{moved}"])

    world.clock.set(start - REFRESH_LEAD)
    await world.drain()
    assert world.calls.renders == [], "the old time's job sees the event moved"
    world.clock.set(moved - REFRESH_LEAD)
    await world.drain()
    assert len(world.calls.renders) == 1


async def test_orders_registered_before_the_worker_existed_are_planned_at_start(
    world: World,
) -> None:
    fan = Fan("console", "r6")
    ref = order_ref(fan, SAFETIX_ORDER_TOKEN)
    # Registered by an older Usher: no plan job was queued and the order index did not exist.
    await world.usher.tm_orders.register(TmOrderRef(ref, fan, SAFETIX_ORDER_TOKEN, DEMO_ACCOUNT_ID))
    store = world.usher.store
    await store.redis.delete(store.key("tm", "orders"))
    assert await world.queued() == []
    await world.drain()  # worker start: index the registrations, reconcile, plan
    start = world.event_start(SAFETIX_EVENT_ID)
    assert [job.job_id for job in await world.queued("tm_refresh")] == [f"refresh:{ref}:{start}"]


async def test_refreshes_falling_due_together_keep_to_the_configured_rate(
    make_world: MakeWorld,
) -> None:
    world = await make_world(USHER_TM_REFRESH_RATE="10")
    users = [f"p{index}" for index in range(8)]
    for user in users:
        await world.fan(user)
        await world.register(user, SAFETIX_ORDER_TOKEN)
    await world.drain()
    world.clock.set(world.event_start(SAFETIX_EVENT_ID) - REFRESH_LEAD)
    await world.drain(workers=2)
    renders = world.calls.renders
    assert len(renders) == len(users)
    assert {call.body["deviceId"] for call in renders} == {
        await world.device_of(user) for user in users
    }
    # 10 per second across both workers: 8 calls span at least 0.7 s (a little slack for
    # the moment a call leaves after its slot).
    assert renders[-1].at - renders[0].at >= 0.65
