"""Redis implementation of ``bot.ticketmaster.safetix.TmOrderStore``.

Keys (under the store prefix):

* ``tm:order:{ref}``       the registration (fan, order token, third-party account id), JSON
* ``tm:fan:{fan}``         set of the fan's order refs
* ``tm:orders``            set of every order ref (the worker re-plans them all)
* ``tm:device:{fan}``      the fan's sticky device id (SET NX, never changed): the worker's, and
  the first browser's
* ``tm:devices:{fan}``     hash browser digest -> device id: one sticky id per browser that
  opened the fan's secure page (the first one takes ``tm:device:{fan}``)
* ``tm:tokens:{ref}``      hash ticket key -> {"token", "at", "pass"}: the last token of each
                           ticket, keyed by ``OrderTicket.identity`` (barcode, else seat)
* ``tm:answer:{ref}``      the last order management answer, JSON
* ``tm:event:{event_id}``  an event's availability, JSON, one hour

SafeTix tokens are secrets: they are stored here and served only to the owner's page, never
logged (``repr`` of the models hides them).

A ticket view (its page, then its token call; thousands a minute at the gate) reads the
registration, the cached answer, the cached tokens and the event's availability, and each
command on its own costs a round trip's CPU. ``get_with_cache`` reads them in one pipeline:
the event's key comes from the answer, so the pipeline reads the events the same order named
when this process last read or wrote it (a hint only: an event the current answer names that
was not read is read on its own, never guessed). Everything is read from Redis every time
(another process may have refreshed it, an operator may have dropped it), but each distinct
text is parsed once, keyed on its digest, as ``bot.order_cache`` does for ACME's answers: a
refreshed text is a new entry, a stale one is never served, and the copies are read-only.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence

from cachetools import LRUCache, TTLCache

from adapters.store.store import Store, awaited
from bot.messages import Fan
from bot.ticketmaster.cart_models import Availability
from bot.ticketmaster.models import OrderManagementResponse
from bot.ticketmaster.ports import CachedOrder, CachedToken, TmOrderRef

#: KEYS: the fan's browser map, the fan's own device id; ARGV: browser digest, a new id.
_BROWSER_DEVICE = """
local id = redis.call('HGET', KEYS[1], ARGV[1])
if id then return id end
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('SET', KEYS[2], ARGV[2], 'NX')
  id = redis.call('GET', KEYS[2])
else
  id = ARGV[2]
