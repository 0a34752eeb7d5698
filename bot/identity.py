"""Who a fan has proven to be, and the one-time-code policy that gets them there.

docs/architecture.md's rules, in one place:

* A fan sees an order only when its email or phone is one the fan holds: an email verified by
  a one-time code mailed to it, or a phone the channel vouches is the sender's own (Telegram's
  shared contact). Nothing else is a proof: an order number plus its email is only a lookup key
  (``handlers.verify``), and there is no order-level proof. Proofs last 30 days per fan, are
  re-checked against the order at every access, and can be taken back (:meth:`Identity.forget`).
* One-time codes: 6 digits, valid 10 minutes, single use, at most 5 tries, a new code voids
  the old one, stored only as a keyed hash (HMAC with the secret key, bound to the fan and the
  email), never logged.
* Send limits that a stranger cannot use against the owner: at most 3 sends an hour for one
  (email, fan) pair, under a higher ceiling of 10 an hour for the email across every fan, and
  5 an hour for one fan across emails (so one account cannot mail-bomb many addresses). Three
  strangers asking for codes to an address still leave its owner a send.
* Brute force across accounts is capped per email: 20 wrong codes in a day, whoever typed
  them, pause codes for that email for a day (pending codes no longer work, no new code is
  mailed) and mail the address once to say someone tried. The answers read the same for every
  email, known to ACME or not, so nothing here reveals whether an address has orders.

The policy is pure logic over the ``IdentityStore``, ``RateCounter`` and ``Mailer`` ports, so it
runs the same on real Redis and in tests.

Within a turn the fan's proofs are read once, with the state, by the turn's first Redis script
(``bot.ports.TurnStore``): :func:`turn_proofs` hands them to :meth:`Identity.verified` for the
rest of the turn, so a handler (or three of them) asking again costs no round trip. A proof
given or taken back during the turn updates that copy too.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

import structlog

from bot import copy
from bot.messages import Fan
from bot.ports import Clock, CodeRecord, IdentityStore, Mailer, Proof, RateCounter

log = structlog.get_logger("usher.identity")

CODE_DIGITS = 6
CODE_TTL = 10 * 60.0
MAX_TRIES = 5
#: Sends an hour to one email for one fan; for one email from every fan; for one fan.
MAX_SENDS_PER_PAIR = 3
MAX_SENDS_PER_EMAIL = 10
MAX_SENDS_PER_FAN = 5
SEND_WINDOW = 3600.0
#: Wrong codes for one email in a day, across every fan, before codes for it pause for a day.
MAX_FAILED_TRIES_PER_EMAIL = 20
PAUSE_WINDOW = 24 * 3600.0
PROOF_TTL = 30 * 24 * 3600.0

ProofKind = Literal["email", "phone"]
#: The proofs read at the start of the running turn, by fan key (see the module docstring).
_TURN_PROOFS: ContextVar[dict[str, list[Proof]] | None] = ContextVar("turn_proofs", default=None)


@contextmanager
def turn_proofs(fan: Fan, proofs: Sequence[Proof]) -> Iterator[None]:
    """For the body (one turn): ``fan``'s proofs are ``proofs``, not re-read from the store."""
    token = _TURN_PROOFS.set({fan.key: list(proofs)})
    try:
        yield
    finally:
        _TURN_PROOFS.reset(token)


def _known(fan: Fan) -> list[Proof] | None:
    known = _TURN_PROOFS.get()
    return known.get(fan.key) if known is not None else None


#: Language of each part of the notice to an email's owner (we do not know theirs).
NOTICE_LANGUAGES = ("en", "es")


class CodeCheck(enum.Enum):
    """Outcome of typing a code."""

    OK = "ok"
    WRONG = "wrong"
    LOCKED_OUT = "locked_out"
    EXPIRED = "expired"
    NO_CODE = "no_code"
    #: Too many wrong codes for this email today, across fans: codes for it are paused.
    PAUSED = "paused"


class SendResult(enum.Enum):
    """Outcome of asking for a code."""

    SENT = "sent"
    TOO_MANY = "too_many"
    #: Codes for this email are paused for the day (too many wrong codes, across fans).
    PAUSED = "paused"


@dataclass(frozen=True)
class CheckResult:
    """What happened to a typed code; ``email`` is set when it verified one."""

    outcome: CodeCheck
    email: str | None = None
    tries_left: int = 0


@dataclass(frozen=True)
class Verified:
    """A fan's current proofs, ready for ownership checks."""

    emails: frozenset[str]
    phones: frozenset[str]

    @property
    def anything(self) -> bool:
        """True when the fan proved at least one thing."""
        return bool(self.emails or self.phones)


def _digest(value: str) -> str:
    """A non-reversible label for counters, so emails never appear in Redis key names."""
    return hashlib.sha256(value.encode()).hexdigest()[:24]


def _pause_key(email: str) -> str:
    return f"otp-paused:email:{_digest(email)}"


