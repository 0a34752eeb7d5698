"""The conversation history an agent sees when a fan asks for a person: no secrets in it.

The fan's last messages are kept so that whoever takes a handoff knows what was said. They are
also a place where secrets would pile up, so before a line is kept (or forwarded to agents):

* **Answers to a secret question are never kept**: the text that answers the bot's question
  for a one-time code, a membership number or the last name on a membership
  (:data:`UNRECORDED_STEPS`, the ``awaiting`` values of those questions).
* **Numbers that could be codes or cards are hidden**: every run of four or more digits
  (single spaces and dashes between groups allowed) becomes ``[number hidden]``, except an
  order number named as one ("order 100148401", "#100148401", "pedido 100148401"), a phone
  number written as one ("+1 415 555 0134", "(415) 555-0134"; agents see those masked,
  ``***0134``) and a year. A mailed code, a membership or card number, a PIN: hidden.
* **Lines last a day**: each carries its time and lines older than :data:`HISTORY_TTL` are
  dropped; the store keeps the history under its own key that expires a day after the last
  line (``adapters.store.identity``), not with the fan's 30-day state.
"""

from __future__ import annotations

import re
import time
from typing import Any

import phonenumbers
from phonenumbers import Leniency

from bot import copy
from bot.turn import HISTORY, Turn

HISTORY_LINES = 20
HISTORY_LINE = 300
HISTORY_TTL = 24 * 3600.0
#: What the bot may be waiting for when the answer is a secret (``Turn.awaiting`` values).
UNRECORDED_STEPS = frozenset({"code", "member_card", "member_last_name"})

#: Four or more digits, groups separated by one space or dash ("4242 4242 4242 4242"); a dot
#: does not join groups, so amounts ("$255.00") stay readable.
_DIGIT_RUN = re.compile(r"(?<!\d)\+?\d(?:[ \-]?\d){3,}(?!\d)")
#: Right before a run: it is an amount ("$1250.00", "€ 1200").
_CURRENCY = re.compile(r"[$€£]\s?$")
#: A year on its own ("in 2026", "12/09/2026") is no secret.
_YEAR = re.compile(r"(?:19|20)\d\d")
#: Right before a run: it is named as an order number.
_ORDER_TAG = re.compile(
    r"(?:#|\b(?:order|pedido|orden)(?:\s*(?:number|no\.?|num\.?|n[º°]|n[uú]mero))?\s*[:#]?)\s*$",
    re.IGNORECASE,
)
_PLAIN_ORDER_NUMBER = re.compile(r"\d{4,12}")
_FORMATTED = re.compile(r"[+() .\-]")


def _phone_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds a valid phone number *written as one* (with a "+", brackets,
    spaces, dots or dashes): bare digit strings are not trusted to be phones."""
    return [
        (match.start, match.end)
        for match in phonenumbers.PhoneNumberMatcher(text, "US", leniency=Leniency.VALID)
        if _FORMATTED.search(match.raw_string)
    ]


def redact(text: str) -> str:
    """``text`` with every digit run that could be a code, card or membership number hidden."""
    if _DIGIT_RUN.search(text) is None:
        return text
    phones = _phone_spans(text)

    def hide(match: re.Match[str]) -> str:
        run = match.group(0)
        if any(start <= match.start() and match.end() <= end for start, end in phones):
            return run
        before = text[max(0, match.start() - 24) : match.start()]
        if _PLAIN_ORDER_NUMBER.fullmatch(run) and _ORDER_TAG.search(before):
            return run
        if _YEAR.fullmatch(run) or _CURRENCY.search(before):
            return run
        return copy.staff("history_number_hidden")

    return _DIGIT_RUN.sub(hide, text)


def remember(turn: Turn, text: str, now: float | None = None) -> None:
    """Keep the fan's message for agents, unless it answers a secret question; redacted."""
    if not text or turn.awaiting in UNRECORDED_STEPS:
        return
    at = time.time() if now is None else now
    lines = _lines(turn.state.get(HISTORY), at)
    lines.append([at, redact(text[:HISTORY_LINE])])
    turn.state[HISTORY] = lines[-HISTORY_LINES:]


def recent(state: dict[str, Any], now: float | None = None) -> list[str]:
    """The history's lines younger than a day, oldest first."""
    return [line for _, line in _lines(state.get(HISTORY), time.time() if now is None else now)]


def _lines(value: object, now: float) -> list[list[Any]]:
    """The stored ``[time, text]`` pairs still young enough. Lines of the older shape (plain
    strings, kept unredacted by earlier versions) are dropped, not trusted."""
    if not isinstance(value, list):
        return []
    kept: list[list[Any]] = []
    for line in value:
        if (
            isinstance(line, list)
            and len(line) == 2
            and isinstance(line[0], int | float)
            and isinstance(line[1], str)
            and now - line[0] < HISTORY_TTL
        ):
            kept.append([line[0], line[1]])
    return kept
