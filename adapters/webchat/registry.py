"""This process's open chat sockets, and the wake-ups that reach them from any process.

Every message for a fan is first written to their session's log in Redis (``sessions``); a
socket shows the log from its own cursor onwards. So delivery needs only a nudge: "session
S has something new". Each ``usher serve`` subscribes to one Redis pub/sub channel of its
own, once, at start; a session records which processes hold a socket of it (``holders``),
and whoever appends to the log (a turn on another process, an agent's reply through the
Messenger, the worker's reminder) publishes the session's id on those processes' channels in
the same script. A nudge that is lost (the subscription dropped while Redis restarted) costs
nothing but time: after a reconnect every socket here looks at its log again, and a widget
that reconnects is sent whatever came after the last entry it saw.

Sockets are pumped by their own short task, so a slow reader never holds up the listener or
anyone else's messages. The process that appended entries sends them to its own sockets of
the session straight away when a socket had shown everything before them (the common case: a
turn's echo and replies), without reading them back from Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import structlog
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from adapters.webchat.frames import SIGNED_OUT, entry_frame
from adapters.webchat.sessions import HOLDERS_TTL, Appended, Sessions
from bot.app.metrics import WEBCHAT_SOCKETS

log = structlog.get_logger("usher.webchat")

#: The nudge that tells a process a session was signed out (its sockets are closed).
BYE = " bye"
#: How long the listener waits for a nudge before looking at its subscription again.
LISTEN_TIMEOUT = 5.0
#: Holder records are renewed this often while a socket stays open.
RENEW_EVERY = HOLDERS_TTL / 4
#: Entries read from the log per round trip while catching a socket up.
PAGE = 100

Send = Callable[[str], Awaitable[None]]
Close = Callable[[int], Awaitable[None]]


class Connection:
    """One open socket of one session, with its cursor in the session's log."""

    def __init__(
        self,
        session_id: str,
        sessions: Sessions,
        send: Send,
        close: Close,
        *,
        address: str,
        locale: str | None,
        cursor: str | None,
    ) -> None:
        self.session_id = session_id
        self.sessions = sessions
        self._send = send
        self._close = close
        self.address = address
        self.locale = locale
        self.cursor = cursor
        #: A widget with no cursor was (re)loaded: what the log holds now is history to it.
        self.replaying = cursor is None
        self._lock = asyncio.Lock()
        #: Held while entries are read or sent, so they go out once each and in order.
        self._flow = asyncio.Lock()
        self._dirty = False
        self._pumping: asyncio.Task[None] | None = None
        self.closed = False

    async def send(self, frame: str) -> None:
        """Send one frame (frames never interleave)."""
        async with self._lock:
            await self._send(frame)

    def wake(self) -> None:
        """Something may be new in the log: send it, in order, without waiting here."""
        self._dirty = True
        if self.closed or (self._pumping is not None and not self._pumping.done()):
            return
        self._pumping = asyncio.create_task(self._pump())

    async def caught_up(self) -> None:
        """Wait until what was new at the last wake-up has been sent."""
        while self._pumping is not None and not self._pumping.done():
            await asyncio.shield(self._pumping)

    async def deliver(self, appended: Appended) -> None:
        """Send entries just appended: as they are when this socket had shown everything
        before them, else (something came in between) from the log."""
        async with self._flow:
            if self.closed:
                return
            if appended.after != self.cursor or self.replaying:
                await self._catch_up()
                return
            try:
                for entry in appended.entries:
                    await self.send(entry_frame(entry.id, entry.body))
                    self.cursor = entry.id
            except (OSError, RuntimeError):  # the socket went away meanwhile
                self.closed = True

    async def _pump(self) -> None:
        while self._dirty and not self.closed:
            self._dirty = False
            async with self._flow:
                await self._catch_up()

    async def _catch_up(self) -> None:
        """Send what the log holds after the cursor (``_flow`` held)."""
        try:
            while True:
                entries = await self.sessions.after(self.session_id, self.cursor, count=PAGE)
                for entry in entries:
                    await self.send(entry_frame(entry.id, entry.body, replay=self.replaying))
                    self.cursor = entry.id
                if len(entries) < PAGE:
                    break
            self.replaying = False
        except RedisError as exc:  # the entries stay logged: the next nudge sends them
            log.warning("webchat_pump_failed", error=type(exc).__name__)
        except (OSError, RuntimeError):  # the socket went away meanwhile
            self.closed = True

    async def sign_out(self) -> None:
        """Tell the widget its session is gone, and close."""
        with contextlib.suppress(OSError, RuntimeError):
            await self.send(SIGNED_OUT)
        await self.close(1000)

    async def close(self, code: int) -> None:
        """Close the socket (the widget reconnects unless it was signed out)."""
        self.closed = True
        with contextlib.suppress(OSError, RuntimeError):
            await self._close(code)


