"""The marketing part of ``/usher``: link, links, revoke, broadcast (logic in
``handlers.marketing``).

``/usher link`` by name may find several events: the answer is a Block Kit ``static_select`` of
them (:data:`PICK`), and picking one makes the link with the rest of the request, which rides
along in the select's ``block_id`` (Slack returns it with the choice; it is the marketer's own
words and is read again with every check). Every new link's QR code, sized for posters (PNG
and SVG), goes to the marketer's DM.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from adapters.qr import poster_png, poster_svg
from adapters.slack.blocks import Block, actions, context, escape, section
from adapters.slack.console import Ask, answering
from bot.buying.purchase_links import PurchaseLink
from bot.copy import staff
from bot.formatting import when
from bot.staff import StaffError
from handlers.marketing import EventChoices, MadeLink, Marketing

#: The action id of the event select, and the prefix of its block's id (options follow).
PICK = "usher:link_pick"
#: Slack's limit for a ``block_id``.
BLOCK_ID_LIMIT = 255
#: Slack's limit for an option's text.
OPTION_LIMIT = 75


class MarketingConsole:
    """Answers marketers' commands."""

    def __init__(self, marketing: Marketing, tz: ZoneInfo) -> None:
        self.marketing = marketing
        self.tz = tz

    async def link(self, ask: Ask, text: str) -> None:
        """``/usher link <event id | name | date> [ticket type] [quantity] [coupon] [expires]``."""
        async with answering(ask, "link"):
            made = await self.marketing.create(ask.user, text)
            if isinstance(made, EventChoices):
                title = staff("link_choose", count=len(made.matches), query=escape(made.query))
                await ask.say(title, self._choices(title, made))
                return
            await self._made(ask, made)

    async def pick(self, ask: Ask, action: dict[str, Any]) -> None:
        """An event picked from the select: the link, in place of the question."""
        async with answering(ask, "link"):
            options = str(action.get("block_id") or "").removeprefix(PICK)
            try:
                words = str(json.loads(options)) if options else ""
            except ValueError:
                raise StaffError("link_usage") from None
            event_id = str((action.get("selected_option") or {}).get("value") or "")
            made = await self.marketing.create_picked(ask.user, event_id, words)
            await self._made(ask, made, replace=True)

    async def _made(self, ask: Ask, made: MadeLink, *, replace: bool = False) -> None:
        link = made.link
        text = staff(
            "link_made",
            event=escape(made.event_name),
            when=self._start(link),
            type=escape(made.ticket_type_name or staff("link_any_type")),
            quantity=link.quantity,
            coupon=escape(link.coupon_code or "-"),
            expires=self._expiry(link),
            telegram=made.telegram_url or staff("link_no_telegram"),
            web=made.web_url,
            code=link.code,
        )
        blocks = [section(text)]
        if made.ignored:
            ignored = ", ".join(f"`{escape(word)}`" for word in made.ignored)
            blocks.append(context(staff("link_ignored", words=ignored)))
        await ask.say(text, blocks, replace=replace)
        await ask.client.files_upload_v2(
            channel=await ask.dm_channel(),
            file_uploads=[
                {
                    "file": poster_png(made.web_url),
                    "filename": f"usher-link-{link.code}.png",
                    "title": staff("link_qr_title", event=made.event_name, kind="PNG"),
                },
                {
                    "file": poster_svg(made.web_url),
                    "filename": f"usher-link-{link.code}.svg",
                    "title": staff("link_qr_title", event=made.event_name, kind="SVG"),
                },
            ],
            initial_comment=staff("link_qr_comment", code=link.code, web=made.web_url),
        )

    def _choices(self, title: str, made: EventChoices) -> list[Block]:
        options = json.dumps(made.options)
        if len(PICK) + len(options) > BLOCK_ID_LIMIT:
            raise StaffError("link_options_too_long")
        select = {
            "type": "static_select",
            "action_id": PICK,
            "placeholder": {"type": "plain_text", "text": staff("link_choose_placeholder")},
            "options": [
                {
                    "text": {"type": "plain_text", "text": self._label(m.name, m.start)},
                    "value": m.instance_id,
                }
                for m in made.matches
            ],
        }
        blocks = [section(title), {**actions(select), "block_id": PICK + options}]
        if made.more:
            blocks.append(context(staff("link_choose_more", count=len(made.matches))))
        return blocks

    def _label(self, name: str, start: datetime | None) -> str:
        moment = when(start, self.tz)
        room = OPTION_LIMIT - len(moment) - 3
        shown = name if len(name) <= room else name[: max(room - 1, 1)] + "…"
        return f"{shown} · {moment}" if moment else name[:OPTION_LIMIT]

    async def links(self, ask: Ask) -> None:
        """``/usher links``: the newest links with their event, figures and conversion."""
        async with answering(ask, "links"):
            report = await self.marketing.report()
            if not report:
                await ask.say(staff("links_none"))
                return
            now = datetime.now(UTC).timestamp()
            lines = [
                staff(
                    "links_line",
                    code=link.code,
                    state=staff(
                        "link_active"
                        if link.usable(now)
                        else ("link_revoked" if link.revoked else "link_expired")
                    ),
                    event=escape(link.event_name or link.event_id),
                    when=self._start(link),
                    quantity=link.quantity,
                    clicks=stats["clicks"],
                    carts=stats["carts"],
                    purchases=stats["purchases"],
                    conversion=_conversion(stats),
                    web=self.marketing.urls(link.code)[1],
                )
                for link, stats in report
            ]
            title = staff("links_title", count=len(report))
            await ask.say(title, [section(title), *(section(line) for line in lines)])

    async def revoke(self, ask: Ask, text: str) -> None:
        """``/usher revoke <code>``."""
        async with answering(ask, "revoke"):
            code = text.strip()
            if not code:
                await ask.say(staff("revoke_usage"))
                return
            await self.marketing.revoke(ask.user, code)
            await ask.say(staff("revoked", code=escape(code)))

    async def broadcast(self, ask: Ask, text: str) -> None:
        """``/usher broadcast <code>``."""
        async with answering(ask, "broadcast"):
            code = text.strip()
            broadcast_id = await self.marketing.broadcast(ask.user, code)
            await ask.say(staff("broadcast_started", id=broadcast_id, code=escape(code)))

    def _expiry(self, link: PurchaseLink) -> str:
        if link.expires_at is None:
            return staff("link_never")
        return when(datetime.fromtimestamp(link.expires_at, UTC), self.tz)

    def _start(self, link: PurchaseLink) -> str:
        if link.event_start is None:
            return staff("link_date_unknown")
        return when(datetime.fromtimestamp(link.event_start, UTC), self.tz)


def _conversion(stats: dict[str, int]) -> str:
    """Purchases per click, as a percentage ("-" before the first click)."""
    if not stats["clicks"]:
        return "-"
    return f"{100 * stats['purchases'] / stats['clicks']:.1f} %"
