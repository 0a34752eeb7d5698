"""Slot extraction: the emails, phones, order numbers, member ids, coupon codes and counts.

Three kinds of evidence decide what an identifier is, strongest first:

1. **Its shape.** An email is an email. A number written with ``+`` or with separators
   ("+1 (415) 555-0134", "415.555.0134", "+34 612 34 56 78") that libphonenumber accepts as a
   valid number (region US unless it starts with ``+``) is a phone.
2. **The word before it** (within four tokens): "order"/"pedido"/"confirmation"/"#" make an order
   number, "member"/"socio"/"card" a membership id, "code"/"promo"/"cupón" a coupon code,
   "phone"/"teléfono" a phone. In "confirmation code 123" the head noun "code" defers to the word
   before it.
3. **The intent.** With no cue, a bare id in a membership message is the membership id, a token
   of letters and digits in a coupon message is the coupon code; otherwise 6-12 digits are an
   order number (ACME order numbers and ids look like 100148401 or 30263798).

Bare ten digits (or eleven starting with 1) with no cue are ambiguous: a US phone typed without
separators or an ACME order number. They are read as a phone when libphonenumber says they are a
valid US number and the text never mentions an order; any order word anywhere ("pedido
4155550199") makes them an order number. Fans identifying an order usually say so, while a bare
ten-digit string is how phones get pasted.

Letters-only coupon codes ("código VERANO") are accepted only when typed in capitals and not a
known word, or as the argument of /coupon: "coupon not working" must not yield code NOT.
``quantity`` is read only for add-on purchases, where a count is what the handler needs; in
"I bought 2 tickets" the 2 is narrative. Values: emails lower-cased, phones E.164, codes and
membership ids upper-cased, order numbers digits only, quantity an int.

``event`` is read for "show my tickets" only: the words naming the event, cut from the text as
typed and lower-cased ("tickets for the Jazz Concert" -> ``jazz concert``, "entradas de esta
noche" -> ``esta noche``). A run of unknown words counts as a name only with a sign that it is
one: a day word in it ("tonight", "sábado"), a cue before it ("for", "para", "del"), or a
ticket word right after it ("jazz tickets"); "where are my tickets bro" names nothing. Which
event that is, among the fan's own, is decided later against their orders (``bot.events``).
"""

from __future__ import annotations

import re
from typing import Final

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from bot.intents.lexicon import (
    CUES,
    EVENT_ARTICLES,
    EVENT_CUES,
    EVENT_DAY_MODIFIERS,
    EVENT_DAY_WORDS,
    EVENT_FILLERS,
    EVENT_GENERIC,
    EVENT_JOINERS,
    EVENT_NIGHT_WORDS,
    FILLERS,
    HEADS,
    NUMBER_WORDS,
    VOCABULARY,
    WEIGHTS,
)
from bot.intents.text import Token, fold

Slots = dict[str, str | int]

_EMAIL: Final = re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_URL: Final = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_PHONE: Final = re.compile(r"(?<![\w#+])(?:\+ ?)?\(?\d[\d ().\-\u00a0]{4,30}\d(?!\w)")
_TIMES: Final = re.compile(r"x(\d{1,2})|(\d{1,2})x")
_CUE_WINDOW: Final = 4
_MAX_CHUNKS: Final = 8


def take_spans(text: str, slots: Slots) -> str:
    """Fill ``email`` and separated/international ``phone``; return the text without them.

    Emails, URLs and phones are blanked out so their pieces ("gmail", "order" in a URL, digit
    groups) neither vote for an intent nor come back as order numbers.
    """
    if "@" in text:
        text = _EMAIL.sub(lambda m: _take_email(m.group(), slots), text)
    if "://" in text or "www." in text.lower():
        text = _URL.sub(" ", text)
    if sum(ch.isdigit() for ch in text) >= 7:
        text = _PHONE.sub(lambda m: _take_phone(m.group(), slots), text)
    return text


