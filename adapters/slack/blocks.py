"""Block Kit for the staff console: order lists, order details, the contact form, paging.

Order fields (names, emails, event names: what fans and ACME wrote) go to Slack as
``plain_text``, never mrkdwn, so nothing in them is read as markup, a link or a mention.

Two renderings of an order on purpose: :func:`order_line` is *masked* (initials, ``j***e@…``,
``***7890``) because it is shown where others may see it (ephemeral answers get screenshotted,
handoff threads are read by the whole channel); :func:`order_details` is whole and only ever
sent to the agent's own DM with the bot. Every value that came from a fan or ACME is escaped,
so a name like ``<!channel>`` cannot ping anyone.
"""

from __future__ import annotations

import json
import re
from typing import Any
from zoneinfo import ZoneInfo

from bot import copy
from bot.acme.models import Order
from bot.formatting import mask_email, mask_name, mask_phone, money, when
from handlers.order_text import event_names, first_event_time, item_name, status_key
from handlers.support import Found
from handlers.support_contact import Contact

Block = dict[str, Any]
#: Section text limit is 3,000 characters; stay under it with room for the markup.
SECTION_LIMIT = 2900
ORDER_ACTIONS = (
    ("details", "button_details"),
    ("tickets", "button_tickets"),
    ("resend", "button_resend"),
    ("edit", "button_edit"),
)
CONTACT_FORM = "usher:contact"
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone")


#: Slack's markup for links and mentions: ``<https://x|label>``, ``<mailto:a@b|a@b>``, ``<@U1>``.
SLACK_MARKUP = re.compile(r"<([^<>|]+)(?:\|([^<>]+))?>")


def escape(text: str) -> str:
    """Slack's three control characters, as its docs ask (``&`` first)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """The inverse of :func:`escape` (``&`` last)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def as_typed(text: str) -> str:
    """Command text as the person typed it: Slack may send an email as
    ``<mailto:jane@example.com|jane@example.com>`` or a number as ``<tel:...|...>``."""

    def typed(match: re.Match[str]) -> str:
        return match.group(2) or match.group(1).removeprefix("mailto:").removeprefix("tel:")

    return unescape(SLACK_MARKUP.sub(typed, text))


def section(text: str) -> Block:
    """A mrkdwn section (cut to fit)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_LIMIT]}}


def plain_section(text: str) -> Block:
    """A section whose text Slack shows as typed: no markup, links, mentions or emoji codes."""
    return {"type": "section", "text": {"type": "plain_text", "text": text[:SECTION_LIMIT]}}


def plain_context(text: str, block_id: str | None = None) -> Block:
    """Small grey text shown as typed (see :func:`plain_section`)."""
    block: Block = {
        "type": "context",
        "elements": [{"type": "plain_text", "text": text[:SECTION_LIMIT], "emoji": False}],
    }
    if block_id is not None:
        block["block_id"] = block_id
    return block


def quoted(lines: list[str], block_id: str | None = None) -> Block:
    """Someone else's words (a fan's) as a quote of plain text: ``rich_text`` text elements are
    never parsed for markup, so a newline cannot end the quote and ``*bold*`` stays literal."""
    text = "\n".join(lines)[:SECTION_LIMIT] or "-"
    block: Block = {
        "type": "rich_text",
        "elements": [{"type": "rich_text_quote", "elements": [{"type": "text", "text": text}]}],
    }
    if block_id is not None:
        block["block_id"] = block_id
    return block


def context(text: str) -> Block:
    """Small grey text under a message."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:SECTION_LIMIT]}]}


def button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    """A button; ``value`` comes back untrusted in the action payload."""
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label[:75]},
        "action_id": action_id,
        "value": value,
    }
    if style is not None:
        element["style"] = style
    return element


def actions(*elements: Block) -> Block:
    """A row of buttons."""
    return {"type": "actions", "elements": list(elements)}


