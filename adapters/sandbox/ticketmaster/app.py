"""A Ticketmaster simulator: the Partner API purchase and order calls, SafeTix secure render.

Served by ``usher sandbox`` and used by the demo and the integration tests over real HTTP.
Routes, under both ``/partners/v1`` and ``/partners-preprod/v1`` (which share one state):

    GET    /events/{event_id}/availability
    POST   /events/{event_id}/cart                 reserve              (may answer 202)
    PUT    /events/{event_id}/cart/payment         add payment
    PUT    /events/{event_id}/cart                 commit               (may answer 202)
    DELETE /events/{event_id}/cart?cart_id=...     delete cart, 204     (may answer 202)
    POST   /orders?order_token=...                 order management     (may answer 202)
    GET    /polling/{job_id}                       the 202 jobs

plus ``POST /marketplace/v1/securerender`` and ``/marketplace-staging/v1/securerender``, and
``GET /__sandbox__/tm/device-calls``: the device id each of those calls carried.

* **Auth** as Ticketmaster's: the key as query ``apikey`` or header ``x-api-key``; without the
  configured key every call answers 401 in the Ticketmaster error shape.
* **Polling**: ``X-TM-FORCE-POLLING: true`` forces one 202; a ``Fault(poll_rounds=N)`` forces
  N. The operation runs at once and its answer waits behind the polls; the polling URL is
  absolute and, like Ticketmaster's, carries the caller's ``apikey`` when it came in the query.
* **Faults**: :class:`FaultMiddleware` with the Ticketmaster error body (503 carries 20001).
* The state (events, carts, orders) belongs to the app instance; the seed is dated from the
  injected ``clock`` (epoch seconds), see :mod:`adapters.sandbox.ticketmaster.seed`.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.sandbox.config import SandboxKeys
from adapters.sandbox.faults import FaultMiddleware, Faults, control_routes
from adapters.sandbox.ticketmaster.data import TMRefusal, bad_input, tm_error_body
from adapters.sandbox.ticketmaster.fulfil import TMFulfilment
from adapters.sandbox.ticketmaster.seed import build_events, build_orders
from adapters.sandbox.ticketmaster.shop import TMShop

PARTNER_PREFIXES = {"": "/partners/v1", "_preprod": "/partners-preprod/v1"}
SECURE_RENDER_PATHS = ("/marketplace/v1/securerender", "/marketplace-staging/v1/securerender")
#: The ``wait`` of the sandbox's 202 answers (Ticketmaster's documents show 4 seconds).
POLL_WAIT_SECONDS = 1
#: Answers nobody polled for are dropped after this long, so abandoned jobs do not pile up.
JOB_TTL_SECONDS = 600.0

Outcome = tuple[int, Any]
Handler = Callable[[Request], Awaitable[Outcome]]
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass
class _Job:
    """A finished operation whose answer is still behind ``remaining`` polls."""

    remaining: int
    outcome: Outcome
    created: float


class TicketmasterSandbox:
    """The state and handlers of one simulator instance (``app.state.tm``)."""

    def __init__(self, keys: SandboxKeys, faults: Faults, clock: Callable[[], float]) -> None:
        now = dt.datetime.fromtimestamp(clock(), dt.UTC)
        self.events = build_events(now)
        self.orders = build_orders(self.events, now)
        self.shop = TMShop(self.events, self.orders, clock)
        self.fulfil = TMFulfilment(self.orders, clock)
        self.faults = faults
        self._clock = clock
        self._key = keys.tm_api_key
        self._jobs: dict[str, _Job] = {}

    def routes(self) -> list[Route]:
        """Every Ticketmaster route, under the production and pre-production prefixes."""
        routes: list[Route] = []
        for suffix, prefix in PARTNER_PREFIXES.items():
            events = f"{prefix}/events/{{event_id}}"
            routes += [
                Route(f"{events}/availability", self._wrap(self._availability), methods=["GET"]),
                Route(f"{events}/cart", self._wrap(self._reserve, True), methods=["POST"]),
                Route(f"{events}/cart", self._wrap(self._commit, True), methods=["PUT"]),
                Route(f"{events}/cart", self._wrap(self._delete, True), methods=["DELETE"]),
                Route(f"{events}/cart/payment", self._wrap(self._payment), methods=["PUT"]),
                Route(f"{prefix}/orders", self._wrap(self._orders, True), methods=["POST"]),
                Route(
                    f"{prefix}/polling/{{job_id}}",
                    self._wrap(self._poll),
                    methods=["GET"],
                    name=f"tm_poll{suffix}",
                ),
            ]
        routes += [
            Route(path, self._wrap(self._secure_render), methods=["POST"])
            for path in SECURE_RENDER_PATHS
        ]
        routes.append(Route("/__sandbox__/tm/device-calls", self._device_calls, methods=["GET"]))
        return routes

    async def _device_calls(self, request: Request) -> Response:
        """The device of every secure render and order management call (tests, benchmarks)."""
        calls = [asdict(call) for call in self.fulfil.renders]
        return JSONResponse({"calls": calls})

    # --- handlers: each returns (status, JSON body or None) --------------------------------

    async def _availability(self, request: Request) -> Outcome:
        return 200, self.shop.availability(request.path_params["event_id"])

    async def _reserve(self, request: Request) -> Outcome:
        return 200, self.shop.reserve(request.path_params["event_id"], await _object(request))

    async def _payment(self, request: Request) -> Outcome:
        return 200, self.shop.add_payment(request.path_params["event_id"], await _object(request))

    async def _commit(self, request: Request) -> Outcome:
        return 200, self.shop.commit(request.path_params["event_id"], await _object(request))

    async def _delete(self, request: Request) -> Outcome:
        self.shop.delete(request.path_params["event_id"], request.query_params.get("cart_id", ""))
        return 204, None

    async def _orders(self, request: Request) -> Outcome:
        token = request.query_params.get("order_token")
        return 200, self.fulfil.order_management(token, await _body(request))

    async def _secure_render(self, request: Request) -> Outcome:
        return self.fulfil.secure_render(request.headers.get("x-user-id"), await _body(request))

    async def _poll(self, request: Request) -> Outcome:
        job_id = request.path_params["job_id"]
        job = self._jobs.get(job_id)
        if job is None:
            raise TMRefusal(404, 404, "Unknown or finished polling job")
        if job.remaining > 0:
            job.remaining -= 1
            return 202, self._polling_body(request, job_id)
        del self._jobs[job_id]
        return job.outcome

    # --- plumbing ------------------------------------------------------------------------

    def _wrap(self, handler: Handler, pollable: bool = False) -> Endpoint:
        """Auth, Ticketmaster error bodies and the 202 detour, around one handler."""

        async def endpoint(request: Request) -> Response:
            if not self._authorised(request):
                return _respond((401, TMRefusal(401, 401, "Invalid ApiKey").body()))
            try:
                outcome = await handler(request)
            except TMRefusal as exc:
                outcome = exc.status, exc.body()
            rounds = self._poll_rounds(request) if pollable else 0
            if rounds > 0:
                return _respond((202, self._polling_body(request, self._defer(rounds, outcome))))
            return _respond(outcome)

        return endpoint

    def _defer(self, rounds: int, outcome: Outcome) -> str:
        """Hold an answer behind ``rounds`` 202s (the one being sent counts); its job id."""
        now = self._clock()
        for stale in [
            key for key, job in self._jobs.items() if now - job.created > JOB_TTL_SECONDS
        ]:
            del self._jobs[stale]
        job_id = secrets.token_hex(16)
        self._jobs[job_id] = _Job(rounds - 1, outcome, now)
        return job_id

    def _authorised(self, request: Request) -> bool:
        given = request.query_params.get("apikey") or request.headers.get("x-api-key") or ""
        return secrets.compare_digest(given.encode(), self._key.encode())

    def _poll_rounds(self, request: Request) -> int:
        forced = request.headers.get("x-tm-force-polling", "").lower() == "true"
        rule = self.faults.take(request.method, request.url.path, polling=True)
        return max(rule.poll_rounds if rule else 0, 1 if forced else 0)

    def _polling_body(self, request: Request, job_id: str) -> dict[str, Any]:
        preprod = request.url.path.startswith(PARTNER_PREFIXES["_preprod"])
        url = str(request.url_for("tm_poll_preprod" if preprod else "tm_poll", job_id=job_id))
        if "apikey" in request.query_params:
            url += "?" + urlencode({"apikey": request.query_params["apikey"]})
        return {"polling_url": url, "wait": POLL_WAIT_SECONDS}


def create_tm_sandbox(
    keys: SandboxKeys,
    faults: Faults | None = None,
    *,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """The simulator app; ``app.state.tm`` is its :class:`TicketmasterSandbox` (for tests)."""
    faults = faults if faults is not None else Faults()
    sandbox = TicketmasterSandbox(keys, faults, clock)
    app = Starlette(
        routes=[*sandbox.routes(), *control_routes(faults)],
        middleware=[Middleware(FaultMiddleware, faults=faults, error_body=tm_error_body)],
    )
    app.state.tm = sandbox
    return app


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise bad_input("the body is not JSON") from None


async def _object(request: Request) -> dict[str, Any]:
    body = await _body(request)
    if not isinstance(body, dict):
        raise bad_input("the body must be a JSON object")
    return body


def _respond(outcome: Outcome) -> Response:
    status, body = outcome
    if body is None:
        return Response(status_code=status)
    return JSONResponse(body, status_code=status)
