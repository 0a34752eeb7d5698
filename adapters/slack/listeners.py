"""The Slack app's listeners: the ``/usher`` command, buttons, selects, modals and messages.

Mixed into :class:`adapters.slack.app.SlackChannel`, which owns the Bolt app, the HTTP route
and the lifecycle; here is what each kind of request does. Every listener enters
``_working()`` (so a stopping process lets it finish), calls ``await ack()`` first, checks the
person's role (buttons and selects like commands: a forwarded or crafted payload gets
nothing), then hands the work to the consoles.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.assist import SEND_CODE, SEND_TICKETS, AssistConsole
from adapters.slack.blocks import CONTACT_FORM, as_typed
from adapters.slack.canned import FORM as CANNED_FORM
from adapters.slack.canned import MENU as CANNED_MENU
from adapters.slack.canned import CannedReplies
from adapters.slack.claims import EventClaims
from adapters.slack.console import Ask, answering
from adapters.slack.handoff import HandoffDesk
from adapters.slack.marketing import PICK as LINK_PICK
from adapters.slack.marketing import MarketingConsole
from adapters.slack.support import SupportConsole
from bot.copy import staff
from bot.staff import Roles

log = structlog.get_logger("usher.slack")

COMMAND = "/usher"
SUPPORT_VERBS = frozenset({"find", "event", "audit"})
MARKETING_VERBS = frozenset({"link", "links", "revoke", "broadcast"})
ORDER_BUTTONS = re.compile(r"^usher:(details|tickets|resend|edit)$")
PAGE_BUTTONS = re.compile(r"^usher:(find|event)_page$")


class Listeners:
    """The listener methods; :meth:`listen` registers them on a Bolt app."""

    client: AsyncWebClient
    roles: Roles
    support: SupportConsole
    marketing: MarketingConsole
    handoff: HandoffDesk
    canned: CannedReplies | None
    assist: AssistConsole | None
    claims: EventClaims

    def _working(self) -> AbstractAsyncContextManager[None]:
        """Track the listener's task so a stop can wait for it (``SlackChannel``)."""
        raise NotImplementedError

    def listen(self, app: AsyncApp) -> None:
        """Register every listener on ``app``."""
        app.command(COMMAND)(self._command)
        app.action(ORDER_BUTTONS)(self._order_button)
        app.action(PAGE_BUTTONS)(self._page_button)
        app.action("usher:take")(self._take)
        app.action("usher:close")(self._close)
        app.action("usher:forget")(self._forget)
        app.view(CONTACT_FORM)(self._contact)
        app.action(LINK_PICK)(self._link_pick)
        app.action(SEND_TICKETS)(self._send_tickets)
        app.action(SEND_CODE)(self._send_code)
        app.action(CANNED_MENU)(self._canned_pick)
        app.view(CANNED_FORM)(self._canned_send)
        app.event("message")(self._message)

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

    async def _as_agent(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        respond: AsyncRespond,
        work: Callable[[Ask], Awaitable[str | None]],
        action: str,
    ) -> None:
        """Acknowledge, refuse anyone who is not an agent, then ``work``: its note (if any) and
        any failure are told to the agent."""
        async with self._working():
            await ack()
            ask = await self._agent(body, respond)
            if ask is not None:
                async with answering(ask, action):
                    note = await work(ask)
                    if note is not None:
                        await ask.say(note)

    async def _order_button(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        verb = str(action["action_id"]).removeprefix("usher:")
        handler = {
            "details": self.support.details,
            "tickets": self.support.tickets,
            "resend": self.support.resend,
            "edit": self.support.edit,
        }[verb]
        value = str(action.get("value") or "")
        await self._as_agent(ack, body, respond, lambda ask: _none(handler(ask, value)), verb)

    async def _page_button(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        kind = str(action["action_id"]).removeprefix("usher:").removesuffix("_page")
        value = str(action.get("value") or "")
        await self._as_agent(
            ack, body, respond, lambda ask: _none(self.support.page(ask, kind, value)), kind
        )

    async def _take(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await self._as_agent(
            ack, body, respond, lambda _: self.handoff.take(body, self.client), "take"
        )

    async def _close(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await self._as_agent(
            ack, body, respond, lambda _: self.handoff.close(body, self.client), "close"
        )

    async def _forget(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await self._as_agent(
            ack, body, respond, lambda _: self.handoff.forget_proofs(body, self.client), "forget"
        )

    async def _send_tickets(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        value, assist = str(action.get("value") or ""), self.assist

        async def send(ask: Ask) -> None:
            if assist is not None:
                await assist.send_tickets(ask, value)

        await self._as_agent(ack, body, respond, send, "send_tickets")

    async def _send_code(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        value, assist = str(action.get("value") or ""), self.assist

        async def send(ask: Ask) -> None:
            if assist is not None:
                await assist.send_code(ask, value)

        await self._as_agent(ack, body, respond, send, "send_code")

    async def _link_pick(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        async with self._working():
            await ack()
            ask = Ask(str(body["user"]["id"]), self.client, respond, body.get("trigger_id"))
            if not self.roles.is_marketer(ask.user):
                await ask.say(staff("refused"))
                return
            await self.marketing.pick(ask, action)

    async def _canned_pick(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        canned = self.canned

        async def pick(ask: Ask) -> None:
            if canned is not None:
                await canned.pick(ask, body, action)

        await self._as_agent(ack, body, respond, pick, "canned")

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


async def _none(work: Awaitable[None]) -> None:
    """Await ``work``, which leaves nothing to tell (it answers the person itself)."""
    await work