class Identity:
    """The verification policy; bound once at start-up."""

    def __init__(
        self,
        store: IdentityStore,
        counter: RateCounter,
        mailer: Mailer,
        *,
        secret: bytes,
        clock: Clock = time.time,
    ) -> None:
        self.store = store
        self.counter = counter
        self.mailer = mailer
        self.secret = secret
        self.clock = clock

    def _hash(self, fan: Fan, email: str, code: str) -> str:
        message = f"{fan.key}\x00{email}\x00{code}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    async def send_code(
        self, fan: Fan, email: str, *, subject: str, body_template: str
    ) -> SendResult:
        """Mail a fresh code to ``email`` (voiding the fan's earlier one) unless over the limits.

        ``body_template`` must contain ``{code}``; it comes from the message copy so the mail
        speaks the fan's language.
        """
        email = email.strip().lower()
        if await self.counter.peek(_pause_key(email)) > 0:
            return SendResult.PAUSED
        counters = (
            (f"otp-send:pair:{_digest(fan.key + chr(0) + email)}", MAX_SENDS_PER_PAIR),
            (f"otp-send:email:{_digest(email)}", MAX_SENDS_PER_EMAIL),
            (f"otp-send:fan:{_digest(fan.key)}", MAX_SENDS_PER_FAN),
        )
        for key, limit in counters:
            if await self.counter.peek(key) >= limit:
                return SendResult.TOO_MANY
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        record = CodeRecord(
            email=email,
            code_hash=self._hash(fan, email, code),
            expires_at=self.clock() + CODE_TTL,
            tries=0,
        )
        await self.store.put_code(fan, record)
        for key, _ in counters:
            await self.counter.hit(key, SEND_WINDOW)
        try:
            await self.mailer.send(email, subject, body_template.format(code=code))
        except Exception:
            # An undelivered code must not linger as a valid one.
            await self.store.drop_code(fan)
            raise
        return SendResult.SENT

    async def cancel_code(self, fan: Fan) -> None:
        """Void the fan's pending code (they stopped verifying: "cancel")."""
        await self.store.drop_code(fan)

    async def pending_email(self, fan: Fan) -> str | None:
        """The address of the fan's code still waiting to be typed (None: no live code)."""
        record = await self.store.get_code(fan)
        if record is None or record.expires_at <= self.clock():
            return None
        return record.email

    async def check_code(self, fan: Fan, typed: str) -> CheckResult:
        """Compare a typed code with the pending one; on success the email is verified."""
        record = await self.store.get_code(fan)
        if record is None:
            return CheckResult(CodeCheck.NO_CODE)
        if await self.counter.peek(_pause_key(record.email)) > 0:
            await self.store.drop_code(fan)
            return CheckResult(CodeCheck.PAUSED)
        if record.expires_at <= self.clock():
            await self.store.drop_code(fan)
            return CheckResult(CodeCheck.EXPIRED)
        candidate = self._hash(fan, record.email, typed.strip())
        if hmac.compare_digest(candidate, record.code_hash):
            await self.store.drop_code(fan)
            await self.prove(fan, "email", record.email)
            return CheckResult(CodeCheck.OK, email=record.email)
        tries = await self.store.count_failed_try(fan)
        failed = await self.counter.hit(f"otp-failed:email:{_digest(record.email)}", PAUSE_WINDOW)
        if failed >= MAX_FAILED_TRIES_PER_EMAIL:
            await self.store.drop_code(fan)
            await self._pause(record.email)
            return CheckResult(CodeCheck.PAUSED)
        if tries >= MAX_TRIES:
            await self.store.drop_code(fan)
            return CheckResult(CodeCheck.LOCKED_OUT)
        return CheckResult(CodeCheck.WRONG, tries_left=MAX_TRIES - tries)

    async def _pause(self, email: str) -> None:
        """Pause codes for ``email`` for a day; the first to pause it mails its owner."""
        if await self.counter.hit(_pause_key(email), PAUSE_WINDOW) != 1:
            return
        subject = " / ".join(
            copy.text("code_paused_mail_subject", lang) for lang in NOTICE_LANGUAGES
        )
        body = "\n\n---\n\n".join(
            copy.text("code_paused_mail_body", lang, tries=MAX_FAILED_TRIES_PER_EMAIL)
            for lang in NOTICE_LANGUAGES
        )
        try:
            await self.mailer.send(email, subject, body)
        except Exception as exc:  # the pause holds either way; the notice is a courtesy
            log.warning("pause_notice_failed", error=type(exc).__name__)

    async def prove(self, fan: Fan, kind: ProofKind, value: str) -> None:
        """Record that the fan holds an email (code) or a phone (E.164, the channel vouched)."""
        proof = Proof(kind, value, self.clock() + PROOF_TTL)
        await self.store.add_proof(fan, proof)
        known = _known(fan)
        if known is not None:
            known[:] = [p for p in known if (p.kind, p.value) != (kind, value)] + [proof]

    async def verified(self, fan: Fan) -> Verified:
        """The fan's unexpired proofs, grouped by kind."""
        now = self.clock()
        known = _known(fan)
        stored = known if known is not None else await self.store.proofs(fan)
        proofs = [p for p in stored if p.expires_at > now]
        return Verified(
            emails=frozenset(p.value for p in proofs if p.kind == "email"),
            phones=frozenset(p.value for p in proofs if p.kind == "phone"),
        )

    async def forget(self, fan: Fan) -> None:
        """Drop everything the fan proved, and any code on its way to them.

        The one entry point for taking proofs back: the fan's "forget me" / "not me", an
        agent's audited action in Slack, and a channel's sign-out (web chat) all call it. What
        the fan proved is gone at once; the next access to an order asks them to verify again.
        """
        await self.store.forget(fan)
        known = _known(fan)
        if known is not None:
            known.clear()
