"""The web chat's limits: a flooding socket, a fast session, a busy address, too many sockets."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from adapters.webchat.limits import FrameBudget, Limits
from bot import copy
from tests.adapters.webchat.conftest import VENUE, StartSite, Widget, text_of

pytestmark = pytest.mark.redis


async def drain(fan: Widget) -> None:
    """Read frames until the socket closes."""
    while True:
        await fan.next()


def test_the_frame_budget_allows_a_burst_then_a_rate() -> None:
    budget = FrameBudget(3, 1000.0)
    assert [budget.take() for _ in range(3)] == [True, True, True]
    slow = FrameBudget(2, 0.001)
    assert [slow.take() for _ in range(3)] == [True, True, False]


async def test_a_socket_that_floods_is_closed(start_site: StartSite) -> None:
    site = await start_site(limits=Limits(frame_burst=5, frame_rate=0.1))
    fan = site.widget()
    await fan.open()
    assert fan.socket is not None
    with contextlib.suppress(ConnectionClosed):  # closed while still sending
        for number in range(50):
            await fan.socket.send(json.dumps({"type": "nonsense", "n": number}))
    with pytest.raises(ConnectionClosed) as closed:
        await drain(fan)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008


async def test_a_session_past_the_fans_turn_rate_is_slowed_down_by_the_core(
    start_site: StartSite,
) -> None:
    site = await start_site(turn_burst=2, turn_rate=0.1)
    fan = site.widget()
    await fan.open()
    await fan.answer("help")
    await fan.answer("help")
    assert text_of(await fan.answer("help")) == copy.text("slow_down")  # said once...
    await fan.say("help")
    assert (await fan.next("message"))["from"] == "fan"  # ... then silence
    other = site.widget()  # another fan is not slowed down by this one
    await other.open()
    assert text_of(await other.answer("help")) != copy.text("slow_down")
    with pytest.raises(TimeoutError):
        await fan.next("message", within=0.5)


async def test_an_address_past_its_rate_is_asked_to_slow_down_and_nothing_is_handled(
    start_site: StartSite,
) -> None:
    site = await start_site(limits=Limits(messages_per_address=2))
    fan = site.widget()
    await fan.open()
    await fan.answer("help")
    await fan.answer("help")
    ref = await fan.say("help")
    notice = await fan.next()
    assert notice == {
        "type": "notice",
        "reason": "slow_down",
        "text": copy.text("webchat_slow_down"),
        "ref": ref,
    }
    assert len(await site.webchat.sessions.after(str(fan.session_id), None)) == 4


async def test_an_address_cannot_outpace_its_rate_by_opening_sessions(
    start_site: StartSite,
) -> None:
    site = await start_site(limits=Limits(messages_per_address=3))
    for _ in range(3):
        fan = site.widget()
        await fan.open()
        await fan.answer("help")
    last = site.widget()
    await last.open()
    await last.say("help")
    assert (await last.next())["reason"] == "slow_down"


async def test_too_many_open_sockets_from_one_address_are_refused(
    start_site: StartSite,
) -> None:
    site = await start_site(limits=Limits(sockets_per_address=2))
    first, second = site.widget(), site.widget()
    await first.open()
    await second.open()
    with pytest.raises(InvalidStatus):
        await connect(site.ws_url, origin=VENUE)  # type: ignore[arg-type]
    await first.close()
    for _ in range(200):  # the server sees the close just after the widget does
        if site.webchat.registry.per_address["127.0.0.1"] < 2:
            break
        await asyncio.sleep(0.01)
    third = site.widget()  # a closed socket frees its place
    await third.open()


async def test_too_many_new_connections_from_one_address_are_refused(
    start_site: StartSite,
) -> None:
    busy = await start_site(limits=Limits(connections_per_address=2))
    for _ in range(2):
        async with connect(busy.ws_url, origin=VENUE):  # type: ignore[arg-type]
            pass
    with pytest.raises(InvalidStatus):
        await connect(busy.ws_url, origin=VENUE)  # type: ignore[arg-type]


async def test_one_session_holds_a_bounded_number_of_sockets(start_site: StartSite) -> None:
    site = await start_site(limits=Limits(sockets_per_session=2))
    first = site.widget()
    await first.open()
    second = site.widget()
    await second.open(first.token)
    third = site.widget()
    with pytest.raises(ConnectionClosed) as closed:
        await third.open(first.token)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1013  # try again later
