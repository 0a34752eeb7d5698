"""The Telegram inbox: queued updates are answered once, in each fan's order, and taken over.

In-process consumers on the real Redis; ``test_scale_out`` does the same with real processes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import structlog
from prometheus_client import REGISTRY
from telegram import Bot, Update

from adapters.store.queue_depths import queue_depths
from adapters.telegram.inbound import translate
from adapters.telegram.inbox import GROUP, Inbox
from adapters.telegram.render import plan
from bot.app.bootstrap import Usher
from tests.adapters.telegram.conftest import (
    FAN_ID,
    Served,
    decode_qr,
    load_update,
    press_update,
    serving,
    telegram_bot,
    text_update,
)
from tests.support.fake_telegram import FakeTelegram

VERIFIED = "phone number is verified"


def counted(metric: str, outcome: str) -> float:
    """A Telegram counter's value so far (``usher_turns_total``, ``usher_channel_events_total``)."""
    value = REGISTRY.get_sample_value(metric, {"channel": "telegram", "outcome": outcome})
    return value or 0.0


def replayed() -> float:
    """Turns answered from the replies saved with the state, not run a second time."""
    return counted("usher_turns_total", "replayed")


async def test_an_answer_cut_short_resumes_where_it_stopped(usher: Usher, served: Served) -> None:
    fake = served.fake
    await served.deliver(text_update(1, "my tickets"))
    before, replays = len(fake.messages()), replayed()
    # The codes go as a photo or as an album, whichever the next event needs: the first
    # send of codes fails.
    fake.fail("sendPhoto", error_code=502, description="Bad Gateway")
    fake.fail("sendMediaGroup", error_code=502, description="Bad Gateway")
    await served.deliver(load_update("contact_own", 2))
    answer = fake.messages()[before:]
    # The texts before it went out once; the first codes failed and were sent again (right
    # after the failed call); nothing else twice.
    first = next(n for n, call in enumerate(answer) if call.photos())
    assert answer[first + 1].method == answer[first].method
    assert VERIFIED in answer[0].params["text"]
    assert sum(VERIFIED in text for text in fake.texts()) == 1
    texts = [call.params["text"] for call in answer if call.method == "sendMessage"]
    assert len(set(texts)) == len(texts)
    sends = [[decode_qr(png) for png, _ in call.photos()] for call in answer if call.photos()]
    assert sends[0] == sends[1]
    codes = [code for send in sends[1:] for code in send]
    assert len(set(codes)) == len(codes)
    # The second attempt took the turn's saved replies: the turn itself ran once.
    assert replayed() == replays + 1


async def test_a_dead_processs_update_is_taken_over_and_only_the_rest_is_sent(
    usher: Usher, fake_api: FakeTelegram
) -> None:
    bot = telegram_bot(usher, fake_api, takeover=1.0)
    inbox = Inbox(usher.store)
    await inbox.join()
    update = load_update("contact_own", 2)
    # The process that died: it queued the update, read it, claimed it, ran the turn (state
    # and replies saved) and got the first message of the answer out, then it was killed.
    await inbox.add(json.dumps(update).encode(), str(FAN_ID))
    [entry] = await inbox.read("dead-consumer", 10, 100)
    assert (await bot.claims.begin(2, f"dead-consumer/{entry.id}")).mine
    incoming = await translate(Update.de_json(update, bot.application.bot), bot.callbacks)
    assert incoming is not None
    assert incoming.inbound is not None
    replies = await usher.conversation.handle(incoming.inbound)
    await bot.claims.sent(2, 1)
    assert (await queue_depths(usher.store))["telegram_inbox"] == 1  # /metrics sees it
    taken_over, replays = counted("usher_channel_events_total", "taken_over"), replayed()

    async with serving(usher, fake_api, bot) as alive:
        await alive.channel.wait_idle()

    rest = plan(replies, incoming.lang).messages[1:]
    sent = fake_api.messages()
    assert all(VERIFIED not in text for text in fake_api.texts())
    assert [call.method for call in sent] == [
        "sendMediaGroup" if message.album else "sendPhoto" if message.photo else "sendMessage"
        for message in rest
    ]
    assert [[png for png, _ in call.photos()] for call in sent] == [
        [photo.png for photo in message.album] or ([message.photo] if message.photo else [])
        for message in rest
    ]
    assert counted("usher_channel_events_total", "taken_over") == taken_over + 1
    assert replayed() == replays + 1
    assert await usher.store.redis.get(usher.store.key(bot.scope, "update", 2)) == b"done"


