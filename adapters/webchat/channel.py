"""The web chat channel as ``usher serve`` and ``usher worker`` see it.

In the web app it is a ``WebChannel``: its routes (the widget's script, the WebSocket, the
demo page in the sandbox), started and stopped with the app (the pub/sub listener). Anywhere,
it is the ``ChannelSender`` of the ``web`` channel for the Messenger: a proactive message (an
agent's reply, a reminder, a ready-ticket notice) is appended to the fan's session log and
the processes holding a socket of it are woken, so it shows in the open widget on whichever
process holds it, or waits in the session (a day) until the fan comes back.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, WebSocketRoute

from adapters.store.store import Store
from adapters.webchat.assets import Assets
from adapters.webchat.endpoint import CHANNEL, Endpoint, Forget, Handle, Origins
from adapters.webchat.frames import bot_entry
from adapters.webchat.limits import Limits
from adapters.webchat.registry import Registry
from adapters.webchat.sessions import Sessions
from bot.messages import Reply
from bot.outbound import Messenger, Unreachable

WS_PATH = "/chat/ws"


class WebChat:
    """Routes, lifecycle and the proactive sender of the web chat."""

    def __init__(
        self,
        store: Store,
        handle: Handle,
        origins: Origins,
        forget: Forget,
        *,
        messenger: Messenger | None = None,
        limits: Limits | None = None,
        demo: bool = False,
    ) -> None:
        """``origins``: the sites allowed to open the socket; ``demo``: serve ``/chat/demo``."""
        self.sessions = Sessions(store)
        self.registry = Registry(self.sessions)
        self.endpoint = Endpoint(
            handle, self.sessions, self.registry, origins, forget, limits or Limits()
        )
        self.assets = Assets(demo=demo)
        if messenger is not None:
            messenger.add(CHANNEL, self)

    def routes(self) -> list[BaseRoute]:
        """The script, the socket and (sandbox) the demo page."""
        return [*self.assets.routes(), WebSocketRoute(WS_PATH, self.endpoint.run)]

    async def start(self) -> None:
        """Listen for wake-ups addressed to this process."""
        await self.registry.start()

    async def stop(self) -> None:
        """Stop listening; this process's sockets close with the server."""
        await self.registry.stop()

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
        """``ChannelSender``: log the replies in the session (``chat_id``) and wake its sockets.

        Unreachable when the session is gone (signed out, or a month without a word).
        """
        logged = await self.sessions.append(
            chat_id, [bot_entry(replies)], process=self.registry.process
        )
        if logged is None:
            raise Unreachable("web chat session gone")
        await self.registry.deliver(chat_id, logged)
