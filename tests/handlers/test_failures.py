"""Upstream trouble and concurrency during a conversation: a clear answer, nothing lost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from adapters.sandbox.faults import Fault
from bot.app.bootstrap import Usher, build
from bot.conversation import Conversation
from bot.messages import Fan, Inbound, Reply
from bot.turn import Turn
from tests.handlers.test_journeys import orders_counted
from tests.support.chat import Chat, Outbox

ALEX = "alex.rivera@example.com"


async def verified(usher: Usher, user: str) -> Chat:
    """A fan verified by phone, with ACME's answers *not* cached (a cold start)."""
    chat = Chat(usher, user)
    await chat.say("my orders")
    await chat.share("+14155550134")
    assert "Your orders" in chat.text
    await drop_cache(usher)
    return chat


async def drop_cache(usher: Usher) -> None:
    keys = await usher.store.redis.keys(usher.store.key("cache", "*"))
    if keys:
        await usher.store.redis.delete(*keys)


async def test_a_warm_cache_keeps_orders_visible_during_an_acme_outage(usher: Usher) -> None:
    chat = Chat(usher, "warm")
    await chat.say("my orders")
    await chat.share("+14155550134")
    assert usher.sandbox is not None
    rule = usher.sandbox.faults.add(Fault("/v2/b2c/orders", status=503))
    await chat.press("orders")
    assert orders_counted(chat) == 25
    assert rule.hits == 0


@pytest.mark.parametrize(
    ("fault", "answer"),
    [
        (Fault("/v2/b2c/orders", status=503), "isn't answering"),
        (Fault("/v2/b2c/orders", status=500), "isn't answering"),
        (Fault("/v2/b2c/orders", status=429, retry_after=120), "very busy"),
        (Fault("/v2/b2c/orders", garbage=True), "isn't answering"),
    ],
)
async def test_acme_trouble_is_explained_and_the_fan_can_retry(
    usher: Usher, fault: Fault, answer: str
) -> None:
    chat = await verified(usher, "f1")
    assert usher.sandbox is not None
    rule = usher.sandbox.faults.add(fault)
    await chat.say("my orders")
    assert answer in chat.text
    assert "Traceback" not in chat.text
    usher.sandbox.faults.clear()
    await chat.say("my orders")
    assert "Your orders" in chat.text
    assert rule.hits >= 1


async def test_a_short_acme_blip_is_retried_invisibly(usher: Usher) -> None:
    chat = await verified(usher, "f2")
    assert usher.sandbox is not None
    rule = usher.sandbox.faults.add(Fault("/v2/b2c/orders", status=503, times=2))
    await chat.say("my orders")
    assert "Your orders" in chat.text
    assert rule.hits == 2


async def test_mail_server_down_is_explained_and_no_code_is_left_waiting(usher: Usher) -> None:
    class BrokenMailer:
        async def send(self, to: str, subject: str, body: str) -> None:
            from bot.errors import UpstreamConnectError

            raise UpstreamConnectError("smtp down", service="smtp", endpoint="send")

    usher.identity.mailer = BrokenMailer()
    chat = Chat(usher, "f3")
    await chat.say("my tickets")
    await chat.say(ALEX)
    assert "isn't answering" in chat.text or "went wrong" in chat.text
    state = await usher.store.get_json(usher.store.fan_key("state", Fan("console", "f3")))
    assert state.get("awaiting") != "code"
    assert await usher.identity.store.get_code(Fan("console", "f3")) is None


async def test_one_fans_turns_never_interleave_across_processes(
    usher: Usher, outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two Usher instances (two processes) on one Redis: a fan's turns run one at a time."""
    other = build(usher.settings, mailer=outbox, store=usher.store, sandbox=usher.sandbox)
    inside = 0
    overlaps = 0
    originals = {id(c): c._dispatch for c in (usher.conversation, other.conversation)}

    def slowed(conversation: Conversation) -> Callable[[Turn], Coroutine[Any, Any, list[Reply]]]:
        async def slow_dispatch(turn: Turn) -> list[Reply]:
            nonlocal inside, overlaps
            inside += 1
            overlaps = max(overlaps, inside)
            await asyncio.sleep(0.05)
            inside -= 1
            return await originals[id(conversation)](turn)

        return slow_dispatch

    monkeypatch.setattr(usher.conversation, "_dispatch", slowed(usher.conversation))
    monkeypatch.setattr(other.conversation, "_dispatch", slowed(other.conversation))
    events = [Inbound("console", "same", "same", text="help") for _ in range(6)]
    handlers = [usher.conversation.handle, other.conversation.handle] * 3
    results = await asyncio.gather(*(h(e) for h, e in zip(handlers, events, strict=True)))
    assert overlaps == 1
    assert all("what I can do" in r[0].text for r in results)


async def test_verification_made_in_one_process_holds_in_another(usher: Usher) -> None:
    other = build(usher.settings, mailer=Outbox(), store=usher.store, sandbox=usher.sandbox)
    await verified(usher, "f4")
    chat = Chat(other, "f4")
    await chat.say("my orders")
    assert "Your orders" in chat.text
