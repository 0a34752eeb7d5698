"""What a sandbox fan's tickets are, read straight from ACME, to check what the bot sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app.bootstrap import Usher


async def live_tickets(
    usher: Usher, email: str, event_word: str = "", *, upcoming: bool = True
) -> set[str]:
    """The valid ticket uuids of the fan's orders whose event name holds ``event_word`` (of
    events not over yet, unless ``upcoming`` is False)."""
    cutoff = datetime.now(UTC) - timedelta(hours=6)
    found: set[str] = set()
    async for summary in usher.acme.iter_orders(email=email):
        order = await usher.acme.get_order(summary.id)
        for item in order.order_items:
            if event_word.lower() not in (item.event_name or "").lower():
                continue
            start = item.event_start_time
            if upcoming and start is not None and start < cutoff:
                continue
            found.update(
                t.uuid for t in item.ticket_vos if (t.ticket_status or "").lower() == "normal"
            )
    return found
