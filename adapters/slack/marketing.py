"""The marketing part of ``/usher``: link, links, revoke, broadcast (logic in
``handlers.marketing``)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from adapters.slack.blocks import escape, section
from adapters.slack.console import Ask, answering
from bot.buying.purchase_links import PurchaseLink
from bot.copy import staff
from bot.formatting import when
from handlers.marketing import Marketing


class MarketingConsole:
    """Answers marketers' commands."""

    def __init__(self, marketing: Marketing, tz: ZoneInfo) -> None:
        self.marketing = marketing
        self.tz = tz

    async def link(self, ask: Ask, text: str) -> None:
        """``/usher link <event> [ticket type] [quantity] [coupon] [expires]``."""
        async with answering(ask, "link"):
            made = await self.marketing.create(ask.user, text)
            link = made.link
            telegram = made.telegram_url or staff("link_no_telegram")
            text = staff(
                "link_made",
                event=escape(made.event_name),
                type=escape(made.ticket_type_name or staff("link_any_type")),
                quantity=link.quantity,
                coupon=escape(link.coupon_code or "-"),
                expires=self._expiry(link),
                telegram=telegram,
                web=made.web_url,
                code=link.code,
            )
            await ask.say(text, [section(text)])

    async def links(self, ask: Ask) -> None:
        """``/usher links``: the newest links with clicks, carts and purchases."""
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
                    event=escape(link.event_id),
                    quantity=link.quantity,
                    clicks=stats["clicks"],
                    carts=stats["carts"],
                    purchases=stats["purchases"],
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
