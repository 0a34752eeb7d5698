"""The interfaces the core and the handlers depend on; adapters implement them.

Handlers never see Redis, httpx or an SDK: they get these Protocols, bound once at start-up in
``bot.app.bootstrap``. Tests bind the same handlers to the real adapters on real Redis and the
sandbox, or to fakes.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.acme.models import Order
from bot.messages import Fan, Reply
from bot.throttle import Admission


@dataclass(frozen=True)
class CodeRecord:
    """A one-time code waiting to be typed: only its hash is ever stored."""

    email: str
    code_hash: str
    expires_at: float
    tries: int


@dataclass(frozen=True)
class Proof:
    """Something the fan holds: ``kind`` is ``email`` (by code) or ``phone`` (by contact).

    Proofs of another kind (the order-level proofs of earlier versions) are ignored when read.
    """

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


class OpenTurn(Protocol):
    """A turn under way: what it began with, read in one round trip, and how it ends.

    ``TurnStore.begin`` yields one; leaving its context without :meth:`save` ends the turn
    saving nothing (the lock is given back), as a failed turn must.
    """

    @property
    def admission(self) -> Admission:
        """What the fan's turn bucket said; anything but ``ADMIT`` means no lock was taken."""
        ...

    @property
    def finished(self) -> list[Reply] | None:
        """The replies of this event's turn, when it already ran: send them, run nothing."""
        ...

    @property
    def state(self) -> dict[str, Any]:
        """The fan's saved conversation state (with its history)."""
        ...

    @property
    def proofs(self) -> list[Proof]:
        """Everything the fan has proven (expired ones included: the caller drops them)."""
        ...

    async def save(self, state: dict[str, Any], replies: Sequence[Reply]) -> None:
        """Save the state and the turn's replies and give the lock back, in one round trip."""
        ...


class TurnStore(Protocol):
    """The conversation core's Redis work for one turn, folded into the fewest round trips."""

    def begin(self, fan: Fan, event_id: str | None) -> AbstractAsyncContextManager[OpenTurn]:
        """Admit the turn, take the fan's lock (waiting for another turn of theirs to end)
        and read the replay, the state and the proofs; raise ``Busy`` past the wait."""
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
        """Drop every proof of the fan and their pending code."""
        ...


class OrderIndex(Protocol):
    """Order number -> order id, for every order Usher has read from ACME.

    ACME searches orders by email and phone only; fans and agents quote the order *number*
    (printed on the receipt). Every order the ACME client reads is remembered here, so an
    order seen once (a search, a fan's turn, an event listing, a checkout) can later be found
    by its number alone.
    """

    async def remember(self, orders: Sequence[Order]) -> None:
        """Note the number and id of each order (orders without a number are skipped)."""
        ...

    async def order_id(self, number: str) -> str | None:
        """The id of the order with this number, when one was seen; else None."""
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
    """Fixed-window counters for abuse limits (code sends and wrong codes, order lookups)."""

    async def hit(self, key: str, window: float) -> int:
        """Count one event under ``key``; return how many fell in the current window."""
        ...

    async def peek(self, key: str) -> int:
        """Events counted under ``key`` in the current window, without counting one."""
        ...


@dataclass(frozen=True)
class Broadcast:
    """A broadcast's record. ``cursor`` is the key of the last fan handled ("" before any)."""

    id: str
    link_code: str
    created_by: str
    created_at: float
    cursor: str = ""
    walked: bool = False
    passes: int = 0
    finished_at: float | None = None
    #: Why it ended early ("link gone"), when it did.
    stopped: str | None = None
    counts: dict[str, int] = field(default_factory=dict, compare=False)


class Lease(Protocol):
    """The right to run a broadcast, for a few seconds at a time."""

    async def renew(self) -> bool:
        """Extend it; False when it lapsed and someone else holds it now."""
        ...

    async def release(self) -> None:
        """Give it up (only if still ours)."""
        ...


class BroadcastStore(Protocol):
    """Broadcast records, recipient claims, retry lists and leases (Redis)."""

    async def create(self, broadcast: Broadcast) -> None:
        """Store a new broadcast and list it as unfinished."""
        ...

    async def get(self, broadcast_id: str) -> Broadcast | None:
        """One broadcast with its counts."""
        ...

    async def lease(self, broadcast_id: str, seconds: float) -> Lease | None:
        """Take the broadcast's lease; None while another run holds it."""
        ...

    async def advance(self, broadcast_id: str, cursor: str) -> None:
        """Move the cursor forward (never back)."""
        ...

    async def update(self, broadcast_id: str, *, walked: bool, passes: int) -> None:
        """Record the walk done and the retry passes made."""
        ...

    async def finish(
        self, broadcast_id: str, at: float, *, stopped: str | None, failed: int
    ) -> bool:
        """Mark it finished with its failed count; True for the call that finished it."""
        ...

    async def unfinished(self) -> list[str]:
        """Ids of broadcasts not finished yet."""
        ...

    async def count(self, broadcast_id: str, outcome: str) -> None:
        """Add one to an outcome's counter."""
        ...

    async def claim(self, broadcast_id: str, fan: Fan) -> bool:
        """Take the right to message this fan for this broadcast; False if already taken."""
        ...

    async def release(self, broadcast_id: str, fan: Fan) -> None:
        """Give the claim back (the send failed)."""
        ...

    async def retry_later(self, broadcast_id: str, fan: Fan, failed: bool) -> None:
        """Add the fan to the broadcast's retry list (``failed``) or take them off it."""
        ...

    async def to_retry(self, broadcast_id: str) -> list[Fan]:
        """The fans whose send failed and may be tried again."""
        ...
