"""Replies as Telegram messages: a pure function from the core's ``Reply`` to Bot API messages.

Kept free of I/O so every rule below is tested without a network:

* Text goes out **plain** (no ``parse_mode``): order names, emails and anything a fan typed are
  shown as written and can never turn into markup or links Telegram would render.
* Telegram caps a message at 4,096 characters (UTF-16 code units) and a caption at 1,024, so
  long text is split on line breaks and captions are cut.
* A reply's text comes first, then its QR codes (``adapters.qr``): one code as a photo, more as
  albums (``sendMediaGroup``, at most 10 photos each, split evenly so none is left alone), each
  photo with its caption. A fan with 11 tickets gets one message and two albums (three calls),
  not twelve messages at Telegram's one message a second per chat. An album cannot carry a
  keyboard, so a reply with codes puts its keyboard on its text message, above the codes; a
  single code without text carries it itself.
* Buttons become an inline keyboard whose ``callback_data`` is short (Telegram allows 64 bytes;
  our payloads may be longer): ``<keyboard key>.<index>``, where the keyboard key is a digest of
  all the keyboard's payloads, and the payloads are kept in Redis under it as one record
  (``adapters.telegram.send``): one write per keyboard, however many buttons it has, and the
  same keyboard sent again reuses its record.
* Links become URL buttons when they are ``https`` (Telegram refuses ``localhost`` and the like
  in buttons); otherwise, as on a laptop with ``http://localhost:8000``, they are written out
  in the text.
* ``request_contact`` becomes a one-time reply keyboard with Telegram's "share my phone"
  button. A message carries one keyboard only, so when the reply also has inline buttons the
  phone button comes in a short message of its own.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from adapters.qr import qr_png
from bot import copy
from bot.messages import Image, Reply

MAX_TEXT = 4096
MAX_CAPTION = 1024
#: Photos in one album (``sendMediaGroup`` takes 2 to 10).
MAX_ALBUM = 10

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup


@dataclass(frozen=True)
class Photo:
    """One photo of an album, with its caption."""

    png: bytes
    caption: str


@dataclass(frozen=True)
class Outgoing:
    """One Bot API call: text (``sendMessage``), a photo with a caption (``sendPhoto``) or an
    album of photos with their captions (``sendMediaGroup``)."""

    text: str
    photo: bytes | None = None
    markup: Markup | None = None
    album: tuple[Photo, ...] = ()


@dataclass
class Plan:
    """The messages for some replies, and the keyboards' payloads to store before sending."""

    messages: list[Outgoing] = field(default_factory=list)
    #: Keyboard key -> the payloads of its buttons, in order.
    keyboards: dict[str, tuple[str, ...]] = field(default_factory=dict)


def keyboard_key(payloads: Sequence[str]) -> str:
    """The key of a keyboard's payloads: 22 URL-safe characters, the same for the same list."""
    digest = hashlib.sha256(b"usher-keyboard\x00" + "\x00".join(payloads).encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def callback_data(key: str, index: int) -> str:
    """What the ``index``-th button of keyboard ``key`` carries (at most 26 bytes)."""
    return f"{key}.{index}"


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` UTF-16 units, at line breaks if possible."""
    pieces: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        cut = _fit(rest, limit)
        newline = rest.rfind("\n", 0, cut)
        if newline > 0:
            cut = newline
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    if rest.strip():
        pieces.append(rest)
    return pieces


def _fit(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def caption(alt: str) -> str:
    """A photo caption from an image's description (cut to Telegram's limit)."""
    return alt if utf16_len(alt) <= MAX_CAPTION else alt[: _fit(alt, MAX_CAPTION - 1)] + "…"


def contact_keyboard(lang: str) -> ReplyKeyboardMarkup:
    """Telegram's own "share my phone number" button, gone once used."""
    button = KeyboardButton(copy.text("button_share_phone", lang), request_contact=True)
    return ReplyKeyboardMarkup([[button]], one_time_keyboard=True, resize_keyboard=True)


def plan(replies: Sequence[Reply], lang: str) -> Plan:
    """The Bot API messages for ``replies``, in order (``lang`` labels the phone button)."""
    result = Plan()
    for reply in replies:
        result.messages.extend(_messages(reply, lang, result.keyboards))
    return result


def _messages(reply: Reply, lang: str, keyboards: dict[str, tuple[str, ...]]) -> list[Outgoing]:
    rows: list[list[InlineKeyboardButton]] = []
    if reply.buttons:
        payloads = tuple(button.payload for button in reply.buttons)
        key = keyboard_key(payloads)
        keyboards[key] = payloads
        for index, button in enumerate(reply.buttons):
            rows.append(
                [InlineKeyboardButton(button.label, callback_data=callback_data(key, index))]
            )
    text = reply.text
    for link in reply.links:
        if link.url.startswith("https://"):
            rows.append([InlineKeyboardButton(link.label, url=link.url)])
        else:
            text = f"{text}\n{link.label}: {link.url}"
    inline = InlineKeyboardMarkup(rows) if rows else None

    texts = [Outgoing(piece) for piece in split_text(text)]
    codes = _codes(reply.images)
    markups: list[Markup] = [inline] if inline is not None else []
    if reply.request_contact:
        markups.append(contact_keyboard(lang))
    if not texts and not codes:
        if not markups:
            return []
        # Nothing to say but a keyboard to offer: Telegram needs some text to carry it.
        texts = [Outgoing(copy.text("share_phone_prompt" if inline is None else "choose", lang))]
    if markups:
        if texts:  # above the codes: an album cannot carry a keyboard
            texts[-1] = Outgoing(texts[-1].text, markup=markups[0])
        elif codes[0].photo is not None:
            codes[0] = Outgoing(codes[0].text, codes[0].photo, markups[0])
        else:
            texts = [Outgoing(copy.text("choose", lang), markup=markups[0])]
    parts = texts + codes
    if len(markups) == 2:
        parts.append(Outgoing(copy.text("share_phone_prompt", lang), markup=markups[1]))
    return parts


def _codes(images: Sequence[Image]) -> list[Outgoing]:
    """One photo, or albums of at most :data:`MAX_ALBUM` split evenly (11 -> 6 + 5)."""
    if not images:
        return []
    if len(images) == 1:
        return [Outgoing(caption(images[0].alt), photo=qr_png(images[0].qr))]
    albums = -(-len(images) // MAX_ALBUM)
    size, extra = divmod(len(images), albums)
    found: list[Outgoing] = []
    start = 0
    for number in range(albums):
        end = start + size + (1 if number < extra else 0)
        photos = tuple(Photo(qr_png(i.qr), caption(i.alt)) for i in images[start:end])
        found.append(Outgoing("", album=photos))
        start = end
    return found