end
redis.call('HSET', KEYS[1], ARGV[1], id)
return id
"""

#: Texts kept parsed: order answers (about 3 KB each; a view's page and token call seconds
#: apart, a fan's reloads) and events' availability (a venue has a handful a day), and for how
#: long at most.
PARSED_ORDERS = 1024
PARSED_EVENTS = 64
PARSED_SECONDS = 60.0
#: Orders whose events this process remembers (an order ref and an event id or two each).
EVENT_HINTS = 16384
#: The most events one view's pipeline reads (an order is for one event, as a rule).
HINTED_EVENTS = 3


class RedisTmOrderStore:
    """Registrations, device ids and caches for Ticketmaster orders."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis
        self._browser_device = store.redis.register_script(_BROWSER_DEVICE)
        self._orders: TTLCache[bytes, OrderManagementResponse] = TTLCache(
            PARSED_ORDERS, PARSED_SECONDS
        )
        self._events: TTLCache[bytes, Availability] = TTLCache(PARSED_EVENTS, PARSED_SECONDS)
        #: ref -> the event ids its live tickets named when last read here (see the docstring)
        self._event_hints: LRUCache[str, tuple[str, ...]] = LRUCache(EVENT_HINTS)

    async def register(self, ref: TmOrderRef) -> None:
        """Store the registration and index it under the fan (idempotent)."""
        body = {
            "fan": ref.fan.key,
            "order_token": ref.order_token,
            "third_party_account_id": ref.third_party_account_id,
            "event_name": ref.event_name,
            "redemption_url": ref.redemption_url,
        }
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.store.key("tm", "order", ref.ref), json.dumps(body))
            pipe.sadd(self.store.key("tm", "fan", ref.fan.key), ref.ref)
            pipe.sadd(self.store.key("tm", "orders"), ref.ref)
            await pipe.execute()

    async def all_refs(self) -> list[str]:
        """Every registered order's ref, sorted (the worker's reconcile walks them)."""
        key = self.store.key("tm", "orders")
        # SSCAN may repeat a member; a set drops the repeats.
        return sorted({m.decode() async for m in self.redis.sscan_iter(key, count=1000)})

    async def index_all(self) -> int:
        """Add registrations made before ``tm:orders`` existed to it; how many there are.

        A SCAN of the keyspace: run once per worker start, never per request.
        """
        prefix = self.store.key("tm", "order", "")
        index = self.store.key("tm", "orders")
        refs = [
            key.decode().removeprefix(prefix)
            async for key in self.redis.scan_iter(match=prefix + "*", count=1000)
        ]
        for start in range(0, len(refs), 1000):
            await awaited(self.redis.sadd(index, *refs[start : start + 1000]))
        return len(refs)

    async def get(self, ref: str) -> TmOrderRef | None:
        """One registration."""
        raw = await self.redis.get(self.store.key("tm", "order", ref))
        return None if raw is None else _registration(ref, raw)

    async def get_with_cache(
        self, ref: str, *, tokens: bool
    ) -> tuple[TmOrderRef | None, CachedOrder]:
        """The registration, the cached answer, (``tokens``) the cached tokens and the cached
        availability of the events the order named when last read or written here, in one
        round trip: a ticket view needs them all, and each command on its own costs a round
        trip's CPU (a pipeline, not a transaction: the keys are independent)."""
        hinted = self._event_hints.get(ref, ())
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(self.store.key("tm", "order", ref))
            pipe.get(self.store.key("tm", "answer", ref))
            if tokens:
                pipe.hgetall(self.store.key("tm", "tokens", ref))
            for event_id in hinted:
                pipe.get(self.store.key("tm", "event", event_id))
            raws = await pipe.execute()
        registration = None if raws[0] is None else _registration(ref, raws[0])
        answer = None if raws[1] is None else self._answer_of(ref, raws[1])
        events = dict(zip(hinted, raws[-len(hinted) :], strict=True)) if hinted else {}
        return registration, CachedOrder(
            answer,
            _tokens(raws[2]) if tokens else None,
            {event_id: self._parsed_event(raw) for event_id, raw in events.items()},
        )

    async def orders_of(self, fan: Fan) -> list[TmOrderRef]:
        """Every registration of the fan, in a stable order (one MGET for all of them)."""
        refs = sorted(
            m.decode()
            for m in await awaited(self.redis.smembers(self.store.key("tm", "fan", fan.key)))
        )
        if not refs:
            return []
        raws = await self.redis.mget([self.store.key("tm", "order", ref) for ref in refs])
        return [_registration(ref, raw) for ref, raw in zip(refs, raws, strict=True) if raw]

    async def device_id(self, fan: Fan) -> str:
        """Create the fan's device id once; every later call returns the same one."""
        key = self.store.key("tm", "device", fan.key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(key, str(uuid.uuid4()), nx=True)
            pipe.get(key)
            _, raw = await pipe.execute()
        assert raw is not None
        return str(raw.decode())

    async def browser_device_id(self, fan: Fan, browser: str) -> str:
        """The sticky device id of one of the fan's browsers: the fan's own id for the first
        browser (so what Ticketmaster already knows stays), a new one for each other browser,
        the same one every time for the same browser. One script: two browsers opening at
        once cannot both take the fan's id."""
        keys = [self.store.key("tm", "devices", fan.key), self.store.key("tm", "device", fan.key)]
        raw = await self._browser_device(keys=keys, args=[browser, str(uuid.uuid4())])
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    async def save_tokens(self, ref: str, tokens: Sequence[CachedToken], ttl: float) -> None:
        """Replace the cached token of each given ticket."""
        if not tokens:
            return
        key = self.store.key("tm", "tokens", ref)
        mapping = {
            t.key: json.dumps({"token": t.token, "at": t.refreshed_at, "pass": t.pk_pass_id})
            for t in tokens
        }
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=mapping)
            pipe.expire(key, int(ttl))
            await pipe.execute()

    async def tokens(self, ref: str) -> dict[str, CachedToken]:
        """Cached tokens by ticket key."""
        return _tokens(await awaited(self.redis.hgetall(self.store.key("tm", "tokens", ref))))

    async def save_order(self, ref: str, order: OrderManagementResponse, ttl: float) -> None:
        """Cache the order management answer."""
        await self.redis.set(
            self.store.key("tm", "answer", ref), order.model_dump_json(), ex=int(ttl)
        )
        self._note_events(ref, order)

    async def cached_order(self, ref: str) -> OrderManagementResponse | None:
        """The cached order management answer (parsed once per distinct text: shared,
        read-only)."""
        raw = await self.redis.get(self.store.key("tm", "answer", ref))
        return None if raw is None else self._answer_of(ref, raw)

    def _answer_of(self, ref: str, raw: bytes) -> OrderManagementResponse:
        """A cached answer's text, parsed once per distinct text; its events noted as the
        hint of the order's next view (see the module docstring)."""
        digest = _digest(raw)
        parsed = self._orders.get(digest)
        if parsed is None:
            parsed = self._orders[digest] = OrderManagementResponse.model_validate_json(raw)
        self._note_events(ref, parsed)
        return parsed

    def _note_events(self, ref: str, answer: OrderManagementResponse) -> None:
        """Remember the events an order's live tickets name: its next view's pipeline reads
        their availability with it."""
        events = tuple(dict.fromkeys(t.event_id for t in answer.tickets if not t.voided))
        if events and self._event_hints.get(ref) != events[:HINTED_EVENTS]:
            self._event_hints[ref] = events[:HINTED_EVENTS]

    async def save_event(self, event_id: str, event: Availability, ttl: float) -> None:
        """Cache an event's availability."""
        await self.redis.set(
            self.store.key("tm", "event", event_id), event.model_dump_json(), ex=int(ttl)
        )

    async def cached_event(self, event_id: str) -> Availability | None:
        """The cached availability (parsed once per distinct text: shared, read-only)."""
        return self._parsed_event(await self.redis.get(self.store.key("tm", "event", event_id)))

    def _parsed_event(self, raw: bytes | None) -> Availability | None:
        """An event's cached text, parsed once per distinct text."""
        if raw is None:
            return None
        digest = _digest(raw)
        parsed = self._events.get(digest)
        if parsed is None:
            parsed = self._events[digest] = Availability.model_validate_json(raw)
        return parsed


def _digest(raw: bytes) -> bytes:
    """The parsed copies' key: 16 bytes instead of the text."""
    return hashlib.blake2b(raw, digest_size=16).digest()


def _tokens(raw: dict[bytes, bytes]) -> dict[str, CachedToken]:
    """Cached tokens by ticket key, as ``save_tokens`` stores them."""
    result = {}
    for field, value in raw.items():
        body = json.loads(value)
        key = field.decode()
        result[key] = CachedToken(key, body["token"], body["at"], body.get("pass"))
    return result


def _registration(ref: str, raw: bytes) -> TmOrderRef:
    """A registration as stored by ``register``."""
    body = json.loads(raw)
    return TmOrderRef(
        ref=ref,
        fan=Fan.from_key(body["fan"]),
        order_token=body["order_token"],
        third_party_account_id=body["third_party_account_id"],
        event_name=body.get("event_name"),
        redemption_url=body.get("redemption_url"),
    )
