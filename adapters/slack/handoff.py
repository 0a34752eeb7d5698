"""Human handoff in Slack: fans' requests become messages in the handoff channel, agents answer.

The flow, and where each step's state lives (``adapters.store.handoff_queue``):

1. A fan asks for a person: a ``request`` entry in the Redis stream ``handoff``.
2. ``HandoffConsumer`` (one per process, all in one consumer group, so several processes
   share the work and each entry is handled once) posts it to ``USHER_SLACK_HANDOFF_CHANNEL``
   with the conversation so far, masked, and a "Take it" button, then XACKs. An entry a
   process read but never acknowledged (it died) is claimed by another after
   ``RECLAIM_IDLE_MS``; an entry that fails (Slack down) is retried the same way. So a
   request is posted at least once: a crash between posting and XACK can post it twice, which
   beats losing it.
3. "Take it" records the agent (first press wins) and updates the message: "Close" ends it,
   and a "Canned reply…" menu (``adapters.slack.canned``) offers ``config/staff.toml``'s
   ready-made answers. Closing asks the fan to rate the help (``handlers.handoff``). "Forget
   verification" (after a confirmation) drops everything the fan proved, as their own
   "forget me" would: for a fan whose phone or mailbox is no longer theirs. Audited.
4. The taker's replies in the message's thread go to the fan on their own channel through the
   Messenger; other people's thread replies are internal notes and stay in Slack. What the fan
   writes meanwhile arrives as ``message`` entries and is posted into the thread, masked.

Steps 2 and 4's posting are ``adapters.slack.handoff_consumer``; the buttons and the thread
replies are :class:`HandoffDesk` here.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import SLACK_MARKUP, Block, actions, button, context, unescape
from adapters.slack.handoff_consumer import KEPT_BLOCKS
from adapters.store.handoff_queue import HandoffBoard, HandoffRecord, Thread
from bot import copy
from bot.messages import Fan, Reply
from bot.outbound import Messenger, Unreachable
from bot.staff import AuditLog, Roles
from handlers.handoff import rating_question


def plain(text: str) -> str:
    """An agent's Slack message as plain text for a fan's channel."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("@", "#", "!")):
            return f"@{label}" if label and target.startswith("@") else (label or "")
        shown = target.removeprefix("mailto:").removeprefix("tel:")
        return f"{label} ({shown})" if label and label != shown else shown

    return unescape(SLACK_MARKUP.sub(link, text)).strip()


