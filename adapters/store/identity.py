"""Redis implementations of the identity, state and counter ports.

Keys (all under the store prefix; ``{fan}`` is the fan in a hash tag, ``{telegram:42}``, so all
of one fan's keys share a Redis Cluster slot: ``Store.fan_key``):

* ``state:{fan}``      conversation state, JSON, kept 30 days after the last turn
* ``history:{fan}``    the state's ``history`` (what agents see on a handoff), JSON, kept a day
  after its last line: a fan's words do not live as long as their state (``bot.history``)
* ``turn:{fan}:{event}``  the replies of the turn that handled a platform event, JSON, 1 hour
  (written with the state, so a re-delivered event is answered, not run again)
* ``otp:{fan}``        the pending one-time code: a hash of email, code hash, expiry, tries
* ``proof:{fan}``      a hash ``kind:value`` -> expiry timestamp
* ``rate:{name}``      fixed-window counters (INCR, expiry set on the first hit)
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from adapters.store.legacy_keys import LegacyKeys
from adapters.store.store import Store, awaited
from bot.history import HISTORY_TTL
from bot.messages import Button, Fan, Image, Link, Reply
from bot.ports import CodeRecord, Proof
from bot.turn import HISTORY

STATE_TTL = 30 * 24 * 3600.0
#: A fan's turn lock is leased briefly and renewed while the turn runs, for at most
#: TURN_LOCK_LONGEST seconds: a process that dies mid-turn blocks the fan for TURN_LOCK_LEASE
#: seconds at most, so the process that takes its update over can run the turn.
TURN_LOCK_LEASE = 10.0
TURN_LOCK_LONGEST = 60.0
TURN_LOCK_WAIT = 15.0
#: A finished turn's replies are kept this long: enough for another process to take over an
#: update whose answer was not all sent; the state itself is what lasts.
FINISHED_TTL_MS = 3600 * 1000


class RedisStateStore:
    """Conversation state per fan, and the per-fan lock that serialises turns."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @asynccontextmanager
    async def locked(self, fan: Fan) -> AsyncIterator[None]:
        """One turn at a time per fan, across every process."""
        async with self.store.locked(
            f"turn:{self.store.tag(fan)}",
            lease=TURN_LOCK_LEASE,
            wait=TURN_LOCK_WAIT,
            renew_for=TURN_LOCK_LONGEST,
        ):
            yield

    async def load(self, fan: Fan) -> dict[str, Any]:
        """The saved state (with its history, from its own key), or an empty one."""
        raw_state, raw_history = await self.store.redis.mget(
            [self.store.fan_key("state", fan), self.store.fan_key("history", fan)]
        )
        if raw_state is None:  # kept under the names of before the hash tags, maybe
            raw_state, raw_history = await LegacyKeys(self.store).state(fan)
        state = json.loads(raw_state) if raw_state is not None else None
        if not isinstance(state, dict):
            state = {}
        state.pop(HISTORY, None)  # a state saved before the history had its own key
        if raw_history is not None:
            state[HISTORY] = json.loads(raw_history)
        return state

    async def save(
        self,
        fan: Fan,
        state: dict[str, Any],
        *,
        event_id: str | None = None,
        replies: Sequence[Reply] = (),
    ) -> None:
        """Save the state, renewing its 30-day life, and its history for a day; with
        ``event_id``, the turn's replies too, all in one transaction (a turn is finished exactly
        when its state is saved)."""
        rest, history = split_history(state)
        history_key = self.store.fan_key("history", fan)
        async with self.store.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.store.fan_key("state", fan), rest, px=int(STATE_TTL * 1000))
            if history:
                pipe.set(history_key, history, px=int(HISTORY_TTL * 1000))
            else:
                pipe.delete(history_key)
            if event_id is not None:
                records = [reply_record(reply) for reply in replies]
                pipe.set(self._turn_key(fan, event_id), _dumps(records), px=FINISHED_TTL_MS)
            await pipe.execute()

    async def finished(self, fan: Fan, event_id: str) -> list[Reply] | None:
        """The replies of the fan's finished turn for ``event_id``, or None."""
        records = await self.store.get_json(self._turn_key(fan, event_id))
        if not isinstance(records, list):
            return None
        return [reply_from_record(record) for record in records]

    async def forget(self, fan: Fan) -> None:
        """Drop the fan's conversation state and its history (a web chat session signed out)."""
        await self.store.redis.delete(
            self.store.fan_key("state", fan), self.store.fan_key("history", fan)
        )
        await LegacyKeys(self.store).forget_state(fan)

    def _turn_key(self, fan: Fan, event_id: str) -> str:
        return self.store.fan_key("turn", fan, event_id)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def split_history(state: dict[str, Any]) -> tuple[str, str]:
    """The state without its history, and the history ("" when empty), both as JSON: they are
    kept under two keys that live for different times."""
    rest = {key: value for key, value in state.items() if key != HISTORY}
    history = state.get(HISTORY)
    return _dumps(rest), _dumps(history) if history else ""


