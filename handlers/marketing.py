"""Marketing's purchase links from the staff console: make, list and switch off.

``/usher link <event> [ticket type] [quantity] [coupon] [expires]``: everything after the event
is optional and read by its shape, in any order, so a marketer need not remember positions: a
word naming one of the event's prices (its person type name, like ``Adult``, or id) is the
ticket type; a number is the quantity (1-20); ``7d``, ``48h``, ``2w`` or a date
(``2026-12-31``, through the end of that day in the venue's time zone) is the expiry; any other
code-shaped word is a coupon. ``type=``, ``quantity=``, ``coupon=`` and ``expires=`` say it
outright, for a coupon that looks like something else or to make a typo in a ticket type fail
instead of becoming a coupon (the answer repeats what each word was taken for either way).

The event must exist in ACME and the ticket type must be one of its prices, so a mistake fails
here rather than in a fan's cart. Coupons are only checked for shape: ACME has no call to look
one up, it validates a coupon when a cart uses it and the fan is told then.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.acme.catalog_models import EventInstance
from bot.broadcasts import JobsUnavailable
from bot.buying.purchase_links import MAX_QUANTITY, LinkGone, PurchaseLink, PurchaseLinks
from bot.errors import NotFound
from bot.staff import AuditLog, StaffError

ID = re.compile(r"^[A-Za-z0-9]{1,40}$")
QUANTITY = re.compile(r"^\d{1,3}$")
RELATIVE = re.compile(r"^(\d{1,4})([hdw])$", re.IGNORECASE)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
COUPON = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")
UNIT_SECONDS = {"h": 3600, "d": 86400, "w": 7 * 86400}
#: Links live at most this long; a longer campaign makes a new link.
MAX_LIFETIME = timedelta(days=366)
#: ``/usher links`` shows the newest this many.
REPORT_SIZE = 20


class EventSource(Protocol):
    """The ACME call that checks an event (``adapters.acme.client.AcmeClient`` fits)."""

    async def get_event(self, instance_id: str, membership_id: int | None = None) -> EventInstance:
        """The event instance with its prices."""
        ...


@dataclass
class LinkRequest:
    """A parsed ``/usher link``."""

    event_id: str
    ticket_type: str | None = None
    quantity: int = 1
    coupon: str | None = None
    expires_at: float | None = None
    seen: set[str] = field(default_factory=set)

    def once(self, what: str, word: str) -> None:
        """Each option at most once: a second one is surely a mistake."""
        if what in self.seen:
            raise StaffError("link_twice", what=what, word=word)
        self.seen.add(what)


@dataclass(frozen=True)
class MadeLink:
    """A new link, with what it opens and where fans open it."""

    link: PurchaseLink
    event_name: str
    ticket_type_name: str | None
    telegram_url: str | None
    web_url: str


class Broadcaster(Protocol):
    """Queues broadcasts (``bot.broadcasts.Broadcasts``)."""

    async def start_broadcast(self, link_code: str, created_by: str) -> str:
        """The new broadcast's id; LinkGone or JobsUnavailable when it cannot start."""
        ...


