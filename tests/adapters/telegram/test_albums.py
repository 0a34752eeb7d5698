"""Tickets on Telegram: the right event's codes as one album after one text message."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis_asyncio

from adapters.store.store import Store
from bot.app.bootstrap import Usher, build
from bot.app.settings import load_settings
from tests.adapters.telegram.conftest import Served, decode_qr, load_update, text_update
from tests.conftest import TEST_REDIS_URL
from tests.support.chat import Outbox
from tests.support.fake_telegram import Call
from tests.support.tickets import live_tickets

ALEX = "alex.rivera@example.com"
LENA = "lena.park@example.com"
SENDS = ("sendMessage", "sendPhoto", "sendMediaGroup")


@pytest.fixture
async def usher(
    real_redis: redis_asyncio.Redis, outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Usher]:
    """Usher with the venue's zone set as a deployment sets it."""
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("USHER_TIMEZONE", "America/Los_Angeles")
    store = Store(redis_asyncio.Redis.from_url(TEST_REDIS_URL), prefix="usher-test:")
    app = build(load_settings(), mailer=outbox, store=store)
    try:
        yield app
    finally:
        await app.aclose()


async def answer_to(served: Served, update: dict[str, object]) -> list[Call]:
    """The Bot API sends made for one update."""
    before = len(served.fake.calls)
    await served.deliver(update)
    return [call for call in served.fake.calls[before:] if call.method in SENDS]


async def test_tickets_for_the_jazz_concert_are_one_text_and_one_album(
    usher: Usher, served: Served
) -> None:
    await served.deliver(load_update("contact_own", 1))  # Alex shares his phone
    sends = await answer_to(served, text_update(2, "tickets for the jazz concert"))
    assert [call.method for call in sends] == ["sendMessage", "sendMediaGroup"]
    header = sends[0].params["text"]
    assert header.startswith("🎟️ Evening Jazz Concert\n")
    assert re.search(r"\d{4}, 19:30 P[SD]T", header), header
    photos = sends[1].photos()
    assert {decode_qr(png) for png, _ in photos} == await live_tickets(usher, ALEX, "jazz")
    assert all(caption.startswith("Evening Jazz Concert · ") for _, caption in photos)
    assert all("19:30 P" in caption for _, caption in photos)


async def test_twelve_tickets_are_one_text_and_two_albums(
    usher: Usher, served: Served, outbox: Outbox
) -> None:
    await served.deliver(text_update(1, LENA))
    await served.deliver(text_update(2, outbox.last_code(LENA)))
    sends = await answer_to(served, text_update(3, "tickets for the jazz concert"))
    assert [call.method for call in sends] == ["sendMessage", "sendMediaGroup", "sendMediaGroup"]
    assert [len(call.photos()) for call in sends[1:]] == [6, 6]
    codes = [decode_qr(png) for call in sends for png, _ in call.photos()]
    assert len(codes) == 12
    assert set(codes) == await live_tickets(usher, LENA, "jazz")


async def test_the_other_events_are_buttons_on_the_text_not_more_codes(
    usher: Usher, served: Served, outbox: Outbox
) -> None:
    await served.deliver(text_update(1, LENA))
    await served.deliver(text_update(2, outbox.last_code(LENA)))
    sends = await answer_to(served, text_update(3, "my tickets"))
    assert sends[0].method == "sendMessage"
    assert all(call.method != "sendMessage" for call in sends[1:])
    keyboard = sends[0].json("reply_markup")["inline_keyboard"]
    labels = [row[0]["text"] for row in keyboard]
    assert any(label.startswith("Behind-the-Scenes Tour · ") for label in labels)
    assert any(label.startswith("Museum General Admission · ") for label in labels)
    events = {caption.split(" · ")[0] for call in sends for _, caption in call.photos()}
    assert len(events) == 1


async def test_transfer_my_ticket_to_a_friend_answers_the_policy_and_sends_no_image(
    served: Served,
) -> None:
    await served.deliver(load_update("contact_own", 1))
    sends = await answer_to(served, text_update(2, "transfer my ticket to a friend"))
    assert [call.method for call in sends] == ["sendMessage"]
    assert "not tied to a name" in sends[0].params["text"]
    keyboard = sends[0].json("reply_markup")["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == ["Talk to a person"]


async def test_spanish_typed_on_an_english_telegram_gets_spanish(served: Served) -> None:
    """The sample update's sender has ``language_code: en``; the fan writes Spanish."""
    sends = await answer_to(served, text_update(1, "hola, ¿dónde están mis entradas?"))
    assert sends[0].params["text"].startswith("Primero necesito comprobar que eres tú")
    share = [call for call in sends if "reply_markup" in call.params][-1]
    button = share.json("reply_markup")["keyboard"][0][0]
    assert button["text"] == "Compartir mi teléfono"


async def test_a_code_typed_after_a_repeated_question_verifies_on_telegram(
    served: Served, outbox: Outbox
) -> None:
    await served.deliver(text_update(1, "my tickets"))
    await served.deliver(text_update(2, LENA))
    again = await answer_to(served, text_update(3, "my tickets?"))
    assert "on its way to l***k@example.com" in again[0].params["text"]
    answer = await answer_to(served, text_update(4, outbox.last_code(LENA)))
    assert f"{LENA} is verified" in answer[0].params["text"]
    assert any(call.method == "sendMediaGroup" for call in answer)
