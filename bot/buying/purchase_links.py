"""Purchase links: marketing's ready-made carts, behind an opaque code.

A marketer (Slack ``/usher link``) names an event, optionally a ticket type, a quantity, a
coupon and an expiry; Usher stores that under a random code and answers two links that carry
only the code: a Telegram deep link (``https://t.me/<bot>?start=<code>``, at most 64 characters
of ``A-Za-z0-9_-``) and a web link (``USHER_PUBLIC_URL/l/<code>``). Opening either starts the
buying journey with those choices in a fresh cart. Clicks, carts and purchases are counted per
link so marketing can see what works.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from bot.errors import BotError, InvalidInput

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CODE_BYTES = 9  # 12 URL-safe characters
MAX_QUANTITY = 20
STATS = ("clicks", "carts", "purchases")


class LinkGone(BotError):
    """The link expired or was revoked (or never existed): one answer for all three."""

    message_key = "link_gone"


@dataclass(frozen=True)
class PurchaseLink:
    """What a link opens."""

    code: str
    event_id: str
    quantity: int
    created_by: str
    created_at: float
    ticketing_type_id: str | None = None
    coupon_code: str | None = None
    expires_at: float | None = None
    revoked: bool = False

    def to_json(self) -> dict[str, Any]:
        """For storage."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PurchaseLink:
        """From storage."""
        return cls(**data)

    def usable(self, now: float) -> bool:
        """Neither revoked nor expired."""
        return not self.revoked and (self.expires_at is None or self.expires_at > now)


class LinkStore(Protocol):
    """Persistence of purchase links and their counters (Redis in production)."""

    async def save(self, link: PurchaseLink) -> None:
        """Create or replace a link."""
        ...

    async def get(self, code: str) -> PurchaseLink | None:
        """One link."""
        ...

    async def all(self) -> list[PurchaseLink]:
        """Every link, newest first."""
        ...

    async def count(self, code: str, stat: str) -> int:
        """Add one to a counter; return it."""
        ...

    async def stats(self, code: str) -> dict[str, int]:
        """The link's counters."""
        ...

    async def stats_of(self, codes: list[str]) -> list[dict[str, int]]:
        """The counters of several links, in order (one round trip)."""
        ...


def is_code(text: str) -> bool:
    """True when ``text`` has the shape of a deep-link payload."""
    return bool(CODE_PATTERN.match(text))


class PurchaseLinks:
    """Creates, opens and counts purchase links."""

    def __init__(self, store: LinkStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    async def create(
        self,
        *,
        event_id: str,
        created_by: str,
        quantity: int = 1,
        ticketing_type_id: str | None = None,
        coupon_code: str | None = None,
        expires_at: float | None = None,
    ) -> PurchaseLink:
        """Store a new link under a fresh random code."""
        if not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidInput(f"quantity must be 1 to {MAX_QUANTITY}")
        if expires_at is not None and expires_at <= self.clock():
            raise InvalidInput("the expiry is in the past")
        link = PurchaseLink(
            code=secrets.token_urlsafe(CODE_BYTES),
            event_id=event_id,
            quantity=quantity,
            created_by=created_by,
            created_at=self.clock(),
            ticketing_type_id=ticketing_type_id,
            coupon_code=coupon_code.upper() if coupon_code else None,
            expires_at=expires_at,
        )
        await self.store.save(link)
        return link

    async def open(self, code: str, *, count: bool = True) -> PurchaseLink:
        """The link behind a code, counting the click unless told not to (the web page counts
        a click only when it opens a cart); LinkGone when unusable."""
        link = await self.store.get(code) if is_code(code) else None
        if link is None or not link.usable(self.clock()):
            raise LinkGone("purchase link unknown, expired or revoked")
        if count:
            await self.store.count(code, "clicks")
        return link

    async def revoke(self, code: str) -> bool:
        """Stop a link from opening; False when there is no such link."""
        link = await self.store.get(code)
        if link is None:
            return False
        await self.store.save(PurchaseLink(**{**link.to_json(), "revoked": True}))
        return True

    async def counted(self, code: str, stat: str) -> None:
        """Record a cart made or a purchase completed through the link."""
        if stat not in STATS:  # clicks too: the web page counts one per cart it opens
            raise ValueError(f"unknown link statistic {stat}")
        await self.store.count(code, stat)

    async def report(self) -> list[tuple[PurchaseLink, dict[str, int]]]:
        """Every link with its counters, for ``/usher links`` (three round trips in all)."""
        links = await self.store.all()
        return list(
            zip(links, await self.store.stats_of([link.code for link in links]), strict=True)
        )
