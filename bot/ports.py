"""The interfaces the core and the handlers depend on; adapters implement them.

Handlers never see Redis, httpx or an SDK: they get these Protocols, bound once at start-up in
``bot.app.bootstrap``. Tests bind the same handlers to the real adapters on real Redis and the
sandbox, or to fakes.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from bot.messages import Fan, Reply


@dataclass(frozen=True)
class CodeRecord:
    """A one-time code waiting to be typed: only its hash is ever stored."""

    email: str
    code_hash: str
    expires_at: float
    tries: int


@dataclass(frozen=True)
class Proof:
    """Something the fan proved: ``kind`` is ``email``, ``phone`` or ``order``."""

    kind: str
    value: str
    expires_at: float


class StateStore(Protocol):
    """Per-fan conversation state under a per-fan lock shared by every process."""

    def locked(self, fan: Fan) -> AbstractAsyncContextManager[None]:
        """Hold the fan's lock for one turn."""
        ...

    async def load(self, fan: Fan) -> dict[str, Any]:
        """The fan's state (an empty dict for a new fan)."""
        ...

    async def save(
        self,
        fan: Fan,
        state: dict[str, Any],
        *,
        event_id: str | None = None,
        replies: Sequence[Reply] = (),
    ) -> None:
        """Persist the fan's state; with ``event_id``, record the turn's replies in the same
        write, so the turn counts as finished exactly when its state is saved."""
        ...

    async def finished(self, fan: Fan, event_id: str) -> list[Reply] | None:
        """The replies of the fan's turn for ``event_id`` if that turn finished, else None."""
        ...


class IdentityStore(Protocol):
    """Persistence for one-time codes, send counters and proofs (see ``bot.identity``)."""

    async def put_code(self, fan: Fan, record: CodeRecord) -> None:
        """Store the fan's code, voiding any earlier one."""
        ...

    async def get_code(self, fan: Fan) -> CodeRecord | None:
        """The fan's pending code, if any and not expired."""
        ...

    async def count_failed_try(self, fan: Fan) -> int:
        """Add one wrong try to the pending code; return the tries so far."""
        ...

    async def drop_code(self, fan: Fan) -> None:
        """Forget the pending code (used, voided or locked out)."""
        ...

    async def add_proof(self, fan: Fan, proof: Proof) -> None:
        """Remember a proof until it expires."""
        ...

    async def proofs(self, fan: Fan) -> list[Proof]:
        """The fan's unexpired proofs."""
        ...

    async def forget(self, fan: Fan) -> None:
        """Drop every proof of the fan."""
        ...


class Mailer(Protocol):
    """Sends plain-text mail (one-time codes)."""

    async def send(self, to: str, subject: str, body: str) -> None:
        """Deliver one message or raise."""
        ...


class Clock(Protocol):
    """Wall-clock seconds; injectable so tests can move time."""

    def __call__(self) -> float:
        """Now, as a UNIX timestamp."""
        ...


class RateCounter(Protocol):
    """Fixed-window counters for abuse limits (code sends, order-number guesses)."""

    async def hit(self, key: str, window: float) -> int:
        """Count one event under ``key``; return how many fell in the current window."""
        ...

    async def peek(self, key: str) -> int:
        """Events counted under ``key`` in the current window, without counting one."""
        ...
