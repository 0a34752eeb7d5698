"""Caps on guessable or costly actions a fan can repeat: coupon codes and requests for a person.

The fans here type faster than a person would (``unthrottled``): the subject is each action's
own cap, not the per-fan turn rate that would silence them first.
"""

from __future__ import annotations

import httpx
import pytest

from adapters.store.handoff_queue import HandoffBoard, Thread
from adapters.store.streams import HANDOFF
from bot import copy
from bot.app.bootstrap import Usher
from bot.messages import Fan
from tests.support.chat import Chat
from tests.support.shop import cart_of, chat_with_link, unit_prices

pytestmark = [pytest.mark.redis, pytest.mark.unthrottled]


class AcmeCalls:
    """Counts the HTTP requests Usher makes to ACME."""

    def __init__(self, usher: Usher) -> None:
        self.count = 0
        acme_http, _ = usher.http_clients
        acme_http.event_hooks["request"].append(self._seen)

    async def _seen(self, _: httpx.Request) -> None:
        self.count += 1


async def test_wrong_coupon_codes_are_capped_and_then_even_a_right_one_waits(
    usher: Usher,
) -> None:
    chat = await chat_with_link(usher, "coupon-guesser", quantity=2)
    for n in range(10):
        await chat.say(f"coupon GUESS{n:02d}")
        assert f"GUESS{n:02d} isn't a valid code" in chat.text
    calls = AcmeCalls(usher)
    await chat.say("coupon GUESS10")
    assert chat.text == copy.text("coupon_guess_limit")
    await chat.say("coupon AAA5")  # the real code, too late
    assert chat.text == copy.text("coupon_guess_limit")
    assert calls.count == 0, "a capped code never reaches ACME"
    cart = await cart_of(chat)
    assert not cart.coupon_codes
    assert unit_prices(cart) == ["32.00", "32.00"]
    # Another fan is not held back by this one's guesses.
    other = await chat_with_link(usher, "honest-buyer")
    await other.say("coupon AAA5")
    assert "$27.00" in other.text


async def test_a_right_code_does_not_use_up_the_budget(usher: Usher) -> None:
    chat = await chat_with_link(usher, "coupon-regular", quantity=2)
    for _ in range(12):
        await chat.say("coupon AAA5")
        assert chat.text != copy.text("coupon_guess_limit")


async def requests_in_stream(usher: Usher) -> int:
    entries = await usher.store.redis.xrange(usher.store.key(*HANDOFF))
    return sum(1 for _, fields in entries if fields.get(b"kind") == b"request")


async def test_asking_for_a_person_forty_times_queues_one_request(usher: Usher) -> None:
    chat = Chat(usher, "impatient")
    await chat.say("human")
    first = chat.text  # the queue place, or when the desk is back (the shipped hours)
    assert first != copy.text("human_already", position=1)
    for n in range(39):
        if n % 2:
            await chat.say("human")
        else:
            await chat.press("human")
        assert chat.text == copy.text("human_already", position=1)
    assert await requests_in_stream(usher) == 1
    # Someone else asking is not held back.
    await Chat(usher, "someone-else").say("I want to talk to a person")
    assert await requests_in_stream(usher) == 2


async def test_once_an_agent_closes_the_request_the_fan_may_ask_again(usher: Usher) -> None:
    chat = Chat(usher, "came-back")
    await chat.say("human")
    board = HandoffBoard(usher.store)
    thread = Thread("C0HANDOFF", "1700000000.000100")
    await board.open(thread, Fan("console", "came-back"), "en")
    await board.close(thread, "U0AGENT")
    await chat.say("human")
    assert chat.text != copy.text("human_already", position=1)
    assert await requests_in_stream(usher) == 2
