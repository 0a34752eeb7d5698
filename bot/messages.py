"""What flows between a channel and the core: one ``Inbound`` in, a list of ``Reply`` out.

Channel adapters translate platform events into :class:`Inbound` and :class:`Reply` into
platform calls; nothing else about a platform reaches the core. Button payloads are short
strings chosen by the core (``order:30263798``); they are *untrusted* when they come back,
since any client can forge them, so handlers re-check ownership on every use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Longest text the core will look at; anything longer is refused before any work.
MAX_TEXT_LENGTH = 4000
MAX_PAYLOAD_LENGTH = 200


@dataclass(frozen=True)
class Fan:
    """A fan is a (channel, user id): the unit of identity, state and permission."""

    channel: str
    user_id: str

    @property
    def key(self) -> str:
        """Stable string form used in Redis keys and signed links."""
        return f"{self.channel}:{self.user_id}"

    @classmethod
    def from_key(cls, key: str) -> Fan:
        """Inverse of :attr:`key`."""
        channel, _, user_id = key.partition(":")
        return cls(channel, user_id)


@dataclass(frozen=True)
class Inbound:
    """One fan event, whatever the channel."""

    channel: str
    user_id: str
    chat_id: str
    text: str | None = None
    button: str | None = None
    #: A phone the channel vouches belongs to the sender (Telegram contact with their user_id).
    contact_phone: str | None = None
    locale: str | None = None
    #: The platform's id of this event (update_id, event_id), for de-duplication.
    event_id: str | None = None

    @property
    def fan(self) -> Fan:
        """The fan who sent this event."""
        return Fan(self.channel, self.user_id)


@dataclass(frozen=True)
class Button:
    """A choice offered to the fan; ``payload`` comes back as ``Inbound.button``."""

    label: str
    payload: str


@dataclass(frozen=True)
class Image:
    """A QR code (model 2) whose encoded value is ``qr``; ``alt`` says what it is."""

    qr: str
    alt: str


@dataclass(frozen=True)
class Link:
    """A link the fan can open (ticket page, checkout page)."""

    label: str
    url: str


#: ``Reply.expects`` for a question answered with a number (how many tickets, add-ons).
NUMBER = "number"


@dataclass(frozen=True)
class Reply:
    """One message to the fan."""

    text: str
    buttons: tuple[Button, ...] = ()
    images: tuple[Image, ...] = ()
    links: tuple[Link, ...] = ()
    #: Ask the channel to offer its "share my phone number" control, where it has one.
    request_contact: bool = False
    #: What a typed answer to this message is, when it asks for one: :data:`NUMBER` (a
    #: quantity). A channel that maps typed numbers to buttons (the terminal demo) must then
    #: pass a typed number on as the answer, not as a button press.
    expects: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The ``usher converse`` shape from docs/architecture.md."""
        return {
            "text": self.text,
            "buttons": [{"label": b.label, "payload": b.payload} for b in self.buttons],
            "images": [{"qr": i.qr, "alt": i.alt} for i in self.images],
            "links": [{"label": link.label, "url": link.url} for link in self.links],
        }