def order_line(order: Order, tz: ZoneInfo) -> str:
    """One order, masked: number, events, date, amount, status, initials, email, phone."""
    number = order.order_number or order.id
    events = ", ".join(event_names(order)) or "-"
    moment = (
        copy.staff("date_hidden")
        if order.dates_hidden
        else when(first_event_time(order) or order.created_on or order.creation_date, tz)
    )
    status = copy.text(status_key(order))
    who = mask_name(order.contact_first_name, order.contact_last_name)
    contact = f"{who} · {mask_email(order.email)} · {mask_phone(order.phone_number)}"
    facts = f"{moment} · {money(order.total_amount)} · {status}"
    return f"#{number} (id {order.id}) · {events}\n{facts}\n{contact}"  # plain text


def order_list(found: Found, tz: ZoneInfo, title: str, page_action: str, query: str) -> list[Block]:
    """A page of orders, each with its buttons, and prev/next buttons when there are more."""
    blocks = [section(title)]
    for order in found.orders:
        blocks.append(plain_section(order_line(order, tz)))
        blocks.append(
            actions(
                *(
                    button(copy.staff(label), f"usher:{verb}", order.id)
                    for verb, label in ORDER_ACTIONS
                )
            )
        )
    paging = []
    if found.page > 1:
        paging.append(button(copy.staff("button_prev"), page_action, _page(query, found.page - 1)))
    if found.page < found.pages:
        paging.append(button(copy.staff("button_next"), page_action, _page(query, found.page + 1)))
    if paging:
        blocks.append(context(copy.staff("page_of", page=found.page, pages=found.pages)))
        blocks.append(actions(*paging))
    return blocks


def _page(query: str, page: int) -> str:
    return json.dumps({"q": query, "p": page}, separators=(",", ":"))


def read_page(value: str) -> tuple[str, int]:
    """The query and page of a paging button (untrusted: bad values give page 1 of "")."""
    try:
        data = json.loads(value)
        query, page = str(data["q"]), int(data["p"])
    except (ValueError, KeyError, TypeError):
        return "", 1
    return query, max(1, min(page, 10_000))


def order_details(order: Order, tz: ZoneInfo) -> str:
    """The whole order, personal data included, as plain text: for the agent's DM only."""
    name = " ".join(p for p in (order.contact_first_name, order.contact_last_name) if p) or "-"
    items = "\n".join(
        f"• {item_name(item)} × {item.quantity}"
        + (
            f" · {when(item.event_start_time, tz)}"
            if item.event_start_time and not order.dates_hidden
            else ""
        )
        + f" — {money(item.amount)}"
        for item in order.order_items
    )
    return copy.staff(
        "details",
        number=order.order_number or order.id,
        id=order.id,
        status=copy.text(status_key(order)),
        placed=when(order.created_on or order.creation_date, tz),
        name=name,
        email=order.email or "-",
        phone=order.phone_number or "-",
        items=items or "-",
        amount=money(order.total_amount),
        paid=money(order.paid_amount),
    )


def contact_form(order: Order, contact: Contact) -> Block:
    """The modal that edits an order's contact details, prefilled with the current ones."""
    blocks = []
    for name in CONTACT_FIELDS:
        element: Block = {"type": "plain_text_input", "action_id": "value"}
        current = getattr(contact, name)
        if current:
            element["initial_value"] = current
        if name == "email":
            element["type"] = "email_text_input"
        blocks.append(
            {
                "type": "input",
                "block_id": name,
                "optional": name != "email",
                "label": {"type": "plain_text", "text": copy.staff(f"field_{name}")},
                "element": element,
            }
        )
    title = copy.staff("contact_title", number=order.order_number or order.id)
    return {
        "type": "modal",
        "callback_id": CONTACT_FORM,
        "title": {"type": "plain_text", "text": title[:24]},
        "submit": {"type": "plain_text", "text": copy.staff("contact_save")},
        "close": {"type": "plain_text", "text": copy.staff("contact_cancel")},
        "private_metadata": json.dumps({"order": order.id, "was": contact.to_json()}),
        "blocks": blocks,
    }


def submitted_contact(view: dict[str, Any]) -> tuple[str, Contact, Contact]:
    """Order id, details as the form opened and as submitted, from a view_submission."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    if not isinstance(meta, dict):
        meta = {}
    values = view.get("state", {}).get("values", {})
    now = {
        name: values.get(name, {}).get("value", {}).get("value") or "" for name in CONTACT_FIELDS
    }
    return str(meta.get("order", "")), Contact.from_json(meta.get("was")), Contact(**now)
