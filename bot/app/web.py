"""The ASGI apps ``usher serve`` runs: the public one (pages, the registration API, health,
the channels' webhooks) and, on a port of its own, ``/metrics``.

``/metrics`` is never on the public app: it tells anyone who can reach it how busy the bot is,
which queues are backing up and how the upstreams fail. ``usher serve --metrics-port N`` serves
it on a second listener, for a Prometheus inside the network.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.pages.browser_checkout import BrowserCheckout
from adapters.pages.checkout import CheckoutPages
from adapters.pages.link_preview import LinkPreviews
from adapters.pages.purchase_link import PurchaseLinkPage
from adapters.pages.ticket import TicketPages
from adapters.pages.tm_orders_api import TmOrdersApi
from adapters.sandbox.cors_mount import cors_checkout_route
from adapters.store.queue_depths import queue_depths
from bot.app.bootstrap import Usher
from bot.app.metrics import QUEUE_DEPTH
from bot.app.warmup import warm_up

log = structlog.get_logger("usher.web")


class WebChannel(Protocol):
    """A channel adapter that lives in the web app (Telegram webhook, Slack events)."""

    def routes(self) -> list[BaseRoute]:
        """Its HTTP routes."""
        ...

    async def start(self) -> None:
        """Start it (e.g. the SDK application); called at app start-up."""
        ...

    async def stop(self) -> None:
        """Stop it; called at app shutdown."""
        ...


def create_app(
    usher: Usher, *, channels: Sequence[WebChannel] = (), close_on_shutdown: bool = True
) -> Starlette:
    """The web app for a built Usher (closing it on shutdown unless told otherwise)."""
    settings = usher.settings
    pages = TicketPages(
        usher.links,
        usher.safetix,
        usher.store,
        str(settings.secure_entry_sdk_url),
        secure=str(settings.public_url).startswith("https://"),
        wallet_url=settings.tm_wallet_pass_url,
        tz=settings.zone(),
        venue=settings.venue().facts["name"],
    )
    api = TmOrdersApi(
        usher.tm_orders,
        [token.get_secret_value() for token in settings.api_tokens],
        usher.scheduling.planner,
    )
    sandbox_keys = usher.sandbox.keys if usher.sandbox is not None else None
    checkout = CheckoutPages(
        usher.shop, BrowserCheckout.from_settings(settings, sandbox_keys), settings.zone()
    )
    # Sandbox mode: the browser reaches the in-process ACME simulator through this app.
    sandbox_routes = (
        [cors_checkout_route(usher.sandbox)]
        if settings.acme_sandbox and usher.sandbox is not None
        else []
    )

    async def healthz(_: Request) -> Response:
        try:
            redis_ok = await usher.store.ping()
        except Exception:
            redis_ok = False
        status = 200 if redis_ok else 503
        return JSONResponse({"ok": redis_ok, "redis": redis_ok}, status)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        started: list[WebChannel] = []
        try:
            await warm_up(usher)
            for channel in channels:
                await channel.start()
                started.append(channel)
            yield
        finally:
            for channel in reversed(started):
                await channel.stop()
            if close_on_shutdown:
                await usher.aclose()

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        *pages.routes(),
        *api.routes(),
        *checkout.routes(),
        *PurchaseLinkPage(
            usher.shop,
            usher.store,
            settings.signing_key(),
            LinkPreviews(
                usher.shop.links,
                usher.acme,
                public_url=str(settings.public_url),
                tz=settings.zone(),
                site_name=settings.venue().facts["name"],
            ),
            carts_per_minute=settings.link_carts_per_minute,
            secure=str(settings.public_url).startswith("https://"),
        ).routes(),
        *sandbox_routes,
        *(route for channel in channels for route in channel.routes()),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def create_metrics_app(usher: Usher) -> Starlette:
    """``GET /metrics`` (Prometheus) alone, for the metrics port."""

    async def metrics(_: Request) -> Response:
        try:
            for queue, depth in (await queue_depths(usher.store)).items():
                QUEUE_DEPTH.labels(queue).set(depth)
        except Exception:  # Redis down: the rest of the metrics still matter
            log.warning("queue_depth_unavailable")
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return Starlette(routes=[Route("/metrics", metrics, methods=["GET"])])