class HandoffDesk:
    """Take, close and the agent's thread replies."""

    def __init__(
        self,
        board: HandoffBoard,
        messenger: Messenger,
        audit: AuditLog,
        roles: Roles,
        *,
        menu: Block | None = None,
        forget: Callable[[Fan], Awaitable[None]] | None = None,
    ) -> None:
        self.board = board
        self.messenger = messenger
        self.audit = audit
        self.roles = roles
        #: The "Canned reply…" select shown beside "Close" (None: no canned replies).
        self.menu = menu
        #: Drops a fan's proofs (``bot.identity.Identity.forget``); None: no such button.
        self.forget = forget

    async def take(self, body: dict[str, Any], client: AsyncWebClient) -> str | None:
        """The "Take it" button; returns a note for the agent, or None when all went well."""
        agent, thread, message = pressed(body)
        record = await self.board.get(thread)
        if record is None:
            return copy.staff("handoff_unknown")
        if record.closed_by is not None:
            return copy.staff("handoff_closed_already", agent=record.closed_by)
        if record.agent == agent:  # a second press of the same agent: nothing new to do
            return None
        holder = await self.board.take(thread, agent)
        if holder != agent:
            return copy.staff("handoff_taken_already", agent=holder)
        await self.board.touch(record.fan, thread)
        await self.audit.record(agent, "take", detail=record.fan.key)
        await self._redraw(client, thread, message, copy.staff("handoff_taken", agent=agent), True)
        await self._tell_fan(client, record, [Reply(copy.text("human_taken", record.lang))])
        return None

    async def close(self, body: dict[str, Any], client: AsyncWebClient) -> str | None:
        """The "Close" button: the fan is told and asked to rate the help; their messages go
        back to the bot."""
        agent, thread, message = pressed(body)
        record = await self.board.close(thread, agent)
        if record is None:
            return copy.staff("handoff_not_open")
        await self.audit.record(agent, "close", detail=record.fan.key)
        await self._redraw(
            client, thread, message, copy.staff("handoff_closed", agent=agent), False
        )
        closed = Reply(copy.text("human_closed", record.lang))
        await self._tell_fan(client, record, [closed, rating_question(record.lang)])
        return None

    async def forget_proofs(self, body: dict[str, Any], client: AsyncWebClient) -> str:
        """The "Forget verification" button: the fan's proofs are dropped (audited) and the fan
        is told; returns the note for the agent. Any agent may press it while the handoff is
        open, as any agent may take one."""
        agent, thread, _ = pressed(body)
        record = await self.board.get(thread)
        if record is None or self.forget is None:
            return copy.staff("handoff_unknown")
        if record.closed_by is not None:
            return copy.staff("handoff_closed_already", agent=record.closed_by)
        await self.forget(record.fan)
        await self.audit.record(agent, "forget_proofs", detail=record.fan.key)
        await self._tell_fan(client, record, [Reply(copy.text("forgot_by_staff", record.lang))])
        return copy.staff("handoff_forgot")

    async def reply(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        """A message in a handoff thread: the taker's reaches the fan, others stay notes."""
        thread_ts, user = event.get("thread_ts"), event.get("user")
        if not thread_ts or thread_ts == event.get("ts") or not user:
            return
        if event.get("subtype") not in (None, "thread_broadcast"):
            return
        thread = Thread(str(event.get("channel")), str(thread_ts))
        record = await self.board.get(thread)
        if record is None or not self.roles.is_agent(user):
            return
        note = None
        if record.closed_by is not None:
            note = "handoff_reply_closed"
        elif record.agent is None:
            note = "handoff_take_first"
        if note is not None:
            await _ephemeral(client, thread, user, copy.staff(note))
            return
        if record.agent != user:
            return
        text = plain(str(event.get("text") or ""))
        if text:
            await self.send_to_fan(client, record, user, text)

    async def send_to_fan(
        self, client: AsyncWebClient, record: HandoffRecord, agent: str, text: str, how: str = ""
    ) -> bool:
        """The taker's words to the fan on their channel, audited; False (the agent told)
        when the fan cannot be reached."""
        try:
            await self.messenger.send(record.fan, [Reply(text)])
        except Unreachable:
            await _ephemeral(client, record.thread, agent, copy.staff("handoff_unreachable"))
            return False
        await self.board.touch(record.fan, record.thread)
        detail = f"{record.fan.key} {how}".strip()
        await self.audit.record(agent, "reply", detail=detail)
        return True

    async def _redraw(
        self,
        client: AsyncWebClient,
        thread: Thread,
        message: dict[str, Any],
        status: str,
        open_: bool,
    ) -> None:
        """The handoff message with a new status line; "Close" and the menu while open."""
        # The title, the verification line and the fan's words stay; the status is replaced.
        kept = [
            b
            for b in message.get("blocks") or []
            if b.get("type") == "section" or b.get("block_id") in KEPT_BLOCKS
        ]
        blocks = [*kept, context(status)]
        if open_:
            close = button(copy.staff("button_close"), "usher:close", "close", "danger")
            extra = [self.menu] if self.menu else []
            if self.forget is not None:
                extra.append(forget_button())
            blocks.append(actions(close, *extra))
        await client.chat_update(channel=thread.channel, ts=thread.ts, text=status, blocks=blocks)

    async def _tell_fan(
        self, client: AsyncWebClient, record: HandoffRecord, replies: list[Reply]
    ) -> None:
        try:
            await self.messenger.send(record.fan, replies)
        except Unreachable:
            await client.chat_postMessage(
                channel=record.thread.channel,
                thread_ts=record.thread.ts,
                text=copy.staff("handoff_unreachable"),
            )


def forget_button() -> Block:
    """ "Forget verification", behind Slack's own confirmation dialog (it cannot be undone;
    the fan verifies again)."""
    element = button(copy.staff("button_forget"), "usher:forget", "forget")
    element["confirm"] = {
        "title": {"type": "plain_text", "text": copy.staff("forget_confirm_title")},
        "text": {"type": "plain_text", "text": copy.staff("forget_confirm_text")},
        "confirm": {"type": "plain_text", "text": copy.staff("forget_confirm_yes")},
        "deny": {"type": "plain_text", "text": copy.staff("forget_confirm_no")},
        "style": "danger",
    }
    return element


def pressed(body: dict[str, Any]) -> tuple[str, Thread, dict[str, Any]]:
    """Who pressed, on which message (the handoff's first message), and that message."""
    message = body.get("message") or {}
    return (
        str(body["user"]["id"]),
        Thread(
            str(body["channel"]["id"]), str(message.get("ts") or body["container"]["message_ts"])
        ),
        message,
    )


async def _ephemeral(client: AsyncWebClient, thread: Thread, user: str, text: str) -> None:
    await client.chat_postEphemeral(
        channel=thread.channel, user=user, thread_ts=thread.ts, text=text
    )
