"""Fixtures of the web chat tests: a complete Usher with its web chat, served on loopback on the
real Redis, and a widget's side of the socket spoken over a real WebSocket (``websockets``)."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest
import redis.asyncio as redis_asyncio
from websockets.asyncio.client import ClientConnection, connect

from adapters.store.store import connect as connect_store
from adapters.webchat.channel import WebChat
from adapters.webchat.frames import SERVER_OPTIONS
from adapters.webchat.limits import Limits
from bot.app.bootstrap import Usher, build
from bot.app.channels import webchat_channel
from bot.app.settings import load_settings
from bot.app.web import WebChannel, create_app
from tests.conftest import TEST_REDIS_URL
from tests.support.chat import Outbox
from tests.support.servers import free_port, serve_in_loop

VENUE = "https://venue.test"
ALEX = "alex.rivera@example.com"
_refs = itertools.count(1)


@dataclass
class Site:
    """One running Usher with web chat on: where it is and what it is made of."""

    usher: Usher
    webchat: WebChat
    url: str
    outbox: Outbox
    widgets: list[Widget]

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/chat/ws"

    def widget(self, origin: str = VENUE) -> Widget:
        """A new widget (closed at the end of the test)."""
        widget = Widget(self.ws_url, origin)
        self.widgets.append(widget)
        return widget


class Widget:
    """What the widget script does on the wire: hello, messages, button presses, sign out."""

    def __init__(self, url: str, origin: str = VENUE) -> None:
        self.url = url
        self.origin = origin
        self.socket: ClientConnection | None = None
        self.token: str | None = None
        self.session_id: str | None = None
        self.seen: list[dict[str, Any]] = []

    async def open(
        self, token: str | None = None, *, last: str | None = None, locale: str = "en-US"
    ) -> dict[str, Any]:
        """Connect and say hello; the session frame."""
        self.socket = await connect(self.url, origin=self.origin)  # type: ignore[arg-type]
        await self.send({"type": "hello", "session": token, "last": last, "locale": locale})
        frame = await self.next("session")
        self.token = frame["session"]
        self.session_id = str(frame["session"]).split(".")[0]
        return frame

    async def send(self, frame: dict[str, Any]) -> None:
        assert self.socket is not None
        await self.socket.send(json.dumps(frame))

    async def say(self, text: str, ref: str | None = None) -> str:
        ref = ref or f"r{next(_refs)}"
        await self.send({"type": "text", "text": text, "ref": ref})
        return ref

    async def press(self, payload: str, label: str = "a button") -> str:
        ref = f"r{next(_refs)}"
        await self.send({"type": "button", "payload": payload, "label": label, "ref": ref})
        return ref

    async def next(self, kind: str | None = None, *, within: float = 10.0) -> dict[str, Any]:
        """The next frame (of ``kind``, skipping others), waiting at most ``within`` s."""
        assert self.socket is not None
        while True:
            raw = await asyncio.wait_for(self.socket.recv(), within)
            frame: dict[str, Any] = json.loads(raw)
            self.seen.append(frame)
            if kind is None or frame["type"] == kind:
                return frame

    async def answer(self, text: str) -> list[dict[str, Any]]:
        """Say ``text``; the bot's replies to it (after the echo of what was said)."""
        ref = await self.say(text)
        echo = await self.next("message")
        assert echo["from"] == "fan"
        assert echo["ref"] == ref
        reply = await self.next("message")
        assert reply["from"] == "bot", reply
        replies: list[dict[str, Any]] = reply["replies"]
        return replies

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
            self.socket = None


def text_of(replies: list[dict[str, Any]]) -> str:
    return "\n".join(reply["text"] for reply in replies)


StartSite = Callable[..., Awaitable[Site]]


@pytest.fixture
async def start_site(
    real_redis: redis_asyncio.Redis, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[StartSite]:
    """Start a web chat site (several may share the Redis); all stop at the end of the test."""
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)
    async with AsyncExitStack() as stack:

        async def start(
            *,
            limits: Limits | None = None,
            extra: list[WebChannel] | None = None,
            redis_url: str = TEST_REDIS_URL,
            **values: Any,
        ) -> Site:
            port = free_port()
            values.setdefault("webchat_origins", VENUE)  # None: unset (the sandbox's default)
            values.setdefault("public_url", f"http://127.0.0.1:{port}")
            settings = load_settings(**{k: v for k, v in values.items() if v is not None})
            store = connect_store(redis_url, prefix="usher-test:")
            outbox = Outbox()
            usher = build(settings, mailer=outbox, store=store)
            stack.push_async_callback(usher.aclose)
            webchat = webchat_channel(usher, limits=limits)
            assert webchat is not None
            app = create_app(usher, channels=[webchat, *(extra or [])], close_on_shutdown=False)
            url = await stack.enter_async_context(serve_in_loop(app, port, **SERVER_OPTIONS))
            site = Site(usher, webchat, url, outbox, [])

            async def close_widgets() -> None:
                for widget in site.widgets:
                    await widget.close()

            stack.push_async_callback(close_widgets)
            return site

        yield start


@pytest.fixture
async def site(start_site: StartSite) -> Site:
    """One web chat site with the default limits."""
    return await start_site()
