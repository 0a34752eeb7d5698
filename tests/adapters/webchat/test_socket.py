"""``/chat/ws`` as the widget speaks it: a real socket to a served Usher on the real Redis."""

from __future__ import annotations

import asyncio
import json
import secrets

import pytest
import redis.asyncio as redis_asyncio
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from adapters.store.store import Store
from bot import copy
from bot.app.bootstrap import build
from bot.app.channels import webchat_channel
from bot.app.settings import load_settings
from bot.messages import Fan, Reply
from bot.outbound import Unreachable
from tests.adapters.webchat.conftest import ALEX, VENUE, Site, StartSite, Widget, text_of
from tests.conftest import TEST_REDIS_URL

pytestmark = pytest.mark.redis


async def verified_alex(site: Site) -> Widget:
    """A widget whose fan proved alex's email by the mailed code."""
    fan = site.widget()
    await fan.open()
    assert "make sure it's you" in text_of(await fan.answer("where are my tickets?"))
    assert "6-digit code" in text_of(await fan.answer(ALEX))
    replies = await fan.answer(site.outbox.last_code(ALEX))
    assert "is verified" in replies[0]["text"]
    assert any(reply["images"] for reply in replies)
    return fan


async def test_a_fan_asks_verifies_by_mail_and_gets_tickets_as_svg_qr_codes(site: Site) -> None:
    fan = site.widget()
    session = await fan.open()
    assert session["fresh"] is True
    asked = await fan.answer("where are my tickets?")
    assert asked[0]["text"] == copy.text("verify_intro")
    assert "phone" not in asked[0]["text"]  # there is no share-my-phone on the web
    assert "6-digit code" in text_of(await fan.answer(ALEX))
    replies = await fan.answer(site.outbox.last_code(ALEX))
    images = [image for reply in replies for image in reply["images"]]
    assert images
    for image in images:
        assert image["qr"]
        assert image["alt"]  # the same caption as Telegram's photo
        assert image["svg"]["size"] >= 21
        assert image["svg"]["path"].startswith("M")


async def test_spanish_browsers_get_spanish(site: Site) -> None:
    fan = site.widget()
    await fan.open(locale="es-MX")
    assert text_of(await fan.answer("mis entradas")) == copy.text("verify_intro", "es")


async def test_a_reconnecting_widget_gets_what_it_missed_and_a_reloaded_one_everything(
    site: Site,
) -> None:
    fan = site.widget()
    await fan.open()
    await fan.answer("help")
    last = fan.seen[-1]["id"]
    await fan.close()
    # An agent answers while the fan's connection is down: it waits in the session.
    await site.usher.messenger.send(Fan("web", str(fan.session_id)), [Reply("Still there?")])

    again = site.widget()
    session = await again.open(fan.token, last=last)
    assert session["fresh"] is False
    assert session["session"] == fan.token
    missed = await again.next("message")
    assert missed["replies"][0]["text"] == "Still there?"
    assert "replay" not in missed
    await again.close()

    reloaded = site.widget()
    await reloaded.open(fan.token)
    history = [await reloaded.next("message") for _ in range(3)]
    assert [entry["from"] for entry in history] == ["fan", "bot", "bot"]
    assert history[0]["text"] == "help"
    assert all(entry["replay"] is True for entry in history)


async def test_a_message_sent_again_after_a_lost_connection_is_handled_once(site: Site) -> None:
    fan = site.widget()
    await fan.open()
    await fan.say("where are my tickets?", ref="lost-1")
    await fan.next("message")
    await fan.next("message")
    await fan.close()

    again = site.widget()
    await again.open(fan.token, last=fan.seen[-1]["id"])
    await again.say("where are my tickets?", ref="lost-1")  # the widget never saw its echo
    await again.answer("help")  # the next message is answered, and nothing came in between
    kinds = [(f["type"], f.get("from")) for f in again.seen]
    assert kinds == [("session", None), ("message", "fan"), ("message", "bot")]
    entries = await site.webchat.sessions.after(str(fan.session_id), None)
    assert [e.body["from"] for e in entries] == ["fan", "bot", "fan", "bot"]


