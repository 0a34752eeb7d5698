"""A local fake of the Telegram Bot API: a Starlette app PTB talks to over real HTTP.

It answers the methods Usher calls (``getMe``, ``sendMessage``, ``sendPhoto`` with a multipart
upload, ``sendMediaGroup`` with its photos attached (``attach://`` names, 2 to 10 items, as
the real API requires), ``sendChatAction``, ``answerCallbackQuery``, ``setWebhook``,
``deleteWebhook``, ``setMyCommands``, ``getUpdates`` with long polling) in the Bot API's own
envelope (``{"ok": true, "result": ...}``) and records every call with its arrival time. Any other
method, or a wrong token, gets the error the real API gives, and is recorded too, so a test can
assert that nothing unexpected was asked. Failures are injected per method: a 429 with
``parameters.retry_after`` (flood control) or any other error code; so are slow answers.

PTB sends parameters as a form (URL-encoded, or multipart when a file is attached); every
non-string value is JSON-encoded inside the form. :meth:`Call.json` decodes one.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = "7000000001:AAFakeTokenForUsherTests-0123456789ab"
BOT_ID = int(TOKEN.split(":")[0])
BOT_USERNAME = "usher_test_bot"
LONG_POLL_CAP = 0.2
WAIT_LIMIT = 10.0
#: Photos one ``sendMediaGroup`` takes at most (and 2 at least).
ALBUM_MAX = 10
METHODS = frozenset(
    {
        "getMe",
        "sendMessage",
        "sendPhoto",
        "sendMediaGroup",
        "sendChatAction",
        "answerCallbackQuery",
        "setWebhook",
        "deleteWebhook",
        "setMyCommands",
        "getUpdates",
    }
)


@dataclass
class Call:
    """One request the fake received."""

    method: str
    params: dict[str, str]
    files: dict[str, bytes]
    at: float

    def json(self, name: str) -> Any:
        """A JSON-encoded parameter (``reply_markup``, ``allowed_updates``...), decoded."""
        return json.loads(self.params[name])

    def photos(self) -> list[tuple[bytes, str]]:
        """The photos this call sent with their captions: one for ``sendPhoto``, each item of
        a ``sendMediaGroup`` album, none otherwise."""
        if self.method == "sendPhoto":
            return [(self.files.get("photo", b""), self.params.get("caption", ""))]
        if self.method != "sendMediaGroup":
            return []
        found = []
        for item in self.json("media"):
            name = str(item.get("media", "")).removeprefix("attach://")
            found.append((self.files.get(name, b""), str(item.get("caption", ""))))
        return found


@dataclass
class Failure:
    """An error answer to give instead of the real one."""

    error_code: int
    description: str
    retry_after: int | None = None


@dataclass
class FakeTelegram:
    """The fake Bot API for one bot (``TOKEN``)."""

    token: str = TOKEN
    #: Where it is served (set by whoever serves it): the value of USHER_TELEGRAM_API_URL.
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    webhook: dict[str, str] | None = None
    _failures: dict[str, deque[Failure]] = field(default_factory=dict)
    _delays: dict[str, deque[float]] = field(default_factory=dict)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _arrived: asyncio.Condition | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])]
        )

    # --- steering --------------------------------------------------------------------------

    def rate_limit(self, method: str, *, retry_after: int, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with flood control (429)."""
        failure = Failure(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        self._failures.setdefault(method, deque()).extend([failure] * times)

    def fail(self, method: str, *, error_code: int, description: str, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with an error."""
        failure = Failure(error_code, description)
        self._failures.setdefault(method, deque()).extend([failure] * times)

    def slow(self, method: str, *, seconds: float, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` only after ``seconds``."""
        self._delays.setdefault(method, deque()).extend([seconds] * times)

    async def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for ``getUpdates`` (wakes a waiting long poll)."""
        async with self._condition():
            self._updates.append(update)
            self._condition().notify_all()

    # --- reading what happened --------------------------------------------------------------

    def sent(self, *methods: str) -> list[Call]:
        """The calls of these methods, in arrival order."""
        return [call for call in self.calls if call.method in methods]

    def messages(self) -> list[Call]:
        """What reached the fan: ``sendMessage``, ``sendPhoto`` and ``sendMediaGroup`` calls."""
        return self.sent("sendMessage", "sendPhoto", "sendMediaGroup")

    def texts(self) -> list[str]:
        """The text of each message (a photo's caption, an album's captions line by line)."""
        return [
            c.params.get("text") or "\n".join(caption for _, caption in c.photos())
            for c in self.messages()
        ]

    def photos(self) -> list[tuple[bytes, str]]:
        """Every photo the fan got (alone or in an album) with its caption, in order."""
        return [photo for call in self.messages() for photo in call.photos()]

    async def wait_for(self, count: int, *methods: str) -> list[Call]:
        """Wait (10 s at most) until ``count`` calls of ``methods`` arrived; return them."""
        deadline = time.monotonic() + WAIT_LIMIT
        while len(found := self.sent(*methods)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {methods} calls, got {len(found)}")
            await asyncio.sleep(0.01)
        return found

    # --- the API --------------------------------------------------------------------------

    def _condition(self) -> asyncio.Condition:
        if self._arrived is None:
            self._arrived = asyncio.Condition()
        return self._arrived

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        params, files = await _read_params(request)
        self.calls.append(Call(method, params, files, time.monotonic()))
        if request.path_params["token"] != self.token:
            return _error(Failure(401, "Unauthorized"))
        if method not in METHODS:
            return _error(Failure(404, "Not Found: method not found"))
        delays = self._delays.get(method)
        if delays:
            await asyncio.sleep(delays.popleft())
        pending = self._failures.get(method)
        if pending:
            return _error(pending.popleft())
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        result = self._result(method, params, files)
        return _error(result) if isinstance(result, Failure) else _ok(result)

    def _result(self, method: str, params: dict[str, str], files: dict[str, bytes]) -> Any:
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Usher",
                "username": BOT_USERNAME,
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "setWebhook":
            self.webhook = params
        if method == "deleteWebhook":
            self.webhook = None
        if method == "sendMediaGroup":
            return self._album(params, files)
        if method not in ("sendMessage", "sendPhoto"):
            return True
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Usher"},
        }
        if method == "sendMessage":
            message["text"] = params["text"]
        else:
            size = len(files.get("photo", b""))
            message["photo"] = [
                {
                    "file_id": "photo",
                    "file_unique_id": "p",
                    "width": 1,
                    "height": 1,
                    "file_size": size,
                }
            ]
            if "caption" in params:
                message["caption"] = params["caption"]
        return message

    def _album(self, params: dict[str, str], files: dict[str, bytes]) -> Any:
        """``sendMediaGroup``: one message per photo, or the real API's errors."""
        media = json.loads(params.get("media", "[]"))
        if not isinstance(media, list) or not 2 <= len(media) <= ALBUM_MAX:
            return Failure(400, "Bad Request: wrong number of media items")
        messages = []
        for item in media:
            name = str(item.get("media", "")).removeprefix("attach://")
            if item.get("type") != "photo" or name not in files:
                return Failure(400, "Bad Request: wrong file identifier/HTTP URL specified")
            message: dict[str, Any] = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Usher"},
                "media_group_id": "album",
                "photo": [
                    {
                        "file_id": "photo",
                        "file_unique_id": "p",
                        "width": 1,
                        "height": 1,
                        "file_size": len(files[name]),
                    }
                ],
            }
            if "caption" in item:
                message["caption"] = item["caption"]
            messages.append(message)
        return messages

    async def _get_updates(self, params: dict[str, str]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", "0"))
        async with self._condition():
            # An offset confirms every update before it, as on the real API.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates:
                # Like the real API, it may answer a long poll early; a short wait lets a
                # test's server stop without waiting out a poll the client gave up on.
                wait = min(float(params.get("timeout", "0")), LONG_POLL_CAP)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._condition().wait(), wait)
            return list(self._updates)


async def _read_params(request: Request) -> tuple[dict[str, str], dict[str, bytes]]:
    """The form fields and uploaded files of a Bot API request."""
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        parsed = BytesParser(policy=HTTP).parsebytes(head + body)
        assert isinstance(parsed, EmailMessage)  # what the HTTP policy makes
        params: dict[str, str] = {}
        files: dict[str, bytes] = {}
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            assert isinstance(name, str)
            assert isinstance(payload, bytes)
            if part.get_filename() is not None:
                files[name] = payload
            else:
                params[name] = payload.decode()
        return params, files
    if content_type.startswith("application/json"):
        data = json.loads(body or b"{}")
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}, {}
    return dict(parse_qsl(body.decode())), {}


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(failure: Failure) -> JSONResponse:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": failure.error_code,
        "description": failure.description,
    }
    if failure.retry_after is not None:
        body["parameters"] = {"retry_after": failure.retry_after}
    return JSONResponse(body, failure.error_code)
