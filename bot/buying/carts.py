"""Open carts: the ACME cart a fan is filling, remembered in Redis for a while, then cleaned up.

ACME holds the cart itself (contents and prices, repriced on every update); Usher remembers
only what ACME cannot: whose cart it is, which event the journey is about, which purchase link
opened it, and a secret ``ref`` that the checkout page writes into the order's ``notes`` so a
finished order can be tied to this cart and nothing else (``bot.buying.checkout``). That record
lives in Redis with a time to live; the fan's conversation state holds the cart id under
:data:`CART` so "my cart" can pick the cart up again later, from any process.

Unpaid carts are not left on ACME forever: every record is also scheduled for deletion
:data:`CART_TTL` after its last change, and :meth:`Carts.sweep` deletes the carts that are due
(on ACME and here). The sweep runs opportunistically when a cart is opened (at most once a
minute across all processes, see :data:`SWEEP_EVERY`) and is the function a scheduled job
calls; a cart found missing or expired on a later visit is simply forgotten.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import structlog

from bot.acme.cart_models import ONLINE, Cart, CartItem, EntitlementsResult
from bot.acme.catalog_models import EventInstance
from bot.errors import NotFound, UpstreamError
from bot.messages import Fan

log = structlog.get_logger("usher.carts")

#: Conversation-state key: the id of the fan's open cart.
CART = "cart"
#: Conversation-state key: the ACME *internal* membership id the fan proved (never the card).
MEMBERSHIP = "membership"
#: An unpaid cart is deleted this long after its last change.
CART_TTL = 24 * 3600.0
#: Carts deleted per sweep, so one sweep never holds a fan's turn for long.
SWEEP_BATCH = 20
#: At most one opportunistic sweep per this many seconds, across every process.
SWEEP_EVERY = 60.0
#: When deleting a due cart fails upstream, try again this much later.
SWEEP_RETRY = 300.0
#: ACME's ``type`` for a coupon it will not apply (the whole cart update is refused: 400).
COUPON_PROBLEMS = frozenset({"INVALID_COUPON", "COUPON_EXPIRED", "COUPON_NOT_APPLICABLE"})
#: ACME's ``type`` for a membership id it will not price with.
MEMBERSHIP_PROBLEMS = frozenset({"MEMBERSHIP_NOT_FOUND", "MEMBERSHIP_EXPIRED"})


@dataclass(frozen=True)
class CartRecord:
    """What Usher remembers about one open ACME cart."""

    cart_id: str
    event_id: str
    created_at: float
    #: Secret written into the order's notes by the checkout page (ties order to cart).
    ref: str
    #: ``Fan.key`` of the buyer; None for an anonymous browser (a web purchase link).
    fan: str | None = None
    #: The purchase link that opened the cart, so purchases are counted on it.
    link_code: str | None = None
    #: Set once the checkout is confirmed: the ACME order the cart became.
    order_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """For storage."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CartRecord:
        """From storage."""
        return cls(**data)

    def belongs_to(self, fan: Fan | None) -> bool:
        """True when ``fan`` is the buyer (None matches only an anonymous cart)."""
        return self.fan == (fan.key if fan is not None else None)


@dataclass(frozen=True)
class OpenCart:
    """A cart record with the cart as ACME priced it."""

    record: CartRecord
    cart: Cart


class CartRecordStore(Protocol):
    """Where cart records and their deletion schedule live (Redis in production)."""

    async def save(self, record: CartRecord, *, due: float, ttl: float) -> None:
        """Store (or refresh) a record for ``ttl`` seconds; schedule its deletion at ``due``."""
        ...

    async def get(self, cart_id: str) -> CartRecord | None:
        """The record, or None when unknown or expired."""
        ...

    async def drop(self, cart_id: str) -> None:
        """Forget a record and unschedule it."""
        ...

    async def finish(self, record: CartRecord, *, ttl: float) -> None:
        """Keep a paid cart's record (with its order id) for ``ttl``; never delete its cart."""
        ...

    async def claim_order(self, order_id: str, *, ttl: float) -> bool:
        """True for the first caller to confirm this order (de-duplicates the confirmation)."""
        ...

    async def release_order(self, order_id: str) -> None:
        """Give up a claim whose work failed, so a retry can confirm the order."""
        ...

    async def take_due(self, now: float, limit: int) -> list[str]:
        """Unschedule and return up to ``limit`` cart ids due by ``now`` (each to one caller)."""
        ...

    async def schedule(self, cart_id: str, at: float) -> None:
        """(Re)schedule a cart's deletion."""
        ...

    async def claim_sweep(self, ttl: float) -> bool:
        """True for the one caller allowed to sweep in the next ``ttl`` seconds."""
        ...