async def test_a_proactive_message_reaches_the_socket_on_another_process(
    start_site: StartSite,
) -> None:
    one, other = await start_site(), await start_site()
    fan = one.widget()
    await fan.open()
    await fan.answer("help")
    # The other process (say, the one where the agent's Slack event landed) sends.
    await other.usher.messenger.send(Fan("web", str(fan.session_id)), [Reply("An agent here")])
    arrived = await fan.next("message")
    assert arrived["replies"][0]["text"] == "An agent here"
    # Two tabs on two processes see each other's messages too.
    tab = other.widget()
    await tab.open(fan.token, last=arrived["id"])
    replies = await fan.answer("help")
    assert replies
    echo = await tab.next("message")
    assert echo["from"] == "fan"
    assert echo["text"] == "help"


async def test_a_proactive_message_to_a_gone_session_is_unreachable(site: Site) -> None:
    with pytest.raises(Unreachable):
        await site.webchat.send("never-issued-session-0", [Reply("hello?")])


async def test_an_origin_not_on_the_list_is_refused_at_the_handshake(site: Site) -> None:
    for origin in ("http://evil.example", "http://venue.test.evil.example", "null"):
        with pytest.raises(InvalidStatus) as refused:
            await connect(site.ws_url, origin=origin)  # type: ignore[arg-type]
        assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus):  # no Origin at all (not a browser page)
        await connect(site.ws_url)
    async with connect(site.ws_url, origin=VENUE.upper()):  # type: ignore[arg-type]
        pass  # origins compare case-insensitively, as browsers send them lower-case


async def test_a_session_id_from_another_fan_opens_nothing_of_theirs(site: Site) -> None:
    alex = await verified_alex(site)
    their_id = str(alex.session_id)
    for token in (
        f"{their_id}.{secrets.token_urlsafe(32)}",  # their id, a made-up secret
        f"{secrets.token_urlsafe(16)}.{secrets.token_urlsafe(32)}",  # never issued
    ):
        stranger = site.widget()
        session = await stranger.open(token)
        assert session["fresh"] is True
        assert not str(session["session"]).startswith(their_id)
        asked = await stranger.answer("where are my tickets?")  # nothing of alex's replayed
        assert asked[0]["text"] == copy.text("verify_intro")
        assert [f["type"] for f in stranger.seen].count("message") == 2
    # A bare id, or a fan key of another channel, is not even a token.
    for bad in (their_id, f"telegram:5550001.{secrets.token_urlsafe(32)}"):
        stranger = site.widget()
        with pytest.raises(ConnectionClosed) as closed:
            await stranger.open(bad)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1008


async def test_frames_that_are_not_ours_change_nothing(site: Site) -> None:
    fan = site.widget()
    await fan.open()
    assert fan.socket is not None
    for raw in (
        "not json",
        "[" * 10_000,  # nesting that would blow the parser's stack
        json.dumps(["a", "list"]),
        json.dumps({"type": "shell", "cmd": "rm -rf /"}),
        json.dumps({"type": "text", "text": 42, "ref": "r"}),
        json.dumps({"type": "text", "text": "hi", "ref": "no spaces allowed"}),
        json.dumps({"type": "button", "payload": "x" * 500, "ref": "r"}),
        json.dumps({"type": "hello", "session": None}),  # hello twice
    ):
        await fan.socket.send(raw)
        notice = await fan.next()
        assert notice["type"] == "notice"
        assert notice["reason"] == "bad_frame"
    assert await site.webchat.sessions.after(str(fan.session_id), None) == []
    await fan.socket.send(b"\x00binary")
    with pytest.raises(ConnectionClosed) as closed:
        await fan.next()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1003


async def test_hostile_text_is_handled_as_text(site: Site) -> None:
    fan = site.widget()
    await fan.open()
    replies = await fan.answer('<img src=x onerror="alert(1)"> {{7*7}} ${jndi:x}\u202e')
    assert replies  # the bot's usual "didn't get that", echoing nothing dangerous
    assert "<img" not in text_of(replies)
    too_long = await fan.answer("a" * 5000)
    assert text_of(too_long) == copy.text("too_long")
    entries = await site.webchat.sessions.after(str(fan.session_id), None)
    assert len(entries[-2].body["text"]) == 4000  # what the log keeps is capped


