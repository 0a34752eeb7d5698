"""The ACME simulator's CORS checkout, reachable by browsers through Usher's own web app.

In sandbox mode ACME is simulated inside the Usher process (the server-side client talks to it
over an in-memory transport), so a browser has no ACME host to call. The checkout page must
still call ACME *directly* from the browser, as it will in production, so this route exposes
exactly one simulator path under Usher's origin: ``/sandbox/v2/b2c/cors/checkout``. Nothing
else of the simulator is reachable from outside, and it is only mounted in sandbox mode.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.bodies import KIB, BodyTooLarge, read_body, too_large

SANDBOX_PREFIX = "/sandbox"
CORS_CHECKOUT_PATH = "/v2/b2c/cors/checkout"
#: A checkout body is a cart id, a contact and card fields: a few hundred bytes.
MAX_CHECKOUT_BODY = 64 * KIB


class _Forward:
    """Hands the request to the simulator as if it had been sent to its own path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:  # sized before the simulator reads it, as every POST route of Usher's app
            body = await read_body(Request(scope, receive), MAX_CHECKOUT_BODY)
        except BodyTooLarge:
            await too_large(MAX_CHECKOUT_BODY)(scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        inner = dict(scope)
        inner.update(path=CORS_CHECKOUT_PATH, raw_path=CORS_CHECKOUT_PATH.encode(), root_path="")
        await self.app(inner, replay, send)


def cors_checkout_route(sandbox: ASGIApp, prefix: str = SANDBOX_PREFIX) -> Route:
    """``{prefix}/v2/b2c/cors/checkout`` (POST and its preflight) on the in-process simulator."""
    return Route(prefix + CORS_CHECKOUT_PATH, _Forward(sandbox), methods=["POST", "OPTIONS"])
