"""Human handoff through Slack: a fan asks for a person, an agent takes it and answers.

The fan talks to the real conversation core (``Chat``); what the Messenger sends them is kept by
a recording ChannelSender; the agents' side is the real Bolt app against the fake Slack.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from contextlib import AsyncExitStack
from typing import Any

import pytest

from adapters.slack.handoff_consumer import GROUP
from adapters.store.handoff_queue import HandoffBoard, Thread, asked_key
from bot import copy
from bot.messages import Fan, Reply
from tests.conftest import TEST_REDIS_URL
from tests.support.chat import Chat
from tests.support.fake_slack import buttons, texts
from tests.support.slack_env import AGENT, AGENT_2, HANDOFF_CHANNEL, SlackEnv, start_instance

pytestmark = pytest.mark.redis
_events = itertools.count(1)


def reply(thread_ts: str, text: str, user: str = AGENT) -> dict[str, Any]:
    """An agent's message in a thread, as the Events API delivers it."""
    return {
        "type": "message",
        "channel": HANDOFF_CHANNEL,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
        "thread_ts": thread_ts,
    }


async def say_in_thread(slack: SlackEnv, thread_ts: str, text: str, user: str = AGENT) -> None:
    response = await slack.slack.event(reply(thread_ts, text, user), f"Ev{next(_events)}")
    assert response.status_code == 200
    await slack.settle()


async def press(slack: SlackEnv, user: str, action: str, message: dict[str, Any]) -> None:
    shown = {k: v for k, v in message.items() if k != "channel"}
    response = await slack.slack.press(user, action, action, channel=HANDOFF_CHANNEL, message=shown)
    assert response.status_code == 200
    await slack.settle()


async def requested(slack: SlackEnv, fan: Chat, place: int = 1) -> dict[str, Any]:
    """The fan asks for a person; the request as posted in the handoff channel."""
    earlier = {m["ts"] for m in slack.fake.messages if m["channel"] == HANDOFF_CHANNEL}
    await fan.say("human")
    assert fan.text == copy.text("human_queued", fan.locale or "en", position=place)
    posted = await slack.fake.wait_message(
        lambda m: (
            m["channel"] == HANDOFF_CHANNEL and "thread_ts" not in m and m["ts"] not in earlier
        )
    )
    board = HandoffBoard(slack.usher.store)
    for _ in range(500):  # the board learns of the thread just after it is posted
        if await board.thread_of(Fan("console", fan.user)) is not None:
            return posted
        await asyncio.sleep(0.01)
    raise AssertionError("the handoff was posted but not recorded")


async def test_a_fan_and_an_agent_talk_through_a_thread_until_it_is_closed(
    slack: SlackEnv,
) -> None:
    fan = Chat(slack.usher, "fan-1")
    await fan.say("hi, my order went to janedoe@gmail.com and my phone is +1 415 555 0134")
    posted = await requested(slack, fan)
    shown = texts(posted)
    assert "A fan asks for a person" in shown
    assert "console" in shown
    assert "j***e@gmail.com" in shown
    assert "***0134" in shown
    assert "janedoe@gmail.com" not in shown
    assert "555 0134" not in shown
    assert [b["action_id"] for b in buttons(posted)] == ["usher:take"]

    await press(slack, AGENT, "usher:take", posted)
    taken = slack.fake.message(HANDOFF_CHANNEL, posted["ts"])
    assert f"Taken by <@{AGENT}>" in texts(taken)
    assert [b["action_id"] for b in buttons(taken)] == [
        "usher:close",
        "usher:canned",
        "usher:forget",
    ]
    assert "j***e@gmail.com" in texts(taken)  # the conversation so far stays on the message
    assert slack.recorder.sent == [("fan-1", [Reply(copy.text("human_taken"))])]
    await press(slack, AGENT_2, "usher:take", posted)
    assert slack.fake.responses[-1]["text"] == f"<@{AGENT}> has already taken this one."

    # The fan's words now go to the thread (masked), not to the bot.
    assert await fan.say("it never arrived, call me on 415-555-0134") == []
    relayed = await slack.fake.wait_message(lambda m: m.get("thread_ts") == posted["ts"])
    assert "it never arrived" in relayed["text"]
    assert "***0134" in relayed["text"]
    assert "555-0134" not in relayed["text"]

    await say_in_thread(slack, posted["ts"], "Sorry Jane &amp; co! See <https://help.example|help>")
    assert slack.recorder.texts[-1] == "Sorry Jane & co! See help (https://help.example)"
    assert slack.recorder.sent[-1][0] == "fan-1"
    await say_in_thread(slack, posted["ts"], "internal: refund?", user=AGENT_2)
    assert len(slack.recorder.sent) == 2  # another agent's note stays in Slack

    await press(slack, AGENT, "usher:close", slack.fake.message(HANDOFF_CHANNEL, posted["ts"]))
    closed = slack.fake.message(HANDOFF_CHANNEL, posted["ts"])
    assert f"Closed by <@{AGENT}>" in texts(closed)
    assert buttons(closed) == []
    closing, question = slack.recorder.sent[-1][1]
    assert closing.text == copy.text("human_closed")
    assert question.text == copy.text("rate_question")
    assert [b.payload for b in question.buttons] == [f"rate:{n}" for n in range(1, 6)]

    await fan.say("help")  # the bot again
    assert fan.text.startswith(copy.text("help").splitlines()[0])
    await say_in_thread(slack, posted["ts"], "one more thing")
    assert len(slack.recorder.sent) == 3
    await fan.press("rate:4")
    assert fan.text == copy.text("rate_thanks")
    [late] = slack.fake.of("chat.postEphemeral")
    assert late["user"] == AGENT
    assert "closed" in late["text"]

    assert [(who, what) for who, what, _ in await slack.audit()] == [
        (AGENT, "take"),
        (AGENT, "reply"),
        (AGENT, "close"),
        (AGENT, "rating"),
    ]


