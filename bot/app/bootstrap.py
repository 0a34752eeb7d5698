"""The one place that wires adapters to handlers (dependencies bound once at start-up).

``build`` turns settings into a running :class:`Usher`: the Redis store (or the embedded one),
one ``httpx.AsyncClient`` per upstream (on aiohttp's connection pool, ``adapters.upstream_http``;
pointed at the built-in simulators when no base URL is configured), the clients, the identity
policy, the handlers and the conversation core. Tests build the very same object, swapping only
what they must (a mailer that records, a clock).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import structlog

from adapters.acme.client import AcmeClient, ApiKeyAuth
from adapters.jobs.scheduling import Scheduling, build_scheduling
from adapters.mailer import ConsoleMailer, SmtpMailer
from adapters.sandbox.app import Sandbox
from adapters.sandbox.config import SandboxKeys
from adapters.store.cache import RedisCache
from adapters.store.carts import RedisCartStore
from adapters.store.identity import RedisIdentityStore, RedisRateCounter, RedisStateStore
from adapters.store.order_index import RedisOrderIndex
from adapters.store.page_bindings import RedisPageBindings
from adapters.store.purchase_links import RedisLinkStore
from adapters.store.store import Store, connect
from adapters.store.tm_orders import RedisTmOrderStore
from adapters.store.turn_gate import RedisTurnGate
from adapters.store.turns import RedisTurns
from adapters.ticketmaster.client import TicketmasterClient
from adapters.upstream_http import upstream_client
from bot.app.routes import Journeys, fan_routes
from bot.app.settings import Settings
from bot.buying.shop import Shop
from bot.conversation import Conversation
from bot.errors import ConfigError
from bot.identity import Identity
from bot.intents.recognise import recognise
from bot.links import TicketLinks
from bot.orders import OrderBook
from bot.outbound import Messenger
from bot.ports import Mailer
from bot.staff_config import StaffConfig, StaffConfigError, load_staff_config
from bot.ticketmaster.safetix import SafeTix

log = structlog.get_logger("usher.bootstrap")

SANDBOX_ORIGIN = "http://sandbox.usher.invalid"
#: Every upstream call's default; calls with a promise of their own set theirs (Ticketmaster's
#: order management and secure render from its SLAs, ACME's searches longer).
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
#: Every connection may be kept alive: in a rush dozens of upstream calls are in flight at
#: once, and with httpx's default of 20 kept-alive connections each call past the 20th opened
#: a new one (a TLS handshake against the real APIs) and closed it again (bench.gate_rush).
HTTP_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)


@dataclass
class Usher:
    """Everything a running process needs, built once."""

    settings: Settings
    store: Store
    acme: AcmeClient
    tm: TicketmasterClient
    identity: Identity
    safetix: SafeTix
    tm_orders: RedisTmOrderStore
    links: TicketLinks
    conversation: Conversation
    messenger: Messenger
    shop: Shop
    #: ``config/staff.toml`` (or ``USHER_STAFF_CONFIG``): support hours, canned replies.
    staff: StaffConfig
    #: The fans' handlers staff reuse when acting for a fan.
    journeys: Journeys
    #: Jobs (``usher worker``), their queue, fans' reminder/offer preferences, broadcasts.
    scheduling: Scheduling
    sandbox: Sandbox | None
    http_clients: list[httpx.AsyncClient] = field(default_factory=list)

    async def aclose(self) -> None:
        """Close connections (HTTP pools, Redis)."""
        for client in self.http_clients:
            await client.aclose()
        await self.scheduling.aclose()
        await self.store.close()


def _http_client(base_url: str | None, sandbox: Sandbox | None) -> httpx.AsyncClient:
    if base_url is None:
        assert sandbox is not None
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sandbox),
            base_url=SANDBOX_ORIGIN,
            timeout=HTTP_TIMEOUT,
        )
    return upstream_client(base_url, timeout=HTTP_TIMEOUT, limits=HTTP_LIMITS)


def build(
    settings: Settings,
    *,
    mailer: Mailer | None = None,
    store: Store | None = None,
    sandbox: Sandbox | None = None,
    clock: Callable[[], float] = time.time,
) -> Usher:
    """Wire a complete Usher from settings (the sandbox stands in for unset upstreams)."""
    if sandbox is None and (settings.acme_sandbox or settings.tm_sandbox):
        sandbox = Sandbox(SandboxKeys.from_settings(settings))
    keys = sandbox.keys if sandbox is not None else SandboxKeys()
    try:
        staff = load_staff_config(settings.staff_config)
    except StaffConfigError as exc:
        raise ConfigError(f"USHER_STAFF_CONFIG: {exc}") from None
    store = store or connect(settings.redis_url)
    if settings.allow_http and settings.plain_http_upstreams():
        log.warning(
            "plain_http_upstreams",
            variables=settings.plain_http_upstreams(),
            note="USHER_ALLOW_HTTP=true: API keys travel without TLS; a local stand-in only",
        )
    if settings.smtp_url is not None and settings.smtp_url.startswith("smtp+insecure://"):
        log.warning("smtp_without_tls", note="USHER_SMTP_URL is smtp+insecure://: mail in clear")
    if store.embedded:
        log.warning(
            "embedded_redis", note="USHER_REDIS_URL unset: state lives in this process only"
        )

    acme_base = None if settings.acme_sandbox else str(settings.acme_base_url).rstrip("/")
    acme_http = _http_client(acme_base, sandbox)
    acme_key = (
        settings.acme_api_key.get_secret_value() if settings.acme_api_key else keys.acme_api_key
    )
    acme = AcmeClient(
        acme_http,
        base_url=acme_base or SANDBOX_ORIGIN,
        tenant_id=settings.acme_tenant_id or keys.acme_tenant_id,
        auth=ApiKeyAuth(acme_key),
        order_index=RedisOrderIndex(store),
        search_timeout=settings.acme_search_timeout.total_seconds(),
    )
    tm_base = None if settings.tm_sandbox else str(settings.tm_base_url).rstrip("/")
    tm_http = _http_client(tm_base, sandbox)
    tm_key = settings.tm_api_key.get_secret_value() if settings.tm_api_key else keys.tm_api_key
    tm = TicketmasterClient(
        tm_http, base_url=tm_base or SANDBOX_ORIGIN, api_key=tm_key, preprod=settings.tm_preprod
    )

    if mailer is None:
        mailer = (
            SmtpMailer(settings.smtp_url, settings.mail_from)
            if settings.smtp_url
            else ConsoleMailer()
        )
    identity = Identity(
        RedisIdentityStore(store),
        RedisRateCounter(store),
        mailer,
        secret=settings.signing_key(),
        clock=clock,
    )
    tm_orders = RedisTmOrderStore(store)
    safetix = SafeTix(tm, tm_orders)
    links = TicketLinks(
        settings.signing_key(), str(settings.public_url), registry=RedisPageBindings(store)
    )
    states = RedisStateStore(store)
    messenger = Messenger(states, {})
    scheduling = build_scheduling(
        settings,
        store,
        safetix,
        tm_orders,
        messenger,
        clock,
        proofs=identity,
        acme_orders=OrderBook(acme, RedisCache(store, "acme")),
    )
    shop = Shop.build(
        acme=acme,
        orders=acme,
        records=RedisCartStore(store),
        link_store=RedisLinkStore(store),
        verifier=identity,
        notifier=messenger,
        secret=settings.signing_key(),
        public_url=str(settings.public_url),
        clock=clock,
    )
    scheduling.cart_sweep = shop.carts.sweep
    routes, journeys = fan_routes(
        settings,
        store,
        acme,
        identity,
        safetix,
        links,
        shop,
        scheduling.preferences,
        staff,
        clock,
        seen=scheduling.acme_reminders.seen,
    )
    conversation = Conversation(
        states,
        routes,
        recognise,
        RedisTurns(store, RedisTurnGate(store, settings.turn_limit())),
    )
    return Usher(
        settings=settings,
        store=store,
        acme=acme,
        tm=tm,
        identity=identity,
        safetix=safetix,
        tm_orders=tm_orders,
        links=links,
        conversation=conversation,
        messenger=messenger,
        shop=shop,
        staff=staff,
        journeys=journeys,
        scheduling=scheduling,
        sandbox=sandbox,
        http_clients=[acme_http, tm_http],
    )
