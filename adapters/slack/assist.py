"""The agent's side of a taken handoff: who the fan is, in a DM, and acting for them.

When an agent takes a handoff (``adapters.slack.handoff``), :meth:`AssistConsole.on_take`
sends the agent, in their own DM with the bot and nowhere else, what the bot knows
(``handlers.assist``): what the fan proved, in full; their upcoming orders as cards, each with
**Send tickets to the fan**, Details and Resend confirmation; and their last messages,
unmasked. The handoff message in the channel keeps the masked summary and says who took it.

**Send tickets to the fan** works only for the agent who took the handoff while it is open,
and only for an order the fan has proved (``FanAssist.send_tickets`` checks, not the button):
otherwise nothing is sent and the agent is offered **Send the fan a verification code** (to
the order's own email). The buttons carry the handoff and the order; both are checked again.

Fan text and order fields are shown as text (``rich_text`` and ``plain_text``), never mrkdwn,
so nothing a fan typed or ACME stored can format, link or ping.
"""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import (
    SECTION_LIMIT,
    Block,
    actions,
    button,
    escape,
    plain_section,
    quoted,
    section,
)
from adapters.slack.console import Ask, answering
from adapters.store.handoff_queue import HandoffBoard, HandoffRecord, Thread
from bot import copy
from bot.acme.models import Order
from bot.formatting import money, when
from bot.staff import StaffError
from handlers.assist import FanAssist, FanContext, NotVerified
from handlers.order_text import event_names, first_event_time, status_key

log = structlog.get_logger("usher.slack.assist")

SEND_TICKETS = "usher:send_tickets"
SEND_CODE = "usher:send_code"


def value_of(thread: Thread, order_id: str) -> str:
    """A button's value: the handoff (channel and ts) and the order."""
    return json.dumps({"c": thread.channel, "t": thread.ts, "o": order_id}, separators=(",", ":"))


def read_value(value: str) -> tuple[Thread, str] | None:
    """The handoff and the order of a button's (untrusted) value; None when malformed."""
    try:
        data = json.loads(value)
        return Thread(str(data["c"]), str(data["t"])), str(data["o"])
    except (ValueError, KeyError, TypeError):
        return None


def context_blocks(found: FanContext, record: HandoffRecord, tz: ZoneInfo) -> list[Block]:
    """The DM an agent gets on taking a handoff (everything in full: it is theirs alone)."""
    blocks = [section(copy.staff("assist_title", channel=escape(record.fan.channel)))]
    proofs = [copy.staff("assist_proof_email", email=e) for e in sorted(found.verified.emails)]
    proofs += [copy.staff("assist_proof_phone", phone=p) for p in sorted(found.verified.phones)]
    if proofs:
        blocks.append(section(copy.staff("assist_verified_title")))
        blocks.append(plain_section("\n".join(proofs)))
    else:
        blocks.append(section(copy.staff("assist_not_verified")))
    blocks.append(section(copy.staff("assist_history")))
    blocks.append(quoted(_latest(found.history) or [copy.staff("assist_history_none")]))
    if found.verified.anything:
        title = "assist_orders" if found.orders else "assist_orders_none"
        blocks.append(section(copy.staff(title, count=len(found.orders))))
    for order in found.orders:
        blocks.append(plain_section(card(order, tz)))
        blocks.append(
            actions(
                button(
                    copy.staff("button_send_tickets"),
                    SEND_TICKETS,
                    value_of(record.thread, order.id),
                    "primary",
                ),
                button(copy.staff("button_details"), "usher:details", order.id),
                button(copy.staff("button_resend"), "usher:resend", order.id),
            )
        )
    return blocks


def _latest(lines: list[str]) -> list[str]:
    """The newest lines that fit one block (a quote is cut from its start otherwise)."""
    kept: list[str] = []
    room = SECTION_LIMIT
    for line in reversed(lines):
        room -= len(line) + 1
        if room < 0:
            break
        kept.append(line)
    return kept[::-1]


def card(order: Order, tz: ZoneInfo) -> str:
    """One order for the agent: number, events, first date, amount, status (no contact line:
    the fan's proven contacts are at the top, once)."""
    events = ", ".join(event_names(order)) or "-"
    moment = when(first_event_time(order), tz)
    status = copy.text(status_key(order))
    number = order.order_number or order.id
    return (
        f"#{number} (id {order.id}) · {events}\n{moment} · {money(order.total_amount)} · {status}"
    )


class AssistConsole:
    """The take's DM and the two buttons that act for the fan."""

    def __init__(self, assist: FanAssist, board: HandoffBoard, tz: ZoneInfo) -> None:
        self.assist = assist
        self.board = board
        self.tz = tz

    async def on_take(self, client: AsyncWebClient, agent: str, record: HandoffRecord) -> None:
        """Send the agent who just took ``record`` the fan's context, in their DM."""
        ask = Ask(agent, client, None)
        async with answering(ask, "fan_context"):
            found = await self.assist.context(agent, record.fan)
            blocks = context_blocks(found, record, self.tz)
            await ask.dm(copy.staff("assist_title", channel=record.fan.channel), blocks)

    async def send_tickets(self, ask: Ask, value: str) -> None:
        """**Send tickets to the fan**: delivered, or refused with the offer of a code."""
        async with answering(ask, "send_tickets"):
            record, order_id = await self._taken(ask, value)
            result = await self.assist.send_tickets(ask.user, record.fan, order_id)
            if isinstance(result, NotVerified):
                await self._offer_code(ask, record, result)
                return
            await ask.say(copy.staff("assist_sent", number=result.number, count=result.count))
            await ask.client.chat_postMessage(
                channel=record.thread.channel,
                thread_ts=record.thread.ts,
                text=copy.staff("assist_sent_thread", agent=ask.user, number=result.number),
            )

    async def send_code(self, ask: Ask, value: str) -> None:
        """**Send the fan a verification code**: to the order's own email."""
        async with answering(ask, "send_code"):
            record, order_id = await self._taken(ask, value)
            shown = await self.assist.send_code(ask.user, record.fan, order_id)
            await ask.say(copy.staff("assist_code_sent_agent", email=shown), replace=True)

    async def _offer_code(self, ask: Ask, record: HandoffRecord, refused: NotVerified) -> None:
        if refused.email is None:
            await ask.say(copy.staff("assist_not_verified_no_email", id=refused.order_id))
            return
        text = copy.staff("assist_not_verified_order", id=refused.order_id, email=refused.email)
        offer = button(
            copy.staff("button_send_code"), SEND_CODE, value_of(record.thread, refused.order_id)
        )
        await ask.say(text, [section(text), actions(offer)])

    async def _taken(self, ask: Ask, value: str) -> tuple[HandoffRecord, str]:
        """The handoff and order of a button, when ``ask.user`` took it and it is open."""
        read = read_value(value)
        record = await self.board.get(read[0]) if read is not None else None
        if read is None or record is None:
            raise StaffError("handoff_unknown")
        if record.closed_by is not None:
            raise StaffError("handoff_reply_closed")
        if record.agent != ask.user:
            raise StaffError("canned_not_yours")
        return record, read[1]
