"""Signed, expiring links to Usher's web pages (the SafeTix ticket page).

A link carries only an opaque order reference and a digest of the fan it was made for, signed
with ``USHER_SECRET_KEY`` (itsdangerous: HMAC plus a timestamp). It never carries a token, an
email or a name. The page checks the signature, the age, and that the order is still
registered to that fan; so a link is useless to anyone but the fan it was made for, and only
for a while.
"""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bot.errors import BotError
from bot.messages import Fan

TICKET_LINK_MAX_AGE = 2 * 3600


class LinkExpired(BotError):
    """The link was genuine but is too old."""

    message_key = "page_expired"


class LinkInvalid(BotError):
    """The link was not made by us (or was altered)."""

    message_key = "page_expired"


def fan_digest(fan: Fan) -> str:
    """A short, non-reversible stand-in for the fan in a link."""
    return hashlib.sha256(fan.key.encode()).hexdigest()[:16]


class TicketLinks:
    """Makes and reads ticket-page links."""

    def __init__(self, secret: bytes, public_url: str, *, max_age: int = TICKET_LINK_MAX_AGE):
        self.serializer = URLSafeTimedSerializer(secret, salt="usher.ticket-page")
        self.public_url = public_url.rstrip("/")
        self.max_age = max_age

    def url(self, fan: Fan, ref: str) -> str:
        """The page URL for one of the fan's Ticketmaster orders."""
        return f"{self.public_url}/t/{self.token(fan, ref)}"

    def token(self, fan: Fan, ref: str) -> str:
        """The signed path segment."""
        return str(self.serializer.dumps({"r": ref, "f": fan_digest(fan)}))

    def read(self, token: str) -> tuple[str, str]:
        """``(order ref, fan digest)`` from a token, or LinkExpired / LinkInvalid."""
        try:
            data = self.serializer.loads(token, max_age=self.max_age)
        except SignatureExpired:
            raise LinkExpired("ticket link expired") from None
        except BadSignature:
            raise LinkInvalid("ticket link not genuine") from None
        if not isinstance(data, dict) or not {"r", "f"} <= data.keys():
            raise LinkInvalid("ticket link malformed")
        return str(data["r"]), str(data["f"])
