"""The Slack app (slack-bolt ``AsyncApp``): the staff console and the human handoff.

How Slack reaches us, decided by settings (no separate command to run):

* HTTP: ``POST /slack/events`` in the web app ``usher serve`` runs (slash command, buttons,
  modal submissions and the Events API all use this one URL). Before Bolt sees a request, its
  body is sized (413 over :data:`MAX_BODY`, declared or streamed; ``adapters.bodies``) and its
  signature checked with ``USHER_SLACK_SIGNING_SECRET`` (401 when the signature is wrong or
  missing or the timestamp is more than 5 minutes off): Bolt parses the body as it builds
  its request, before its own signature check, so nothing unsigned is ever parsed. Bolt then
  checks the signature again, as it always does.
* Socket Mode: when ``USHER_SLACK_APP_TOKEN`` is set, ``usher serve`` also opens Slack's
  websocket at start-up, for deployments without a public URL. Both can run at once.

The listeners themselves are in ``adapters.slack.listeners``. Every listener calls ``await
ack()`` first and then does its work in the same listener, with
``process_before_response=False``: Bolt answers Slack as soon as ``ack()`` is called while the
work continues in the server's event loop, so Slack's 3-second limit never depends on ACME or
Slack's own API. (Lazy listeners exist for FaaS platforms, where work after the response dies.)
In-flight work is tracked so that :meth:`SlackChannel.stop` lets it finish.

Slack retries an event it did not see acknowledged; ``adapters.slack.claims`` makes sure
it is handled once across processes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import (
    to_async_bolt_request,
    to_starlette_response,
)
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.bodies import KIB, BodyTooLarge, read_body, too_large
from adapters.slack.assist import AssistConsole
from adapters.slack.canned import CannedReplies
from adapters.slack.claims import EventClaims
from adapters.slack.handoff import HandoffDesk
from adapters.slack.handoff_consumer import HandoffConsumer
from adapters.slack.listeners import Listeners
from adapters.slack.marketing import MarketingConsole
from adapters.slack.support import SupportConsole
from adapters.store.store import Store
from bot.staff import Roles

log = structlog.get_logger("usher.slack")

EVENTS_PATH = "/slack/events"
#: How long stop() waits for in-flight work.
DRAIN_SECONDS = 10.0
#: Far above any real request (a modal submission with its whole view is tens of KB).
MAX_BODY = 1024 * KIB


class SlackChannel(Listeners):
    """A ``bot.app.web.WebChannel``: the Bolt app, its HTTP route, Socket Mode and the consumer."""

    def __init__(
        self,
        client: AsyncWebClient,
        store: Store,
        roles: Roles,
        support: SupportConsole,
        marketing: MarketingConsole,
        handoff: HandoffDesk,
        *,
        signing_secret: str | None,
        app_token: str | None = None,
        consumer: HandoffConsumer | None = None,
        canned: CannedReplies | None = None,
        assist: AssistConsole | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.roles = roles
        self.support = support
        self.marketing = marketing
        self.handoff = handoff
        self.signing_secret = signing_secret
        self.app_token = app_token
        self.consumer = consumer
        self.canned = canned
        self.assist = assist
        self.claims = EventClaims(store)
        self._busy: set[asyncio.Task[Any]] = set()
        self._socket: AsyncSocketModeHandler | None = None
        self.app = AsyncApp(
            client=client,
            signing_secret=signing_secret or "",
            process_before_response=False,
            logger=logging.getLogger("usher.slack.bolt"),
            request_verification_enabled=True,
        )
        self.listen(self.app)
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None

    # --- WebChannel -----------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """``POST /slack/events``, when HTTP mode is configured (a signing secret)."""
        if not self.signing_secret:
            return []
        return [Route(EVENTS_PATH, self._endpoint, methods=["POST"])]

    async def start(self) -> None:
        """Start the handoff consumer and, with an app token, Socket Mode."""
        if self.consumer is not None:
            await self.consumer.start()
        if self.app_token:
            self._socket = AsyncSocketModeHandler(self.app, self.app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("slack_socket_mode_connected")

    async def stop(self) -> None:
        """Stop taking work, let in-flight work finish (bounded), stop the consumer."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        for task in await self.drain(DRAIN_SECONDS):
            task.cancel()
        if self.consumer is not None:
            await self.consumer.stop()

    async def drain(self, within: float) -> set[asyncio.Task[Any]]:
        """Wait for the work in flight (up to ``within`` s); return what is still running."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self._busy:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return set(self._busy)
            await asyncio.wait(set(self._busy), timeout=remaining)
        return set()

    async def _endpoint(self, request: Request) -> Response:
        try:
            body = await read_body(request, MAX_BODY)
        except BodyTooLarge:
            log.warning("slack_request_too_large")
            return too_large(MAX_BODY)
        if not self._signed(body, request):
            log.warning("slack_request_unsigned")
            return Response(status_code=401)
        bolt = await self.app.async_dispatch(to_async_bolt_request(request, body))
        return to_starlette_response(bolt)

    def _signed(self, body: bytes, request: Request) -> bool:
        """Slack's signature over the raw body and timestamp (a junk timestamp is unsigned)."""
        if self._verifier is None:
            return False
        try:
            return self._verifier.is_valid_request(body, request.headers)
        except ValueError:
            return False

    @asynccontextmanager
    async def _working(self) -> AsyncIterator[None]:
        """Track the listener's task (Bolt runs it detached) so stop() can wait for it.

        Entered before ``ack()``, so no work is ever acknowledged yet untracked.
        """
        task = asyncio.current_task()
        if task is not None:
            self._busy.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._busy.discard(task)
