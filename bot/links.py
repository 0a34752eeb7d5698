"""Signed, expiring links to Usher's web pages (the SafeTix ticket page).

A link carries only an opaque order reference, a digest of the fan it was made for and a random
link id, signed with ``USHER_SECRET_KEY`` (itsdangerous: HMAC plus a timestamp). It never
carries a token, an email or a name. The page checks the signature, the age, and that the order
is still registered to that fan; so a link is useless to anyone but the fan it was made for, and
only for a while.

One live link per fan and order: every link the bot hands out (:meth:`TicketLinks.issue`) is
recorded as the current one for that page (``LinkRegistry``), which also drops the device the
previous link was bound to. So "ask me for your tickets again" is how a fan moves their tickets
to another phone or browser, and the old one stops working at once.

A view of the page reads its link twice (the page, then its token call), and a fan at the gate
reloads: each genuine link's verification is kept (:data:`VERIFIED_LINKS`, per process) and
only its age is checked again. Nothing else is remembered: a link that fails is verified
afresh every time, and the checks against Redis (still registered, still the live link, the
bound browser) are made on every request.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cachetools import LRUCache
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bot.errors import BotError
from bot.messages import Fan

TICKET_LINK_MAX_AGE = 2 * 3600
#: Genuine links whose signature was checked, kept per process (a link is about 120 bytes).
VERIFIED_LINKS = 4096


class LinkExpired(BotError):
    """The link was genuine but is too old."""

    message_key = "page_expired"


class LinkInvalid(BotError):
    """The link was not made by us (or was altered)."""

    message_key = "page_expired"


def fan_digest(fan: Fan) -> str:
    """A short, non-reversible stand-in for the fan in a link."""
    return hashlib.sha256(fan.key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PageLink:
    """What a genuine ticket link names: the order, the fan (a digest) and which link it is."""

    ref: str
    fan_digest: str
    #: Random per issued link; "" for a link made without issuing (benchmarks, old links).
    link_id: str


class LinkRegistry(Protocol):
    """Remembers each page's current link (``adapters.store.page_bindings`` in production)."""

    async def issue(self, fan_digest: str, ref: str, link_id: str, ttl: int) -> None:
        """Make ``link_id`` the page's only live link and forget the device it was bound to."""
        ...


class TicketLinks:
    """Makes and reads ticket-page links."""

    def __init__(
        self,
        secret: bytes,
        public_url: str,
        *,
        registry: LinkRegistry | None = None,
        max_age: int = TICKET_LINK_MAX_AGE,
        clock: Callable[[], float] = time.time,
    ):
        self.serializer = URLSafeTimedSerializer(secret, salt="usher.ticket-page")
        self.public_url = public_url.rstrip("/")
        self.registry = registry
        self.max_age = max_age
        self.clock = clock
        #: token -> (what it names, when it was signed): its signature needs no second check.
        self._verified: LRUCache[str, tuple[PageLink, int]] = LRUCache(VERIFIED_LINKS)

    async def issue(self, fan: Fan, ref: str) -> str:
        """A fresh link to the fan's page for one order: from now on the only one that works,
        on whichever device opens it first (the previous link and its device are dropped)."""
        link_id = secrets.token_urlsafe(9)
        if self.registry is not None:
            await self.registry.issue(fan_digest(fan), ref, link_id, self.max_age)
        return self.url(fan, ref, link_id)

    def url(self, fan: Fan, ref: str, link_id: str = "") -> str:
        """The page URL for one of the fan's Ticketmaster orders (not registered: see issue)."""
        return f"{self.public_url}/t/{self.token(fan, ref, link_id)}"

    def token(self, fan: Fan, ref: str, link_id: str = "") -> str:
        """The signed path segment."""
        return str(self.serializer.dumps({"r": ref, "f": fan_digest(fan), "i": link_id}))

    def read(self, token: str) -> PageLink:
        """What a token names, or LinkExpired / LinkInvalid."""
        verified = self._verified.get(token)
        if verified is not None:
            link, signed = verified
            # itsdangerous's own rule: whole seconds, neither older than max_age nor ahead.
            if not 0 <= int(self.clock()) - signed <= self.max_age:
                raise LinkExpired("ticket link expired")
            return link
        try:
            data, signed_at = self.serializer.loads(
                token, max_age=self.max_age, return_timestamp=True
            )
        except SignatureExpired:
            raise LinkExpired("ticket link expired") from None
        except BadSignature:
            raise LinkInvalid("ticket link not genuine") from None
        if not isinstance(data, dict) or not {"r", "f"} <= data.keys():
            raise LinkInvalid("ticket link malformed")
        link = PageLink(str(data["r"]), str(data["f"]), str(data.get("i") or ""))
        self._verified[token] = (link, int(signed_at.timestamp()))
        return link