def _take_email(candidate: str, slots: Slots) -> str:
    try:
        email = validate_email(candidate, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return " "
    slots.setdefault("email", email)
    return " "


def _take_phone(span: str, slots: Slots) -> str:
    """Keep the span when it is not a phone (its digits may be an order number)."""
    if not span.startswith("+") and not any(ch in span for ch in " ().-\u00a0"):
        return span  # bare digits: decided later, with cue words and intent
    chunks = span.split()
    if len(chunks) > _MAX_CHUNKS:
        return span
    # A span may glue several numbers together ("100148401 415-555-0134"): try the whole span,
    # then ever shorter runs of its space-separated chunks, left to right.
    for size in range(len(chunks), 0, -1):
        for start in range(len(chunks) - size + 1):
            piece = " ".join(chunks[start : start + size])
            phone = _phone(piece, require_format=True)
            if phone:
                slots.setdefault("phone", phone)
                before, after = " ".join(chunks[:start]), " ".join(chunks[start + size :])
                return f" {before}   {after} "
    return span


def _phone(text: str, *, require_format: bool) -> str | None:
    """E.164 for a valid number (US unless it starts with +), else None."""
    # Without "+" or "().-" only spaces separate the digits: accept phone-like groups
    # ("415 555 0134", "612 34 56 78"), not an order number next to a count ("30263798 12").
    if (
        require_format
        and not text.startswith("+")
        and not any(c in text for c in "().-")
        and (" " not in text or any(len(chunk) > 4 for chunk in text.split()))
    ):
        return None
    if not 7 <= sum(ch.isdigit() for ch in text) <= 15:
        return None
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def take_ids(
    tokens: list[Token], intent: str | None, slots: Slots, *, command_cue: str | None = None
) -> set[int]:
    """Fill order_number / membership_id / coupon_code / bare phone; return the used indexes."""
    used: set[int] = set()
    mentions_order = any(CUES.get(token.canon) == "order" for token in tokens)
    for i, token in enumerate(tokens):
        kind = _kind(token.raw)
        if kind is None:
            continue
        cue = _cue(tokens, i) or ("order" if token.hashed else None) or command_cue
        slot, value = _decide(token, kind, cue, intent, mentions_order)
        if slot is None and kind == "letters" and _is_letter_code(tokens, i, command_cue):
            slot, value = "coupon_code", token.raw.upper()
        if slot is not None and slot not in slots:
            slots[slot] = value
            used.add(i)
    return used


def _kind(raw: str) -> str | None:
    if raw.isdigit():
        return "digits" if raw.isascii() else None
    if not raw.isascii() or not raw.isalnum():
        return None
    return "mixed" if any(ch.isdigit() for ch in raw) else "letters"


def _cue(tokens: list[Token], i: int) -> str | None:
    """The slot named by the nearest cue word before token ``i`` (within the window)."""
    for j in range(i - 1, max(i - 1 - _CUE_WINDOW, -1), -1):
        cue = CUES.get(tokens[j].canon)
        if cue is None:
            continue
        if tokens[j].word in HEADS and j > 0 and (modifier := CUES.get(tokens[j - 1].canon)):
            return modifier
        return cue
    return None


def _decide(
    token: Token, kind: str, cue: str | None, intent: str | None, mentions_order: bool
) -> tuple[str | None, str]:
    raw, n = token.raw, len(token.raw)
    digits = kind == "digits"
    member = cue == "member" or (cue is None and intent == "apply_membership")
    if member and ((digits and 4 <= n <= 12) or (kind == "mixed" and 4 <= n <= 20)):
        return "membership_id", raw.upper()
    if cue == "coupon" and kind != "letters" and 3 <= n <= 20:
        return "coupon_code", raw.upper()
    if cue is None and intent == "apply_coupon" and kind == "mixed" and 3 <= n <= 20:
        return "coupon_code", raw.upper()
    if not digits:
        return None, ""
    if cue == "phone" or (cue is None and not mentions_order and _maybe_us_phone(raw)):
        phone = _phone(raw, require_format=False)
        if phone:
            return "phone", phone
    if cue in (None, "order") and 6 <= n <= 12:
        return "order_number", raw
    return None, ""


def _maybe_us_phone(raw: str) -> bool:
    return len(raw) == 10 or (len(raw) == 11 and raw.startswith("1"))


def _is_letter_code(tokens: list[Token], i: int, command_cue: str | None) -> bool:
    """A letters-only coupon code: capitals right after a coupon word, or /coupon's argument."""
    raw = tokens[i].raw
    if not 3 <= len(raw) <= 20:
        return False
    if command_cue == "coupon" and i == 0:
        return True
    if not raw.isupper() or tokens[i].word in VOCABULARY:
        return False
    j = i - 1
    while j >= 0 and tokens[j].word in FILLERS:
        j -= 1
    return j >= 0 and CUES.get(tokens[j].canon) == "coupon"


def take_quantity(tokens: list[Token], used: set[int], slots: Slots) -> None:
    """Fill ``quantity`` from "2", "x2", "two", "dos", "a couple", "un par" (first one wins)."""
    for i, token in enumerate(tokens):
        if i in used:
            continue
        value: int | None = None
        if token.raw.isdigit() and token.raw.isascii() and len(token.raw) <= 2:
            value = int(token.raw)
        elif match := _TIMES.fullmatch(token.word):
            value = int(match.group(1) or match.group(2))
        else:
            value = NUMBER_WORDS.get(token.word)
        if value:
            slots["quantity"] = value
            return


# --- event names ------------------------------------------------------------------------------

_TICKET_CANONS: Final = frozenset({"ticket", "qr"})
#: Longer runs of unknown words are chatter, not an event's name.
_MAX_NAME_WORDS: Final = 6
_NAME, _GENERIC, _DAY, _MODIFIER, _JOINER, _OTHER = range(6)


def take_event(tokens: list[Token], text: str, used: set[int], slots: Slots) -> None:
    """Fill ``event`` with the words naming an event, as typed (see the module docstring)."""
    kinds = [_event_kind(tokens, i, used) for i in range(len(tokens))]
    names = [
        " ".join(text[tokens[run[0]].start : tokens[run[-1]].end].lower().split())
        for run in _runs(kinds)
        if _is_named(tokens, kinds, run)
    ]
    if names:
        slots["event"] = " ".join(names)


def _event_kind(tokens: list[Token], i: int, used: set[int]) -> int:
    token = tokens[i]
    word, typed = token.word, fold(token.raw)
    if i in used or not token.raw.isalpha() or len(token.raw) < 2:
        return _OTHER
    if word in EVENT_DAY_WORDS or typed in EVENT_DAY_WORDS:
        return _DAY
    previous = tokens[i - 1].word if i > 0 else ""
    if word in EVENT_NIGHT_WORDS and previous in EVENT_DAY_MODIFIERS:
        return _DAY  # "this evening", "esta noche"
    following = tokens[i + 1].word if i + 1 < len(tokens) else ""
    if word in EVENT_DAY_MODIFIERS and (
        following in EVENT_DAY_WORDS or following in EVENT_NIGHT_WORDS
    ):
        return _MODIFIER
    if word in EVENT_GENERIC:
        return _GENERIC
    if word in EVENT_JOINERS:
        return _JOINER
    if word in EVENT_FILLERS or _is_keyword(token):
        return _OTHER
    return _NAME


def _is_keyword(token: Token) -> bool:
    """True for a word that votes for an intent ("tickets", "parking"): never a name."""
    return any(not key.startswith("@") for key in WEIGHTS.get(token.canon, {}))


def _runs(kinds: list[int]) -> list[list[int]]:
    """Index runs of name words (joiners only inside), each with a name or a day in it."""
    runs: list[list[int]] = []
    current: list[int] = []
    for i, kind in enumerate([*kinds, _OTHER]):
        if kind in (_NAME, _GENERIC, _DAY, _MODIFIER) or (kind == _JOINER and current):
            current.append(i)
            continue
        while current and kinds[current[-1]] == _JOINER:
            current.pop()
        if any(kinds[j] in (_NAME, _DAY) for j in current) and len(current) <= _MAX_NAME_WORDS:
            runs.append(current)
        current = []
    return runs


def _is_named(tokens: list[Token], kinds: list[int], run: list[int]) -> bool:
    """A day word, a cue before (past articles) or a ticket word right after."""
    if any(kinds[j] == _DAY for j in run):
        return True
    before = run[0] - 1
    while before >= 0 and tokens[before].word in EVENT_ARTICLES:
        before -= 1
    if before >= 0 and tokens[before].word in EVENT_CUES:
        return True
    after = run[-1] + 1
    return after < len(tokens) and tokens[after].canon in _TICKET_CANONS
