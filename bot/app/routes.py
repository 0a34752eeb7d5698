"""The fans' conversation routes: which handler answers each intent, button and step.

Part of the wiring (``bot.app.bootstrap.build`` calls :func:`fan_routes` once): the handlers are
built here from the adapters they need, and the verification step learns where to resume.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from adapters.acme.client import AcmeClient
from adapters.store.audit_log import RedisAuditLog
from adapters.store.cache import RedisCache
from adapters.store.handoff_queue import RedisHandoffQueue
from adapters.store.identity import RedisRateCounter
from adapters.store.store import Store
from bot.app.settings import Settings
from bot.buying.shop import Shop
from bot.conversation import Routes
from bot.identity import Identity
from bot.links import TicketLinks
from bot.messages import Fan, Reply
from bot.orders import OrderBook
from bot.preferences import Preferences
from bot.staff_config import StaffConfig
from bot.ticketmaster.safetix import SafeTix
from bot.turn import Handler, Turn
from handlers import help as help_handlers
from handlers.buying import buying_routes
from handlers.deep_link import DeepLink
from handlers.find_order import FindOrder
from handlers.forget import ForgetMe
from handlers.handoff import Handoff
from handlers.preferences import PreferenceSwitches
from handlers.resend_confirmation import ResendConfirmation
from handlers.show_tickets import ShowTickets
from handlers.venue import POLICY_OF, VenueDesk, small_talk
from handlers.verify import Verify


@dataclass(frozen=True)
class Journeys:
    """The handlers staff reuse when they act for a fan (``handlers.assist``): the very same
    instances the fans' own buttons run, so the same checks apply."""

    orders: OrderBook
    verify: Verify
    show_tickets: ShowTickets


def fan_routes(
    settings: Settings,
    store: Store,
    acme: AcmeClient,
    identity: Identity,
    safetix: SafeTix,
    links: TicketLinks,
    shop: Shop,
    preferences: Preferences,
    staff: StaffConfig,
    clock: Callable[[], float],
    *,
    seen: Callable[[Fan], Awaitable[None]] | None = None,
) -> tuple[Routes, Journeys]:
    orders = OrderBook(acme, RedisCache(store, "acme"))
    verify = Verify(identity, orders, RedisRateCounter(store), settings.zone())
    find_order = FindOrder(orders, identity, verify, settings.zone(), seen=seen, clock=clock)
    show_tickets = ShowTickets(
        orders, identity, verify, safetix, links, settings.zone(), clock, seen=seen
    )
    handoff = Handoff(
        RedisHandoffQueue(store), staff.hours, RedisAuditLog(store), settings.zone(), clock
    )
    resend = ResendConfirmation(orders, identity, verify, acme, RedisRateCounter(store))
    buying = buying_routes(
        shop,
        acme,
        orders,
        identity,
        verify,
        RedisRateCounter(store),
        settings.zone(),
        clock,
        renew_url=settings.venue().membership_url,
    )
    journeys: dict[str, Handler] = {
        "find_order": find_order,
        "show_tickets": show_tickets,
        "buy_addon": buying.add_ons,
        "resend_confirmation": resend,
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
    forget_me = ForgetMe(identity)

    async def cancel(turn: Turn) -> list[Reply]:
        """ "cancel" stops whatever was going on, a code on its way included (it no longer
        works: six digits typed afterwards are not read as it)."""
        await identity.cancel_code(turn.fan)
        return await help_handlers.cancel(turn)

    async def cancel_button(turn: Turn, argument: str) -> list[Reply]:
        return await cancel(turn)

    async def phrases(turn: Turn) -> list[Reply] | None:
        """The fixed whole-message phrases: a pending code (or "send a new code"), the
        reminder/offer switches, then "forget me"."""
        for phrase in (verify.code_phrase, switches.phrase, forget_me.phrase):
            answered = await phrase(turn)
            if answered is not None:
                return answered
        return None

    deep_link = DeepLink(shop.links, buying.start_purchase)
    venue = VenueDesk(settings.venue())
    routes = Routes(
        intents={
            "find_order": find_order,
            "show_tickets": show_tickets,
            "help": help_handlers.help_,
            "cancel": cancel,
            "human": handoff,
            "resend_confirmation": resend,
            "venue_question": venue.question,
            **dict.fromkeys(POLICY_OF, venue.policy),
            "small_talk": small_talk,
            "unknown": buying.unknown,
            **buying.intents,
        },
        buttons={
            "orders": find_order.button_orders,
            "order": find_order.button_order,
            "tickets": show_tickets.button,
            "verify": verify.button,
            "help": help_handlers.help_button,
            "cancel": cancel_button,
            "human": handoff.button,
            "rate": handoff.rate,
            "prefs": switches.button,
            "resend": resend.button,
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
        phrases=phrases,
    )
    return routes, Journeys(orders, verify, show_tickets)
