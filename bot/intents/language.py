"""The fan's language, from their own words: English or Spanish, the channel's locale as prior.

A phone set to English says little about the fan holding it: "¿dónde están mis entradas?"
typed on it wants Spanish. So each message is read for evidence (words only one language
uses, Spanish punctuation and accents); clear evidence switches the conversation to that
language from that message on, and a message with none (an email, an order number, "ok")
keeps the language in use. "english please" / "en español" switch explicitly, and stick: the
fan chose, so evidence no longer moves it until they choose again.

A short, deterministic detector rather than a general language-identification model: the bot
speaks two languages, messages are a few words long, and most words that decide are the
domain's own ("entradas", "pedido", "tickets"), which general models weigh poorly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from bot.intents.text import fold


def _weighted(strong: str, light: str) -> dict[str, int]:
    """Words that decide alone (2) and words that only tip a balance (1), as running text."""
    return {**dict.fromkeys(light.split(), 1), **dict.fromkeys(strong.split(), 2)}


#: Words only Spanish uses here, with their weight.
_SPANISH: Final = _weighted(
    """hola gracias buenas buenos entradas entrada boletos boleto pedido pedidos quiero
    necesito donde esta estan tengo puedo puedes ayuda porfa favor compra compre pague correo
    cuando cuanto cual llego recibi olvidame cancelar reembolso mochila aparcar puertas horario
    taquilla socio cupon carrito manana hoy noche sabado domingo vale""",
    """el la los las de del que y en mi mis por para con es son un una mas muy ya si te se lo
    le al como su sus""",
)
_ENGLISH: Final = _weighted(
    """hello hi hey thanks thank please where what when which tickets ticket order orders want
    need could would should get send show doors parking bag refund transfer help bought paid
    email""",
    "i you to for of and it this that on at do does did not the my your is are was were with "
    "have can",
)
# "no", "me" and "a" are words of both languages; they are left out or kept light.
_SPANISH_MARKS: Final = re.compile(r"[ñ¿¡áéíóú]", re.IGNORECASE)
_WORD: Final = re.compile(r"[^\W\d_]+")
#: Evidence a message needs to move the conversation to a language.
DECIDES: Final = 2

#: Whole messages (or their start) that choose a language explicitly.
_PLEASE: Final = r"(?:[ ,]+(?:please|pls|por favor))?"
_SWITCHES: Final = (
    (re.compile(rf"^(?:in |en )?(?:english|ingles){_PLEASE}\b"), "en"),
    (re.compile(r"^(?:speak|talk|write|answer|reply)(?: to me)? in english\b"), "en"),
    (re.compile(r"^(?:can you |could you )?(?:speak|talk) english\b"), "en"),
    (re.compile(rf"^(?:en |in )?(?:espanol|castellano|spanish){_PLEASE}\b"), "es"),
    (re.compile(r"^(?:hablame|habla|hablas|escribeme|respondeme)(?: en)? espanol\b"), "es"),
    (re.compile(r"^(?:speak|talk|write|answer|reply)(?: to me)? in spanish\b"), "es"),
)


@dataclass(frozen=True)
class Choice:
    """The language for this message, and whether it was chosen explicitly."""

    lang: str
    #: The fan said which language they want ("english please"): it sticks.
    explicit: bool = False
    #: What is left of the message after the switch words ("" when it was only a switch).
    rest: str = ""


def explicit_choice(text: str) -> Choice | None:
    """ "english please", "en español", "habla español": the language and what follows."""
    trimmed = text.strip(" !.¡?¿,")
    folded = fold(trimmed)
    for pattern, lang in _SWITCHES:
        match = pattern.match(folded)
        if match is not None:
            rest = trimmed[match.end() :].strip(" !.,;:-")
            return Choice(lang, explicit=True, rest=rest)
    return None


def detect(text: str) -> str | None:
    """``"es"`` or ``"en"`` when the words say so clearly, else None (no evidence, or a tie)."""
    spanish = 2 * min(len(_SPANISH_MARKS.findall(text)), 1)
    english = 0
    for word in _WORD.findall(text):
        folded = fold(word)
        spanish += _SPANISH.get(folded, 0)
        english += _ENGLISH.get(folded, 0)
    if spanish >= DECIDES and spanish > english:
        return "es"
    if english >= DECIDES and english > spanish:
        return "en"
    return None


def choose(text: str, current: str, *, pinned: bool) -> Choice:
    """The language for a message: an explicit switch, else the words' (unless the fan chose
    one before), else the one in use."""
    switched = explicit_choice(text)
    if switched is not None:
        return switched
    if not pinned:
        found = detect(text)
        if found is not None:
            return Choice(found, rest=text)
    return Choice(current, rest=text)
