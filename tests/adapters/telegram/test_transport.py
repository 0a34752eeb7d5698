"""``AiohttpRequest`` (PTB's Bot API transport on aiohttp) against a Bot API on loopback.

Real HTTP: a small Starlette app served by uvicorn in the test's loop records each request as it
arrived (headers and raw body) and answers as told (status, envelope, delay). Forms and
multipart bodies are read back with the standard library's parsers, not with aiohttp's.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import time
import traceback
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
)
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest

from adapters.telegram.app import TelegramConfig, build_application
from adapters.telegram.send import retry_after
from adapters.telegram.transport import AiohttpRequest, Timeouts, client_timeout
from tests.support.fake_telegram import BOT_ID, TOKEN
from tests.support.servers import free_port, serve_in_loop

SECRET = TOKEN.split(":")[1]
#: Bytes a careless multipart writer would mangle: CR LF, a boundary-like line, NULs, high bytes.
PNG = b"\x89PNG\r\n\x1a\n" + b"\r\n--boundary\r\n\x00\xff" * 200 + bytes(range(256))
CHAT = 5550134


@dataclass
class Answer:
    """What the server says to one call."""

    status: int = 200
    body: dict[str, Any] | None = None
    delay: float = 0.0


@dataclass
class Arrived:
    """One request as it reached the server."""

    method: str
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        assert self.headers["content-type"] == "application/x-www-form-urlencoded"
        return dict(parse_qsl(self.body.decode(), strict_parsing=True))

    def parts(self) -> dict[str, EmailMessage]:
        """The multipart body's parts by field name."""
        assert self.headers["content-type"].startswith("multipart/form-data; boundary=")
        head = f"Content-Type: {self.headers['content-type']}\r\n\r\n".encode()
        parsed = BytesParser(policy=HTTP).parsebytes(head + self.body)
        assert isinstance(parsed, EmailMessage)
        found: dict[str, EmailMessage] = {}
        for part in parsed.iter_parts():
            assert isinstance(part, EmailMessage)
            name = part.get_param("name", header="content-disposition")
            assert isinstance(name, str)
            found[name] = part
        return found


def _message(**fields: Any) -> dict[str, Any]:
    return {
        "message_id": 1,
        "date": 0,
        "chat": {"id": CHAT, "type": "private"},
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Usher"},
        **fields,
    }


def _result(method: str) -> Any:
    if method == "getMe":
        return {"id": BOT_ID, "is_bot": True, "first_name": "Usher", "username": "usher_test_bot"}
    if method == "sendMediaGroup":
        return [_message(), _message()]
    if method == "getUpdates":
        return []
    return _message(text="ok")


@dataclass
class BotApi:
    """The server's side: what arrived, what to answer next."""

    url: str = ""
    arrived: list[Arrived] = field(default_factory=list)
    script: deque[Answer] = field(default_factory=deque)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    came: asyncio.Event = field(default_factory=asyncio.Event)

    async def endpoint(self, request: Request) -> JSONResponse:
        body = await request.body()
        method = request.path_params["method"]
        self.arrived.append(Arrived(method, dict(request.headers), body))
        self.came.set()
        answer = self.script.popleft() if self.script else Answer()
        if answer.delay:
            with contextlib.suppress(TimeoutError):  # the test's end cuts it short
                await asyncio.wait_for(self.release.wait(), answer.delay)
        payload = answer.body or {"ok": True, "result": _result(method)}
        return JSONResponse(payload, answer.status)

    def bot(self, request: BaseRequest) -> Bot:
        return Bot(TOKEN, base_url=f"{self.url}/bot", request=request, get_updates_request=request)


@pytest.fixture
async def api() -> AsyncIterator[BotApi]:
    server = BotApi()
    app = Starlette(routes=[Route("/bot{token}/{method}", server.endpoint, methods=["POST"])])
    async with serve_in_loop(app) as url:
        server.url = url
        try:
            yield server
        finally:
            server.release.set()


@pytest.fixture
async def request_() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest()
    try:
        yield request
    finally:
        await request.shutdown()


def _error(status: int, description: str, **parameters: Any) -> Answer:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Answer(status, body)


