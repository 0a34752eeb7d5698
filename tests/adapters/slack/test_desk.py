"""The support desk around a handoff: queue places, hours, canned replies and fans' ratings.

Real Bolt app against the fake Slack, the fan on the real conversation core (``Chat``), the
agents' replies recorded on the fan's side; ``config/staff.toml`` as shipped where hours matter.
"""

from __future__ import annotations

import os
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as redis_asyncio

from bot import copy
from bot.formatting import when
from bot.staff_config import DEFAULT_STAFF_FILE
from tests.adapters.slack.test_handoff import press, requested
from tests.conftest import TEST_REDIS_URL
from tests.support.chat import Chat
from tests.support.fake_slack import FakeSlack, buttons, texts
from tests.support.slack_env import AGENT, AGENT_2, HANDOFF_CHANNEL, SlackEnv, start_instance

pytestmark = pytest.mark.redis
VENUE = ZoneInfo("America/Los_Angeles")


async def test_each_fan_hears_their_place_in_the_queue_until_an_agent_takes_them(
    slack: SlackEnv,
) -> None:
    first = await requested(slack, Chat(slack.usher, "q1"), place=1)
    second = Chat(slack.usher, "q2")
    await requested(slack, second, place=2)
    await second.press("human")  # asking again keeps the place (and queues nothing more)
    assert second.text == copy.text("human_already", position=2)

    await press(slack, AGENT, "usher:take", first)
    await second.press("human")  # the fan ahead was taken: one place up
    assert second.text == copy.text("human_already", position=1)
    taken = Chat(slack.usher, "q1")
    await taken.press("human")
    assert taken.text == copy.text("human_with_agent")
    await requested(slack, Chat(slack.usher, "q3", locale="es"), place=2)


@pytest.fixture
async def stack(
    real_redis: redis_asyncio.Redis, stack: AsyncExitStack, monkeypatch: pytest.MonkeyPatch
) -> AsyncExitStack:
    """The adapters' ``stack``, on a flushed Redis and with no ``USHER_*`` from outside."""
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)
    return stack


async def desk_at(
    stack: AsyncExitStack, fake: FakeSlack, moment: datetime
) -> tuple[SlackEnv, Chat]:
    """Usher with the shipped staff file, its clock at ``moment``, and a fan on it."""
    fake.reset()
    env = await start_instance(
        stack,
        fake,
        TEST_REDIS_URL,
        clock=moment.timestamp,
        staff_config=DEFAULT_STAFF_FILE,
        timezone="America/Los_Angeles",
    )
    return env, Chat(env.usher, "late-fan")


@pytest.mark.parametrize(
    ("moment", "back"),
    [
        # Sunday after the desk's 18:00: back Monday at 09:00.
        (datetime(2026, 12, 6, 19, 30, tzinfo=VENUE), datetime(2026, 12, 7, 9, 0, tzinfo=VENUE)),
        # Early on a weekday: back at 09:00 the same day.
        (datetime(2026, 12, 8, 7, 0, tzinfo=VENUE), datetime(2026, 12, 8, 9, 0, tzinfo=VENUE)),
        # Christmas is closed all day (a Friday): back Saturday at 10:00.
        (datetime(2026, 12, 25, 11, 0, tzinfo=VENUE), datetime(2026, 12, 26, 10, tzinfo=VENUE)),
    ],
)
async def test_outside_the_desks_hours_the_fan_is_told_when_someone_is_back(
    stack: AsyncExitStack, fake_slack: FakeSlack, moment: datetime, back: datetime
) -> None:
    env, fan = await desk_at(stack, fake_slack, moment)
    await fan.say("I need a human")
    assert fan.text == copy.text("human_queued_back", back=when(back, VENUE))
    assert "queue" in fan.text
    assert "number" not in fan.text
    # The request still reaches the agents, to be taken when they are back.
    await env.fake.wait_message(lambda m: m["channel"] == HANDOFF_CHANNEL)
    spanish = Chat(env.usher, "fan-es", locale="es")
    await spanish.say("quiero hablar con una persona")
    assert spanish.text == copy.text("human_queued_back", "es", back=when(back, VENUE, "es"))


async def test_during_the_desks_hours_the_fan_hears_the_queue(
    stack: AsyncExitStack, fake_slack: FakeSlack
) -> None:
    _, fan = await desk_at(stack, fake_slack, datetime(2026, 12, 7, 10, 0, tzinfo=VENUE))
    await fan.say("human")
    assert fan.text == copy.text("human_queued", position=1)


async def taken(slack: SlackEnv, fan: Chat, agent: str = AGENT) -> dict[str, Any]:
    posted = await requested(slack, fan)
    await press(slack, agent, "usher:take", posted)
    return slack.fake.message(HANDOFF_CHANNEL, posted["ts"])


