"""``POST /api/tm/orders``: register a Ticketmaster order to a fan.

The partner's purchase flow (or an operator) calls this after committing a Ticketmaster cart:
it names the fan (channel and user id), the ``order_token`` from the commit and the
``third_party_account_id`` sent with the payment (Ticketmaster requires that same id as
``x-user-id`` on every token refresh). Auth is a bearer token, any of ``USHER_API_TOKENS``
(``usher api-token`` makes one): kept in memory only as SHA-256 digests and compared in
constant time, each against every accepted digest. Several at once is how they rotate: add the
new one, move the callers over, drop the old one; the secret key that signs links is not
involved. Without any token the route is not there at all (404).

Registering the same order for the same fan twice is harmless: the reference is derived from
both, so a retried call answers the same ``ref``.

A registered order gets its scheduled jobs (SafeTix refresh 20 hours before the event, the
ready notice of a delayed order, the event reminder): the endpoint hands the ref to the
scheduler, which queues a job that loads the order and plans them (``bot.ticketmaster.planner``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.bodies import BodyTooLarge, read_body, too_large
from bot.messages import Fan
from bot.ticketmaster.ports import TmOrderRef, TmOrderStore

MAX_BODY = 16 * 1024
CHANNELS = ("telegram", "slack", "console")


class OrderScheduler(Protocol):
    """Plans a newly registered order's jobs (``bot.ticketmaster.planner.TicketPlanner``)."""

    async def order_registered(self, ref: str) -> None:
        """Schedule what the order needs."""
        ...


#: ``usher api-token``: 32 random bytes, URL-safe.
TOKEN_BYTES = 32


def new_api_token() -> str:
    """A fresh random token for ``USHER_API_TOKENS``."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Registration(BaseModel):
    """The request body."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: str = Field(pattern="^(telegram|slack|console)$")
    user_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    order_token: str = Field(min_length=1, max_length=512)
    third_party_account_id: str = Field(min_length=1, max_length=100)
    event_name: str | None = Field(default=None, max_length=200)
    #: The commit answer's ``redemption_url``, shown to the fan as "Claim in Ticketmaster".
    redemption_url: str | None = Field(default=None, max_length=2000, pattern=r"^https://\S+$")


def order_ref(fan: Fan, order_token: str) -> str:
    """A stable, opaque reference for (fan, order)."""
    return hashlib.sha256(f"{fan.key}\x00{order_token}".encode()).hexdigest()[:24]


class TmOrdersApi:
    """The registration endpoint."""

    def __init__(
        self,
        store: TmOrderStore,
        tokens: Sequence[str],
        scheduler: OrderScheduler | None = None,
    ) -> None:
        """``tokens``: the accepted bearer tokens (only their digests are kept)."""
        self.store = store
        self.digests = tuple(_digest(token) for token in tokens)
        self.scheduler = scheduler

    def routes(self) -> list[Route]:
        """``POST /api/tm/orders``, when any token is configured."""
        if not self.digests:
            return []
        return [Route("/api/tm/orders", self.register, methods=["POST"])]

    def _allowed(self, request: Request) -> bool:
        """A bearer token matching one of the accepted digests (every one is compared, so the
        time taken says nothing about which matched or how close a guess came)."""
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return False
        digest = _digest(given.strip())
        matches = [hmac.compare_digest(digest, accepted) for accepted in self.digests]
        return any(matches)

    async def register(self, request: Request) -> Response:
        """Validate, store, answer 201 with the reference."""
        if not self._allowed(request):
            return JSONResponse(
                {"error": "missing or wrong bearer token"},
                401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        try:
            body = await read_body(request, MAX_BODY)
        except BodyTooLarge:
            return too_large(MAX_BODY)
        try:
            registration = Registration.model_validate_json(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            return JSONResponse({"error": f"{where}: {first['msg']}"}, 400)
        fan = Fan(registration.channel, registration.user_id)
        ref = order_ref(fan, registration.order_token)
        await self.store.register(
            TmOrderRef(
                ref=ref,
                fan=fan,
                order_token=registration.order_token,
                third_party_account_id=registration.third_party_account_id,
                event_name=registration.event_name,
                redemption_url=registration.redemption_url,
            )
        )
        if self.scheduler is not None:
            await self.scheduler.order_registered(ref)
        return JSONResponse({"ref": ref, "fan": fan.key}, 201)
