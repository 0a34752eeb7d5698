"""Ready-ticket notices for delayed orders and event reminders, sent once, on a moving clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from adapters.sandbox.faults import Fault
from adapters.sandbox.ticketmaster.seed import (
    DELAY_DAYS,
    DELAYED_EVENT_ID,
    DELAYED_ORDER_TOKEN,
    SAFETIX_EVENT_ID,
    SAFETIX_ORDER_TOKEN,
)
from bot.messages import Fan
from bot.schedule import READY_RECHECK, ready_due
from tests.adapters.jobs.conftest import MakeWorld, World

HOUR = 3600


def delay_day(world: World) -> datetime:
    """The day the sandbox's delayed order becomes deliverable (its UTC date)."""
    started = datetime.fromtimestamp(world.clock(), UTC)
    return started + timedelta(days=DELAY_DAYS)


async def test_a_delayed_order_is_announced_once_on_its_day(world: World) -> None:
    chat = await world.fan("d1")
    ref = await world.register("d1", DELAYED_ORDER_TOKEN, "Winter Gala")
    await chat.say("my tickets")
    assert "will be ready on" in chat.text
    await world.drain()
    due = ready_due(delay_day(world).date(), world.usher.settings.zone())
    [job] = await world.queued("tm_ready")
    assert job.at == due
    assert await world.queued("tm_refresh") == [], "no token yet, nothing to refresh"

    world.clock.set(due - 60)
    await world.drain()
    assert world.sender.sent == []

    world.clock.set(due)
    await world.drain()
    [notice] = world.sender.to("d1")
    assert "Winter Gala" in notice.reply["text"]
    assert "ready" in notice.reply["text"]
    assert notice.payloads == [f"tickets:tm-{ref}"]
    # Now that the order has tokens, its refresh 20 hours before the event is scheduled.
    start = world.event_start(DELAYED_EVENT_ID)
    assert [j.job_id for j in await world.queued("tm_refresh")] == [f"refresh:{ref}:{start}"]

    world.clock.advance(86400)
    await world.usher.scheduling.planner.reconcile()
    await world.drain()
    assert len(world.sender.to("d1")) == 1

    await chat.press(notice.payloads[0])
    assert chat.urls, "the button shows the tickets, now a secure page link"


async def test_tickets_not_there_yet_are_looked_for_again_a_few_hours_later(
    make_world: MakeWorld,
) -> None:
    # Far east of UTC: 9:00 on the named day is still the day before where Ticketmaster is.
    world = await make_world(USHER_TIMEZONE="Pacific/Kiritimati")
    await world.fan("d2")
    ref = await world.register("d2", DELAYED_ORDER_TOKEN, "Winter Gala")
    await world.drain()
    due = ready_due(delay_day(world).date(), ZoneInfo("Pacific/Kiritimati"))
    world.clock.set(due)
    await world.drain()
    assert world.sender.sent == []
    [again] = await world.queued("tm_ready")
    assert again.at == due + READY_RECHECK

    world.clock.set(again.at)
    await world.drain()
    assert world.sender.sent == [], "still the day before in UTC"
    world.clock.set((await world.queued("tm_ready"))[0].at)
    await world.drain()
    [notice] = world.sender.to("d2")
    assert notice.payloads == [f"tickets:tm-{ref}"]


async def test_reminders_go_once_and_not_to_fans_who_said_stop(world: World) -> None:
    keen = await world.fan("m1", locale="es")
    quiet = await world.fan("m2")
    changed_mind = await world.fan("m3")
    refs = {u: await world.register(u, SAFETIX_ORDER_TOKEN) for u in ("m1", "m2", "m3")}
    await world.drain()

    await quiet.say("Stop reminders!")
    assert "no more event reminders" in quiet.text
    await changed_mind.say("stop reminders")
    await changed_mind.say("start reminders")
    assert "reminders are on" in changed_mind.text

    start = world.event_start(SAFETIX_EVENT_ID)
    world.clock.set(start - 3 * HOUR - 60)
    await world.drain()
    assert [s for s in world.sender.sent if s.reply["text"].startswith("⏰")] == []

    world.clock.set(start - 3 * HOUR)
    await world.drain()
    world.clock.advance(HOUR)
    await world.usher.scheduling.planner.reconcile()
    await world.drain()

    [spanish] = world.sender.to("m1")
    assert spanish.reply["text"].startswith("⏰ Recordatorio: Skyline Live")
    assert "19:30" in spanish.reply["text"]
    assert spanish.payloads == [f"tickets:tm-{refs['m1']}", "prefs:reminders-off"]
    assert world.sender.to("m2") == []
    [english] = world.sender.to("m3")
    assert english.reply["text"].startswith("⏰ Reminder: Skyline Live")

    await keen.press("prefs:reminders-off")
    assert "recordatorios" in keen.text
    assert not await world.usher.scheduling.preferences.reminders_on(Fan("console", "m1"))


async def test_a_channel_outage_retries_the_reminder_without_repeating_it(world: World) -> None:
    await world.fan("m4")
    await world.register("m4", SAFETIX_ORDER_TOKEN)
    await world.drain()
    start = world.event_start(SAFETIX_EVENT_ID)
    world.clock.set(start - 3 * HOUR)
    world.sender.fail = True
    await world.drain()
    assert world.sender.sent == []
    [retry] = await world.queued("tm_remind")
    assert retry.at == world.clock() + 60

    world.sender.fail = False
    world.clock.set(retry.at)
    await world.drain()
    world.clock.advance(600)
    await world.drain()
    assert len(world.sender.to("m4")) == 1


async def test_ticketmaster_down_on_the_day_is_looked_at_again_later(world: World) -> None:
    await world.fan("d3")
    await world.register("d3", DELAYED_ORDER_TOKEN)
    await world.drain()
    due = ready_due(delay_day(world).date(), world.usher.settings.zone())
    world.clock.set(due)
    world.sandbox.faults.add(Fault("/partners/v1/orders", status=503, times=4))
    await world.drain()
    assert world.sender.sent == []
    [retry] = await world.queued("tm_ready")
    assert retry.at == due + READY_RECHECK, "the last known answer (delayed) stands meanwhile"
    world.clock.set(retry.at)
    await world.drain()
    assert len(world.sender.to("d3")) == 1