async def test_a_message_arrives_as_a_form_with_every_field(
    api: BotApi, request_: AiohttpRequest
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Tickets", callback_data="show:1")]])
    sent = await api.bot(request_).send_message(
        CHAT, "Your tickets & more: ñ 🎟", reply_markup=markup, disable_notification=True
    )
    assert sent.text == "ok"
    (call,) = api.arrived
    assert call.method == "sendMessage"
    assert call.headers["user-agent"] == BaseRequest.USER_AGENT
    form = call.form()
    assert form["chat_id"] == str(CHAT)
    assert form["text"] == "Your tickets & more: ñ 🎟"
    assert json.loads(form["reply_markup"]) == markup.to_dict()
    assert form["disable_notification"] == "true"


async def test_a_call_without_parameters_sends_no_body(
    api: BotApi, request_: AiohttpRequest
) -> None:
    me = await api.bot(request_).get_me()
    assert me.username == "usher_test_bot"
    assert api.arrived[0].body == b""


async def test_a_photo_arrives_byte_exact_with_its_name_and_type(
    api: BotApi, request_: AiohttpRequest
) -> None:
    await api.bot(request_).send_photo(CHAT, PNG, caption="Row 4 · Seat 12", filename="ticket.png")
    parts = api.arrived[0].parts()
    photo = parts["photo"]
    assert photo.get_filename() == "ticket.png"
    assert photo.get_content_type() == "image/png"
    assert photo.get_payload(decode=True) == PNG
    caption = parts["caption"].get_payload(decode=True)
    assert isinstance(caption, bytes)
    assert caption.decode() == "Row 4 · Seat 12"
    assert parts["chat_id"].get_payload(decode=True) == str(CHAT).encode()


async def test_an_album_arrives_with_every_photo_attached(
    api: BotApi, request_: AiohttpRequest
) -> None:
    pngs = [PNG + b"first", PNG + b"second"]
    media = [InputMediaPhoto(png, caption=f"#{i}", filename="qr.png") for i, png in enumerate(pngs)]
    await api.bot(request_).send_media_group(CHAT, media)
    parts = api.arrived[0].parts()
    media_field = parts["media"].get_payload(decode=True)
    assert isinstance(media_field, bytes)
    items = json.loads(media_field)
    assert [item["caption"] for item in items] == ["#0", "#1"]
    for item, png in zip(items, pngs, strict=True):
        part = parts[item["media"].removeprefix("attach://")]
        assert part.get_filename() == "qr.png"
        assert part.get_content_type() == "image/png"
        assert part.get_payload(decode=True) == png


async def test_a_file_handle_is_uploaded_as_read(api: BotApi, request_: AiohttpRequest) -> None:
    handle = InputFile(io.BytesIO(PNG), filename="codes.png", read_file_handle=False)
    await api.bot(request_).send_document(CHAT, handle)
    document = api.arrived[0].parts()["document"]
    assert document.get_filename() == "codes.png"
    assert document.get_payload(decode=True) == PNG


async def test_a_slow_answer_times_out_within_the_read_timeout(api: BotApi) -> None:
    api.script.extend([Answer(delay=5.0), Answer(delay=5.0)])
    async with AiohttpRequest(read_timeout=0.3) as request:
        bot = api.bot(request)
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "hello")
        assert time.monotonic() - started < 1.5
        started = time.monotonic()
        with pytest.raises(TimedOut):  # a per-call read timeout overrides the default
            await bot.send_message(CHAT, "hello", read_timeout=0.2)
        assert time.monotonic() - started < 1.0


async def test_a_long_poll_gets_its_timeout_on_top_of_the_read_timeout(api: BotApi) -> None:
    """PTB adds ``getUpdates``' own timeout to ``read_timeout``: an answer at 0.8 s is in time."""
    api.script.append(Answer(delay=0.8))
    async with AiohttpRequest(read_timeout=0.3) as request:
        assert request.read_timeout == 0.3
        assert await api.bot(request).get_updates(timeout=1) == ()


async def test_a_refused_connection_is_a_network_error() -> None:
    port = free_port()
    async with AiohttpRequest() as request:
        bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
        with pytest.raises(NetworkError) as raised:
            await bot.send_message(CHAT, "hello")
    assert not isinstance(raised.value, TimedOut)
    assert "aiohttp.ClientConnectorError" in raised.value.message


@pytest.mark.parametrize(
    ("answer", "error", "text"),
    [
        (
            _error(429, "Too Many Requests: retry after 7", retry_after=7),
            RetryAfter,
            "Flood control exceeded. Retry in 0:00:07",
        ),
        (_error(400, "Bad Request: chat not found"), BadRequest, "Chat not found"),
        (_error(500, "Internal Server Error"), NetworkError, "Internal Server Error"),
        (_error(502, "Bad Gateway"), NetworkError, "Bad Gateway"),
    ],
)
async def test_an_error_status_becomes_ptbs_error(
    api: BotApi, request_: AiohttpRequest, answer: Answer, error: type[TelegramError], text: str
) -> None:
    api.script.append(answer)
    with pytest.raises(error) as raised:
        await api.bot(request_).send_message(CHAT, "hello")
    assert type(raised.value) is error
    assert raised.value.message == text
    if error is RetryAfter:
        assert retry_after(raised.value) == 7.0


async def test_a_full_pool_times_out_without_sending(api: BotApi) -> None:
    api.script.append(Answer(delay=1.0))
    async with AiohttpRequest(connection_pool_size=1, pool_timeout=0.2) as request:
        assert request.connection_pool_size == 1
        bot = api.bot(request)
        slow = asyncio.create_task(bot.send_message(CHAT, "first"))
        await asyncio.wait_for(api.came.wait(), 5)
        started = time.monotonic()
        with pytest.raises(TimedOut, match="Pool timeout"):
            await bot.send_message(CHAT, "second")
        assert time.monotonic() - started < 0.8
        assert len(api.arrived) == 1
        await slow  # the busy connection comes back to the pool...
        await bot.send_message(CHAT, "third")  # ...and serves the next call
        assert [call.form()["text"] for call in api.arrived] == ["first", "third"]


