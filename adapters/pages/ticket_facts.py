"""What the secure ticket page says about the event: its name, when, where, and which entrance.

A fan at the gate opens the page, not the chat, so the page itself must say which event the
tickets are for and when and where it is. These facts are rendered into the page shell on the
server (no script needed, so a fan sees them even when the Secure Entry SDK does not load),
and only after the link checked out (signed, live, naming an order registered to the fan the
link was issued to): a preview robot or a refused visitor never gets them.

Where each fact comes from, and nothing is invented:

* the name: the registration's ``event_name``, else Ticketmaster's event code or id (as in the
  chat, ``bot.ticketmaster.facts.OrderFacts.name``);
* when: ``eventDateTime`` of the event's availability (cached an hour by ``SafeTix.event``),
  in the venue's zone with its abbreviation, through ``bot.formatting.when`` as the chat does;
  no line at all when Ticketmaster gives no date, or when the cache is cold and Ticketmaster
  has not answered within ``DATE_BUDGET`` (a fan at the gate waits at most that for a date;
  the call still completes and fills the cache for the next view).
  Ticketmaster orders carry no "hide the date" flag (ACME's ``hideEventDate`` has no
  counterpart in the Partner API), so the chat and the page show the same thing: the date
  when it is known;
* the venue: ``[venue] name`` of ``config/venue.toml`` (Ticketmaster's order answer names no
  venue, only an ``event_host`` code);
* the entrance: the tickets' ``portal`` ("GATE A", "SECOND BALCONY"), when they have one.

Every value is upstream or operator data and goes through ``html.escape``.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot import copy
from bot.formatting import when
from bot.ticketmaster.cart_models import Availability
from bot.ticketmaster.facts import OrderFacts
from bot.ticketmaster.ports import CachedOrder, TmOrderRef
from bot.ticketmaster.safetix import SafeTix, event_time

#: Longest the page waits for the event's date when it is not cached (seconds).
DATE_BUDGET = 1.0
#: Date lookups still running after their page went without them (kept referenced).
_PENDING: set[asyncio.Future[Availability | None]] = set()


@dataclass(frozen=True)
class EventFacts:
    """The page's lines about the event, in the fan's language ("" when unknown)."""

    name: str
    when: str
    venue: str
    entrance: str


async def event_facts(
    safetix: SafeTix,
    order: TmOrderRef,
    cached: CachedOrder,
    tz: ZoneInfo,
    venue: str,
    lang: str,
) -> EventFacts:
    """The facts of a registered order, from what Usher already cached of it.

    ``cached`` is what the page read with the registration (``TmOrderStore.get_with_cache``;
    it calls nobody): the order's Ticketmaster answer cached when the bot gave the link
    (without it only the registered name is known), and usually the event's availability. The
    event's date may cost one availability call an hour, shared with the chat, and is left out
    when that call takes longer than ``DATE_BUDGET``.
    """
    answer = cached.answer
    if answer is None:
        return EventFacts(order.event_name or "", "", venue, "")
    facts = OrderFacts(order, answer, None)
    live = facts.live
    start = None
    if facts.event_id is not None and cached.events.get(facts.event_id) is not None:
        # Read with the registration: nothing to wait for.
        start = event_time(await safetix.event(facts.event_id, preread=cached))
    elif facts.event_id is not None:
        # Shielded: past the budget the page goes on without a date, but the call goes on
        # too and fills the hourly cache, so the next view (and the chat) has the date.
        fetch = asyncio.ensure_future(safetix.event(facts.event_id, preread=cached))
        _PENDING.add(fetch)
        fetch.add_done_callback(_PENDING.discard)
        with contextlib.suppress(TimeoutError):
            start = event_time(await asyncio.wait_for(asyncio.shield(fetch), DATE_BUDGET))
    portals = sorted({t.portal.strip() for t in live if t.portal and t.portal.strip()})
    entrance = copy.text("page_entrance", lang, portal=", ".join(portals)) if portals else ""
    return EventFacts(facts.name, when(start, tz, lang), venue, entrance)


def facts_html(facts: EventFacts) -> str:
    """The facts as the page's header lines, every value escaped; empty facts have no line."""
    lines = [f'<h1 id="event">{html.escape(facts.name)}</h1>'] if facts.name else []
    for name in ("when", "venue", "entrance"):
        value: str = getattr(facts, name)
        if value:
            lines.append(f'<p class="fact" id="{name}">{html.escape(value)}</p>')
    return "\n".join(lines)
