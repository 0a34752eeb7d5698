"""Canned replies in a handoff: a menu on the handoff message, a modal to edit, then the fan.

The agent who took a handoff picks a reply from the "Canned reply…" menu (a ``static_select``
beside "Close"; its options are ``config/staff.toml``'s ``[[canned]]`` labels). A modal opens
with the reply's text in the fan's language, which the agent may edit; "Send" delivers it to
the fan on their own channel, exactly like a reply typed in the thread, and posts a copy in
the thread so the thread stays the whole conversation. Only the taker of an open handoff can
send: the check is made when the menu is used and again when the modal is submitted (the
handoff may have been closed meanwhile), and the menu's choice is looked up by id, never
taken from the payload as text.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import Block, escape
from adapters.slack.console import Ask
from adapters.slack.handoff import HandoffDesk, pressed
from adapters.store.handoff_queue import HandoffRecord, Thread
from bot import copy
from bot.staff_config import MAX_TEXT, CannedReply

MENU = "usher:canned"
FORM = "usher:canned_send"
TEXT_BLOCK = "text"


def canned_menu(replies: tuple[CannedReply, ...]) -> Block:
    """The "Canned reply…" select for the handoff message's actions row."""
    return {
        "type": "static_select",
        "action_id": MENU,
        "placeholder": {"type": "plain_text", "text": copy.staff("canned_placeholder")},
        "options": [
            {"text": {"type": "plain_text", "text": reply.label}, "value": reply.id}
            for reply in replies
        ],
    }


def canned_form(reply: CannedReply, record: HandoffRecord) -> Block:
    """The modal that shows the reply in the fan's language, editable, with "Send"."""
    meta = {"channel": record.thread.channel, "ts": record.thread.ts, "id": reply.id}
    return {
        "type": "modal",
        "callback_id": FORM,
        "title": {"type": "plain_text", "text": copy.staff("canned_title")},
        "submit": {"type": "plain_text", "text": copy.staff("canned_send")},
        "close": {"type": "plain_text", "text": copy.staff("contact_cancel")},
        "private_metadata": json.dumps(meta),
        "blocks": [
            {
                "type": "input",
                "block_id": TEXT_BLOCK,
                "label": {
                    "type": "plain_text",
                    "text": copy.staff("canned_label", lang=record.lang),
                },
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": MAX_TEXT,
                    "initial_value": reply.text(record.lang),
                },
            }
        ],
    }


class CannedReplies:
    """The menu's listener and the modal's submission (both check the taker)."""

    def __init__(self, desk: HandoffDesk, replies: tuple[CannedReply, ...]) -> None:
        self.desk = desk
        self.replies = replies

    def by_id(self, reply_id: str) -> CannedReply | None:
        """A configured reply (the payload's id is untrusted)."""
        return next((r for r in self.replies if r.id == reply_id), None)

    async def pick(self, ask: Ask, body: dict[str, Any], action: dict[str, Any]) -> None:
        """A reply was picked from the menu: open the modal, for the taker only."""
        agent, thread, _ = pressed(body)
        reply = self.by_id(str((action.get("selected_option") or {}).get("value") or ""))
        record = await self.desk.board.get(thread)
        refusal = "canned_unknown" if reply is None else self._refusal(record, agent)
        if refusal is not None or record is None or reply is None:
            await ask.say(copy.staff(refusal or "handoff_unknown"))
            return
        if ask.trigger_id is None:
            await ask.say(copy.staff("error"))
            return
        await ask.client.views_open(trigger_id=ask.trigger_id, view=canned_form(reply, record))

    async def submitted(
        self, ack: AsyncAck, view: dict[str, Any], agent: str, client: AsyncWebClient
    ) -> None:
        """The modal's "Send": checks, then the text goes to the fan and into the thread."""
        thread, reply_id = _meta(view)
        text = _typed(view)
        if thread is None or not text.strip():
            await ack(response_action="errors", errors={TEXT_BLOCK: copy.staff("canned_empty")})
            return
        record = await self.desk.board.get(thread)
        note = self._refusal(record, agent)
        if note is not None or record is None:
            await ack(
                response_action="errors",
                errors={TEXT_BLOCK: copy.staff(note or "handoff_unknown")},
            )
            return
        await ack()
        text = text.strip()
        if await self.desk.send_to_fan(client, record, agent, text, f"canned {reply_id}"):
            await client.chat_postMessage(
                channel=thread.channel,
                thread_ts=thread.ts,
                text=copy.staff("canned_posted", agent=agent, text=escape(text)),
            )

    @staticmethod
    def _refusal(record: HandoffRecord | None, agent: str) -> str | None:
        """Why ``agent`` may not answer in this handoff now (a ``[slack]`` key), or None."""
        if record is None:
            return "handoff_unknown"
        if record.closed_by is not None:
            return "handoff_reply_closed"
        if record.agent is None:
            return "handoff_take_first"
        if record.agent != agent:
            return "canned_not_yours"
        return None


def _meta(view: dict[str, Any]) -> tuple[Thread | None, str]:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        return Thread(str(meta["channel"]), str(meta["ts"])), str(meta.get("id") or "")
    except (ValueError, KeyError, TypeError):
        return None, ""


def _typed(view: dict[str, Any]) -> str:
    values = view.get("state", {}).get("values", {})
    return str(values.get(TEXT_BLOCK, {}).get("value", {}).get("value") or "")
