"""Marketing's purchase links from the staff console: make, list and switch off.

``/usher link <event> [ticket type] [quantity] [coupon] [expires]``. The event is its ACME id
(24 hex digits) or words: its name, a date, or both ("jazz", "jazz night", "Sat 12 Dec",
"jazz saturday"), found in ACME's catalog by ``handlers.event_search``. One match makes the
link at once; several come back as :class:`EventChoices` for the marketer to pick from (and
the pick makes the link with the same options); none gets a plain answer.

Everything after the event is optional and read by its shape, in any order, so a marketer need
not remember positions: a word naming one of the event's prices (its person type name, like
``Adult``, or id) is the ticket type; a number is the quantity (1-20); ``7d``, ``48h``, ``2w``
or a date (``2026-12-31``, through the end of that day in the venue's time zone) is the expiry;
any other code-shaped word is a coupon. ``type=``, ``quantity=``, ``coupon=`` and ``expires=``
say it outright, for a coupon that looks like something else or to make a typo in a ticket
type fail instead of becoming a coupon (the answer repeats what each word was taken for either
way). When the event is named by words, a bare word is only taken for a coupon when it has a
digit (``AAA5``): "jazz night" must not make a coupon ``NIGHT``; words that fit nothing are
listed as ignored, and a bare date is the event's day (the expiry needs ``expires=``).

The event must exist in ACME and the ticket type must be one of its prices, so a mistake fails
here rather than in a fan's cart. Coupons are only checked for shape: ACME has no call to look
one up, it validates a coupon when a cart uses it and the fan is told then. A link keeps its
event's name and start, so ``/usher links`` and the link's preview need no ACME call.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.acme.catalog_models import EventInstance
from bot.broadcasts import JobsUnavailable
from bot.buying.purchase_links import MAX_QUANTITY, LinkGone, PurchaseLink, PurchaseLinks
from bot.errors import NotFound
from bot.staff import AuditLog, StaffError
from handlers.event_search import Catalog, EventMatch, EventSearch, take_day, words_of

#: An ACME event instance id (a MongoDB ObjectId): anything else is the event's name or date.
EVENT_ID = re.compile(r"^[0-9a-fA-F]{24}$")
QUANTITY = re.compile(r"^\d{1,3}$")
RELATIVE = re.compile(r"^(\d{1,4})([hdw])$", re.IGNORECASE)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
COUPON = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")
UNIT_SECONDS = {"h": 3600, "d": 86400, "w": 7 * 86400}
#: Links live at most this long; a longer campaign makes a new link.
MAX_LIFETIME = timedelta(days=366)
#: ``/usher links`` shows the newest this many.
REPORT_SIZE = 20


class EventSource(Catalog, Protocol):
    """The ACME calls that find and check an event (``adapters.acme.client.AcmeClient``)."""

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
    #: Words of a by-name request that fitted nothing (reported, not used).
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventChoices:
    """Several events fit a by-name request: the marketer picks one, then the link is made
    with ``options`` (the rest of the request, as typed)."""

    query: str
    matches: list[EventMatch]
    more: bool
    options: str


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
        self.search = EventSearch(events, tz)

    async def create(self, marketer: str, text: str) -> MadeLink | EventChoices:
        """Parse, find or check the event in ACME, store; StaffError with what to fix."""
        words = _split(text)
        if not words:
            raise StaffError("link_usage")
        if EVENT_ID.match(words[0]):
            return await self._make(marketer, words[0], words[1:], by_name=False)
        now = datetime.fromtimestamp(self.clock(), UTC)
        day, rest = take_day(words, now.astimezone(self.tz).date())
        options = [w for w in rest if _is_option(w)]
        named = [w for w in rest if not _is_option(w)]
        if not named and day is None:
            raise StaffError("link_usage")
        found = await self.search.find(named, day, now)
        query = " ".join(w for w in words if w not in options)
        if not found.matches:
            raise StaffError("link_no_match", query=query)
        unmatched = set(found.unmatched)
        extra = [w for w in named if (parts := words_of(w)) and set(parts) <= unmatched]
        if len(found.matches) == 1:
            return await self._make(
                marketer, found.matches[0].instance_id, options + extra, by_name=True
            )
        return EventChoices(query, found.matches, found.more, shlex.join(options + extra))

    async def create_picked(self, marketer: str, event_id: str, options: str) -> MadeLink:
        """The link for the event picked from :class:`EventChoices` (its id is untrusted)."""
        if not EVENT_ID.match(event_id):
            raise StaffError("link_usage")
        return await self._make(marketer, event_id, _split(options), by_name=True)

    async def _make(
        self, marketer: str, event_id: str, words: list[str], *, by_name: bool
    ) -> MadeLink:
        try:
            event = await self.events.get_event(event_id)
        except NotFound:
            raise StaffError("link_no_event", event=event_id) from None
        request = LinkRequest(event.id)
        types = {p.person_type.id: p.person_type.name for p in event.price_list.prices}
        ignored = [word for word in words if not self._read(request, word, types, by_name)]
        link = await self.links.create(
            event_id=event.id,
            created_by=marketer,
            quantity=request.quantity,
            ticketing_type_id=request.ticket_type,
            coupon_code=request.coupon,
            expires_at=request.expires_at,
            event_name=event.name,
            event_start=event.start_time.timestamp() if event.start_time else None,
        )
        await self.audit.record(marketer, "link", detail=f"{link.code} event {event.id}")
        type_name = types.get(request.ticket_type) if request.ticket_type else None
        name = event.name or event.id
        return MadeLink(link, name, type_name, *self.urls(link.code), ignored=tuple(ignored))

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

    def _read(
        self, request: LinkRequest, word: str, types: dict[str, str], by_name: bool = False
    ) -> bool:
        """One word after the event: ``key=value``, or a bare word placed by its shape.

        False for a word of a by-name request that fits nothing (ignored, and said so).
        """
        key, equals, value = word.partition("=")
        kind = key.lower() if equals else _shape(word, types)
        value = value if equals else word
        if by_name and not equals and kind == "coupon" and not any(c.isdigit() for c in word):
            return False
        type_ids = {name.casefold(): type_id for type_id, name in types.items()}
        if kind == "type" and (value in types or value.casefold() in type_ids):
            request.once("ticket type", value)
            request.ticket_type = value if value in types else type_ids[value.casefold()]
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
        return True

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


def _split(text: str) -> list[str]:
    """The words of a command, quotes kept together (``"jazz night" adult``)."""
    try:
        return shlex.split(text)
    except ValueError:
        raise StaffError("link_usage") from None


def _is_option(word: str) -> bool:
    """A word of a by-name request that is an option, not part of the event's name:
    ``key=value``, a quantity, a relative expiry, or a code with a digit (a coupon)."""
    if "=" in word or QUANTITY.match(word) or RELATIVE.match(word):
        return True
    return COUPON.match(word) is not None and any(c.isdigit() for c in word) and not word.isdigit()


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
