"""POST /telegram/webhook: real update JSON through Usher's web app, answers on the fake API."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import pytest
import structlog
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from adapters.store.store import Store
from adapters.telegram.transport import LOGGER_NAME as TRANSPORT_LOGGER
from adapters.telegram.webhook import SECRET_HEADER, TelegramWebhook
from bot.app.bootstrap import Usher, build
from bot.app.settings import load_settings
from bot.app.web import create_app
from bot.messages import Fan, Inbound, Reply
from bot.outbound import Unreachable
from tests.adapters.telegram.conftest import (
    FAN_ID,
    SECRET,
    Served,
    decode_qr,
    load_update,
    press_update,
    telegram_bot,
    text_update,
)
from tests.conftest import TEST_REDIS_URL
from tests.support.fake_telegram import BOT_ID, TOKEN
from tests.support.servers import serve_in_loop

FAN = Fan("telegram", str(FAN_ID))
HEADERS = {SECRET_HEADER: SECRET}


async def test_a_fan_verifies_by_contact_and_gets_tickets_as_scannable_photos(
    usher: Usher, served: Served
) -> None:
    fake = served.fake
    assert (await served.deliver(text_update(1, "where are my tickets?"))).status_code == 200
    asked = fake.messages()
    assert [c.method for c in asked] == ["sendMessage", "sendMessage"]
    assert "make sure it's you" in asked[0].params["text"]
    inline = asked[0].json("reply_markup")["inline_keyboard"]
    assert all(len(b["callback_data"].encode()) <= 64 for row in inline for b in row)
    share = asked[1].json("reply_markup")
    assert share["keyboard"][0][0] == {"text": "Share my phone number", "request_contact": True}
    assert share["one_time_keyboard"] is True
    assert fake.sent("sendChatAction") == [], "a quick answer needs no typing"

    await served.deliver(load_update("contact_own", 2))
    assert "+14155550134" in (await usher.identity.verified(FAN)).phones
    texts = fake.texts()
    assert any("phone number is verified" in t for t in texts)
    photos = fake.photos()  # one photo, or an album
    assert photos, texts
    expected: set[str] = set()
    async for summary in usher.acme.iter_orders(
        phone="(415) 555-0134"
    ):  # as Alex's orders store it
        order = await usher.acme.get_order(summary.id)
        for item in order.order_items:
            expected.update(t.uuid for t in item.ticket_vos)
    decoded = [decode_qr(png) for png, _ in photos]
    assert set(decoded) <= expected
    assert len(set(decoded)) == len(decoded)
    assert all(" · " in caption for _, caption in photos)
    assert all("parse_mode" not in call.params for call in fake.messages())
    assert {call.params["chat_id"] for call in fake.messages()} == {str(FAN_ID)}


@pytest.mark.parametrize("sample", ["contact_someone_else", "contact_forwarded"])
async def test_a_contact_that_is_not_the_senders_own_is_refused(
    usher: Usher, served: Served, sample: str
) -> None:
    await served.deliver(text_update(1, "my orders"))
    before = len(served.fake.messages())
    assert (await served.deliver(load_update(sample, 2))).status_code == 200
    [refusal] = served.fake.messages()[before:]
    assert refusal.params["text"] == "Please share your own phone number with the button below."
    assert refusal.json("reply_markup")["keyboard"][0][0]["request_contact"] is True
    assert not (await usher.identity.verified(FAN)).anything


def events(outcome: str) -> float:
    """How many Telegram events ended with ``outcome`` so far (the /metrics counter)."""
    value = REGISTRY.get_sample_value(
        "usher_channel_events_total", {"channel": "telegram", "outcome": outcome}
    )
    return value or 0.0


async def test_a_replayed_update_is_handled_once(served: Served) -> None:
    duplicates = events("duplicate")
    update = text_update(7, "help")
    for _ in range(3):
        assert (await served.deliver(update)).status_code == 200
    assert len(served.fake.messages()) == 1
    assert events("duplicate") == duplicates + 2


async def test_a_slow_turn_shows_typing_before_its_answer_and_never_after(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("adapters.telegram.bot.TYPING_AFTER", 0.05)
    monkeypatch.setattr("adapters.telegram.bot.TYPING_EVERY", 0.1)
    bot = served.channel.bot
    quick = bot.handle

    async def slow(inbound: Inbound) -> list[Reply]:
        await asyncio.sleep(0.28)
        return await quick(inbound)

    bot.handle = slow
    await served.deliver(text_update(8, "help"))
    [answer] = served.fake.messages()
    typing = served.fake.sent("sendChatAction")
    assert [call.params["action"] for call in typing] == ["typing"] * len(typing)
    assert 2 <= len(typing) <= 3, "shown after 0.05 s, renewed every 0.1 s"
    assert all(call.at < answer.at for call in typing)
    await asyncio.sleep(0.2)
    assert len(served.fake.sent("sendChatAction")) == len(typing), "renewal stopped"


async def test_a_replayed_update_is_handled_once_across_two_processes(
    usher: Usher, served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = build(
        load_settings(), store=Store(Redis.from_url(TEST_REDIS_URL), prefix="usher-test:")
    )
    channel = TelegramWebhook(telegram_bot(other, served.fake))
    app = create_app(other, channels=[channel], close_on_shutdown=False)
    try:
        async with serve_in_loop(app) as other_url:
            update = text_update(8, "help")
            first, second = await asyncio.gather(
                served.http.post(f"{served.url}/telegram/webhook", json=update, headers=HEADERS),
                served.http.post(f"{other_url}/telegram/webhook", json=update, headers=HEADERS),
            )
            assert first.status_code == second.status_code == 200
            await asyncio.gather(served.channel.wait_idle(), channel.wait_idle())
    finally:
        await other.aclose()
    assert len(served.fake.messages()) == 1


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x", SECRET.upper()])
async def test_a_missing_or_wrong_secret_gets_403_and_nothing_is_done(
    usher: Usher, served: Served, secret: str | None
) -> None:
    forbidden = events("forbidden")
    response = await served.post(text_update(9, "help"), secret=secret)
    await served.channel.wait_idle()
    assert response.status_code == 403
    assert events("forbidden") == forbidden + 1
    assert [call.method for call in served.fake.calls] == ["getMe"]
    # Nothing stored: at most the empty inbox the consumers wait on.
    keys = set(await usher.store.redis.keys("usher-test:telegram:*"))
    assert keys <= {served.channel.inbox.stream.encode()}
    assert await served.channel.inbox.size() == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not an update"),
        (b'{"message": {"text": "no update_id"}}', "not an update"),
        (b'{"update_id": 5, "message": "not a message"}', "not an update"),
    ],
)
async def test_a_malformed_body_gets_200_a_log_line_and_nothing_done(
    served: Served, body: bytes, reason: str
) -> None:
    with structlog.testing.capture_logs() as logs:
        response = await served.deliver(body)
    assert response.status_code == 200
    assert [call.method for call in served.fake.calls] == ["getMe"]
    assert {"event": "telegram_webhook_malformed", "reason": reason}.items() <= logs[-1].items()


async def test_a_body_over_the_limit_is_refused_before_it_is_read(served: Served) -> None:
    """Declared too large: 413, nothing read. Streamed without a length: reading stops at the
    limit, and (as for any bad body Telegram would only send again) 200 and a log line."""
    too_large = b'{"update_id": 1, "pad": "' + b"x" * 300_000 + b'"}'
    with structlog.testing.capture_logs() as logs:
        declared = await served.post(too_large)

        async def stream() -> AsyncIterator[bytes]:
            for start in range(0, len(too_large), 65_536):
                yield too_large[start : start + 65_536]

        streamed = await served.http.post(
            f"{served.url}/telegram/webhook",
            content=stream(),
            headers={"Content-Type": "application/json", SECRET_HEADER: SECRET},
        )
        await served.channel.wait_idle()
    assert declared.status_code == 413
    assert "at most 262144 bytes" in declared.json()["error"]
    assert streamed.status_code == 200
    assert [line["reason"] for line in logs if line["event"] == "telegram_webhook_malformed"] == [
        "body too large",
        "body too large",
    ]
    assert [call.method for call in served.fake.calls] == ["getMe"]


async def test_an_update_of_another_kind_gets_200_a_log_line_and_nothing_done(
    served: Served,
) -> None:
    with structlog.testing.capture_logs() as logs:
        response = await served.deliver(load_update("edited_message"))
    assert response.status_code == 200
    assert [call.method for call in served.fake.calls] == ["getMe"]
    ignored = [line for line in logs if line["event"] == "telegram_update_ignored"]
    assert ignored == [
        {
            "event": "telegram_update_ignored",
            "update_id": 815600107,
            "kind": "edited_message",
            "log_level": "info",
        }
    ]


async def test_flood_control_is_waited_out_and_the_message_sent_again(served: Served) -> None:
    served.fake.rate_limit("sendMessage", retry_after=1)
    await served.deliver(text_update(10, "help"))
    first, again = served.fake.sent("sendMessage")
    assert first.params == again.params
    assert again.at - first.at >= 1.0
    assert "Here's what I can do" in again.params["text"]


async def test_buttons_round_trip_through_their_short_key_in_redis(
    usher: Usher, served: Served
) -> None:
    await served.deliver(text_update(11, "help"))
    [menu] = served.fake.messages()
    buttons = [b for row in menu.json("reply_markup")["inline_keyboard"] for b in row]
    by_label = {b["text"]: b["callback_data"] for b in buttons}
    assert all(len(data.encode()) <= 64 for data in by_label.values())
    keyboard, _, index = by_label["Talk to a person"].rpartition(".")
    assert {data.rpartition(".")[0] for data in by_label.values()} == {keyboard}
    stored = f"usher-test:telegram:{BOT_ID}:keyboard:{keyboard}"
    assert json.loads(await usher.store.redis.get(stored))[int(index)] == "human"
    assert 6 * 86400 < await usher.store.redis.ttl(stored) <= 7 * 86400

    await served.deliver(press_update(12, by_label["My orders"]))
    [answered] = served.fake.sent("answerCallbackQuery")
    assert answered.params["callback_query_id"] == "4382bfdwdsb323b2d9"
    assert answered.at < served.fake.messages()[-1].at
    assert "make sure it's you" in served.fake.texts()[1]


async def test_a_button_sent_before_keyboards_were_stored_whole_still_works(
    usher: Usher, served: Served
) -> None:
    legacy = "mZfJ4tXwYQ2bJ1d5vYkq3A"  # a per-button key, as buttons were stored until now
    await usher.store.redis.set(f"usher-test:telegram:{BOT_ID}:button:{legacy}", b"orders")
    await served.deliver(press_update(14, legacy))
    assert "make sure it's you" in served.fake.texts()[0]


@pytest.mark.parametrize(
    "forge", ["never-issued", "", "x" * 64, "order:30263798", "abc.0", "abc.x", "."]
)
async def test_a_forged_or_expired_button_is_answered_as_expired(
    usher: Usher, served: Served, forge: str
) -> None:
    await served.deliver(press_update(13, forge))
    assert len(served.fake.sent("answerCallbackQuery")) == 1
    [reply] = served.fake.messages()
    assert reply.params["text"] == "That button has expired. Here's what I can do now:"
    assert reply.json("reply_markup")["inline_keyboard"]


async def test_a_button_whose_record_expired_is_answered_as_expired(
    usher: Usher, served: Served
) -> None:
    await served.deliver(text_update(14, "help"))
    data = served.fake.messages()[0].json("reply_markup")["inline_keyboard"][0][0]
    keyboard = data["callback_data"].rpartition(".")[0]
    await usher.store.redis.delete(f"usher-test:telegram:{BOT_ID}:keyboard:{keyboard}")
    await served.deliver(press_update(15, data["callback_data"]))
    assert served.fake.texts()[-1] == "That button has expired. Here's what I can do now:"


async def test_a_deep_link_to_an_unknown_purchase_link_gets_the_clear_message(
    served: Served,
) -> None:
    await served.deliver(load_update("command_message", 16))
    assert served.fake.texts() == [
        'That link has expired or was switched off. Ask the venue for a new one, or type "help".'
    ]


async def test_a_failed_send_is_tried_again_and_the_fan_is_answered_once(
    served: Served,
) -> None:
    served.fake.fail("sendMessage", error_code=502, description="Bad Gateway")
    update = text_update(17, "help")
    with structlog.testing.capture_logs() as logs:
        await served.deliver(update)
    assert any(
        line["event"] == "telegram_update_failed" and line["update_id"] == 17 for line in logs
    )
    attempts = served.fake.sent("sendMessage")
    assert len(attempts) == 2
    assert attempts[0].params == attempts[1].params
    await served.deliver(update)  # Telegram's redelivery: answered already
    assert len(served.fake.sent("sendMessage")) == 2


async def test_a_group_chat_is_asked_to_talk_privately(usher: Usher, served: Served) -> None:
    await served.deliver(load_update("group_message"))
    [reply] = served.fake.messages()
    assert reply.params["chat_id"] == "-1001234567890"
    assert reply.params["text"].startswith("Solo atiendo en un chat privado")
    assert await usher.messenger.states.load(FAN) == {}


async def test_the_fans_language_comes_from_telegram(served: Served) -> None:
    await served.deliver(text_update(18, "ayuda", language_code="es-419"))
    assert served.fake.texts()[0].startswith("Esto es lo que puedo hacer")


async def test_proactive_messages_reach_the_fan_through_the_same_sender(
    usher: Usher, served: Served
) -> None:
    await served.deliver(text_update(19, "ayuda", language_code="es"))
    await usher.messenger.send(FAN, [Reply("ready", request_contact=True)])
    last = served.fake.messages()[-1]
    assert last.params["chat_id"] == str(FAN_ID)
    assert last.params["text"] == "ready"
    assert last.json("reply_markup")["keyboard"][0][0]["text"] == "Compartir mi teléfono"


async def test_the_bot_token_never_reaches_a_log_line(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger=TRANSPORT_LOGGER)  # its request lines are DEBUG-only
    await served.deliver(text_update(20, "help"))
    assert "/sendMessage" in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text


async def test_a_fan_who_blocked_the_bot_is_unreachable_not_a_failure(
    usher: Usher, served: Served
) -> None:
    served.fake.fail(
        "sendMessage", error_code=403, description="Forbidden: bot was blocked by the user"
    )
    unreachable = events("unreachable")
    with structlog.testing.capture_logs() as logs:
        await served.deliver(text_update(21, "help"))
    assert events("unreachable") == unreachable + 1
    assert "telegram_update_failed" not in [line["event"] for line in logs]
    served.fake.fail("sendMessage", error_code=403, description="Forbidden: user is deactivated")
    with pytest.raises(Unreachable):
        await usher.messenger.send(FAN, [Reply("your tickets are ready")])
