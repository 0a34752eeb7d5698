"""An agent who takes a Telegram fan sees who they are and sends them their own tickets.

Everything real but the two platforms: the Telegram adapter (PTB) against the fake Bot API,
the Slack app (Bolt) against the fake Slack API, one Usher on the ACME simulator and Redis.
The fan is the sandbox's Alex Rivera, who proves his phone (+1 415 555 0134) by sharing his
Telegram contact; Jane Doe's order 30263798 (number 100148401) is someone else's.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from contextlib import AsyncExitStack
from typing import Any

import pytest

from adapters.slack.assist import SEND_CODE, SEND_TICKETS
from adapters.store.handoff_queue import HandoffBoard
from adapters.telegram.webhook import SECRET_HEADER, TelegramWebhook
from bot.messages import Fan
from tests.adapters.telegram.conftest import (
    FAN_ID,
    SECRET,
    decode_qr,
    load_update,
    telegram_bot,
    text_update,
)
from tests.conftest import TEST_REDIS_URL
from tests.support.fake_slack import FakeSlack, buttons, texts
from tests.support.fake_telegram import FakeTelegram
from tests.support.servers import serve_in_loop
from tests.support.slack_env import (
    AGENT,
    AGENT_2,
    HANDOFF_CHANNEL,
    STRANGER,
    SlackEnv,
    start_instance,
)

pytestmark = pytest.mark.redis
FAN = Fan("telegram", str(FAN_ID))
ALEX_PHONE = "+14155550134"
JANE_ID, JANE_NUMBER = "30263798", "100148401"
_updates = itertools.count(100)


class Desk:
    """One Usher with Telegram and Slack, and the ways to drive both sides."""

    def __init__(self, slack: SlackEnv, telegram: FakeTelegram, webhook: TelegramWebhook) -> None:
        self.slack = slack
        self.telegram = telegram
        self.webhook = webhook

    async def fan_sends(self, update: dict[str, Any]) -> None:
        response = await self.slack.slack.http.post(
            f"{self.slack.url}/telegram/webhook",
            json=update,
            headers={SECRET_HEADER: SECRET},
        )
        assert response.status_code == 200
        await self.webhook.wait_idle()

    async def fan_says(self, text: str) -> None:
        await self.fan_sends(text_update(next(_updates), text))

    async def press(self, user: str, action: str, value: str) -> dict[str, Any]:
        before = len(self.slack.fake.responses)
        response = await self.slack.slack.press(user, action, value, channel=f"D{AGENT}")
        assert response.status_code == 200
        await self.slack.settle()
        assert len(self.slack.fake.responses) == before + 1
        return self.slack.fake.responses[-1]


@pytest.fixture
async def desk(slack_stack: AsyncExitStack, fake_slack: FakeSlack) -> Desk:
    telegram = FakeTelegram()
    telegram.url = await slack_stack.enter_async_context(serve_in_loop(telegram.app))
    channels: list[TelegramWebhook] = []

    def with_telegram(usher: Any) -> list[Any]:
        channels.append(TelegramWebhook(telegram_bot(usher, telegram)))
        return channels

    env = await start_instance(slack_stack, fake_slack, TEST_REDIS_URL, more_channels=with_telegram)
    return Desk(env, telegram, channels[0])


@pytest.fixture
async def slack_stack(
    real_redis: Any, stack: AsyncExitStack, monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack
) -> AsyncExitStack:
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)
    fake_slack.reset()
    return stack


async def taken(desk: Desk) -> tuple[dict[str, Any], dict[str, Any]]:
    """Alex proves his phone, writes, asks for a person; an agent takes it.

    The handoff message and the DM the agent got."""
    await desk.fan_says("hi, my tickets for alex.rivera@example.com never came")
    await desk.fan_sends(load_update("contact_own", next(_updates)))
    assert ALEX_PHONE in (await desk.slack.usher.identity.verified(FAN)).phones
    await desk.fan_says("I need a human")
    slack = desk.slack
    posted = await slack.fake.wait_message(lambda m: m["channel"] == HANDOFF_CHANNEL)
    board = HandoffBoard(slack.usher.store)
    for _ in range(500):
        if await board.thread_of(FAN) is not None:
            break
        await asyncio.sleep(0.01)
    shown = {k: v for k, v in posted.items() if k != "channel"}
    response = await slack.slack.press(
        AGENT, "usher:take", "take", channel=HANDOFF_CHANNEL, message=shown
    )
    assert response.status_code == 200
    await slack.settle()
    dm = await slack.fake.wait_message(lambda m: m["channel"] == f"D{AGENT}")
    return slack.fake.message(HANDOFF_CHANNEL, posted["ts"]), dm


def ticket_uuids(slack: SlackEnv, order_id: str) -> set[str]:
    detail = slack.acme.orders[order_id].detail
    return {
        t["uuid"]
        for item in detail.get("orderItems", [])
        for t in item.get("ticketVos") or []
        if t.get("uuid") and t.get("ticketStatus") not in ("Void", "Refund")
    }


async def test_the_agent_gets_the_fans_proofs_orders_and_words_in_a_dm_only(desk: Desk) -> None:
    message, dm = await taken(desk)
    channel_view = texts(message)
    assert f"Taken by <@{AGENT}>" in channel_view
    assert "a***a@example.com" in channel_view  # the channel keeps the masked summary
    assert "alex.rivera@example.com" not in channel_view

    private = texts(dm)
    assert ALEX_PHONE in private  # proven by a shared Telegram contact, in full
    assert "alex.rivera@example.com never came" in private  # the fan's words, unmasked
    cards = [b for b in buttons(dm) if b["action_id"] == SEND_TICKETS]
    assert cards, private
    for card in cards:
        value = json.loads(card["value"])
        assert (value["c"], value["t"]) == (HANDOFF_CHANNEL, message["ts"])
    # Only the agent's own DM got it.
    assert {m["channel"] for m in desk.slack.fake.messages} == {HANDOFF_CHANNEL, f"D{AGENT}"}
    assert (AGENT, "fan_context", "") in await desk.slack.audit()


async def test_send_tickets_delivers_exactly_the_fans_own_tickets_on_telegram(
    desk: Desk,
) -> None:
    _, dm = await taken(desk)
    card = next(b for b in buttons(dm) if b["action_id"] == SEND_TICKETS)
    order_id = json.loads(card["value"])["o"]
    # One ticket goes as a photo, several for one event as an album: which, the sandbox's
    # dates (relative to today) decide.
    photos_before = len(desk.telegram.sent("sendPhoto", "sendMediaGroup"))
    answer = await desk.press(AGENT, SEND_TICKETS, card["value"])
    expected = ticket_uuids(desk.slack, order_id)
    assert expected
    photos = desk.telegram.sent("sendPhoto", "sendMediaGroup")[photos_before:]
    assert {photo.params["chat_id"] for photo in photos} == {str(FAN_ID)}
    codes = [decode_qr(png) for call in photos for png, _ in call.photos()]
    assert sorted(codes) == sorted(expected)
    assert f"{len(expected)} ticket(s)" in answer["text"]
    assert (AGENT, "send_tickets", order_id) in await desk.slack.audit(order_id)


async def test_an_order_the_fan_has_not_proved_sends_nothing_and_offers_a_code(
    desk: Desk,
) -> None:
    message, dm = await taken(desk)
    card = next(b for b in buttons(dm) if b["action_id"] == SEND_TICKETS)
    forged = json.loads(card["value"]) | {"o": JANE_ID}  # Jane's order, not Alex's
    sent_before = len(desk.telegram.messages())
    answer = await desk.press(AGENT, SEND_TICKETS, json.dumps(forged))
    assert len(desk.telegram.messages()) == sent_before  # nothing reached the fan
    assert "hasn't verified" in answer["text"]
    assert "j***e@gmail.com" in answer["text"]
    [offer] = [b for b in buttons(answer) if b["action_id"] == SEND_CODE]

    await desk.press(AGENT, SEND_CODE, offer["value"])
    told = desk.telegram.texts()[-1]
    assert "j***e@gmail.com" in told
    assert "janedoe@gmail.com" not in told
    code = desk.slack.outbox.last_code("janedoe@gmail.com")
    # The code typed during the open handoff goes to the bot, never to the agents.
    # One ticket goes as a photo, several for one event as an album: which, the sandbox's
    # dates (relative to today) decide.
    photos_before = len(desk.telegram.sent("sendPhoto", "sendMediaGroup"))
    await desk.fan_says(code)
    thread = [m for m in desk.slack.fake.messages if m.get("thread_ts") == message["ts"]]
    assert all(code not in str(m) for m in thread)
    photos = desk.telegram.sent("sendPhoto")[photos_before:]
    assert sorted(decode_qr(p.files["photo"]) for p in photos) == sorted(
        ticket_uuids(desk.slack, JANE_ID)
    )
    actions = [(who, what) for who, what, _ in await desk.slack.audit(JANE_ID)]
    assert (AGENT, "send_tickets_refused") in actions
    assert (AGENT, "send_code") in actions


@pytest.mark.parametrize("who", [STRANGER, AGENT_2])
async def test_nobody_but_the_agent_who_took_it_can_send(desk: Desk, who: str) -> None:
    _, dm = await taken(desk)
    card = next(b for b in buttons(dm) if b["action_id"] == SEND_TICKETS)
    sent_before = len(desk.telegram.messages())
    answer = await desk.press(who, SEND_TICKETS, card["value"])
    assert len(desk.telegram.messages()) == sent_before
    if who == STRANGER:
        assert "for the support and marketing teams" in answer["text"]
    else:
        assert "Only the agent who took" in answer["text"]
    assert not [e for e in await desk.slack.audit() if e[1].startswith("send_tickets")]