async def test_the_environments_proxy_is_used_as_httpx_uses_it(
    api: BotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    far = "http://api.telegram.invalid/bot"
    monkeypatch.setenv("HTTP_PROXY", api.url)
    async with AiohttpRequest() as request:
        assert (await Bot(TOKEN, base_url=far, request=request).get_me()).id == BOT_ID
    assert api.arrived[0].headers["host"] == "api.telegram.invalid"
    monkeypatch.setenv("NO_PROXY", "api.telegram.invalid")
    async with AiohttpRequest(connect_timeout=1.0) as request:
        with pytest.raises(NetworkError):
            await Bot(TOKEN, base_url=far, request=request).get_me()
    assert len(api.arrived) == 1


@pytest.mark.parametrize("kind", [HTTPXRequest, AiohttpRequest])
async def test_after_shutdown_it_refuses_until_initialized_again(
    api: BotApi, kind: type[HTTPXRequest | AiohttpRequest]
) -> None:
    """The lifecycle PTB relies on, side by side with PTB's own transport."""
    request = kind()
    url = f"{api.url}/bot{TOKEN}/getMe"

    async def me() -> object:
        result = await request.post(url)
        assert isinstance(result, dict)
        return result["id"]

    assert await me() == BOT_ID  # usable before initialize
    await request.shutdown()
    await request.shutdown()  # twice is fine
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(url, "POST")
    with pytest.raises(NetworkError, match="not initialized"):  # what a Bot call sees
        await request.post(url)
    await request.initialize()
    await request.initialize()
    assert await me() == BOT_ID
    await request.shutdown()


def test_made_outside_an_event_loop_it_warns_nothing() -> None:
    """The session is opened on first use, inside the loop (pytest turns warnings into errors)."""
    AiohttpRequest()
    build_application(TelegramConfig(token=TOKEN), polling=True)


def test_the_defaults_are_httpxs() -> None:
    assert AiohttpRequest().timeouts == Timeouts(
        read=5.0, write=5.0, connect=5.0, pool=1.0, media_write=20.0
    )
    assert AiohttpRequest().read_timeout == HTTPXRequest().read_timeout


def test_the_timeouts_as_aiohttp_takes_them() -> None:
    timeout = client_timeout(5.0, 20.0, 5.0)
    assert (timeout.connect, timeout.sock_read, timeout.total) == (5.0, 5.0, 30.0)
    unbounded = client_timeout(None, 5.0, 5.0)
    assert (unbounded.sock_read, unbounded.total) == (None, None)


@pytest.mark.parametrize("polling", [False, True])
def test_the_application_sends_on_aiohttp(polling: bool) -> None:
    """Both of the bot's request objects, with the pools PTB's builder would have made."""
    application = build_application(TelegramConfig(token=TOKEN), polling=polling)
    main = application.bot.request
    get_updates = application.bot._request[0]
    assert isinstance(main, AiohttpRequest)
    assert isinstance(get_updates, AiohttpRequest)
    assert (main.connection_pool_size, get_updates.connection_pool_size) == (256, 1)


async def test_the_token_never_reaches_a_log_line_or_an_error(
    api: BotApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Not in our request lines, aiohttp's, or any error raised here (tracebacks included).

    PTB's own ``Set Bot API URL`` line (``telegram.Bot``, DEBUG, when a ``Bot`` is made) is the
    one exception: it is masked where every log line is written (``bot.app.logs``).
    """
    raised: list[BaseException] = []
    async with AiohttpRequest(read_timeout=0.2) as request:
        bot = api.bot(request)
        caplog.set_level(logging.DEBUG)
        await bot.send_message(CHAT, "hello")
        await bot.send_photo(CHAT, PNG)
        api.script.extend([Answer(delay=5.0), _error(500, "Internal Server Error")])
        for call in (bot.send_message(CHAT, "slow"), bot.send_message(CHAT, "broken")):
            with pytest.raises(TelegramError) as failure:
                await call
            raised.append(failure.value)
    # A connect timeout on a new connection: aiohttp's message for it holds the whole URL.
    async with AiohttpRequest(connect_timeout=1e-9) as request:
        with pytest.raises(TimedOut) as failure:
            await api.bot(request).send_message(CHAT, "hello")
        assert "aiohttp.ConnectionTimeoutError" in failure.value.message
        raised.append(failure.value)
    async with AiohttpRequest() as request:
        refused = Bot(TOKEN, base_url=f"http://127.0.0.1:{free_port()}/bot", request=request)
        with pytest.raises(NetworkError) as failure:
            await refused.get_me()
        raised.append(failure.value)
    assert f"/bot{BOT_ID}:***/sendMessage" in caplog.text
    ptb_init = ("Set Bot API URL", "Set Bot API File URL")
    lines = [r.getMessage() for r in caplog.records if not r.getMessage().startswith(ptb_init)]
    assert lines
    assert not [line for line in lines if SECRET in line]
    for error in raised:
        assert SECRET not in "".join(traceback.format_exception(error))
