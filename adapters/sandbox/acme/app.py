"""The ACME Ticketing simulator: :func:`create_acme_sandbox` builds it as a Starlette app.

It answers the documented examples exactly (order ``30263798``, cart
``643e8cbd9f0baf41144ce26b`` with its member, coupon and retail prices, the EntitlementsResult)
and behaves like the service around them: the state lives in the app instance
(``app.state.acme``, an :class:`~adapters.sandbox.acme.state.AcmeSandboxState`); the data is
described in ``acme_catalog_data`` and ``acme_seed``; pricing in ``acme_pricing``; checkout and
its payload in ``acme_checkout``.

Access, as acme-api-basics.txt and acme-cors-checkout.txt describe it:

* every ``/v2/b2c`` and ``/v2/b2b`` call needs ``x-acme-api-key`` (hyphens and case in a UUID key
  do not matter: the documents write the same key both ways) or an unexpired ``x-acme-session``
  from ``GET /v2/b2b/customer/session`` (headers ``x-acme-user-name`` (or
  ``x-acme-username``), ``x-acme-password``, ``x-acme-tenantId``); otherwise 401;
* every ``/v2/b2c`` call needs ``x-b2c-tenant-id``: missing 400, another tenant 403. (The
  simulator serves one tenant; a session opens it whatever the user's own tenant id.);
* ``POST /v2/b2c/checkout`` also needs ``x-acme-request-uuid`` and ``x-acme-browser-ip``;
* ``/v2/b2c/cors/checkout`` is for browsers: only from ``keys.cors_origin``, only with
  ``x-acme-pub-api-key`` (a request carrying ``x-acme-api-key`` or ``x-acme-session`` is refused:
  those must never be in a browser), plus tenant, request uuid and ``x-acme-captcha-token``.
  Its preflight allows exactly the headers in :data:`CORS_ALLOWED_HEADERS`.

Errors are ``{code, message, type}``. :class:`~adapters.sandbox.faults.FaultMiddleware` wraps
the whole app and ``/__sandbox__/faults`` steers it, so tests can inject 429s, 5xx and hangs.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.sandbox.acme.checkout import checkout
from adapters.sandbox.acme.errors import ApiError, error_response, handle_api_error
from adapters.sandbox.acme.query import json_body
from adapters.sandbox.acme.records import epoch_ms
from adapters.sandbox.acme.routes import AcmeEndpoints
from adapters.sandbox.acme.state import AcmeSandboxState
from adapters.sandbox.config import SandboxKeys
from adapters.sandbox.faults import FaultMiddleware, Faults, control_routes

Endpoint = Callable[[Request], Awaitable[Response]]

#: The only headers a browser may send to the CORS checkout (preflight answer).
CORS_ALLOWED_HEADERS = (
    "x-acme-pub-api-key",
    "x-b2c-tenant-id",
    "x-acme-request-uuid",
    "x-acme-captcha-token",
    "content-type",
)
CORS_MAX_AGE = "600"


def create_acme_sandbox(
    keys: SandboxKeys,
    faults: Faults | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
) -> Starlette:
    """A fresh ACME simulator accepting ``keys``; ``clock`` moves its time in tests."""
    faults = faults if faults is not None else Faults()
    state = AcmeSandboxState.seeded(keys, clock or (lambda: datetime.now(UTC)))
    api = AcmeEndpoints(state)
    guard = _Guard(state)
    b2c, b2b = guard.b2c, guard.b2b
    routes = [
        Route("/v2/b2b/customer/session", guard.open_session, methods=["GET"]),
        Route(
            "/v2/b2b/orders/{order_number}/email", b2b(api.resend_confirmation), methods=["POST"]
        ),
        Route("/v2/b2c/orders/search", b2c(api.search_orders), methods=["GET"]),
        Route("/v2/b2c/orders/event/{event_id}", b2c(api.orders_for_event), methods=["GET"]),
        Route("/v2/b2c/orders/{order_id}", b2c(api.get_order), methods=["GET"]),
        Route("/v2/b2c/orders/{order_id}", b2c(api.update_order), methods=["PUT"]),
        Route("/v2/b2c/orders/{order_id}", b2c(api.delete_order), methods=["DELETE"]),
        Route("/v2/b2c/carts", b2c(api.create_cart), methods=["POST"]),
        Route("/v2/b2c/carts/{cart_id}", b2c(api.get_cart), methods=["GET"]),
        Route("/v2/b2c/carts/{cart_id}", b2c(api.update_cart), methods=["PUT"]),
        Route("/v2/b2c/carts/{cart_id}", b2c(api.delete_cart), methods=["DELETE"]),
        Route("/v2/b2c/entitlements/validate", b2c(api.validate_entitlements), methods=["POST"]),
        Route("/v2/b2c/membership/validate", b2c(api.validate_membership), methods=["GET"]),
        Route("/v2/b2c/membership/exists", b2c(api.membership_exists), methods=["GET"]),
        Route("/v2/b2c/events/{event_id}", b2c(api.get_event), methods=["GET"]),
        Route("/v2/b2c/event/templates", b2c(api.list_templates), methods=["GET"]),
        Route("/v2/b2c/event/templates/{template_id}", b2c(api.get_template), methods=["GET"]),
        Route(
            "/v2/b2c/event/templates/{template_id}/times",
            b2c(api.template_times),
            methods=["GET"],
        ),
        Route("/v2/b2c/checkout", b2c(guard.server_checkout), methods=["POST"]),
        Route("/v2/b2c/cors/checkout", guard.cors_checkout, methods=["POST", "OPTIONS"]),
        *control_routes(faults),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(FaultMiddleware, faults=faults)],
        exception_handlers={ApiError: handle_api_error, HTTPException: _http_error},
    )
    app.state.acme = state
    app.state.faults = faults
    return app


class _Guard:
    """Who may call what: API key or session, tenant, and the browser-only CORS checkout."""

    def __init__(self, state: AcmeSandboxState) -> None:
        self.state = state
        self.keys = state.keys

    def b2b(self, endpoint: Endpoint) -> Endpoint:
        """Credentials required."""

        async def guarded(request: Request) -> Response:
            self._authenticate(request)
            return await endpoint(request)

        return guarded

    def b2c(self, endpoint: Endpoint) -> Endpoint:
        """Credentials and this tenant required."""

        async def guarded(request: Request) -> Response:
            self._authenticate(request)
            self._tenant(request)
            return await endpoint(request)

        return guarded

    async def open_session(self, request: Request) -> Response:
        """``GET /v2/b2b/customer/session`` for the username-only user of the keys."""
        headers = request.headers
        user = headers.get("x-acme-user-name") or headers.get("x-acme-username") or ""
        if not (
            _same(user, self.keys.acme_username)
            and _same(headers.get("x-acme-password", ""), self.keys.acme_password)
            and headers.get("x-acme-tenantId", "").strip() == str(self.keys.acme_user_tenant)
        ):
            raise ApiError(401, "INVALID_CREDENTIALS", "user name, password or tenant is wrong")
        token, expires = self.state.open_session()
        return JSONResponse(
            {
                "roles": [],
                "session": token,
                "expireMs": epoch_ms(expires),
                "email": "",
                "userName": self.keys.acme_username,
                "tenantId": self.keys.acme_user_tenant,
                "firstName": "Diana",
                "lastName": "Prince",
                "id": 575,
                "confirmed": True,
                "onBoarded": True,
                "title": "Princess of Themyscira",
                "tenantTimeZone": "America/New_York",
                "companyName": "Golden Lasso Adventures",
            }
        )

    async def server_checkout(self, request: Request) -> Response:
        """``POST /v2/b2c/checkout`` from a server (after :meth:`b2c`)."""
        browser_ip = request.headers.get("x-acme-browser-ip", "").strip()
        if not browser_ip:
            raise ApiError(400, "BROWSER_IP_REQUIRED", "x-acme-browser-ip is required for checkout")
        try:
            ipaddress.ip_address(browser_ip)
        except ValueError:
            # acme-orders.txt: ACME "uses IP addresses to prevent unauthorized activity".
            raise ApiError(400, "INVALID_BROWSER_IP", "x-acme-browser-ip must be an IP") from None
        body = await json_body(request)
        return JSONResponse(checkout(self.state, body, request.headers.get("x-acme-request-uuid")))

    async def cors_checkout(self, request: Request) -> Response:
        """``/v2/b2c/cors/checkout``: preflight, or a checkout straight from the browser."""
        origin = request.headers.get("origin")
        if origin is None or origin != self.keys.cors_origin:
            # No CORS headers at all: the browser blocks the page from reading anything.
            return JSONResponse(
                {"code": 403, "message": "origin not allowed", "type": "CORS_ORIGIN"}, 403
            )
        cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        if request.method == "OPTIONS":
            return self._preflight(request, cors)
        try:
            headers = request.headers
            if "x-acme-api-key" in headers or "x-acme-session" in headers:
                raise ApiError(
                    403,
                    "SERVER_CREDENTIALS_IN_BROWSER",
                    "never send x-acme-api-key or x-acme-session from a browser",
                )
            if not _same(headers.get("x-acme-pub-api-key", ""), self.keys.acme_pub_api_key):
                raise ApiError(401, "UNAUTHORIZED", "a valid x-acme-pub-api-key is required")
            self._tenant(request)
            if not headers.get("x-acme-captcha-token", "").strip():
                raise ApiError(400, "CAPTCHA_REQUIRED", "x-acme-captcha-token is required")
            body = await json_body(request)
            order = checkout(self.state, body, headers.get("x-acme-request-uuid"))
        except ApiError as error:
            return error_response(error, headers=cors)
        return JSONResponse(order, headers=cors)

    def _preflight(self, request: Request, cors: dict[str, str]) -> Response:
        method = request.headers.get("access-control-request-method", "")
        asked = request.headers.get("access-control-request-headers", "")
        wanted = {name.strip().lower() for name in asked.split(",") if name.strip()}
        if method.upper() != "POST" or not wanted <= set(CORS_ALLOWED_HEADERS):
            return Response(status_code=403)
        return Response(
            status_code=204,
            headers={
                **cors,
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": ", ".join(CORS_ALLOWED_HEADERS),
                "Access-Control-Max-Age": CORS_MAX_AGE,
            },
        )

    def _authenticate(self, request: Request) -> None:
        key = request.headers.get("x-acme-api-key")
        if key is not None and _same_key(key, self.keys.acme_api_key):
            return
        session = request.headers.get("x-acme-session")
        if session is not None and self.state.session_valid(session):
            return
        raise ApiError(401, "UNAUTHORIZED", "a valid x-acme-api-key or x-acme-session is required")

    def _tenant(self, request: Request) -> None:
        tenant = request.headers.get("x-b2c-tenant-id")
        if tenant is None or not tenant.strip():
            raise ApiError(400, "TENANT_REQUIRED", "x-b2c-tenant-id is required")
        if tenant.strip() != str(self.keys.acme_tenant_id):
            raise ApiError(403, "TENANT_FORBIDDEN", "these credentials do not open that tenant")


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison of a presented secret."""
    return hmac.compare_digest(given.encode(), expected.encode())


def _same_key(given: str, expected: str) -> bool:
    """API keys are UUIDs, written with and without hyphens in the documents."""
    return _same(given.replace("-", "").lower(), expected.replace("-", "").lower())


async def _http_error(_: Request, exc: Exception) -> Response:
    """Unknown paths and methods, in ACME's error shape."""
    assert isinstance(exc, HTTPException)
    return error_response(ApiError(exc.status_code, "HTTP_ERROR", str(exc.detail)))
