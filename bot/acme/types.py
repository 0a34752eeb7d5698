"""Field types for ACME payloads as they really arrive, and the base of every ACME model.

ACME is inconsistent in ways that matter (see acme-notes.md, "Fields arrive as strings..."):
money comes as strings (``"255.00"``) or numbers, absent values as the *string* ``"null"``,
times as ISO strings with offsets *or* epoch milliseconds (``eventStartTime``), ids as strings
or numbers, and the same phone number in different shapes (``1234567890`` in a search,
``+11234567890`` in the order itself). Each quirk is absorbed once, here, by an annotated type,
so the models read like the field tables and callers get one shape:

* ``Money``: ``Decimal`` (never float); serialised back as ACME writes it, ``"24.00"``.
* ``AcmeId``: always ``str``; a number id is turned into its decimal string.
* ``AcmeTime`` / ``EpochMsTime``: an aware ``datetime`` from either form. They differ only in
  how they are written back (ISO string vs epoch ms), so a read-modify-write of an order sends
  each field in the form ACME used for it.
* ``Opt*``: the same, optional, with ``"null"`` and ``""`` read as ``None``. Free text (names,
  notes) stays exactly as sent, since only ids, money, codes and times use the ``"null"`` quirk.
* Phone numbers stay raw in the models (ACME may need them back as they were);
  :func:`to_e164` gives the comparable form.

Every model extends :class:`AcmeModel`: camelCase on the wire, snake_case in Python, and
``extra="allow"`` so an unknown field (``itemId2``, ``itemTypeNg``...) neither fails the parse
nor is lost when the object is sent back (``PUT`` of an order or cart).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import phonenumbers
from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

DEFAULT_PHONE_REGION = "US"
#: Distinct phone spellings remembered in E.164 form (a few hundred bytes each).
PHONE_CACHE_SIZE = 65536
_NULLS = frozenset({"null", "NULL", "Null", ""})
_CENT = Decimal("0.01")


class AcmeModel(BaseModel):
    """Base of every ACME payload model (see the module docstring for why each setting)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="allow",
    )

    def to_json_body(self) -> dict[str, Any]:
        """The JSON object to send to ACME: camelCase, only the fields that were set."""
        return self.model_dump(mode="json", exclude_unset=True)


def _null_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and value.strip() in _NULLS else value


def _to_decimal(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a money amount, not a boolean")
    # Numbers are left to pydantic, which converts floats through str(): 0.1 stays 0.1.
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation as exc:
            raise ValueError(f"not a money amount: {value!r}") from exc
    return value


def _to_id(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("an id, not a boolean")
    if isinstance(value, int):
        return str(value)
    return value


def parse_acme_time(value: Any) -> Any:
    """Epoch milliseconds (number or digit string) or ISO 8601 -> aware datetime.

    ACME documents offsets on every ISO time; a time without one is read as UTC rather than
    failing the whole payload (the date a fan sees is still right to within the offset).
    """
    if isinstance(value, bool):
        raise ValueError("a time, not a boolean")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"not an ISO time or epoch milliseconds: {value!r}") from exc
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def format_money(value: Decimal) -> str:
    """``Decimal("24")`` -> ``"24.00"``: how ACME writes amounts."""
    return str(value.quantize(_CENT))


def _iso(value: datetime) -> str:
    return value.isoformat()


def _epoch_ms(value: datetime) -> int:
    return round(value.timestamp() * 1000)


Money = Annotated[
    Decimal,
    BeforeValidator(_to_decimal),
    PlainSerializer(format_money, return_type=str, when_used="json"),
]
AcmeId = Annotated[str, BeforeValidator(_to_id)]
AcmeTime = Annotated[
    datetime,
    BeforeValidator(parse_acme_time),
    PlainSerializer(_iso, return_type=str, when_used="json"),
]
EpochMsTime = Annotated[
    datetime,
    BeforeValidator(parse_acme_time),
    PlainSerializer(_epoch_ms, return_type=int, when_used="json"),
]

OptMoney = Annotated[Money | None, BeforeValidator(_null_to_none)]
OptId = Annotated[AcmeId | None, BeforeValidator(_null_to_none)]
OptTime = Annotated[AcmeTime | None, BeforeValidator(_null_to_none)]
OptEpochMsTime = Annotated[EpochMsTime | None, BeforeValidator(_null_to_none)]
OptCode = Annotated[str | None, BeforeValidator(_null_to_none)]
#: ACME's internal membership ids are numbers and the cart takes them as numbers
#: (``"membershipIds": [5970603]``), so they stay ``int`` rather than becoming ``AcmeId``.
OptMembershipId = Annotated[int | None, BeforeValidator(_null_to_none)]


@functools.lru_cache(maxsize=PHONE_CACHE_SIZE)
def to_e164(raw: str | None, region: str = DEFAULT_PHONE_REGION) -> str | None:
    """The E.164 form of a phone number as ACME stored it, or None when it is not a number.

    ``"1234567890"``, ``"(123) 456-7890"`` and ``"+11234567890"`` all give ``"+11234567890"``.
    "Possible" rather than "valid" on purpose: ACME's own example (area code 123) is not a
    valid North American number, and what matters here is comparing two spellings.
    Memoised: ownership checks compare every order's phones on every turn, and parsing one
    takes about 40 us (two per order, 25 orders: 2 ms of a 9 ms turn in bench.turns).
    """
    if raw is None or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def same_phone(a: str | None, b: str | None, region: str = DEFAULT_PHONE_REGION) -> bool:
    """True when both are phone numbers and they are the same number in any spelling."""
    left, right = to_e164(a, region), to_e164(b, region)
    return left is not None and left == right


def phone_spellings(e164: str, region: str = DEFAULT_PHONE_REGION) -> list[str]:
    """The spellings ACME may hold a number in, most likely first, without repeats.

    ACME's search matches the phone exactly as the order stores it, and orders store what the
    buyer or the sales channel typed: acme-orders.txt itself shows ``1234567890`` in a search
    and ``+11234567890`` in the order. Derived from the number: national digits, E.164,
    national with punctuation (``(415) 555-0134``), international (``+1 415-555-0134``) and
    every digit with the country code (``14155550134``). Not a number: just as given.
    A new list each call (callers reorder it); the formatting behind it is memoised, since
    every turn of a fan with a verified phone asks it again.
    """
    return list(_phone_spellings(e164, region))


@functools.lru_cache(maxsize=PHONE_CACHE_SIZE)
def _phone_spellings(e164: str, region: str) -> tuple[str, ...]:
    """Uncached :func:`phone_spellings`."""
    try:
        number = phonenumbers.parse(e164, region)
    except phonenumbers.NumberParseException:
        return (e164,)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    forms = [
        "".join(ch for ch in national if ch.isdigit()),
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        national,
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        f"{number.country_code}{phonenumbers.national_significant_number(number)}",
    ]
    return tuple(dict.fromkeys(form for form in forms if form))


def email_spellings(typed: str) -> list[str]:
    """The spellings to search an email in: as typed, then lowercased (ACME's search compares
    as stored, and the documents never say it ignores case)."""
    stripped = typed.strip()
    return list(dict.fromkeys((stripped, stripped.lower())))