class Marketing:
    """Creates, lists, revokes and broadcasts purchase links, audited."""

    def __init__(
        self,
        links: PurchaseLinks,
        events: EventSource,
        audit: AuditLog,
        *,
        public_url: str,
        bot_username: str | None,
        tz: ZoneInfo,
        clock: Callable[[], float] = time.time,
        broadcaster: Broadcaster | None = None,
    ) -> None:
        self.broadcaster = broadcaster
        self.links = links
        self.events = events
        self.audit = audit
        self.public_url = public_url.rstrip("/")
        self.bot_username = bot_username
        self.tz = tz
        self.clock = clock

    async def create(self, marketer: str, text: str) -> MadeLink:
        """Parse, check against ACME, store; StaffError with what to fix otherwise."""
        try:
            words = shlex.split(text)
        except ValueError:
            raise StaffError("link_usage") from None
        if not words or not ID.match(words[0]):
            raise StaffError("link_usage")
        try:
            event = await self.events.get_event(words[0])
        except NotFound:
            raise StaffError("link_no_event", event=words[0]) from None
        request = LinkRequest(event.id)
        types = {p.person_type.id: p.person_type.name for p in event.price_list.prices}
        for word in words[1:]:
            self._read(request, word, types)
        link = await self.links.create(
            event_id=event.id,
            created_by=marketer,
            quantity=request.quantity,
            ticketing_type_id=request.ticket_type,
            coupon_code=request.coupon,
            expires_at=request.expires_at,
        )
        await self.audit.record(marketer, "link", detail=f"{link.code} event {event.id}")
        type_name = types.get(request.ticket_type) if request.ticket_type else None
        return MadeLink(link, event.name or event.id, type_name, *self.urls(link.code))

    def urls(self, code: str) -> tuple[str | None, str]:
        """The Telegram deep link (when the bot's username is known) and the web link."""
        telegram = f"https://t.me/{self.bot_username}?start={code}" if self.bot_username else None
        return telegram, f"{self.public_url}/l/{code}"

    async def report(self) -> list[tuple[PurchaseLink, dict[str, int]]]:
        """The newest links with their clicks, carts and purchases."""
        return (await self.links.report())[:REPORT_SIZE]

    async def revoke(self, marketer: str, code: str) -> None:
        """Switch a link off; StaffError when there is no such link."""
        if not await self.links.revoke(code.strip()):
            raise StaffError("link_unknown", code=code.strip())
        await self.audit.record(marketer, "revoke", detail=code.strip())

    async def broadcast(self, marketer: str, code: str) -> str:
        """Queue a broadcast of a link to the fans who opted in; its id. StaffError otherwise."""
        code = code.strip()
        if not code:
            raise StaffError("broadcast_usage")
        if self.broadcaster is None:
            raise StaffError("broadcast_unavailable")
        try:
            broadcast_id = await self.broadcaster.start_broadcast(code, marketer)
        except LinkGone:
            raise StaffError("link_unknown", code=code) from None
        except JobsUnavailable:
            raise StaffError("broadcast_unavailable") from None
        await self.audit.record(marketer, "broadcast", detail=f"{broadcast_id} link {code}")
        return broadcast_id

    def _read(self, request: LinkRequest, word: str, types: dict[str, str]) -> None:
        """One word after the event: ``key=value``, or a bare word placed by its shape."""
        key, equals, value = word.partition("=")
        kind = key.lower() if equals else _shape(word, types)
        value = value if equals else word
        by_name = {name.casefold(): type_id for type_id, name in types.items()}
        if kind == "type" and (value in types or value.casefold() in by_name):
            request.once("ticket type", value)
            request.ticket_type = value if value in types else by_name[value.casefold()]
        elif kind == "quantity" and QUANTITY.match(value):
            request.once("quantity", value)
            request.quantity = int(value)
            if not 1 <= request.quantity <= MAX_QUANTITY:
                raise StaffError("link_bad_quantity", limit=MAX_QUANTITY)
        elif kind == "expires" and (RELATIVE.match(value) or DATE.match(value)):
            request.once("expiry", value)
            request.expires_at = self._expiry(value)
        elif kind == "coupon" and COUPON.match(value):
            request.once("coupon", value)
            request.coupon = value.upper()
        else:
            raise StaffError("link_bad_word", word=word, types=_names(types))

    def _expiry(self, word: str) -> float:
        now = self.clock()
        relative = RELATIVE.match(word)
        if relative is not None:
            at = now + int(relative.group(1)) * UNIT_SECONDS[relative.group(2).lower()]
        else:
            try:
                day = date.fromisoformat(word)
            except ValueError:
                raise StaffError("link_bad_expiry", word=word) from None
            # Through the end of that day where the venue is: it expires at the next midnight.
            midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), self.tz)
            at = midnight.timestamp()
        if at <= now or at > now + MAX_LIFETIME.total_seconds():
            raise StaffError("link_bad_expiry", word=word)
        return at


def _names(types: dict[str, str]) -> str:
    return ", ".join(types.values()) or "-"


def _shape(word: str, types: dict[str, str]) -> str:
    """What a bare word is taken for: ticket type, quantity, expiry, else coupon."""
    if word in types or word.casefold() in {name.casefold() for name in types.values()}:
        return "type"
    if QUANTITY.match(word):
        return "quantity"
    if RELATIVE.match(word) or DATE.match(word):
        return "expires"
    return "coupon"
