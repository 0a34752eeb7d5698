"""A conversation turn's Redis work in two scripts: one to begin it, one to end it.

A turn used to cost a dozen round trips before its handler ran (the turn bucket, the lock, the
replay check, the state, the history, the proofs read once per handler that asked) and five
after (a MULTI of the state, history and replies, then the lock's release). Each round trip is
latency for the fan and load on the one Redis that every process shares, so the turn now runs:

* :data:`_BEGIN` (one EVALSHA): take a turn from the fan's bucket (``adapters.store.turn_gate``;
  a refusal ends here, no lock taken); take the fan's lock (``SET NX PX`` with a random token,
  as redis-py's ``Lock`` does, so ``Messenger.expect`` and the turns still exclude each other);
  if the event already ran, give the lock back at once and return its saved replies; otherwise
  return the state, its history and the fan's proofs.
* :data:`_END` (one EVALSHA): write the state (30 days), the history (a day, or deleted), the
  turn's replies under its event id (an hour), and delete the lock if the token is still ours.

**The end with the answer's first message** (:func:`ending_with_first_message`): a channel
that sends the turn's replies itself (Telegram) may hold :data:`_END` back and send it in the
round trip that asks the pacer for the first message's slot, ahead of it: one round trip
fewer, and the state is still saved before any message goes (a pipeline runs in order, and the
message waits for its answer). When nothing is sent, or sending fails before that round trip,
it is run on its own when the channel's block ends, as it would have been.

Every guarantee of the step-by-step version holds: one turn at a time per fan across
processes (the lock), at most one run per event id (the replies are written with the state in
the same script, so a turn is finished exactly when its state is saved), a lock that lapses
after :data:`TURN_LOCK_LEASE` when its holder dies and is renewed while a slow turn runs, a
failed turn that saves nothing (the context ends with the lock released and nothing written).
Keys and formats are those of ``adapters.store.identity`` (state, history, replies, proofs).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio.client import Pipeline
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from adapters.store.identity import (
    FINISHED_TTL_MS,
    STATE_TTL,
    TURN_LOCK_LEASE,
    TURN_LOCK_LONGEST,
    TURN_LOCK_WAIT,
    parse_proofs,
    reply_from_record,
    reply_record,
    split_history,
)
from adapters.store.legacy_keys import LegacyKeys
from adapters.store.pacing import Settle
from adapters.store.scripts import answer_of, queue_script
from adapters.store.store import Store
from adapters.store.turn_gate import ADMIT_FUNCTION, ANSWERS, RedisTurnGate
from bot.errors import Busy
from bot.history import HISTORY_TTL
from bot.messages import Fan, Reply
from bot.ports import Proof
from bot.throttle import Admission
from bot.turn import HISTORY

#: How often a turn waiting for the fan's lock tries again.
LOCK_POLL = 0.02

#: KEYS: bucket, lock, replies of this event, state, history, proofs.
#: ARGV: check the bucket (1/0), interval ms, burst, token, lease ms, event given (1/0).
#: Returns {status, replies|state, history, proofs}: status 1 begun, 2 busy (lock held),
#: 3 finished already (lock given back), 0/-1 refused by the bucket (warn / silently).
_BEGIN = (
    ADMIT_FUNCTION
    + """
if ARGV[1] == '1' then
  local admitted = admit(KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
  if admitted ~= 1 then return {admitted} end
end
if not redis.call('SET', KEYS[2], ARGV[4], 'NX', 'PX', ARGV[5]) then return {2} end
if ARGV[6] == '1' then
  local replies = redis.call('GET', KEYS[3])
  if replies then
    redis.call('DEL', KEYS[2])
    return {3, replies}
  end
end
return {1, redis.call('GET', KEYS[4]) or '', redis.call('GET', KEYS[5]) or '',
        redis.call('HGETALL', KEYS[6])}
"""
)
#: KEYS: lock, state, history, replies of this event. ARGV: token, state, state ttl ms,
#: history ('' deletes it), history ttl ms, replies ('' when no event), replies ttl ms.
_END = """
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
if ARGV[4] ~= '' then
  redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5])
else
  redis.call('DEL', KEYS[3])
