"""The one place that wires adapters to handlers (dependencies bound once at start-up).

``build`` turns settings into a running :class:`Usher`: the Redis store (or the embedded one),
one ``httpx.AsyncClient`` per upstream (pointed at the built-in simulators when no base URL is
configured), the clients, the identity policy, the handlers and the conversation core. Tests
build the very same object, swapping only what they must (a mailer that records, a clock).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import structlog
from pydantic import SecretStr

from adapters.acme.client import AcmeClient, ApiKeyAuth
from adapters.jobs.scheduling import Scheduling, build_scheduling
from adapters.mailer import ConsoleMailer, SmtpMailer
from adapters.sandbox.app import Sandbox
from adapters.sandbox.config import SandboxKeys
from adapters.slack.app import SlackChannel, web_client
from adapters.slack.handoff import HandoffDesk
from adapters.slack.handoff_consumer import HandoffConsumer
from adapters.slack.marketing import MarketingConsole
from adapters.slack.support import SupportConsole
from adapters.store.audit_log import RedisAuditLog
from adapters.store.cache import RedisCache
from adapters.store.carts import RedisCartStore
from adapters.store.handoff_queue import HandoffBoard, RedisHandoffQueue
from adapters.store.identity import RedisIdentityStore, RedisRateCounter, RedisStateStore
from adapters.store.purchase_links import RedisLinkStore
from adapters.store.store import Store, connect
from adapters.store.tm_orders import RedisTmOrderStore
from adapters.telegram.bot import TelegramBot, TelegramConfig, build_application
from adapters.ticketmaster.client import TicketmasterClient
from bot.app.settings import Settings
from bot.buying.purchase_links import PurchaseLinks
from bot.buying.shop import Shop
from bot.conversation import Conversation, Routes
from bot.identity import Identity
from bot.intents.recognise import recognise
from bot.links import TicketLinks
from bot.messages import Reply
from bot.orders import OrderBook
from bot.outbound import Messenger
from bot.ports import Mailer
from bot.preferences import Preferences
from bot.staff import Roles
from bot.ticketmaster.safetix import SafeTix
from bot.turn import Handler, Turn
from handlers import help as help_handlers
from handlers.buying import buying_routes
from handlers.deep_link import DeepLink
from handlers.find_order import FindOrder
from handlers.handoff import Handoff
from handlers.marketing import Marketing
from handlers.preferences import PreferenceSwitches
from handlers.show_tickets import ShowTickets
from handlers.support import SupportDesk
from handlers.support_contact import ContactEditor
from handlers.verify import Verify

log = structlog.get_logger("usher.bootstrap")

SANDBOX_ORIGIN = "http://sandbox.usher.invalid"
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
    return httpx.AsyncClient(base_url=base_url, timeout=HTTP_TIMEOUT, limits=HTTP_LIMITS)


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
    store = store or connect(settings.redis_url)
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
    links = TicketLinks(settings.signing_key(), str(settings.public_url))
    states = RedisStateStore(store)
    messenger = Messenger(states, {})
    scheduling = build_scheduling(settings, store, safetix, tm_orders, messenger, clock)
    shop = Shop.build(
        acme=acme,
        orders=acme,
        records=RedisCartStore(store),
        link_store=RedisLinkStore(store),
        prover=identity,
        notifier=messenger,
        secret=settings.signing_key(),
        public_url=str(settings.public_url),
        clock=clock,
    )
    scheduling.cart_sweep = shop.carts.sweep
    conversation = Conversation(
        states,
        _routes(
            settings, store, acme, identity, safetix, links, shop, scheduling.preferences, clock
        ),
        recognise,
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
        scheduling=scheduling,
        sandbox=sandbox,
        http_clients=[acme_http, tm_http],
    )


def _routes(
    settings: Settings,
    store: Store,
    acme: AcmeClient,
    identity: Identity,
    safetix: SafeTix,
    links: TicketLinks,
    shop: Shop,
    preferences: Preferences,
    clock: Callable[[], float],
) -> Routes:
    orders = OrderBook(acme, RedisCache(store, "acme"))
    verify = Verify(identity, orders, RedisRateCounter(store))
    find_order = FindOrder(orders, identity, verify, settings.zone())
    show_tickets = ShowTickets(orders, identity, verify, safetix, links, settings.zone(), clock)
    handoff = Handoff(RedisHandoffQueue(store))
    buying = buying_routes(
        shop, acme, orders, identity, verify, RedisRateCounter(store), settings.zone(), clock
    )
    journeys: dict[str, Handler] = {
        "find_order": find_order,
        "show_tickets": show_tickets,
        "buy_addon": buying.add_ons,
    }

    async def continue_with(turn: Turn, resume: str) -> list[Reply]:
        if resume.startswith("order:"):
            return await find_order.details(turn, resume.removeprefix("order:"))
        if resume.startswith("tickets:"):
            return await show_tickets.button(turn, resume.removeprefix("tickets:"))
        journey = journeys.get(resume, find_order)
        turn.slots = {}
        return await journey(turn)

    verify.continue_with = continue_with
    switches = PreferenceSwitches(preferences)
    deep_link = DeepLink(shop.links, buying.start_purchase)
    return Routes(
        intents={
            "find_order": find_order,
            "show_tickets": show_tickets,
            "help": help_handlers.help_,
            "cancel": help_handlers.cancel,
            "human": handoff,
            "unknown": buying.unknown,
            **buying.intents,
        },
        buttons={
            "orders": find_order.button_orders,
            "order": find_order.button_order,
            "tickets": show_tickets.button,
            "verify": verify.button,
            "help": help_handlers.help_button,
            "cancel": help_handlers.cancel_button,
            "human": handoff.button,
            "prefs": switches.button,
            # A broadcast's offer button opens its purchase link as the deep link would.
            "link": deep_link,
            **buying.buttons,
        },
        steps={
            "email": verify.step_email,
            "code": verify.step_code,
            "order_email": verify.step_order_email,
            **buying.steps,
        },
        contact=verify.contact,
        deep_link=deep_link,
        relay=handoff.relay,
        phrases=switches.phrase,
    )


def slack_channel(usher: Usher) -> SlackChannel | None:
    """The Slack app (staff console and human handoff) for a built Usher; None when off."""
    settings = usher.settings
    if settings.slack_bot_token is None:
        return None
    api_url = str(settings.slack_api_url) if settings.slack_api_url else None
    client = web_client(settings.slack_bot_token.get_secret_value(), api_url)
    roles = Roles(frozenset(settings.slack_agents), frozenset(settings.slack_marketers))
    audit = RedisAuditLog(usher.store)
    board = HandoffBoard(usher.store)
    tz = settings.zone()
    marketing = Marketing(
        PurchaseLinks(RedisLinkStore(usher.store)),
        usher.acme,
        audit,
        public_url=str(settings.public_url),
        bot_username=settings.telegram_bot_username,
        tz=tz,
        broadcaster=usher.scheduling.broadcasts,
    )
    consumer = None
    if settings.slack_handoff_channel:
        consumer = HandoffConsumer(usher.store, board, client, settings.slack_handoff_channel)
    else:
        log.warning("slack_handoff_off", note="USHER_SLACK_HANDOFF_CHANNEL unset: not posted")
    return SlackChannel(
        client,
        usher.store,
        roles,
        SupportConsole(SupportDesk(usher.acme, audit), ContactEditor(usher.acme, audit), audit, tz),
        MarketingConsole(marketing, tz),
        HandoffDesk(board, usher.messenger, audit, roles),
        signing_secret=_secret(settings.slack_signing_secret),
        app_token=_secret(settings.slack_app_token),
        consumer=consumer,
    )


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def telegram_bot(usher: Usher, *, polling: bool = False) -> TelegramBot | None:
    """The Telegram bot for a built Usher, its sender registered for proactive messages.

    None when Telegram is off (no ``USHER_TELEGRAM_TOKEN``); ConfigError when a setting is
    wrong. ``polling``: with PTB's ``getUpdates`` loop, else for the webhook in the web app.
    """
    config = TelegramConfig.from_settings(usher.settings)
    if config is None:
        return None
    return TelegramBot(
        build_application(config, polling=polling),
        config,
        usher.conversation.handle,
        usher.store,
        messenger=usher.messenger,
    )