async def pick(slack: SlackEnv, user: str, reply_id: str, message: dict[str, Any]) -> None:
    shown = {k: v for k, v in message.items() if k != "channel"}
    response = await slack.slack.select(
        user, "usher:canned", reply_id, channel=HANDOFF_CHANNEL, message=shown
    )
    assert response.status_code == 200
    await slack.settle()


async def test_the_taker_sends_a_canned_reply_in_the_fans_language_after_editing_it(
    slack: SlackEnv,
) -> None:
    fan = Chat(slack.usher, "fan-es", locale="es")
    message = await taken(slack, fan)
    [menu] = [b for b in buttons(message) if b["action_id"] == "usher:canned"]
    assert [(o["value"], o["text"]["text"]) for o in menu["options"]] == [
        ("tickets_in_chat", "Where to find the tickets"),
        ("anything_else", "Anything else?"),
    ]

    await pick(slack, AGENT, "tickets_in_chat", message)
    [opened] = slack.fake.of("views.open")
    view = opened["view"]
    [field] = view["blocks"]
    assert field["element"]["initial_value"] == (
        'Tus entradas están aquí, en este chat: escribe "mis entradas".'
    )
    edited = 'Tus entradas están aquí, Lucía: escribe "mis entradas". <!channel>'
    response = await slack.slack.submit(AGENT, view, {"text": edited})
    assert response.status_code == 200
    assert response.content in (b"", b"{}")  # the modal closes
    await slack.settle()
    assert slack.recorder.texts[-1] == edited
    copied = await slack.fake.wait_message(
        lambda m: m.get("thread_ts") == message["ts"] and "sent the fan" in m["text"]
    )
    assert "&lt;!channel&gt;" in copied["text"]  # the copy in the thread pings nobody
    assert ("U0AGENT", "reply", "") in await slack.audit()

    # A reply with no Spanish text falls back to English.
    await pick(slack, AGENT, "anything_else", message)
    assert slack.fake.of("views.open")[-1]["view"]["blocks"][0]["element"]["initial_value"] == (
        "Is there anything else I can help you with?"
    )


async def test_only_the_taker_of_an_open_handoff_can_send_canned_replies(
    slack: SlackEnv,
) -> None:
    message = await taken(slack, Chat(slack.usher, "fan-c"))
    await pick(slack, AGENT_2, "tickets_in_chat", message)
    assert slack.fake.of("views.open") == []
    assert "Only the agent who took" in slack.fake.responses[-1]["text"]
    await pick(slack, AGENT, "no-such-reply", message)
    assert slack.fake.of("views.open") == []
    assert "not configured" in slack.fake.responses[-1]["text"]

    await pick(slack, AGENT, "tickets_in_chat", message)
    [opened] = slack.fake.of("views.open")
    await press(slack, AGENT, "usher:close", message)  # closed while the modal was open
    sent_before = len(slack.recorder.sent)
    response = await slack.slack.submit(AGENT, opened["view"], {"text": "hello"})
    assert response.json()["response_action"] == "errors"
    assert "closed" in response.json()["errors"]["text"]
    assert len(slack.recorder.sent) == sent_before


async def test_fans_rate_the_help_once_and_audit_sums_up_the_week(slack: SlackEnv) -> None:
    empty = await slack.ask("audit")
    assert "Fans' ratings, last 7 days:* none yet" in texts(empty)
    for user, stars in (("r1", "5"), ("r2", "2"), ("r3", "4")):
        fan = Chat(slack.usher, user, locale="es" if user == "r2" else None)
        message = await taken(slack, fan)
        await press(slack, AGENT, "usher:close", message)
        question = slack.recorder.sent[-1][1][-1]
        assert question.text == copy.text("rate_question", fan.locale or "en")
        assert [b.label for b in question.buttons] == [f"{n} ★" for n in range(1, 6)]
        await fan.press("rate:9")
        assert fan.text == copy.text("rate_invalid", fan.locale or "en")
        await fan.press(f"rate:{stars}")
        assert fan.text == copy.text("rate_thanks", fan.locale or "en")
        await fan.press("rate:1")  # a second press changes nothing
        assert fan.text == copy.text("rate_nothing", fan.locale or "en")
    summary = await slack.ask("audit")
    assert "*Fans' ratings, last 7 days:* 3 · average 3.7 ★" in texts(summary)
    assert "<@U0AGENT> *rating* · 4/5 console" in texts(summary)
    ratings = [entry for entry in await slack.audit() if entry[1] == "rating"]
    assert ratings == [(AGENT, "rating", "")] * 3


async def test_a_fan_who_never_had_a_handoff_has_nothing_to_rate(slack: SlackEnv) -> None:
    fan = Chat(slack.usher, "nobody")
    await fan.press("rate:5")
    assert fan.text == copy.text("rate_nothing")
    assert await slack.audit() == []
