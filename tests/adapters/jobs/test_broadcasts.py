"""Broadcasts of a purchase link to fans who asked for offers, delivered by the worker."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from adapters.store.broadcasts import RedisBroadcastStore
from adapters.store.job_queue import NoWorkerQueue
from bot.broadcasts import (
    BATCH,
    IN_FLIGHT,
    MAX_PASSES,
    Broadcasts,
    JobsUnavailable,
)
from bot.buying.purchase_links import LinkGone
from bot.messages import Fan, Reply
from bot.ports import Broadcast
from bot.schedule import JobBook
from tests.adapters.jobs.conftest import World
from tests.support.jobs import Recorder, Sent
from tests.support.shop import ADULT, TOUR

pytestmark = pytest.mark.redis


async def opted_in(world: World, count: int) -> list[str]:
    """``count`` fans who said "send me offers" (their user ids, in key order)."""
    users = [f"b{index:03d}" for index in range(count)]
    for user in users:
        chat = await world.fan(user)
        await chat.say("send me offers")
        assert "You're in" in chat.text
    return users


async def link_code(world: World) -> str:
    made = await world.usher.shop.links.create(
        event_id=TOUR, ticketing_type_id=ADULT, quantity=1, created_by="U1"
    )
    return made.code


def offers(sender: Recorder, user: str) -> list[Sent]:
    return [s for s in sender.to(user) if any(p.startswith("link:") for p in s.payloads)]


async def test_every_opted_in_fan_gets_the_offer_once_and_opt_outs_win(world: World) -> None:
    users = await opted_in(world, BATCH + 7)  # more than one batch: the cursor moves
    never = await world.fan("z-never")  # never asked for offers
    stopped = await world.fan("b-stopped")
    await stopped.say("send me offers")
    await stopped.say("stop offers")
    assert "no more offers" in stopped.text
    late_quitter = users[BATCH - 1]  # in the batch being sent: caught at send time
    later_quitter = users[-1]  # in the next batch: never even listed
    broadcasts = world.usher.scheduling.broadcasts
    quit_after = users[2]

    class QuitsMidway(Recorder):
        async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
            await super().send(chat_id, replies)
            if chat_id == quit_after:  # two fans say "stop offers" while it runs
                for user in (late_quitter, later_quitter):
                    await world.usher.scheduling.preferences.set_offers(Fan("console", user), False)

    sender = QuitsMidway()
    world.usher.messenger.add("console", sender)
    code = await link_code(world)
    broadcast_id = await broadcasts.start_broadcast(code, "U1")
    await world.drain()

    for user in users:
        if user not in (late_quitter, later_quitter):
            [offer] = offers(sender, user)
            assert offer.payloads == [f"link:{code}", "prefs:offers-off"]
    assert offers(sender, late_quitter) == []
    assert offers(sender, later_quitter) == []
    assert offers(sender, never.user) == []
    assert offers(sender, stopped.user) == []
    status = await broadcasts.status(broadcast_id)
    assert status is not None
    assert status.finished_at is not None
    assert status.counts["sent"] == len(users) - 2
    assert status.counts["opted_out"] == 1

    # As if the worker had died before saving any progress: the record is back at its start
    # and a restarted worker resumes it. The recipients' claims keep anyone hearing twice.
    record = world.usher.store.key("bcast", broadcast_id)
    await world.usher.store.redis.delete(record, f"{record}:cursor")
    await RedisBroadcastStore(world.usher.store).create(Broadcast(broadcast_id, code, "U1", 0.0))
    assert await broadcasts.resume_all("restart") == 1
    await world.drain()
    assert len(sender.sent) == len(users) - 2
    again = await broadcasts.status(broadcast_id)
    assert again is not None
    assert again.finished_at is not None
    assert again.counts["already_sent"] == len(users) - 2


async def test_the_offer_button_opens_the_purchase_link(world: World) -> None:
    [user] = await opted_in(world, 1)
    code = await link_code(world)
    await world.usher.scheduling.broadcasts.start_broadcast(code, "U1")
    await world.drain()
    [offer] = offers(world.sender, user)
    chat = await world.fan(user)
    await chat.press(offer.payloads[0])
    assert "Adult × 1 · $32.00 each" in chat.text
    await chat.press(offer.payloads[1])
    assert not await world.usher.scheduling.preferences.offers_on(Fan("console", user))


async def test_a_failed_send_is_retried_in_a_later_pass_then_recorded(world: World) -> None:
    users = await opted_in(world, 3)
    flaky, broken = users[0], users[1]
    attempts: dict[str, int] = {}

    class Unreliable(Recorder):
        async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
            attempts[chat_id] = attempts.get(chat_id, 0) + 1
            if chat_id == broken or (chat_id == flaky and attempts[chat_id] == 1):
                raise ConnectionError("channel hiccup")
            await super().send(chat_id, replies)

    sender = Unreliable()
    world.usher.messenger.add("console", sender)
    broadcasts = world.usher.scheduling.broadcasts
    broadcast_id = await broadcasts.start_broadcast(await link_code(world), "U1")
    await world.drain()
    while True:
        [*passes] = await world.queued("broadcast")
        if not passes:
            break
        world.clock.set(passes[0].at)
        await world.drain()

    assert len(offers(sender, flaky)) == 1
    assert len(offers(sender, users[2])) == 1
    assert offers(sender, broken) == []
    assert attempts[broken] == 1 + MAX_PASSES
    status = await broadcasts.status(broadcast_id)
    assert status is not None
    assert status.finished_at is not None
    assert status.counts["sent"] == 2
    assert status.counts["failed"] == 1
    failures = await world.usher.scheduling.book.failures.recent(10)
    assert [f.job_id for f in failures] == [f"broadcast:{broadcast_id}"]
    assert "1 recipients could not be messaged" in failures[0].reason


async def test_a_revoked_link_stops_the_broadcast(world: World) -> None:
    await opted_in(world, 2)
    code = await link_code(world)
    broadcasts = world.usher.scheduling.broadcasts
    broadcast_id = await broadcasts.start_broadcast(code, "U1")
    await world.usher.shop.links.revoke(code)
    await world.drain()
    assert world.sender.sent == []
    status = await broadcasts.status(broadcast_id)
    assert status is not None
    assert status.stopped == "link gone"


async def test_starting_needs_a_usable_link_and_a_worker(world: World) -> None:
    broadcasts = world.usher.scheduling.broadcasts
    with pytest.raises(LinkGone):
        await broadcasts.start_broadcast("no-such-code", "U1")
    code = await link_code(world)
    await world.usher.shop.links.revoke(code)
    with pytest.raises(LinkGone):
        await broadcasts.start_broadcast(code, "U1")

    book = broadcasts.book
    embedded = Broadcasts(
        broadcasts.store,
        broadcasts.links,
        broadcasts.preferences,
        broadcasts.messenger,
        JobBook(NoWorkerQueue(), book.marks, book.failures, book.clock),
    )
    with pytest.raises(JobsUnavailable):
        await embedded.start_broadcast(await link_code(world), "U1")


async def test_a_few_sends_are_in_flight_at_once_and_each_fan_is_messaged_once(
    world: World,
) -> None:
    users = await opted_in(world, 12)
    in_flight = 0
    most = 0

    class Slow(Recorder):
        async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
            nonlocal in_flight, most
            in_flight += 1
            most = max(most, in_flight)
            await asyncio.sleep(0.02)
            in_flight -= 1
            await super().send(chat_id, replies)

    sender = Slow()
    world.usher.messenger.add("console", sender)
    await world.usher.scheduling.broadcasts.start_broadcast(await link_code(world), "U1")
    await world.drain()
    assert most == IN_FLIGHT
    assert sorted(s.chat_id for s in sender.sent) == users


async def test_after_the_lease_is_lost_no_new_send_starts_and_started_ones_finish(
    world: World,
) -> None:
    users = await opted_in(world, 12)
    broadcasts = world.usher.scheduling.broadcasts
    started: list[str] = []
    finished: list[str] = []
    broadcast_id = ""

    class LosesTheLease(Recorder):
        async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
            started.append(chat_id)
            if len(started) == 2:  # another run took over (this one stalled past its lease)
                lease = world.usher.store.key("bcast", broadcast_id, "lease")
                await world.usher.store.redis.delete(lease)
            await asyncio.sleep(0.02)
            await super().send(chat_id, replies)
            finished.append(chat_id)

    sender = LosesTheLease()
    world.usher.messenger.add("console", sender)
    broadcast_id = await broadcasts.start_broadcast(await link_code(world), "U1")
    assert await broadcasts.run(broadcast_id) == "lease lost to another run"
    assert len(started) <= IN_FLIGHT, "nothing started once the lease was gone"
    assert sorted(finished) == sorted(started), "what had started was delivered"
    claimed = [
        user
        for user in users
        if await world.usher.store.redis.exists(
            world.usher.store.key("bcast", broadcast_id, "to", Fan("console", user).key)
        )
    ]
    assert sorted(claimed) == sorted(started), "no fan is left claimed but unsent"