async def test_a_one_megabyte_frame_is_refused_unread(site: Site) -> None:
    fan = site.widget()
    await fan.open()
    assert fan.socket is not None
    await fan.socket.send(json.dumps({"type": "text", "text": "x" * 1_000_000, "ref": "big"}))
    with pytest.raises(ConnectionClosed) as closed:
        await fan.next()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009  # "message too big", from the frame's header
    assert await site.webchat.sessions.after(str(fan.session_id), None) == []


async def test_codes_and_card_numbers_are_not_kept_in_the_log(site: Site) -> None:
    fan = site.widget()
    await fan.open()
    await fan.answer(ALEX)
    code = site.outbox.last_code(ALEX)
    await fan.answer(f"the code is {code}")
    await fan.answer("my card 4242 4242 4242 4242")
    texts = [
        e.body.get("text", "") for e in await site.webchat.sessions.after(str(fan.session_id), None)
    ]
    assert ALEX in texts[0]
    assert code not in " ".join(texts)
    assert "4242 4242" not in " ".join(texts)
    assert "the code is ••••" in texts


async def test_sign_out_forgets_the_session_and_its_proofs_in_every_tab(
    start_site: StartSite,
) -> None:
    one, other = await start_site(), await start_site()
    alex = await verified_alex(one)
    fan = Fan("web", str(alex.session_id))
    assert (await one.usher.identity.verified(fan)).emails == {ALEX}
    tab = other.widget()
    await tab.open(alex.token, last=alex.seen[-1]["id"])

    await alex.send({"type": "signout"})
    assert (await alex.next("signed_out"))["type"] == "signed_out"
    assert (await tab.next("signed_out"))["type"] == "signed_out"  # on the other process too
    assert not (await one.usher.identity.verified(fan)).anything
    assert await one.webchat.sessions.after(fan.user_id, None) == []
    assert await one.usher.store.redis.exists(one.usher.store.fan_key("state", fan)) == 0
    with pytest.raises(Unreachable):
        await one.usher.messenger.send(fan, [Reply("hello?")])

    back = one.widget()
    session = await back.open(alex.token)  # the old token opens a new, empty session
    assert session["fresh"] is True
    assert text_of(await back.answer("my tickets")) == copy.text("verify_intro")


async def test_a_widget_must_say_hello_first_and_soon(start_site: StartSite) -> None:
    from adapters.webchat.limits import Limits

    site = await start_site(limits=Limits(hello_timeout=0.3))
    async with connect(site.ws_url, origin=VENUE) as silent:  # type: ignore[arg-type]
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(silent.recv(), 5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1008
    async with connect(site.ws_url, origin=VENUE) as rude:  # type: ignore[arg-type]
        await rude.send(json.dumps({"type": "text", "text": "hi", "ref": "r1"}))
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(rude.recv(), 5)


@pytest.mark.parametrize("lang", copy.languages())
def test_verification_messages_leave_the_phone_offer_to_channels_that_have_one(lang: str) -> None:
    # Replies that ask the channel for its share-my-phone control (request_contact) say
    # nothing about phones themselves: Telegram adds its button and prompt, the web has none.
    for key in ("verify_intro", "code_paused"):
        text = copy.text(key, lang).lower()
        assert "phone" not in text
        assert "teléfono" not in text


async def test_a_reminder_from_the_worker_reaches_the_open_widget(site: Site) -> None:
    # ``usher worker`` holds no socket: it registers the web chat's sender and nothing else.
    worker = build(
        load_settings(webchat_origins=VENUE),
        store=Store(redis_asyncio.Redis.from_url(TEST_REDIS_URL), prefix="usher-test:"),
    )
    try:
        assert webchat_channel(worker) is not None  # as bot.app.jobs_command does
        fan = site.widget()
        await fan.open()
        await fan.answer("help")
        await worker.messenger.send(
            Fan("web", str(fan.session_id)), [Reply("⏰ Doors open in 3 hours")]
        )
        reminder = await fan.next("message")
        assert reminder["replies"][0]["text"] == "⏰ Doors open in 3 hours"
    finally:
        await worker.aclose()