class Registry:
    """The sockets this process holds, by session, and its pub/sub listener."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self.process = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
        self.open: dict[str, set[Connection]] = {}
        self.per_address: Counter[str] = Counter()
        self._pubsub: PubSub | None = None
        self._listener: asyncio.Task[None] | None = None
        self._renewer: asyncio.Task[None] | None = None
        #: Work started in the background (kept referenced until it is done).
        self._closing: set[asyncio.Task[None]] = set()

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe to this process's channel and listen for nudges."""
        self._pubsub = self.sessions.redis.pubsub()
        await self._pubsub.subscribe(self.sessions.channel_prefix() + self.process)
        self._listener = asyncio.create_task(self._listen(self._pubsub))
        self._renewer = asyncio.create_task(self._renew())

    async def stop(self) -> None:
        """Stop listening and drop this process's holder records."""
        for task in (self._listener, self._renewer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        for session_id in list(self.open):
            with contextlib.suppress(RedisError, OSError):
                await self.sessions.release(session_id, self.process)

    # --- sockets --------------------------------------------------------------------------

    def admit(self, address: str, most: int) -> bool:
        """Count a new socket from ``address``; False (not counted) past ``most``."""
        if self.per_address[address] >= most:
            return False
        self.per_address[address] += 1
        return True

    def leave(self, address: str) -> None:
        """A socket admitted from ``address`` is gone."""
        self.per_address[address] -= 1
        if self.per_address[address] <= 0:
            del self.per_address[address]

    async def add(self, connection: Connection) -> None:
        """Hold ``connection``'s session here (recorded in Redis for the first socket)."""
        sockets = self.open.setdefault(connection.session_id, set())
        first = not sockets
        sockets.add(connection)
        WEBCHAT_SOCKETS.inc()
        if first:
            await self.sessions.hold(connection.session_id, self.process)

    async def remove(self, connection: Connection) -> None:
        """Forget ``connection``; the last socket of a session releases the record."""
        connection.closed = True
        sockets = self.open.get(connection.session_id)
        if sockets is None or connection not in sockets:
            return
        sockets.discard(connection)
        WEBCHAT_SOCKETS.dec()
        if not sockets:
            del self.open[connection.session_id]
            with contextlib.suppress(RedisError, OSError):
                await self.sessions.release(connection.session_id, self.process)

    def wake(self, session_id: str) -> None:
        """Send every socket of the session here what is new in its log."""
        for connection in self.open.get(session_id, ()):
            connection.wake()

    async def deliver(
        self, session_id: str, appended: Appended, *, first: Connection | None = None
    ) -> None:
        """Send entries this process appended to its sockets of the session: ``first``'s (the
        socket whose turn it was) before this returns, the others' in the background."""
        if not appended.entries:
            return
        for connection in self.open.get(session_id, ()):
            if connection is first:
                await connection.deliver(appended)
            else:
                self._background(connection.deliver(appended))

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def signed_out(self, session_id: str) -> None:
        """Close every socket of the session here, telling each widget why."""
        for connection in list(self.open.get(session_id, ())):
            await connection.sign_out()

    async def nudge(self, processes: list[str], message: str) -> None:
        """Publish ``message`` to other processes' channels (best effort)."""
        prefix = self.sessions.channel_prefix()
        for process in processes:
            if process != self.process:
                with contextlib.suppress(RedisError, OSError):
                    await self.sessions.redis.publish(prefix + process, message)

    # --- the listener ---------------------------------------------------------------------

    async def _listen(self, pubsub: PubSub) -> None:
        backoff, lost = 0.1, False
        while True:
            try:
                message = await pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=LISTEN_TIMEOUT
                )
            except (RedisError, OSError) as exc:
                if not lost:
                    log.warning("webchat_subscription_lost", error=type(exc).__name__)
                lost = True
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if lost:  # back (redis-py subscribed again): nudges may have been missed
                log.info("webchat_subscription_back")
                lost, backoff = False, 0.1
                for session_id in list(self.open):
                    self.wake(session_id)
            if message is None or message.get("type") != "message":
                continue
            data = message["data"]
            text = data.decode() if isinstance(data, bytes) else str(data)
            if text.endswith(BYE):  # closing may wait on a slow socket: not in the listener
                self._background(self.signed_out(text.removesuffix(BYE)))
            else:
                self.wake(text)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY)
            for session_id in list(self.open):
                with contextlib.suppress(RedisError, OSError):
                    await self.sessions.hold(session_id, self.process)