async def test_a_fans_updates_are_answered_in_order_across_processes(
    usher: Usher, served: Served
) -> None:
    fake = served.fake
    async with serving(usher, fake, telegram_bot(usher, fake)) as other:
        # The press is held up before its turn (answering the button is slow), and the text
        # sent after it reaches the other process meanwhile: it must wait its turn.
        fake.slow("answerCallbackQuery", seconds=1.0)
        assert (await served.post(press_update(51, "never-issued"))).status_code == 200
        await fake.wait_for(1, "answerCallbackQuery")
        assert (await other.post(text_update(52, "cancel"))).status_code == 200
        await fake.wait_for(2, "sendMessage")
        await other.channel.wait_idle()
    assert fake.texts() == [
        "That button has expired. Here's what I can do now:",
        "Nothing to cancel. What can I help with?",
    ]


async def test_a_failing_update_is_left_for_a_takeover_and_answered_then(
    usher: Usher, fake_api: FakeTelegram
) -> None:
    fake_api.fail("sendMessage", error_code=502, description="Bad Gateway", times=3)
    async with serving(usher, fake_api, telegram_bot(usher, fake_api, takeover=1.0)) as one:
        with structlog.testing.capture_logs() as logs:
            await one.post(text_update(61, "help"))
            await one.channel.wait_idle()
    events = [line["event"] for line in logs]
    assert events.count("telegram_update_failed") == 3
    assert "telegram_update_left_pending" in events
    assert "telegram_update_taken_over" in events
    attempts = fake_api.sent("sendMessage")
    assert len(attempts) == 4
    assert attempts[-1].params["text"].startswith("Here's what I can do")


async def test_an_update_telegram_refuses_is_dropped_and_the_fan_goes_on(
    usher: Usher, served: Served
) -> None:
    served.fake.fail("sendMessage", error_code=400, description="Bad Request: chat not found")
    dropped = counted("usher_channel_events_total", "dropped")
    with structlog.testing.capture_logs() as logs:
        await served.deliver(text_update(71, "help"))
    assert len(served.fake.sent("sendMessage")) == 1
    assert counted("usher_channel_events_total", "dropped") == dropped + 1
    [line] = [line for line in logs if line["event"] == "telegram_update_dropped"]
    assert line["update_id"] == 71
    assert line["log_level"] == "error"
    await served.deliver(text_update(72, "cancel"))
    assert served.fake.texts()[-1] == "Nothing to cancel. What can I help with?"


async def test_handled_entries_leave_the_inbox(usher: Usher, served: Served) -> None:
    for update_id in (81, 81, 82):  # a redelivery in the middle
        await served.post(text_update(update_id, "help"))
    await served.channel.wait_idle()
    assert len(served.fake.messages()) == 2
    inbox = served.channel.inbox
    assert await usher.store.redis.xlen(inbox.stream) == 0
    assert (await usher.store.redis.xpending(inbox.stream, GROUP))["pending"] == 0


async def test_an_update_this_process_took_in_is_parsed_once(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[int] = []
    de_json = Update.de_json

    def counting(data: dict[str, Any], bot: Bot | None = None) -> Update:
        parsed.append(data["update_id"])
        return de_json(data, bot)

    monkeypatch.setattr(Update, "de_json", counting)
    await served.deliver(text_update(91, "help"))
    assert served.fake.texts(), "answered"
    assert parsed == [91], "the webhook's parse is handed to the consumer of its process"
