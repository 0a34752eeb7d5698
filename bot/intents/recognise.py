"""Intent recognition: what a fan's message asks for, and the identifiers it carries.

``recognise(text)`` is a pure, deterministic function (no I/O, no model, no state) so that any
process can serve any turn and a test can pin any phrasing. The conversation core calls it after
buttons and pending questions have had their say ("what is your email?" expects an email,
whatever this module thinks). ``usher intent`` exposes it on the command line.

How a text is read:

1. **Commands first.** ``/tickets``, ``/tickets@usher_bot`` (Telegram adds the bot's name in
   groups; filtering commands meant for other bots is the adapter's job, it knows our name) and
   ``/coupon AAA5`` map straight to an intent, and their arguments are read for slots as if a cue
   word preceded them. Bare ``/start`` is help; ``/start PAYLOAD`` (a t.me deep link) is read as
   text, so ``?start=tickets`` works, and anything unrecognised, such as an opaque token, is help.
2. **Slots** (``bot.intents.slots``): emails and formatted phones come out first, so their pieces
   never vote; then ids are classified by cue words and intent.
3. **A weighted vote** (``bot.intents.lexicon``): each canonical keyword counts once, phrases and
   co-occurrences adjust, the best intent wins if it reaches ``THRESHOLD``; ties go to the more
   specific intent (``_PRIORITY``). A message that only identifies the fan or the order (an
   email, a phone, an order number) is ``find_order``.

Decisions worth knowing: greetings ("hi", "hola") are ``help`` (friendlier than "I did not
understand"); thanks, ok, bye, laughs and emoji are ``small_talk`` (with a ``topic``), and only
when nothing else is asked; yes/no, gibberish and empty text are ``unknown`` (the core reads
yes/no in context); "cancel my order" and refunds are ``refund`` (answered with the venue's
policy and a person: the bot cannot cancel orders), plain "cancel"/"stop"/"nvm" is ``cancel``;
"buy tickets" is ``help`` (tickets are not sold in chat); a ticket given away, sold, upgraded or
lost is ``transfer_ticket``, ``resell_ticket``, ``upgrade`` or ``lost_ticket``, never
``show_tickets`` (those answers send no ticket); questions about the venue (doors, parking,
bags, accessibility, age, address, contact) are ``venue_question`` with a ``topic``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Final, Literal

from bot.intents.lexicon import COMBOS, PHRASES, SAD_EMOJI, TOPICS, WEIGHTS
from bot.intents.slots import Slots, take_event, take_ids, take_quantity, take_spans
from bot.intents.text import Token, clean, tokenize

Intent = Literal[
    "find_order",
    "show_tickets",
    "apply_membership",
    "apply_coupon",
    "buy_addon",
    "help",
    "cancel",
    "human",
    "resend_confirmation",
    "transfer_ticket",
    "resell_ticket",
    "refund",
    "upgrade",
    "lost_ticket",
    "venue_question",
    "small_talk",
    "unknown",
]

SLOT_NAMES: Final = (
    "email",
    "phone",
    "order_number",
    "membership_id",
    "coupon_code",
    "quantity",
    "event",
    "topic",
)
#: Intents whose answer depends on what the message is about (the ``topic`` slot).
TOPIC_INTENTS: Final = frozenset({"venue_question", "small_talk"})

THRESHOLD: Final = 2.0
"""The score a best intent needs; one decisive keyword (weight 2 or more) is enough."""

# Tie-break, most specific first: a message naming a coupon and an order is about the coupon.
_PRIORITY: Final[tuple[Intent, ...]] = (
    "cancel",
    "human",
    "resend_confirmation",
    "refund",
    "lost_ticket",
    "transfer_ticket",
    "resell_ticket",
    "upgrade",
    "apply_coupon",
    "apply_membership",
    "buy_addon",
    "venue_question",
    "show_tickets",
    "find_order",
    "help",
    "small_talk",
)
_IDENTIFIERS: Final = ("email", "phone", "order_number")
_IDENTIFIER_WEIGHT: Final = 2.5
_CODE_WEIGHT: Final = 1.5

_COMMANDS: Final[dict[str, Intent]] = {
    "start": "help",
    "help": "help",
    "orders": "find_order",
    "order": "find_order",
    "tickets": "show_tickets",
    "ticket": "show_tickets",
    "membership": "apply_membership",
    "member": "apply_membership",
    "coupon": "apply_coupon",
    "addons": "buy_addon",
    "addon": "buy_addon",
    "cancel": "cancel",
    "stop": "cancel",
    "human": "human",
    "agent": "human",
}
_COMMAND_CUES: Final[dict[str, str]] = {
    "find_order": "order",
    "apply_membership": "member",
    "apply_coupon": "coupon",
}
_COMMAND: Final = re.compile(r"/([A-Za-z][A-Za-z0-9_]{0,31})(?:@\w{1,64})?(?:\s+(.*))?", re.DOTALL)

_PHRASE_STARTS: Final[dict[str, tuple[tuple[tuple[str, ...], str], ...]]] = {
    first: tuple(
        sorted(
            ((seq, canon) for seq, canon in PHRASES.items() if seq[0] == first),
            key=lambda item: -len(item[0]),
        )
    )
    for first in {seq[0] for seq in PHRASES}
}


@dataclass(frozen=True, slots=True)
class Recognition:
    """One recognised message: the intent and the slots found (only those present)."""

    intent: Intent
    slots: Slots = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """``{"intent": ..., "slots": {...}}``, the shape of the ``usher intent`` contract."""
        return {"intent": self.intent, "slots": dict(self.slots)}

    def to_json(self) -> str:
        """One line of JSON, exactly ``{"intent": "...", "slots": {...}}``."""
        return json.dumps(self.as_dict())


def recognise(text: str) -> Recognition:
    """Recognise the intent and slots of one fan message (any length; only the start is read)."""
    cleaned = clean(text).strip()
    command = _COMMAND.fullmatch(cleaned) if cleaned.startswith("/") else None
    if command is not None:
        return _recognise_command(command)
    return _recognise_text(cleaned)


def _recognise_command(command: re.Match[str]) -> Recognition:
    """A /command: unknown names are ``unknown``; arguments are read for slots."""
    name = command.group(1).lower()
    intent = _COMMANDS.get(name)
    if intent is None:
        return Recognition("unknown")
    args = command.group(2) or ""
    if name == "start":
        if not args:
            return Recognition("help")
        payload = _recognise_text(args.replace("_", " ").replace("-", " "))
        return payload if payload.intent != "unknown" else Recognition("help")
    slots: Slots = {}
    tokens = tokenize(take_spans(args, slots))
    used = take_ids(tokens, intent, slots, command_cue=_COMMAND_CUES.get(intent))
    if intent == "buy_addon":
        take_quantity(tokens, used, slots)
    return Recognition(intent, _ordered(slots))


def _recognise_text(cleaned: str) -> Recognition:
    slots: Slots = {}
    text = take_spans(cleaned, slots)
    tokens = tokenize(text)
    if not tokens and not slots and _has_emoji(cleaned):
        return Recognition("small_talk", {"topic": "emoji"})
    scores = score(tokens)
    intent = _best(scores)
    used = take_ids(tokens, intent, slots)
    # Slots are evidence too: a coupon code found after "code" makes "my code is FANS24" a
    # coupon message, and a message that only identifies the fan or an order is find_order.
    if "coupon_code" in slots:
        scores["apply_coupon"] = scores.get("apply_coupon", 0.0) + _CODE_WEIGHT
    if scores.get("find_order", 0.0) <= 0 and any(name in slots for name in _IDENTIFIERS):
        scores["find_order"] = _IDENTIFIER_WEIGHT
    intent = _best(scores)
    if intent == "buy_addon":
        take_quantity(tokens, used, slots)
    if intent == "show_tickets":
        take_event(tokens, text, used, slots)
    if intent in TOPIC_INTENTS and (topic := _topic(scores)) is not None:
        slots["topic"] = topic
    return Recognition(intent or "unknown", _ordered(slots))


def _topic(scores: dict[str, float]) -> str | None:
    """The topic with the most votes (``@doors``...); ties go to ``TOPICS`` order."""
    best: str | None = None
    for topic in TOPICS:
        value = scores.get("@" + topic, 0.0)
        if value > 0 and (best is None or value > scores["@" + best]):
            best = topic
    return best


def _has_emoji(text: str) -> bool:
    """True when the text holds a pictograph (an emoji-only message is small talk), unless one
    of them is sad or angry: a crying fan gets the offer of help, not a smiley."""
    if any(ch in SAD_EMOJI for ch in text):
        return False
    return any(unicodedata.category(ch) == "So" for ch in text)


def score(tokens: list[Token]) -> dict[str, float]:
    """Each intent's vote: every canonical keyword counts once, then co-occurrences adjust."""
    canons = _merge_phrases([token.canon for token in tokens])
    scores: dict[str, float] = {}
    for canon in set(canons):
        for intent, weight in WEIGHTS.get(canon, {}).items():
            scores[intent] = scores.get(intent, 0.0) + weight
    present = set(canons)
    for needed, deltas in COMBOS:
        if needed <= present:
            for intent, delta in deltas.items():
                scores[intent] = scores.get(intent, 0.0) + delta
    return scores


def _merge_phrases(canons: list[str]) -> list[str]:
    """Replace known phrases ("never mind", "audio guide") by their one canonical token."""
    merged: list[str] = []
    i = 0
    while i < len(canons):
        for sequence, canon in _PHRASE_STARTS.get(canons[i], ()):
            if tuple(canons[i : i + len(sequence)]) == sequence:
                merged.append(canon)
                i += len(sequence)
                break
        else:
            merged.append(canons[i])
            i += 1
    return merged


def _best(scores: dict[str, float]) -> Intent | None:
    """The highest-scoring intent at or above the threshold; ties go to ``_PRIORITY`` order."""
    best: Intent | None = None
    for intent in _PRIORITY:
        value = scores.get(intent, 0.0)
        if value >= THRESHOLD and (best is None or value > scores[best]):
            best = intent
    return best


def _ordered(slots: Slots) -> Slots:
    return {name: slots[name] for name in SLOT_NAMES if name in slots}