end
if ARGV[6] ~= '' then redis.call('SET', KEYS[4], ARGV[6], 'PX', ARGV[7]) end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""
#: KEYS: lock. ARGV: token, lease ms. Renew, or give back ('0' lease), only while ours.
_RENEW_OR_RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then return redis.call('DEL', KEYS[1]) end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""


@dataclass
class RedisOpenTurn:
    """``bot.ports.OpenTurn``: one turn begun by :class:`RedisTurns`."""

    turns: RedisTurns
    fan: Fan
    event_id: str | None
    token: str
    admission: Admission = Admission.ADMIT
    finished: list[Reply] | None = None
    state: dict[str, Any] = field(default_factory=dict)
    proofs: list[Proof] = field(default_factory=list)
    saved: bool = False

    async def save(self, state: dict[str, Any], replies: Sequence[Reply]) -> None:
        """Write state, history and replies, and give the lock back: one EVALSHA."""
        rest, history = split_history(state)
        turns = self.turns
        records = (
            json.dumps([reply_record(r) for r in replies], separators=(",", ":"))
            if self.event_id is not None
            else ""
        )
        keys = [
            turns.lock_key(self.fan),
            turns.key("state", self.fan),
            turns.key("history", self.fan),
            turns.replies_key(self.fan, self.event_id),
        ]
        args: list[str | int] = [
            self.token,
            rest,
            int(STATE_TTL * 1000),
            history,
            int(HISTORY_TTL * 1000),
            records,
            FINISHED_TTL_MS,
        ]
        held = _HELD_END.get()
        if held is not None:
            await held.hold(turns.end_script, keys, args)
        else:
            await turns.end_script(keys=keys, args=args)
        self.saved = True


class HeldEnd:
    """A turn's end script held back to go ahead of its first message (module docstring)."""

    def __init__(self) -> None:
        self._pending: tuple[AsyncScript, list[str], list[str | int]] | None = None

    async def hold(self, script: AsyncScript, keys: list[str], args: list[str | int]) -> None:
        """Keep the end of a turn for :meth:`along` (one at a time: an earlier one runs now)."""
        await self.flush()
        self._pending = (script, keys, args)

    def along(self, pipe: Pipeline) -> Settle | None:
        """``adapters.store.pacing.Along``: the held end ahead of the slot request."""
        if self._pending is None:
            return None
        script, keys, args = self._pending
        self._pending = None
        queue_script(pipe, script, keys, args)

        async def settle(found: list[Any]) -> None:
            # Raised when not saved: the message must not go.
            await answer_of(found[0], script, keys, args)

        return settle

    async def flush(self) -> None:
        """Run a held end on its own (nothing was sent with it)."""
        if self._pending is not None:
            script, keys, args = self._pending
            self._pending = None
            await script(keys=keys, args=args)


_HELD_END: ContextVar[HeldEnd | None] = ContextVar("usher_held_turn_end", default=None)


@contextlib.asynccontextmanager
async def ending_with_first_message() -> AsyncIterator[HeldEnd]:
    """Within the block, a turn's end is held back; the block sends the turn's replies with
    :meth:`HeldEnd.along` on the first message's slot request (or :meth:`HeldEnd.flush`
    first, to read the saved state), and a held end not sent that way is run on its own when
    the block ends."""
    held = HeldEnd()
    token = _HELD_END.set(held)
    try:
        yield held
    finally:
        _HELD_END.reset(token)
        await held.flush()


