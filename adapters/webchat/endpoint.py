"""``/chat/ws``: one widget's socket, from the handshake to the last frame.

The handshake is refused (HTTP 403, before any frame) when the page's ``Origin`` is not one
of ``USHER_WEBCHAT_ORIGINS``, when this process already holds too many sockets from the
address, or when the address opened too many lately. Then the widget has
:data:`~adapters.webchat.limits.Limits.hello_timeout` seconds to say hello; the session is
opened (or a new one issued: see ``sessions``), the widget is told its token and sent what it
missed, and each frame after that is one fan event:

* text or a button press: counted against the address's rate (the session's own is the
  core's per-fan turn bucket), logged as
  the fan's message (so another tab, or this one after a reload, shows it), handled by the
  conversation core with the widget's ``ref`` as the event id, and the replies logged; the
  sockets of the session, here or on any process, show both from the log;
* sign out: the session, its log, its conversation state and its proofs are forgotten, and
  every socket of it, on every process, is told and closed.

A binary frame closes the socket (1003), a flood past the frame budget too (1008); a frame
that is not one of ours gets a notice and changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import structlog
from redis.exceptions import RedisError
from starlette.websockets import WebSocket

from adapters.webchat.frames import (
    BadFrame,
    Hello,
    Press,
    Say,
    SignOut,
    bot_entry,
    fan_entry,
    notice_frame,
    parse,
    session_frame,
)
from adapters.webchat.limits import FrameBudget, Limits
from adapters.webchat.registry import BYE, Connection, Registry
from adapters.webchat.sessions import Sessions
from bot import copy
from bot.app.metrics import CHANNEL_EVENTS
from bot.messages import Fan, Inbound, Reply

log = structlog.get_logger("usher.webchat")

CHANNEL = "web"
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
#: WebSocket close codes (RFC 6455 §7.4.1).
POLICY, UNSUPPORTED, TRY_LATER, SERVER_ERROR = 1008, 1003, 1013, 1011

Handle = Callable[[Inbound], Awaitable[list[Reply]]]
Forget = Callable[[Fan], Awaitable[None]]


@dataclass(frozen=True)
class Origins:
    """The pages allowed to open the socket: exact origins, and in the sandbox with nothing
    configured any page on the developer's own machine (``http://localhost:<any port>``)."""

    exact: frozenset[str]
    any_loopback: bool = False

    def allow(self, origin: str) -> bool:
        """True when a page of ``origin`` (the handshake's ``Origin`` header) may chat."""
        origin = origin.lower()
        if origin in self.exact:
            return True
        if not self.any_loopback:
            return False
        parts = urlsplit(origin)
        return parts.scheme == "http" and parts.hostname in LOOPBACK and parts.path == ""


class Gone(Exception):
    """The socket is closed (by the widget, or by us)."""


