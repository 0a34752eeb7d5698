"""``POST /api/tm/orders``: register a Ticketmaster order to a fan.

The partner's purchase flow (or an operator) calls this after committing a Ticketmaster cart:
it names the fan (channel and user id), the ``order_token`` from the commit and the
``third_party_account_id`` sent with the payment (Ticketmaster requires that same id as
``x-user-id`` on every token refresh). Auth is a bearer token derived from USHER_SECRET_KEY
(``usher api-token`` prints it), compared in constant time.

Registering the same order for the same fan twice is harmless: the reference is derived from
both, so a retried call answers the same ``ref``.

A registered order gets its scheduled jobs (SafeTix refresh 20 hours before the event, the
ready notice of a delayed order, the event reminder): the endpoint hands the ref to the
scheduler, which queues a job that loads the order and plans them (``bot.ticketmaster.planner``).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.messages import Fan
from bot.ticketmaster.ports import TmOrderRef, TmOrderStore

MAX_BODY = 16 * 1024
CHANNELS = ("telegram", "slack", "console")


class OrderScheduler(Protocol):
    """Plans a newly registered order's jobs (``bot.ticketmaster.planner.TicketPlanner``)."""

    async def order_registered(self, ref: str) -> None:
        """Schedule what the order needs."""
        ...


def api_token(secret: bytes) -> str:
    """The bearer token for Usher's HTTP API, derived from the signing secret."""
    return hmac.new(secret, b"usher-api:v1", hashlib.sha256).hexdigest()


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
        self, store: TmOrderStore, secret: bytes, scheduler: OrderScheduler | None = None
    ) -> None:
        self.store = store
        self.token = api_token(secret)
        self.scheduler = scheduler

    def routes(self) -> list[Route]:
        """``POST /api/tm/orders``."""
        return [Route("/api/tm/orders", self.register, methods=["POST"])]

    async def register(self, request: Request) -> Response:
        """Validate, store, answer 201 with the reference."""
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), self.token):
            return JSONResponse(
                {"error": "missing or wrong bearer token"},
                401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "body too large"}, 413)
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
