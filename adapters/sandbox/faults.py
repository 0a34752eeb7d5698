"""Fault injection for the simulators: latency, error statuses, hangs, garbage, 202 polling.

Tests that hold the app in-process add :class:`Fault` rules directly; tests that talk to a
separate ``usher sandbox`` process use the control routes (``/__sandbox__/faults``). A rule
matches on method and path prefix and may be limited to the next ``times`` requests, so a
test can say "the next two secure-render calls answer 503" and then see the recovery.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

CONTROL_PATH = "/__sandbox__/faults"
HANG_SECONDS = 3600.0


@dataclass
class Fault:
    """One rule: what to do to requests whose method and path match."""

    path_prefix: str
    method: str | None = None
    status: int | None = None
    retry_after: float | None = None
    latency: float = 0.0
    hang: bool = False
    garbage: bool = False
    #: Ticketmaster only: answer 202 with a polling URL this many times before the result.
    poll_rounds: int = 0
    #: How many matching requests this rule affects; None for every one.
    times: int | None = None
    #: Percentage (0-100) of matching requests affected, for load tests; 100 = all.
    percent: float = 100.0
    hits: int = field(default=0)

    def matches(self, method: str, path: str) -> bool:
        """True when the rule applies to this request (ignores the ``times`` budget)."""
        if self.method and self.method.upper() != method.upper():
            return False
        return path.startswith(self.path_prefix)


class Faults:
    """The active rules of one simulator (thread-safe: tests may add rules from a thread)."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()
        self._counter = 0

    def add(self, fault: Fault) -> Fault:
        """Activate a rule; the newest rule wins when several match."""
        with self._lock:
            self._rules.insert(0, fault)
        return fault

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[Fault]:
        """A copy of the active rules."""
        with self._lock:
            return list(self._rules)

    def take(self, method: str, path: str, *, polling: bool = False) -> Fault | None:
        """The rule for this request, counting it against the rule's budget."""
        with self._lock:
            for rule in self._rules:
                if (rule.poll_rounds > 0) != polling or not rule.matches(method, path):
                    continue
                if rule.times is not None and rule.hits >= rule.times:
                    continue
                self._counter += 1
                if rule.percent < 100 and (self._counter * 7919) % 100 >= rule.percent:
                    continue
                rule.hits += 1
                return rule
        return None


def acme_error_body(status: int) -> dict[str, Any]:
    """ACME's documented error shape: ``{code, message, type}``."""
    return {"code": status, "message": "injected fault", "type": "SANDBOX_FAULT"}


class FaultMiddleware:
    """Pure ASGI middleware applying latency / status / hang / garbage rules before the app."""

    def __init__(
        self,
        app: ASGIApp,
        faults: Faults,
        error_body: Callable[[int], dict[str, Any]] = acme_error_body,
    ) -> None:
        self.app = app
        self.faults = faults
        self.error_body = error_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PATH):
            await self.app(scope, receive, send)
            return
        rule = self.faults.take(scope["method"], scope["path"])
        if rule is None:
            await self.app(scope, receive, send)
            return
        if rule.latency:
            await asyncio.sleep(rule.latency)
        if rule.hang:
            await _hang_until_disconnect(receive)
            return
        if rule.garbage:
            await Response("<html>oops</html>", 200, media_type="application/json")(
                scope, receive, send
            )
            return
        if rule.status is not None:
            headers = {}
            if rule.retry_after is not None:
                headers["Retry-After"] = f"{rule.retry_after:g}"
            body = self.error_body(rule.status)
            await JSONResponse(body, rule.status, headers=headers)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _hang_until_disconnect(receive: Receive) -> None:
    """Never answer, like a stuck server; stop once the client gives up and disconnects, so
    the request does not outlive the test that caused it (a server shuts down at once)."""

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(disconnected(), HANG_SECONDS)


def control_routes(faults: Faults) -> list[Route]:
    """``POST`` a rule (or a list), ``GET`` the rules, ``DELETE`` them all."""

    async def post(request: Request) -> Response:
        try:
            payload: Any = json.loads(await request.body())
            items = payload if isinstance(payload, list) else [payload]
            added = [faults.add(Fault(**item)) for item in items]
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": f"bad fault rule: {exc}"}, 400)
        return JSONResponse([asdict(rule) for rule in added], 201)

    async def get(_: Request) -> Response:
        return JSONResponse([asdict(rule) for rule in faults.rules()])

    async def delete(_: Request) -> Response:
        faults.clear()
        return Response(status_code=204)

    return [
        Route(CONTROL_PATH, post, methods=["POST"]),
        Route(CONTROL_PATH, get, methods=["GET"]),
        Route(CONTROL_PATH, delete, methods=["DELETE"]),
    ]
