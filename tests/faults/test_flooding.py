"""A fan who floods the bot: a burst is answered, then one "slow down", then silence that costs
nothing (no handler, no upstream call, no state), while every other fan is served as usual."""

from __future__ import annotations

import httpx

from bot import copy
from bot.app.bootstrap import Usher
from bot.messages import Fan
from bot.turn import HISTORY
from tests.support.chat import Chat

ALEX_PHONE = "+14155550134"


class UpstreamCalls:
    """Counts the HTTP requests Usher makes to ACME and Ticketmaster."""

    def __init__(self, usher: Usher) -> None:
        self.count = 0
        for client in usher.http_clients:
            client.event_hooks["request"].append(self._seen)

    async def _seen(self, _: httpx.Request) -> None:
        self.count += 1


async def drop_acme_cache(usher: Usher) -> None:
    """Forget cached ACME answers, so a turn that runs must ask ACME again."""
    keys = await usher.store.redis.keys(usher.store.key("cache", "acme", "*"))
    if keys:
        await usher.store.redis.delete(*keys)


async def test_a_flood_gets_a_burst_one_slow_down_then_silence_that_costs_nothing(
    usher: Usher,
) -> None:
    calls = UpstreamCalls(usher)
    flooder, neighbour = Chat(usher, "flooder"), Chat(usher, "neighbour")
    burst = usher.settings.turn_burst
    await flooder.share(ALEX_PHONE)
    for _ in range(burst - 1):
        await flooder.say("my orders")
        assert "#" in flooder.text  # answered: the order list
    await flooder.say("my orders")
    assert flooder.text == copy.text("slow_down")
    state = await usher.conversation.states.load(Fan("console", "flooder"))
    before = calls.count
    for _ in range(20):
        await drop_acme_cache(usher)
        assert await flooder.say("my orders") == []
    assert calls.count == before, "a refused turn reaches no upstream"
    assert await usher.conversation.states.load(Fan("console", "flooder")) == state
    assert len(state[HISTORY]) == burst - 1
    # The neighbour, meanwhile, is served exactly as before, upstream call included.
    await neighbour.share(ALEX_PHONE)
    await drop_acme_cache(usher)
    await neighbour.say("my orders")
    assert "#" in neighbour.text
    assert calls.count > before


async def test_buttons_and_contacts_count_like_messages(usher: Usher) -> None:
    presser = Chat(usher, "presser")
    for _ in range(usher.settings.turn_burst):
        await presser.press("help")
    await presser.share(ALEX_PHONE)
    assert presser.text == copy.text("slow_down")
    assert await presser.press("orders") == []
