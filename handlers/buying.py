"""The buying journeys' routes, so ``bot.app.bootstrap`` wires them in a few lines.

Intents ``apply_membership``, ``apply_coupon``, ``buy_addon``; buttons ``cart`` (show, pay,
change quantity, split, drop), ``qty``, ``coupon``, ``addons``, ``addon``, ``ptype``; the
awaited answers (card number, last name, coupon code, ticket count, add-on count); the
purchase-link start and the "didn't get that" answer that also catches "my cart".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.buying.shop import Shop
from bot.conversation import ButtonHandler, StepHandler
from bot.identity import Identity
from bot.orders import OrderBook
from bot.ports import RateCounter
from bot.turn import Handler
from handlers.addons import BuyAddOn
from handlers.cart import CartDesk
from handlers.coupon import ApplyCoupon
from handlers.membership import ApplyMembership, MembershipCheck
from handlers.purchase import StartPurchase
from handlers.verify import Verify


@dataclass(frozen=True)
class BuyingRoutes:
    """What the buying journeys add to ``bot.conversation.Routes``."""

    intents: dict[str, Handler]
    buttons: dict[str, ButtonHandler]
    steps: dict[str, StepHandler]
    start_purchase: StartPurchase
    #: Replaces ``handlers.help.unknown``: "my cart" first, then "didn't get that".
    unknown: Handler
    add_ons: BuyAddOn


def buying_routes(
    shop: Shop,
    members: MembershipCheck,
    orders: OrderBook,
    identity: Identity,
    verify: Verify,
    counter: RateCounter,
    tz: ZoneInfo,
    clock: Callable[[], float] = time.time,
    *,
    renew_url: str | None = None,
) -> BuyingRoutes:
    """Bind the buying handlers to their dependencies."""
    desk = CartDesk(shop.carts, shop.checkouts.links, tz)
    membership = ApplyMembership(members, desk, counter, clock, renew_url=renew_url)
    coupon = ApplyCoupon(desk, counter)
    add_ons = BuyAddOn(desk, orders, identity, verify, tz, clock)
    purchase = StartPurchase(desk, shop.links)
    return BuyingRoutes(
        intents={
            "apply_membership": membership,
            "apply_coupon": coupon,
            "buy_addon": add_ons,
        },
        buttons={
            "cart": desk.button,
            "qty": desk.button_quantity,
            "coupon": coupon.button,
            "addons": add_ons.button_event,
            "addon": add_ons.button_add_on,
            "ptype": purchase.button_type,
        },
        steps={
            "member_card": membership.step_card,
            "member_last_name": membership.step_last_name,
            "coupon_code": coupon.step_code,
            "ticket_quantity": desk.step_quantity,
            "addon_quantity": add_ons.step_quantity,
        },
        start_purchase=purchase,
        unknown=desk.unknown,
        add_ons=add_ons,
    )