class CartApi(Protocol):
    """The part of the ACME client carts need."""

    async def create_cart(self, cart: Cart | None = None, *, browser_ip: str | None = None) -> str:
        """Create a cart; its id."""
        ...

    async def get_cart(self, cart_id: str) -> Cart:
        """The cart, priced."""
        ...

    async def update_cart(self, cart_id: str, cart: Cart, *, browser_ip: str | None = None) -> Cart:
        """Replace the cart's contents; the cart repriced."""
        ...

    async def delete_cart(self, cart_id: str) -> bool:
        """Delete; False when it was not there."""
        ...

    async def validate_entitlements(
        self, cart: str | Cart, *, browser_ip: str | None = None
    ) -> EntitlementsResult:
        """Member rules for a cart."""
        ...

    async def get_event(self, instance_id: str, membership_id: int | None = None) -> EventInstance:
        """An event instance with prices and add-ons."""
        ...


class Carts:
    """Opens, reads, changes and cleans up carts; bound once at start-up."""

    def __init__(
        self,
        api: CartApi,
        records: CartRecordStore,
        clock: Callable[[], float] = time.time,
        *,
        ttl: float = CART_TTL,
    ) -> None:
        self.api = api
        self.records = records
        self.clock = clock
        self.ttl = ttl

    async def open(
        self,
        event_id: str,
        items: list[CartItem],
        *,
        fan: Fan | None,
        link_code: str | None = None,
        coupon_codes: list[str] | None = None,
        membership_id: int | None = None,
    ) -> OpenCart:
        """A fresh ACME cart (``saleChannel: online``) with these lines, and its record.

        An invalid coupon or membership makes ACME refuse the whole cart (400), which the
        caller sees as ``BadRequest`` with nothing created.
        """
        await self._sweep_now_and_then()
        request = Cart(items=items, sale_channel=ONLINE)
        if coupon_codes:
            request.coupon_codes = coupon_codes
        if membership_id is not None:
            request.membership_ids = [membership_id]
        cart_id = await self.api.create_cart(request)
        record = CartRecord(
            cart_id=cart_id,
            event_id=event_id,
            created_at=self.clock(),
            ref=secrets.token_urlsafe(18),
            fan=fan.key if fan is not None else None,
            link_code=link_code,
        )
        await self._keep(record)
        return OpenCart(record, await self.api.get_cart(cart_id))

    async def get(self, cart_id: str, fan: Fan | None) -> OpenCart | None:
        """The fan's cart as ACME prices it now; None when it expired, was paid or is not theirs."""
        record = await self.records.get(cart_id)
        if record is None or record.order_id is not None or not record.belongs_to(fan):
            return None
        try:
            cart = await self.api.get_cart(cart_id)
        except NotFound:
            await self.records.drop(cart_id)
            return None
        return OpenCart(record, cart)

    async def change(self, current: OpenCart, request: Cart) -> OpenCart:
        """Send the new contents; ACME answers the cart repriced. Refusals change nothing."""
        cart = await self.api.update_cart(current.record.cart_id, request)
        await self._keep(current.record)
        return OpenCart(current.record, cart)

    async def discard(self, cart_id: str) -> None:
        """Delete the cart on ACME and forget it (a fan replacing it by a new one)."""
        await self.records.drop(cart_id)
        try:
            await self.api.delete_cart(cart_id)
        except UpstreamError as exc:
            # Nobody can reach the cart any more (its record is gone); the sweep retries.
            log.warning("cart_discard_failed", error=type(exc).__name__)
            await self.records.schedule(cart_id, self.clock() + SWEEP_RETRY)

    async def sweep(self, limit: int = SWEEP_BATCH) -> int:
        """Delete the unpaid carts that are due; the number deleted (a job calls this)."""
        now = self.clock()
        deleted = 0
        for cart_id in await self.records.take_due(now, limit):
            try:
                await self.api.delete_cart(cart_id)
            except UpstreamError as exc:
                log.warning("cart_sweep_failed", error=type(exc).__name__)
                await self.records.schedule(cart_id, now + SWEEP_RETRY)
                continue
            await self.records.drop(cart_id)
            deleted += 1
        if deleted:
            log.info("carts_swept", deleted=deleted)
        return deleted

    async def _keep(self, record: CartRecord) -> None:
        """Remember the record for another full TTL (every change restarts the clock)."""
        await self.records.save(record, due=self.clock() + self.ttl, ttl=self.ttl)

    async def _sweep_now_and_then(self) -> None:
        if await self.records.claim_sweep(SWEEP_EVERY):
            await self.sweep()