def parse_proofs(raw: dict[bytes, bytes] | list[bytes]) -> list[Proof]:
    """The proof hash as HGETALL answers it (a dict, or the flat list a script returns)."""
    pairs = raw.items() if isinstance(raw, dict) else zip(raw[::2], raw[1::2], strict=True)
    proofs = []
    for field, expires in pairs:
        kind, _, value = field.decode().partition(":")
        proofs.append(Proof(kind, value, float(expires.decode())))
    return proofs


def reply_record(reply: Reply) -> dict[str, Any]:
    """A reply as JSON: the ``usher converse`` shape plus the share-my-phone flag."""
    return {**reply.to_json(), "request_contact": reply.request_contact, "expects": reply.expects}


def reply_from_record(record: dict[str, Any]) -> Reply:
    return Reply(
        record["text"],
        buttons=tuple(Button(b["label"], b["payload"]) for b in record["buttons"]),
        images=tuple(Image(i["qr"], i["alt"]) for i in record["images"]),
        links=tuple(Link(link["label"], link["url"]) for link in record["links"]),
        request_contact=bool(record.get("request_contact")),
        expects=record.get("expects"),
    )


class RedisIdentityStore:
    """One-time codes and proofs."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis

    def _code_key(self, fan: Fan) -> str:
        return self.store.fan_key("otp", fan)

    def _proof_key(self, fan: Fan) -> str:
        return self.store.fan_key("proof", fan)

    async def put_code(self, fan: Fan, record: CodeRecord) -> None:
        """Replace the pending code (the old one is void from now on)."""
        key = self._code_key(fan)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(
                key,
                mapping={
                    "email": record.email,
                    "hash": record.code_hash,
                    "expires_at": repr(record.expires_at),
                    "tries": record.tries,
                },
            )
            pipe.expireat(key, int(record.expires_at) + 1)
            await pipe.execute()

    async def get_code(self, fan: Fan) -> CodeRecord | None:
        """The pending code, or None."""
        raw = await awaited(self.redis.hgetall(self._code_key(fan)))
        if not raw:
            return None
        fields = {k.decode(): v.decode() for k, v in raw.items()}
        return CodeRecord(
            email=fields["email"],
            code_hash=fields["hash"],
            expires_at=float(fields["expires_at"]),
            tries=int(fields.get("tries", "0")),
        )

    async def count_failed_try(self, fan: Fan) -> int:
        """Atomic increment, so two processes cannot both get a 5th try."""
        return int(await awaited(self.redis.hincrby(self._code_key(fan), "tries", 1)))

    async def drop_code(self, fan: Fan) -> None:
        """Forget the pending code."""
        await self.redis.delete(self._code_key(fan))

    async def add_proof(self, fan: Fan, proof: Proof) -> None:
        """Remember a proof; the hash lives as long as its newest proof."""
        key = self._proof_key(fan)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, f"{proof.kind}:{proof.value}", repr(proof.expires_at))
            pipe.expireat(key, int(proof.expires_at) + 1)
            await pipe.execute()

    async def proofs(self, fan: Fan) -> list[Proof]:
        """Every stored proof (the caller drops expired ones)."""
        found = parse_proofs(await awaited(self.redis.hgetall(self._proof_key(fan))))
        return found or parse_proofs(await LegacyKeys(self.store).move_proofs(fan))

    async def forget(self, fan: Fan) -> None:
        """Drop every proof and the pending code (one command; the fan's keys share a slot)."""
        await self.redis.delete(self._proof_key(fan), self._code_key(fan))
        await LegacyKeys(self.store).forget_proofs(fan)


class RedisRateCounter:
    """Fixed-window counters: INCR, with the window's expiry set by the first hit."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def hit(self, key: str, window: float) -> int:
        """Count one event."""
        full = self.store.key("rate", key)
        async with self.store.redis.pipeline(transaction=True) as pipe:
            pipe.incr(full)
            pipe.pexpire(full, int(window * 1000), nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def peek(self, key: str) -> int:
        """Current count without adding to it."""
        raw = await self.store.redis.get(self.store.key("rate", key))
        return int(raw) if raw is not None else 0
