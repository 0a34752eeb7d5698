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

Every listener calls ``await ack()`` first and then does its work in the same listener, with
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
import re
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
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.bodies import KIB, BodyTooLarge, read_body, too_large
from adapters.slack.blocks import CONTACT_FORM, as_typed
from adapters.slack.canned import FORM as CANNED_FORM
from adapters.slack.canned import MENU as CANNED_MENU
from adapters.slack.canned import CannedReplies
from adapters.slack.claims import EventClaims
from adapters.slack.console import Ask, answering
from adapters.slack.handoff import HandoffDesk
from adapters.slack.handoff_consumer import HandoffConsumer
from adapters.slack.marketing import MarketingConsole
from adapters.slack.support import SupportConsole
from adapters.store.store import Store
from bot.copy import staff
from bot.staff import Roles

log = structlog.get_logger("usher.slack")

EVENTS_PATH = "/slack/events"
COMMAND = "/usher"
SUPPORT_VERBS = frozenset({"find", "event", "audit"})
MARKETING_VERBS = frozenset({"link", "links", "revoke", "broadcast"})
ORDER_BUTTONS = re.compile(r"^usher:(details|tickets|resend|edit)$")
PAGE_BUTTONS = re.compile(r"^usher:(find|event)_page$")
#: How long stop() waits for in-flight work.
DRAIN_SECONDS = 10.0
#: Far above any real request (a modal submission with its whole view is tens of KB).
MAX_BODY = 1024 * KIB


class SlackChannel:
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
        self.app.command(COMMAND)(self._command)
        self.app.action(ORDER_BUTTONS)(self._order_button)
        self.app.action(PAGE_BUTTONS)(self._page_button)
        self.app.action("usher:take")(self._take)
        self.app.action("usher:close")(self._close)
        self.app.action("usher:forget")(self._forget)
        self.app.view(CONTACT_FORM)(self._contact)
        self.app.action(CANNED_MENU)(self._canned_pick)
        self.app.view(CANNED_FORM)(self._canned_send)
        self.app.event("message")(self._message)
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

    # --- listeners --------------------------------------------------------------------------

    async def _command(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        async with self._working():
            await ack()
            ask = Ask(str(command["user_id"]), self.client, respond, command.get("trigger_id"))
            verb, _, rest = as_typed(str(command.get("text") or "")).strip().partition(" ")
            await self._run(ask, verb.lower(), rest.strip())

    async def _run(self, ask: Ask, verb: str, rest: str) -> None:
        agent, marketer = self.roles.is_agent(ask.user), self.roles.is_marketer(ask.user)
        if not agent and not marketer:
            await ask.say(staff("refused"))
        elif (verb in SUPPORT_VERBS and not agent) or (verb in MARKETING_VERBS and not marketer):
            await ask.say(staff("refused_role"))
        elif verb == "find":
            await self.support.find(ask, rest)
        elif verb == "event":
            await self.support.event(ask, rest)
        elif verb == "audit":
            await self.support.show_audit(ask, rest)
        elif verb == "link":
            await self.marketing.link(ask, rest)
        elif verb == "links":
            await self.marketing.links(ask)
        elif verb == "revoke":
            await self.marketing.revoke(ask, rest)
        elif verb == "broadcast":
            await self.marketing.broadcast(ask, rest)
        else:
            usage = [staff("usage_support")] if agent else []
            usage += [staff("usage_marketing")] if marketer else []
            await ask.say("\n".join([staff("usage_title"), *usage]))

    async def _order_button(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        async with self._working():
            await ack()
            ask = await self._agent(body, respond)
            if ask is None:
                return
            verb = str(action["action_id"]).removeprefix("usher:")
            handler = {
                "details": self.support.details,
                "tickets": self.support.tickets,
                "resend": self.support.resend,
                "edit": self.support.edit,
            }[verb]
            await handler(ask, str(action.get("value") or ""))

    async def _page_button(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        async with self._working():
            await ack()
            ask = await self._agent(body, respond)
            if ask is not None:
                kind = str(action["action_id"]).removeprefix("usher:").removesuffix("_page")
                await self.support.page(ask, kind, str(action.get("value") or ""))

    async def _take(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        async with self._working():
            await ack()
            ask = await self._agent(body, respond)
            if ask is not None:
                async with answering(ask, "take"):
                    note = await self.handoff.take(body, self.client)
                    if note is not None:
                        await ask.say(note)

    async def _close(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        async with self._working():
            await ack()
            ask = await self._agent(body, respond)
            if ask is not None:
                async with answering(ask, "close"):
                    note = await self.handoff.close(body, self.client)
                    if note is not None:
                        await ask.say(note)

    async def _forget(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        async with self._working():
            await ack()
            ask = await self._agent(body, respond)
            if ask is not None:
                async with answering(ask, "forget"):
                    await ask.say(await self.handoff.forget_proofs(body, self.client))

    async def _canned_pick(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        async with self._working():
            await ack()
            ask = await self._agent(body, respond)
            if ask is not None and self.canned is not None:
                async with answering(ask, "canned"):
                    await self.canned.pick(ask, body, action)

    async def _canned_send(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        async with self._working():
            user = str(body["user"]["id"])
            if not self.roles.is_agent(user) or self.canned is None:
                await ack(response_action="errors", errors={"text": staff("refused")})
                return
            ask = Ask(user, self.client, None)
            async with answering(ask, "canned"):
                await self.canned.submitted(ack, view, user, self.client)

    async def _contact(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        async with self._working():
            user = str(body["user"]["id"])
            if not self.roles.is_agent(user):
                await ack(response_action="errors", errors={"email": staff("refused")})
                return
            await self.support.contact_submitted(ack, view, user, self.client)

    async def _message(self, ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        async with self._working():
            await ack()
            event_id = str(body.get("event_id") or "")
            try:
                async with self.claims.once(event_id) as fresh:
                    if fresh:
                        await self.handoff.reply(event, self.client)
            except Exception:
                # Logged here rather than raised to Bolt, which could turn a quick failure
                # into a late 404 for an event it has already acknowledged.
                log.exception("slack_event_failed", event_id=event_id)

    async def _agent(self, body: dict[str, Any], respond: AsyncRespond) -> Ask | None:
        """The presser as an agent, or None (after telling them no) for anyone else.

        Buttons are checked like commands: a forwarded or crafted payload gets nothing.
        """
        ask = Ask(str(body["user"]["id"]), self.client, respond, body.get("trigger_id"))
        if self.roles.is_agent(ask.user):
            return ask
        await ask.say(staff("refused"))
        return None
