"""Text normalisation for the intent recogniser: cleaning, tokens, typo tolerance.

Fans type on phones, in two languages, in a hurry: accents come and go ("olvídalo"/"olvidalo"),
letters repeat ("pleaseeee"), keys slip ("tickts", "oder", "membreship"), and messages carry
emoji, markup and invisible characters. Everything here maps those variations onto the few
hundred words in ``bot.intents.lexicon`` so the scorer can stay a plain weighted vote.

Typo tolerance is a tiny SymSpell: every keyword's one- and two-deletion variants are indexed
once at import, so correcting a token costs a handful of dictionary look-ups instead of an edit
distance against the whole lexicon. Only tokens that are not already known words are corrected,
only towards keywords of four letters or more, at distance 1 (distance 2 for tokens of eight
letters or more, where two slips are common and collisions rare).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final, NamedTuple

from bot.intents.lexicon import CANON_OF, CORRECTION_TARGETS, EMOJI_WORDS, VOCABULARY

MAX_CHARS: Final = 2000
"""Only the first MAX_CHARS characters are read: a 1 MB message costs what a long one does."""

_SPACE: Final = " "
# One translate table: line breaks and tabs become spaces, other control characters and
# invisible format characters (zero-width spaces, BOM, bidi marks, soft hyphen) vanish so that
# "t\u200bickets" still reads "tickets", and the few meaningful emoji become words.
_TRANSLATE: Final[dict[int, str | None]] = {
    **dict.fromkeys([*range(0x00, 0x20), *range(0x7F, 0xA0)]),
    **dict.fromkeys(map(ord, "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029"), _SPACE),
    **dict.fromkeys([0xAD, *range(0x200B, 0x2010), *range(0x202A, 0x202F)]),
    **dict.fromkeys([*range(0x2060, 0x2065), *range(0x2066, 0x206A), 0xFEFF]),
    **{ord(emoji): word for emoji, word in EMOJI_WORDS.items()},
}
_TAG: Final = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
_TOKEN: Final = re.compile(r"#?[^\W_]+")
_COMBINING: Final = re.compile(r"[\u0300-\u036f]")
_RUN3: Final = re.compile(r"(.)\1{2,}")
#: "haha", "jajaja", "jejeje", "hahah": one laugh, whatever its length or language.
_LAUGH: Final = re.compile(r"(?:ha|ja|je|he|ji|hi){2,}[hj]?")
LAUGH: Final = "haha"


class Token(NamedTuple):
    """One word or number of the message, as typed and as understood."""

    raw: str  # as typed, NFKC (case kept: codes are read from it), without a leading "#"
    word: str  # folded and typo-corrected
    canon: str  # the lexicon's canonical token for ``word`` (``word`` itself if unknown)
    hashed: bool  # typed with a leading "#", as order numbers often are
    start: int = 0  # where it is in the text given to ``tokenize`` (an event's name is cut
    end: int = 0  # from the text as typed, "behind-the-scenes tour", not from the tokens)


def clean(text: str) -> str:
    """Cap the length, drop invisible characters and markup tags, turn meaningful emoji to words."""
    return _TAG.sub(_SPACE, text[:MAX_CHARS].translate(_TRANSLATE))


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Olvídalo", "OLVIDALO" and "olvidalo" are one word."""
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()


def tokenize(text: str) -> list[Token]:
    """Split already-cleaned text into tokens; punctuation and emoji separate words."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        raw = unicodedata.normalize("NFKC", match.group())  # full-width "１２３" -> "123"
        hashed = raw.startswith("#")
        if hashed:
            raw = raw[1:]
        word = correct(fold(raw))
        tokens.append(
            Token(raw, word, CANON_OF.get(word, word), hashed, match.start(), match.end())
        )
    return tokens


@lru_cache(maxsize=8192)
def correct(word: str) -> str:
    """Map a folded token to the word the fan meant (itself when it is known or unknowable).

    Repeated letters are squeezed first ("pleaseeee" -> "please", "goood" -> "good"), then
    unknown alphabetic words get the nearest keyword within the allowed edit distance.
    """
    if _LAUGH.fullmatch(word):
        return LAUGH
    if word in VOCABULARY or not word.isalpha():
        return word
    double = _RUN3.sub(r"\1\1", word)
    single = _RUN3.sub(r"\1", word)
    for candidate in (double, single):
        if candidate in VOCABULARY:
            return candidate
    if not 4 <= len(single) <= 24:
        return single
    return _nearest(single) or single


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _build_index(max_distance: int) -> dict[str, tuple[str, ...]]:
    index: dict[str, set[str]] = {}
    for target in CORRECTION_TARGETS:
        if max_distance == 2 and len(target) < 7:
            continue
        keys = {target} | _deletes(target)
        if max_distance == 2:
            keys |= {d2 for d1 in _deletes(target) for d2 in _deletes(d1)}
        for key in keys:
            index.setdefault(key, set()).add(target)
    return {key: tuple(sorted(targets)) for key, targets in index.items()}


_INDEX1: Final = _build_index(1)
_INDEX2: Final = _build_index(2)


def _nearest(word: str) -> str | None:
    """The closest correction target, or None; ties go to the same first letter, then A-Z."""
    if len(word) >= 8:
        index, allowed = _INDEX2, 2
        keys = {word} | _deletes(word)
        keys |= {d2 for d1 in keys - {word} for d2 in _deletes(d1)}
    else:
        index, allowed = _INDEX1, 1
        keys = {word} | _deletes(word)
    candidates = {target for key in keys for target in index.get(key, ())}
    scored = [
        (distance, target[0] != word[0], target)
        for target in candidates
        if (distance := osa_distance(word, target)) <= allowed
    ]
    return min(scored)[2] if scored else None


def osa_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: edits plus adjacent swaps ("tickte" -> "ticket")."""
    if abs(len(a) - len(b)) > 2:
        return 3
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]