class Endpoint:
    """The WebSocket endpoint: :meth:`run` is what Starlette's ``WebSocketRoute`` calls."""

    def __init__(
        self,
        handle: Handle,
        sessions: Sessions,
        registry: Registry,
        origins: Origins,
        forget: Forget,
        limits: Limits,
    ) -> None:
        """``forget(fan)`` drops the fan's conversation state and proofs (sign out)."""
        self.handle = handle
        self.sessions = sessions
        self.registry = registry
        self.origins = origins
        self.forget = forget
        self.limits = limits
        #: Run for each new session's fan (``usher demo`` gives them the sandbox's orders).
        self.on_new_session: Forget | None = None

    async def run(self, websocket: WebSocket) -> None:
        """One socket, from the handshake to its close."""
        origin = websocket.headers.get("origin", "")
        if not self.origins.allow(origin):
            CHANNEL_EVENTS.labels(CHANNEL, "forbidden").inc()
            log.warning("webchat_origin_refused", origin=origin[:100])
            await websocket.close(POLICY)
            return
        address = websocket.client.host if websocket.client else "unknown"
        if not self.registry.admit(address, self.limits.sockets_per_address):
            CHANNEL_EVENTS.labels(CHANNEL, "limited").inc()
            await websocket.close(TRY_LATER)
            return
        try:
            await self._admitted(websocket, address)
        finally:
            self.registry.leave(address)

    async def _admitted(self, websocket: WebSocket, address: str) -> None:
        try:
            [recent] = await self.sessions.count([f"connect:{address}"], self.limits.window)
        except (RedisError, OSError) as exc:
            log.warning("webchat_unavailable", error=type(exc).__name__)
            await websocket.close(SERVER_ERROR)
            return
        if recent > self.limits.connections_per_address:
            CHANNEL_EVENTS.labels(CHANNEL, "limited").inc()
            await websocket.close(TRY_LATER)
            return
        await websocket.accept()
        try:
            await self._serve(websocket, address)
        except Gone:
            pass
        except (RedisError, OSError) as exc:  # Redis gone mid-conversation: the widget retries
            log.warning("webchat_unavailable", error=type(exc).__name__)
            with contextlib.suppress(Exception):
                await websocket.close(SERVER_ERROR)

    async def _serve(self, websocket: WebSocket, address: str) -> None:
        try:
            first = await asyncio.wait_for(_receive(websocket), self.limits.hello_timeout)
        except TimeoutError:
            await websocket.close(POLICY)
            return
        try:
            hello = parse(first)
        except BadFrame as exc:
            hello = None
            log.info("webchat_bad_hello", reason=str(exc))
        if not isinstance(hello, Hello):
            CHANNEL_EVENTS.labels(CHANNEL, "malformed").inc()
            await websocket.close(POLICY)
            return
        session = await self.sessions.open(hello.token)
        if session.fresh and self.on_new_session is not None:
            await self.on_new_session(Fan(CHANNEL, session.id))
        if len(self.registry.open.get(session.id, ())) >= self.limits.sockets_per_session:
            CHANNEL_EVENTS.labels(CHANNEL, "limited").inc()
            await websocket.close(TRY_LATER)
            return

        async def close(code: int) -> None:
            await websocket.close(code)

        connection = Connection(
            session.id,
            self.sessions,
            websocket.send_text,
            close,
            address=address,
            locale=hello.locale,
            cursor=None if session.fresh else hello.last,
        )
        await self.registry.add(connection)
        try:
            await connection.send(session_frame(session.token, fresh=session.fresh))
            connection.wake()  # what the widget missed (everything, after a reload)
            budget = FrameBudget(self.limits.frame_burst, self.limits.frame_rate)
            while not connection.closed:
                raw = await _receive(websocket)
                if not budget.take():
                    CHANNEL_EVENTS.labels(CHANNEL, "limited").inc()
                    log.warning("webchat_flood_closed")
                    await websocket.close(POLICY)
                    return
                await self._frame(connection, raw)
        finally:
            await self.registry.remove(connection)

    async def _frame(self, connection: Connection, raw: str) -> None:
        lang = copy.pick_language(connection.locale)
        try:
            frame = parse(raw)
        except BadFrame as exc:
            CHANNEL_EVENTS.labels(CHANNEL, "malformed").inc()
            log.info("webchat_bad_frame", reason=str(exc))
            await connection.send(notice_frame("bad_frame", copy.text("webchat_bad_frame", lang)))
            return
        if isinstance(frame, SignOut):
            await self._sign_out(connection)
        elif isinstance(frame, Say | Press):
            await self._turn(connection, frame, lang)
        else:  # a second hello
            await connection.send(notice_frame("bad_frame", copy.text("webchat_bad_frame", lang)))

    async def _turn(self, connection: Connection, frame: Say | Press, lang: str) -> None:
        session_id = connection.session_id
        [per_address] = await self.sessions.count(
            [f"address:{connection.address}"], self.limits.window
        )
        if per_address > self.limits.messages_per_address:
            CHANNEL_EVENTS.labels(CHANNEL, "limited").inc()
            text = copy.text("webchat_slow_down", lang)
            await connection.send(notice_frame("slow_down", text, frame.ref))
            return
        said = frame.text if isinstance(frame, Say) else frame.label
        process = self.registry.process
        echo = await self.sessions.append(
            session_id,
            [fan_entry(said, frame.ref)],
            process=process,
            once=f"{frame.ref}:fan",
            fan_wrote=True,
        )
        if echo is None:  # signed out from another tab meanwhile
            await connection.sign_out()
            return
        await self.registry.deliver(session_id, echo, first=connection)
        inbound = Inbound(
            CHANNEL,
            session_id,
            session_id,
            text=frame.text if isinstance(frame, Say) else None,
            button=frame.payload if isinstance(frame, Press) else None,
            locale=connection.locale,
            event_id=frame.ref,
        )
        replies = await self.handle(inbound)
        CHANNEL_EVENTS.labels(CHANNEL, "handled").inc()
        if replies:
            answer = await self.sessions.append(
                session_id, [bot_entry(replies)], process=process, once=f"{frame.ref}:bot"
            )
            if answer is not None:
                await self.registry.deliver(session_id, answer, first=connection)

    async def _sign_out(self, connection: Connection) -> None:
        session_id = connection.session_id
        holders = await self.sessions.forget(session_id)
        await self.forget(Fan(CHANNEL, session_id))
        await self.registry.nudge(holders, session_id + BYE)
        await self.registry.signed_out(session_id)
        CHANNEL_EVENTS.labels(CHANNEL, "signed_out").inc()


async def _receive(websocket: WebSocket) -> str:
    """The next text frame; Gone when the socket closed, or after closing on a binary one."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise Gone
    text = message.get("text")
    if text is None:
        CHANNEL_EVENTS.labels(CHANNEL, "malformed").inc()
        await websocket.close(UNSUPPORTED)
        raise Gone
    return str(text)
