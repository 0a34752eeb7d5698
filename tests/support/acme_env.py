"""One loopback server per test module, a fresh ACME sandbox per test.

Starting uvicorn costs a few hundred milliseconds; building a sandbox about ten. So a module
starts one server on an :class:`AppSlot` and each test puts a brand-new sandbox (own state, own
faults, own clock) into the slot: tests stay independent and the suite stays fast.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.sandbox.acme.app import create_acme_sandbox
from adapters.sandbox.acme.state import AcmeSandboxState
from adapters.sandbox.config import SandboxKeys
from adapters.sandbox.faults import Faults

DATA = Path(__file__).parents[1] / "data" / "acme"
KEYS = SandboxKeys()
#: The headers every server-side B2C call to the sandbox needs.
B2C_HEADERS = {"x-acme-api-key": KEYS.acme_api_key, "x-b2c-tenant-id": str(KEYS.acme_tenant_id)}


class AppSlot:
    """An ASGI app that forwards to whichever app was put in it last."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        assert self.app is not None, "no sandbox in the slot"
        await self.app(scope, receive, send)


class Clock:
    """The sandbox's clock; tests move it (session expiry, the five-minute duplicate window)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class AcmeEnv:
    """A running sandbox: where it is and the handles a test steers it with."""

    base_url: str
    app: Starlette
    state: AcmeSandboxState
    faults: Faults
    clock: Clock


def fresh_sandbox(slot: AppSlot, base_url: str) -> AcmeEnv:
    """Put a new sandbox in ``slot`` and describe it."""
    clock, faults = Clock(), Faults()
    app = create_acme_sandbox(KEYS, faults, clock=clock)
    slot.app = app
    return AcmeEnv(base_url, app, app.state.acme, faults, clock)


def load(name: str) -> Any:
    """A document sample from tests/data/acme."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def tickets(event: str, point: str, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    """A cart ticket line as JSON."""
    return {"eventId": event, "ticketingTypeId": point, "quantity": quantity, **extra}
