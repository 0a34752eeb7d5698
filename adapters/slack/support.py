"""The support agents' part of ``/usher``: find, event, audit, and the buttons on each order.

Translation only: the lookups, the checks and the audit trail are ``handlers.support`` and
``handlers.support_contact``; here they become Block Kit, DMs, uploads and a modal. The role
check happens before any of this is called (``adapters.slack.app``), for buttons as for commands.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from adapters.qr import qr_png
from adapters.slack.blocks import (
    contact_form,
    escape,
    order_details,
    order_list,
    plain_section,
    read_page,
    section,
    submitted_contact,
)
from adapters.slack.console import Ask, answering
from bot.copy import staff
from bot.formatting import mask_email, mask_text, when
from bot.staff import RATING_DAYS, AuditLog, StaffError, summarise_ratings
from handlers.support import Found, SupportDesk
from handlers.support_contact import (
    ORDER_FIELDS,
    Contact,
    ContactEditor,
    ContactInvalid,
    changes,
)

#: Files in one upload; an order with more tickets is unusual and gets the first ones.
MAX_TICKET_FILES = 50


class SupportConsole:
    """Answers agents' commands and button presses."""

    def __init__(
        self, desk: SupportDesk, editor: ContactEditor, audit: AuditLog, tz: ZoneInfo
    ) -> None:
        self.desk = desk
        self.editor = editor
        self.audit = audit
        self.tz = tz

    # --- commands ---------------------------------------------------------------------------

    async def find(self, ask: Ask, text: str, page: int = 1, *, replace: bool = False) -> None:
        """``/usher find <email | phone | order id>`` (and its paging buttons)."""
        async with answering(ask, "find"):
            found = await self.desk.find(ask.user, text, page)
            await self._list(ask, found, "find", text, replace=replace)

    async def event(self, ask: Ask, text: str, page: int = 1, *, replace: bool = False) -> None:
        """``/usher event <eventId>`` (and its paging buttons)."""
        async with answering(ask, "event"):
            event_id = text.strip()
            found = await self.desk.event(ask.user, event_id, page)
            await self._list(ask, found, "event", event_id, replace=replace)

    async def show_audit(self, ask: Ask, text: str) -> None:
        """``/usher audit [order id]``: the newest entries (and the week's fan ratings)."""
        async with answering(ask, "audit"):
            order = text.strip().lstrip("#") or None
            entries = await self.audit.latest(order=order)
            ratings = "" if order else await self._ratings()
            if not entries:
                await ask.say("\n".join(filter(None, [ratings, staff("audit_empty")])))
                return
            lines = [
                staff(
                    "audit_line",
                    when=when(datetime.fromtimestamp(e.at, UTC), self.tz),
                    who=e.who,
                    action=e.action,
                    order=f" · order {escape(e.order)}" if e.order else "",
                    detail=f" · {escape(e.detail)}" if e.detail else "",
                )
                for e in entries
            ]
            title = (
                staff("audit_title_order", order=escape(order)) if order else staff("audit_title")
            )
            blocks = [section(ratings)] if ratings else []
            blocks.append(section(title + "\n" + "\n".join(lines)))
            await ask.say(title, blocks)

    async def _ratings(self) -> str:
        """The fans' ratings of the last :data:`RATING_DAYS` days, in one line."""
        since = datetime.now(UTC).timestamp() - RATING_DAYS * 86400
        summary = summarise_ratings(await self.audit.ratings(since))
        if summary.average is None:
            return staff("audit_ratings_none", days=RATING_DAYS)
        return staff(
            "audit_ratings",
            days=RATING_DAYS,
            count=summary.count,
            average=f"{summary.average:.1f}",
        )

    async def _list(self, ask: Ask, found: Found, kind: str, query: str, *, replace: bool) -> None:
        if not found.orders:
            await ask.say(staff(f"{kind}_none"), replace=replace)
            return
        title = staff(f"{kind}_title", total=found.total, query=escape(mask_text(query)))
        blocks = order_list(found, self.tz, title, f"usher:{kind}_page", query)
        await ask.say(title, blocks, replace=replace)

    # --- buttons on an order ----------------------------------------------------------------

    async def page(self, ask: Ask, kind: str, value: str) -> None:
        """Previous/next page of a ``find`` or ``event`` answer, in place."""
        query, page = read_page(value)
        if kind == "find":
            await self.find(ask, query, page, replace=True)
        else:
            await self.event(ask, query, page, replace=True)

    async def details(self, ask: Ask, order_id: str) -> None:
        """The whole order, in the agent's DM."""
        async with answering(ask, "details"):
            order = await self.desk.order(ask.user, order_id)
            details = order_details(order, self.tz)
            await ask.dm(escape(details), blocks=[plain_section(details)])
            await ask.say(staff("sent_to_dm", number=order.order_number or order.id))

    async def tickets(self, ask: Ask, order_id: str) -> None:
        """The order's valid tickets as QR code images, uploaded into the agent's DM."""
        async with answering(ask, "tickets"):
            order, tickets = await self.desk.tickets(ask.user, order_id)
            number = order.order_number or order.id
            if not tickets:
                await ask.say(staff("tickets_none", number=number))
                return
            uploads = []
            for index, (item, ticket) in enumerate(tickets[:MAX_TICKET_FILES], start=1):
                title = staff(
                    "ticket_title",
                    event=item.event_name or "?",
                    when=staff("date_hidden")
                    if order.dates_hidden
                    else when(item.event_start_time, self.tz),
                    type=item.ticketing_type_name or "",
                    index=index,
                    count=len(tickets),
                )
                uploads.append(
                    {
                        "file": qr_png(ticket.uuid),
                        "filename": f"ticket-{number}-{index}.png",
                        "title": title,
                        "alt_txt": title,
                    }
                )
            await ask.client.files_upload_v2(
                channel=await ask.dm_channel(),
                file_uploads=uploads,
                initial_comment=staff("tickets_comment", number=number, count=len(tickets)),
            )
            await ask.say(staff("tickets_sent", number=number, count=len(uploads)))

    async def resend(self, ask: Ask, order_id: str) -> None:
        """ACME mails the confirmation again, to the order's email."""
        async with answering(ask, "resend"):
            order = await self.desk.resend(ask.user, order_id)
            await ask.say(
                staff(
                    "resent", number=order.order_number or order.id, email=mask_email(order.email)
                )
            )

    async def edit(self, ask: Ask, order_id: str) -> None:
        """Open the contact form, prefilled with the order's current details.

        A ``trigger_id`` is good for 3 seconds, so nothing but reading the order comes first.
        """
        async with answering(ask, "edit"):
            if ask.trigger_id is None:
                raise StaffError("error")
            order = await self.desk.order(ask.user, order_id, "edit_form")
            await ask.client.views_open(
                trigger_id=ask.trigger_id, view=contact_form(order, Contact.of(order))
            )

    async def contact_submitted(
        self, ack: AsyncAck, view: dict[str, Any], user: str, client: AsyncWebClient
    ) -> None:
        """Check the form (errors shown in it), close it, then write to ACME and tell the agent.

        The checks are local and fast, so they answer within the 3 s Slack allows for a view
        submission; the ACME write comes after the ``ack()`` and its result goes to the DM.
        """
        order_id, was, now = submitted_contact(view)
        if not order_id.isdigit():  # not a form this app opened
            await ack(response_action="errors", errors={"email": staff("error")})
            return
        try:
            update = changes(was, now)
        except ContactInvalid as exc:
            await ack(response_action="errors", errors=exc.errors)
            return
        await ack()
        ask = Ask(user, client, None)
        async with answering(ask, "edit"):
            if not update:
                await ask.dm(staff("contact_unchanged", id=escape(order_id)))
                return
            saved = await self.editor.save(user, order_id, update)
            fields = ", ".join(staff(f"field_{n}") for n in _form_fields(update))
            await ask.dm(
                staff("contact_saved", number=saved.order_number or saved.id, fields=fields)
            )


def _form_fields(update: dict[str, str | None]) -> list[str]:
    return [name for name, field in ORDER_FIELDS.items() if field in update]
