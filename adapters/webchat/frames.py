"""The web chat's JSON frames, both ways: what the widget may send, and what it is sent.

Everything a browser sends is untrusted and checked here before anything acts on it: one JSON
object of a known ``type`` with fields of the right type and length; anything else is a
:class:`BadFrame`. The server caps a frame at :data:`MAX_FRAME` bytes *before* it is read
(uvicorn's ``ws_max_size``, :data:`SERVER_OPTIONS`), so a 1 MB frame is refused at its header.

From the widget::

    {"type": "hello", "session": "<token>" | null, "last": "<entry id>" | null, "locale": "es-ES"}
    {"type": "text", "text": "where are my tickets?", "ref": "<client id of this message>"}
    {"type": "button", "payload": "orders:2", "label": "Show more", "ref": "..."}
    {"type": "signout"}

To the widget (``replies`` is exactly ``usher converse``'s shape; an image also carries its QR
symbol as SVG path data, ``svg``, so the page draws it without any HTML)::

    {"type": "session", "session": "<token>", "fresh": true}
    {"type": "message", "id": "<entry id>", "from": "fan", "text": "...", "ref": "..."}
    ("replay": true on the messages sent again to a widget that was reloaded)
    {"type": "message", "id": "<entry id>", "from": "bot", "replies": [{"text": ..., "buttons":
        [...], "images": [{"qr": ..., "alt": ..., "svg": {"size": 37, "path": "M4 4h7..."}}],
        "links": [...]}]}
    {"type": "notice", "reason": "slow_down", "text": "...", "ref": "..."}
    {"type": "signed_out"}

``ref`` is the widget's own id for a message it sent: it is the turn's event id, so a message
sent again after a lost connection runs once, and the echo tells the widget it arrived.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapters.qr import qr_svg_path
from bot.messages import MAX_PAYLOAD_LENGTH, MAX_TEXT_LENGTH, Reply

#: Largest frame read from a browser, in bytes: a message of MAX_TEXT_LENGTH characters,
#: each up to 4 bytes of UTF-8, plus the frame around it. Larger is refused unread.
MAX_FRAME = 20 * 1024
#: uvicorn's WebSocket settings for every server of the app (``usher serve``, the demo):
#: the frame cap above, and no per-message compression (its zlib state costs about 40 KB a
#: socket, and it would let a small compressed frame inflate past the cap's intent).
SERVER_OPTIONS: dict[str, Any] = {"ws_max_size": MAX_FRAME, "ws_per_message_deflate": False}
#: A button label echoed into the conversation (labels are the bot's own, a few words).
MAX_LABEL = 200

REF = re.compile(r"[A-Za-z0-9_-]{1,40}")
ENTRY_ID = re.compile(r"\d{1,20}-\d{1,20}")
LOCALE = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8}){0,3}")
#: A session token as the widget keeps it: ``<session id>.<secret>`` (see ``sessions``).
TOKEN = re.compile(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")
#: What a fan's message loses before it is kept in the conversation log: one-time codes
#: (6 digits, maybe split 3+3) and card-like numbers (13-19 digits in groups).
_SECRET_DIGITS = re.compile(
    r"(?<![\d])(?:\d{3}[ -]?\d{3}|\d(?:[ -]?\d){12,18})(?![\d])"  # codes, card numbers
)
MASK = "••••"


class BadFrame(ValueError):
    """A frame that is not one of ours; the message says which rule it broke (for logs)."""


@dataclass(frozen=True)
class Hello:
    """The first frame of every connection: who the widget thinks it is, and what it saw."""

    token: str | None
    last: str | None
    locale: str | None


@dataclass(frozen=True)
class Say:
    """The fan typed something."""

    text: str
    ref: str


@dataclass(frozen=True)
class Press:
    """The fan pressed a reply's button."""

    payload: str
    label: str
    ref: str


@dataclass(frozen=True)
class SignOut:
    """Forget this session and everything it proved."""


Frame = Hello | Say | Press | SignOut


def parse(raw: str) -> Frame:
    """One frame from the widget; BadFrame when it is not a well-formed one."""
    if len(raw) > MAX_FRAME:
        raise BadFrame("frame too large")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise BadFrame("not JSON") from None
    if not isinstance(data, dict):
        raise BadFrame("not an object")
    kind = data.get("type")
    if kind == "hello":
        return Hello(
            token=_optional(data, "session", TOKEN),
            last=_optional(data, "last", ENTRY_ID),
            locale=_optional(data, "locale", LOCALE),
        )
    if kind == "text":
        text = data.get("text")
        if not isinstance(text, str):
            raise BadFrame("text must be a string")
        return Say(text, _ref(data))
    if kind == "button":
        payload, label = data.get("payload"), data.get("label", "")
        if not isinstance(payload, str) or not payload or len(payload) > MAX_PAYLOAD_LENGTH:
            raise BadFrame("bad button payload")
        if not isinstance(label, str) or len(label) > MAX_LABEL:
            raise BadFrame("bad button label")
        return Press(payload, label, _ref(data))
    if kind == "signout":
        return SignOut()
    raise BadFrame("unknown type")


def _optional(data: dict[str, Any], name: str, pattern: re.Pattern[str]) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise BadFrame(f"bad {name}")
    return value


def _ref(data: dict[str, Any]) -> str:
    ref = data.get("ref")
    if not isinstance(ref, str) or REF.fullmatch(ref) is None:
        raise BadFrame("bad ref")
    return ref


# --- what the log keeps ---------------------------------------------------------------------


def fan_entry(text: str, ref: str) -> dict[str, Any]:
    """The fan's message as the conversation log keeps it: codes and card numbers masked."""
    shown = _SECRET_DIGITS.sub(MASK, text[:MAX_TEXT_LENGTH])
    return {"from": "fan", "text": shown, "ref": ref}


def bot_entry(replies: Sequence[Reply]) -> dict[str, Any]:
    """The bot's replies of one turn (or one proactive message) as the log keeps them."""
    return {"from": "bot", "replies": [reply.to_json() for reply in replies]}


# --- frames to the widget -------------------------------------------------------------------


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def session_frame(token: str, *, fresh: bool) -> str:
    """The session this connection speaks for (a new one when ``fresh``)."""
    return _dumps({"type": "session", "session": token, "fresh": fresh})


def entry_frame(entry_id: str, entry: dict[str, Any], *, replay: bool = False) -> str:
    """One logged message; each QR image gains its SVG path data. ``replay``: sent again
    after a reload (the widget shows it without announcing it to a screen reader)."""
    if entry.get("from") == "bot":
        for reply in entry.get("replies", []):
            for image in reply.get("images", []):
                symbol = qr_svg_path(str(image["qr"]))
                image["svg"] = {"size": symbol.size, "path": symbol.path}
    frame = {"type": "message", "id": entry_id, **entry}
    if replay:
        frame["replay"] = True
    return _dumps(frame)


def notice_frame(reason: str, text: str, ref: str | None = None) -> str:
    """Something about the connection rather than the conversation (not logged)."""
    return _dumps({"type": "notice", "reason": reason, "text": text, "ref": ref})


SIGNED_OUT = _dumps({"type": "signed_out"})
