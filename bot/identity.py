"""Who a fan has proven to be, and the one-time-code policy that gets them there.

docs/architecture.md's rules, in one place:

* A fan sees an order only when its email or phone is one the fan verified, or when the fan
  proved that single order (order number plus its email). Proofs last 30 days per fan.
* One-time codes: 6 digits, valid 10 minutes, single use, at most 5 tries, a new code voids
  the old one, at most 3 sends per hour per email and per fan, stored only as a keyed hash
  (HMAC with the secret key, bound to the fan and the email), never logged.

The policy is pure logic over the ``IdentityStore`` and ``RateCounter`` ports, so it runs the
same on real Redis and in tests.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from bot.messages import Fan
from bot.ports import Clock, CodeRecord, IdentityStore, Mailer, Proof, RateCounter

CODE_DIGITS = 6
CODE_TTL = 10 * 60.0
MAX_TRIES = 5
MAX_SENDS_PER_HOUR = 3
SEND_WINDOW = 3600.0
PROOF_TTL = 30 * 24 * 3600.0


class CodeCheck(enum.Enum):
    """Outcome of typing a code."""

    OK = "ok"
    WRONG = "wrong"
    LOCKED_OUT = "locked_out"
    EXPIRED = "expired"
    NO_CODE = "no_code"


class SendResult(enum.Enum):
    """Outcome of asking for a code."""

    SENT = "sent"
    TOO_MANY = "too_many"


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
    orders: frozenset[str]

    @property
    def anything(self) -> bool:
        """True when the fan proved at least one thing."""
        return bool(self.emails or self.phones or self.orders)


def _digest(value: str) -> str:
    """A non-reversible label for counters, so emails never appear in Redis key names."""
    return hashlib.sha256(value.encode()).hexdigest()[:24]


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
        """Mail a fresh code to ``email`` (voiding any earlier one) unless over the limits.

        ``body_template`` must contain ``{code}``; it comes from the message copy so the mail
        speaks the fan's language.
        """
        email = email.strip().lower()
        by_email = f"otp-send:email:{_digest(email)}"
        by_fan = f"otp-send:fan:{_digest(fan.key)}"
        if (
            await self.counter.peek(by_email) >= MAX_SENDS_PER_HOUR
            or await self.counter.peek(by_fan) >= MAX_SENDS_PER_HOUR
        ):
            return SendResult.TOO_MANY
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        record = CodeRecord(
            email=email,
            code_hash=self._hash(fan, email, code),
            expires_at=self.clock() + CODE_TTL,
            tries=0,
        )
        await self.store.put_code(fan, record)
        await self.counter.hit(by_email, SEND_WINDOW)
        await self.counter.hit(by_fan, SEND_WINDOW)
        try:
            await self.mailer.send(email, subject, body_template.format(code=code))
        except Exception:
            # An undelivered code must not linger as a valid one.
            await self.store.drop_code(fan)
            raise
        return SendResult.SENT

    async def check_code(self, fan: Fan, typed: str) -> CheckResult:
        """Compare a typed code with the pending one; on success the email is verified."""
        record = await self.store.get_code(fan)
        if record is None:
            return CheckResult(CodeCheck.NO_CODE)
        if record.expires_at <= self.clock():
            await self.store.drop_code(fan)
            return CheckResult(CodeCheck.EXPIRED)
        candidate = self._hash(fan, record.email, typed.strip())
        if hmac.compare_digest(candidate, record.code_hash):
            await self.store.drop_code(fan)
            await self.prove(fan, "email", record.email)
            return CheckResult(CodeCheck.OK, email=record.email)
        tries = await self.store.count_failed_try(fan)
        if tries >= MAX_TRIES:
            await self.store.drop_code(fan)
            return CheckResult(CodeCheck.LOCKED_OUT)
        return CheckResult(CodeCheck.WRONG, tries_left=MAX_TRIES - tries)

    async def prove(self, fan: Fan, kind: str, value: str) -> None:
        """Record that the fan proved an email, a phone (E.164) or a single order id."""
        await self.store.add_proof(fan, Proof(kind, value, self.clock() + PROOF_TTL))

    async def verified(self, fan: Fan) -> Verified:
        """The fan's unexpired proofs, grouped by kind."""
        now = self.clock()
        proofs = [p for p in await self.store.proofs(fan) if p.expires_at > now]
        return Verified(
            emails=frozenset(p.value for p in proofs if p.kind == "email"),
            phones=frozenset(p.value for p in proofs if p.kind == "phone"),
            orders=frozenset(p.value for p in proofs if p.kind == "order"),
        )

    async def forget(self, fan: Fan) -> None:
        """Drop everything the fan proved, and any code on its way to them.

        The one entry point for taking proofs back: the fan's "forget me" / "not me", an
        agent's audited action in Slack, and a channel's sign-out (web chat) all call it. What
        the fan proved is gone at once; the next access to an order asks them to verify again.
        """
        await self.store.forget(fan)