async def test_spanish_fans_hear_spanish_and_replies_wait_for_a_taker(slack: SlackEnv) -> None:
    fan = Chat(slack.usher, "fan-es", locale="es")
    posted = await requested(slack, fan)
    await say_in_thread(slack, posted["ts"], "hola")
    assert slack.recorder.sent == []
    [note] = slack.fake.of("chat.postEphemeral")
    assert "Take it" in note["text"]
    await press(slack, AGENT, "usher:take", posted)
    assert slack.recorder.texts == [copy.text("human_taken", "es")]


async def test_asking_again_while_a_request_is_open_adds_to_its_thread(slack: SlackEnv) -> None:
    fan = Chat(slack.usher, "fan-2")
    posted = await requested(slack, fan)
    await fan.press("human")  # the "Talk to a person" button is still the bot's
    assert fan.text == copy.text("human_already", position=1)  # the cooldown: nothing posted
    await slack.settle()
    assert slack.fake.messages == [posted]
    # Once the cooldown is over, asking again is posted in the open request's thread.
    await slack.usher.store.redis.delete(asked_key(slack.usher.store, Fan("console", "fan-2")))
    await fan.press("human")
    assert fan.text == copy.text("human_queued", position=1)
    again = await slack.fake.wait_message(lambda m: m.get("thread_ts") == posted["ts"])
    assert "asked for a person again" in again["text"]
    assert [m for m in slack.fake.messages if "thread_ts" not in m] == [posted]


async def test_requests_are_never_lost(slack: SlackEnv) -> None:
    consumer = slack.channel.consumer
    assert consumer is not None
    redis, stream = slack.usher.store.redis, slack.usher.store.key("handoff")
    board = HandoffBoard(slack.usher.store)

    async def posted_for(user: str) -> None:
        count = len(slack.fake.messages) + 1
        await slack.fake.wait_message(lambda _: len(slack.fake.messages) == count)
        message = slack.fake.messages[-1]
        thread = Thread(message["channel"], message["ts"])
        for _ in range(500):  # the board is written, and the entry acknowledged, just after
            pending = (await redis.xpending(stream, GROUP))["pending"]
            if pending == 0 and await board.get(thread) is not None:
                break
            await asyncio.sleep(0.01)
        record = await board.get(thread)
        assert record is not None
        assert record.fan == Fan("console", user)
        assert pending == 0

    # A fan asked while no process was consuming (no group yet): posted once one starts.
    await consumer.stop()
    await redis.xgroup_destroy(stream, GROUP)
    await Chat(slack.usher, "early").say("human")
    await consumer.start()
    await posted_for("early")
    # Another process read a request and died before posting it: taken over once idle.
    await consumer.stop()
    await Chat(slack.usher, "orphan").say("human")
    assert await redis.xreadgroup(GROUP, "dead-process", {stream: ">"}, count=1)
    consumer.reclaim_idle_ms = consumer.block_ms = 50
    await consumer.start()
    await posted_for("orphan")


async def test_a_retried_event_is_handled_once_across_two_processes(
    slack: SlackEnv, stack: AsyncExitStack
) -> None:
    other = await start_instance(stack, slack.fake, TEST_REDIS_URL)
    other.usher.messenger.add("console", slack.recorder)
    await Chat(slack.usher, "fan-3").say("hello")
    thread = Thread(HANDOFF_CHANNEL, "1700000000.000100")
    board = HandoffBoard(slack.usher.store)
    await board.open(thread, Fan("console", "fan-3"), "en")
    assert await board.take(thread, AGENT) == AGENT
    event = reply(thread.ts, "on it")

    first = await slack.slack.event(event, "Ev-dup")
    again = await other.slack.event(event, "Ev-dup", retry=1)
    assert first.status_code == again.status_code == 200
    await slack.settle()
    await other.settle()
    assert slack.recorder.texts == ["on it"]

    # A first delivery that failed releases its claim: Slack's retry is then handled.
    slack.recorder.fail_next = 1
    await slack.slack.event(reply(thread.ts, "second try"), "Ev-fail")
    await slack.settle()
    assert slack.recorder.texts == ["on it"]
    await other.slack.event(reply(thread.ts, "second try"), "Ev-fail", retry=1)
    await other.settle()
    assert slack.recorder.texts == ["on it", "second try"]