class RedisTurns:
    """``bot.ports.TurnStore`` on Redis: a turn's work in two scripts (see the docstring)."""

    def __init__(self, store: Store, gate: RedisTurnGate | None = None) -> None:
        """``gate``: the per-fan turn bucket checked in the first script; None admits all."""
        self.store = store
        self.gate = gate
        redis = store.redis
        self.begin_script = redis.register_script(_BEGIN)
        self.end_script = redis.register_script(_END)
        self._renew_or_release = redis.register_script(_RENEW_OR_RELEASE)

    def key(self, kind: str, fan: Fan) -> str:
        """A per-fan key, named as ``adapters.store.identity`` names it."""
        return self.store.fan_key(kind, fan)

    def lock_key(self, fan: Fan) -> str:
        """The fan's turn lock (the key ``RedisStateStore.locked`` takes too)."""
        return self.store.key("lock", "turn", self.store.tag(fan))

    def replies_key(self, fan: Fan, event_id: str | None) -> str:
        """Where the replies of the fan's turn for ``event_id`` are kept."""
        return self.store.fan_key("turn", fan, event_id or "-")

    @contextlib.asynccontextmanager
    async def begin(self, fan: Fan, event_id: str | None) -> AsyncIterator[RedisOpenTurn]:
        """One turn of ``fan``'s (see the module docstring); Busy past the lock's wait."""
        opened = await self._begin(fan, event_id)
        if opened.admission is not Admission.ADMIT or opened.finished is not None:
            yield opened  # nothing held: refused, or answered from the replies saved before
            return
        renewing = asyncio.create_task(self._keep(fan, opened.token))
        try:
            yield opened
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            if not opened.saved:
                with contextlib.suppress(RedisError):  # it lapses on its own otherwise
                    await self._renew_or_release(keys=[self.lock_key(fan)], args=[opened.token, 0])

    async def _begin(self, fan: Fan, event_id: str | None) -> RedisOpenTurn:
        token = secrets.token_hex(16)
        gate_args: list[str | int] = self.gate.args() if self.gate is not None else [0, 1]
        check_gate = self.gate is not None
        keys = [
            self.gate.key(fan) if self.gate is not None else self.key("throttle", fan),
            self.lock_key(fan),
            self.replies_key(fan, event_id),
            self.key("state", fan),
            self.key("history", fan),
            self.key("proof", fan),
        ]
        deadline = time.monotonic() + TURN_LOCK_WAIT
        while True:
            found = await self.begin_script(
                keys=keys,
                args=[
                    1 if check_gate else 0,
                    *gate_args,
                    token,
                    int(TURN_LOCK_LEASE * 1000),
                    1 if event_id is not None else 0,
                ],
            )
            status = int(found[0])
            if status in ANSWERS and status != 1:
                return RedisOpenTurn(self, fan, event_id, token, admission=ANSWERS[status])
            if status == 3:
                records = json.loads(found[1])
                replies = [reply_from_record(record) for record in records]
                return RedisOpenTurn(self, fan, event_id, token, finished=replies)
            if status == 1:
                raw_state, raw_history, raw_proofs = found[1], found[2], found[3]
                if not raw_state:  # a new fan, or one whose keys still have their old names
                    old_state, old_history, old_proofs = await LegacyKeys(self.store).everything(
                        fan
                    )
                    raw_state, raw_history = old_state or b"", old_history or b""
                    raw_proofs = raw_proofs or old_proofs
                return RedisOpenTurn(
                    self,
                    fan,
                    event_id,
                    token,
                    state=_state(raw_state, raw_history),
                    proofs=parse_proofs(raw_proofs),
                )
            # The lock is held by another turn of the fan's: the bucket has already counted
            # this one, so it is not charged again while it waits.
            check_gate = False
            if time.monotonic() >= deadline:
                raise Busy(f"the turn lock of {fan.channel} fan is busy")
            await asyncio.sleep(LOCK_POLL)

    async def _keep(self, fan: Fan, token: str) -> None:
        """Renew the lock every third of its lease while the turn runs, up to the longest."""
        deadline = time.monotonic() + TURN_LOCK_LONGEST
        lease_ms = int(TURN_LOCK_LEASE * 1000)
        while time.monotonic() < deadline:
            await asyncio.sleep(TURN_LOCK_LEASE / 3)
            try:
                if not await self._renew_or_release(
                    keys=[self.lock_key(fan)], args=[token, lease_ms]
                ):
                    return  # lapsed and maybe taken: renewing now would steal it
            except RedisError:  # Redis blinked: the next renewal may still be in time
                continue


def _state(raw_state: bytes | str, raw_history: bytes | str) -> dict[str, Any]:
    state = json.loads(raw_state) if raw_state else None
    if not isinstance(state, dict):
        state = {}
    state.pop(HISTORY, None)  # a state saved before the history had its own key
    if raw_history:
        state[HISTORY] = json.loads(raw_history)
    return state
