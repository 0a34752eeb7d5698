"""Reminders and "doors open" notices for ACME events, run by real arq workers on a moving
clock, the fan's orders read from the ACME sandbox as the fan would see them."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.acme.reminders import held_events
from bot.identity import Verified
from bot.orders import OrderBook
from bot.schedule import ACME_DOORS, ACME_REMIND
from tests.adapters.jobs.conftest import World

ALEX_PHONE = "+14155550134"
SOFIA_PHONE = "+442079460958"
DOORS_BEFORE = 30 * 60  # config/venue.toml: doors_open_before = "30m"


async def held(world: World, phone: str) -> list[tuple[str, int, str]]:
    """(event id, start, name) of every upcoming event the phone's orders hold live tickets for."""
    book = OrderBook(world.usher.acme)
    fan = Verified(emails=frozenset(), phones=frozenset({phone}))
    orders = await book.details([o.id for o in await book.visible_orders(fan)], fan)
    events = held_events(orders, world.clock())
    return sorted((e.event_id, e.starts_at, e.name) for e in events.values())


async def test_each_event_held_gets_a_reminder_and_a_doors_notice_once(world: World) -> None:
    chat = await world.fan("ar1")
    await chat.share(ALEX_PHONE)
    await chat.say("my tickets")
    await world.drain()
    events = await held(world, ALEX_PHONE)
    assert events, "Alex holds tickets for upcoming events"
    before = world.usher.settings.reminder_before.total_seconds()
    reminders = await world.queued(ACME_REMIND)
    doors = await world.queued(ACME_DOORS)
    assert sorted(job.at for job in reminders) == sorted(start - before for _, start, _ in events)
    assert sorted(job.at for job in doors) == sorted(start - DOORS_BEFORE for _, start, _ in events)

    _, start, name = events[0]
    world.clock.set(start - before - 60)
    await world.drain()
    assert world.sender.to("ar1") == []

    world.clock.set(start - before)
    await world.drain()
    [reminder] = world.sender.to("ar1")
    assert reminder.reply["text"].startswith("⏰ Reminder: ")
    assert name in reminder.reply["text"]
    local = datetime.fromtimestamp(start, UTC).astimezone(world.usher.settings.zone())
    assert f"{local:%H:%M}" in reminder.reply["text"]
    assert "prefs:reminders-off" in reminder.payloads
    [tickets] = [p for p in reminder.payloads if p.startswith("tickets:")]

    world.clock.set(start - DOORS_BEFORE)
    await world.drain()
    doors_notice = world.sender.to("ar1")[-1]
    assert doors_notice.reply["text"].startswith("🚪 Doors are open for ")
    assert name in doors_notice.reply["text"]

    # Looking again (the clock moved on: a new plan), two workers: nothing is sent twice.
    sent = len(world.sender.to("ar1"))
    await chat.say("my tickets")
    await world.drain(workers=2)
    assert len(world.sender.to("ar1")) == sent

    await chat.press(tickets)
    assert chat.qr_values, "the button shows that order's tickets"


async def test_stop_reminders_stops_acme_notices_too(world: World) -> None:
    chat = await world.fan("ar2")
    await chat.share(ALEX_PHONE)
    await chat.say("my tickets")
    await world.drain()
    await chat.say("stop reminders")
    _, start, _ = (await held(world, ALEX_PHONE))[0]
    world.clock.set(start - DOORS_BEFORE)
    await world.drain()
    assert world.sender.to("ar2") == []


async def test_an_order_that_hides_its_dates_is_your_event(world: World) -> None:
    chat = await world.fan("ar3", locale="es")
    await chat.share(SOFIA_PHONE)
    await chat.say("mis entradas")
    await world.drain()
    [(_, start, _)] = await held(world, SOFIA_PHONE)  # order 30270301: hideEventDate true
    world.clock.set(start - world.usher.settings.reminder_before.total_seconds())
    await world.drain()
    world.clock.set(start - DOORS_BEFORE)
    await world.drain()
    texts = [sent.reply["text"] for sent in world.sender.to("ar3")]
    assert texts == [
        "⏰ Recordatorio: tu evento es pronto. Ten tus entradas a mano en la entrada.",
        "🚪 Ya abrieron las puertas de tu evento. Ten tus entradas a mano: un código por persona.",
    ]


async def test_a_fan_who_no_longer_holds_the_event_is_not_reminded(world: World) -> None:
    chat = await world.fan("ar4")
    await chat.share(ALEX_PHONE)
    await chat.say("my tickets")
    await world.drain()
    _, start, _ = (await held(world, ALEX_PHONE))[0]
    await chat.say("forget me")
    world.clock.set(start - DOORS_BEFORE)
    await world.drain()
    assert world.sender.to("ar4") == []
