"""Both simulators behind one ASGI app, as ``usher sandbox`` serves them on one port.

Their paths do not overlap (ACME: ``/v2/...``; Ticketmaster: ``/partners...``,
``/marketplace...``), so a tiny path dispatcher is enough. One :class:`Faults` object is
shared so a single control route (``/__sandbox__/faults``) steers both.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.sandbox.acme.app import create_acme_sandbox
from adapters.sandbox.config import SandboxKeys
from adapters.sandbox.faults import Faults
from adapters.sandbox.ticketmaster.app import create_tm_sandbox

TM_PREFIXES = ("/partners", "/marketplace", "/__sandbox__/tm")


@dataclass
class Sandbox:
    """The combined simulator app and the handles tests use to steer it."""

    keys: SandboxKeys = field(default_factory=SandboxKeys)
    faults: Faults = field(default_factory=Faults)
    #: Dates the Ticketmaster seed and its delayed delivery (tests move it forward).
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.acme = create_acme_sandbox(self.keys, self.faults)
        self.tm = create_tm_sandbox(self.keys, self.faults, clock=self.clock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app: ASGIApp = self.acme
        if scope["type"] in ("http", "websocket") and scope["path"].startswith(TM_PREFIXES):
            app = self.tm
        if scope["type"] == "lifespan":
            await _lifespan_ok(receive, send)
            return
        await app(scope, receive, send)


async def _lifespan_ok(receive: Receive, send: Send) -> None:
    """The simulators keep all state in memory and need no start-up or shutdown work."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
