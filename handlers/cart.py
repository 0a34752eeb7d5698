"""The fan's cart in the chat: see it (prices as ACME charges them), change it, pay, or drop it.

The cart lives at ACME and is read again on every visit, so the fan always sees what ACME
will charge: member prices next to full prices, coupon prices, add-ons, the total. The fan's
state holds only the cart's id (``bot.buying.carts.CART``); buttons never carry it, so a forged
payload cannot reach someone else's cart, and the record's owner is checked on every read.

Paying hands out a signed link to the hosted checkout page. Before that, a cart with a
membership is checked against the member's entitlements (acme-discounts-carts.txt, "Entitlements
Validation"): when a rule fails, the fan is told how many member-priced tickets they may still
have (``allowedQuantity - purchasedQuantity``) and offered the rest at full price, which splits
the line into member and ``isRetail`` lines ("Selling Tickets with Membership Discounts").

"My cart" is not one of the recogniser's intents (docs/architecture.md fixes that list), so text
that the recogniser could not place but that names the cart ("my cart", "/cart", "carrito") is
caught here before the "didn't get that" answer.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from bot.acme.cart_models import Cart, EntitlementsResult
from bot.acme.catalog_models import EventInstance
from bot.buying.cart_edits import (
    MAX_QUANTITY,
    member_counted,
    over_limit,
    split_for_entitlements,
    ticket_count,
    with_ticket_quantity,
)
from bot.buying.cart_text import cart_text
from bot.buying.carts import CART, MEMBERSHIP, Carts, OpenCart
from bot.buying.checkout import CheckoutLinks
from bot.formatting import money, when
from bot.messages import NUMBER, Button, Link, Reply
from bot.turn import Turn
from handlers import help as help_handlers

CART_WORDS = frozenset({"cart", "carts", "basket", "checkout", "carrito", "cesta"})
QUANTITY = re.compile(r"^\s*(\d{1,2})\s*$")
#: Ticket counts offered as buttons (any other count can be typed).
QUANTITY_CHOICES = (1, 2, 3, 4, 5, 6)


def asks_for_cart(turn: Turn) -> bool:
    """True when text the recogniser could not place names the cart ("my cart", "/cart")."""
    if turn.intent not in ("unknown", None):
        return False
    words = set(re.findall(r"[a-z]+", (turn.inbound.text or "").lower()))
    return bool(words & CART_WORDS)


def moving_on(turn: Turn) -> bool:
    """True when the fan, asked a question, asked for something else instead (an intent, or
    their cart): the question is dropped and the request handled as usual. Small talk ("ok",
    "thanks") is answered in passing and the question still stands."""
    if turn.intent == "small_talk":
        return True
    if turn.intent not in ("unknown", None) or asks_for_cart(turn):
        turn.expect(None)
        return True
    return False


#: ``Turn.memo`` key of the fan's cart as this turn knows it.
MEMO_CART = "cart"


class CartDesk:
    """Shows and changes the fan's open cart; other buying handlers render through it."""

    def __init__(self, carts: Carts, links: CheckoutLinks, tz: ZoneInfo) -> None:
        self.carts = carts
        self.links = links
        self.tz = tz

    # --- reading -------------------------------------------------------------------------

    async def current(self, turn: Turn) -> OpenCart | None:
        """The fan's open cart; a cart that expired or was paid is forgotten.

        Read from ACME once per turn: a handler asking again (the add-on journey does) gets
        the same answer, or the cart as this turn last changed it (:meth:`change`).
        """
        cart_id = turn.state.get(CART)
        if not isinstance(cart_id, str):
            return None
        known = turn.memo.get(MEMO_CART)
        if isinstance(known, OpenCart) and known.record.cart_id == cart_id:
            return known
        opened = await self.carts.get(cart_id, turn.fan)
        if opened is None:
            turn.state.pop(CART, None)
        else:
            turn.memo[MEMO_CART] = opened
        return opened

    async def change(self, turn: Turn, opened: OpenCart, request: Cart) -> OpenCart:
        """Send the cart's new contents to ACME; the repriced cart is the turn's from now on."""
        changed = await self.carts.change(opened, request)
        turn.memo[MEMO_CART] = changed
        return changed

    async def event(self, opened: OpenCart, turn: Turn) -> EventInstance:
        """The cart's event, with member prices when the fan has a membership."""
        membership = turn.state.get(MEMBERSHIP)
        return await self.carts.api.get_event(
            opened.record.event_id, membership if isinstance(membership, int) else None
        )

    def adopt(self, turn: Turn, opened: OpenCart) -> None:
        """Make ``opened`` the fan's cart."""
        turn.state[CART] = opened.record.cart_id
        turn.memo[MEMO_CART] = opened

    # --- showing -------------------------------------------------------------------------

    async def show(self, turn: Turn, opened: OpenCart, *, intro: str | None = None) -> Reply:
        """The cart as one message with its buttons."""
        event = await self.event(opened, turn)
        cart = opened.cart
        lines = [intro] if intro else []
        lines.append(
            turn.say(
                "cart_header",
                event=event.name or self._event_name(cart),
                when=when(event.start_time, self.tz, turn.lang),
            )
        )
        if not any(item.quantity > 0 for item in cart.items):
            lines.append(turn.say("cart_empty"))
        lines.extend(
            turn.say(
                "cart_line",
                name=line.name,
                quantity=line.quantity,
                unit=line.unit,
                note=line.note,
                amount=line.amount,
            )
            for line in cart_text(cart, turn.lang)
        )
        lines.append(turn.say("cart_total", amount=money(cart.total)))
        lines.append(turn.say("cart_hint"))
        buttons = [turn.button("button_pay", "cart:pay")]
        if ticket_count(cart):
            buttons.append(turn.button("button_change_quantity", "cart:qty"))
        if event.add_ons:
            buttons.append(turn.button("button_addons", "addons"))
        buttons.append(turn.button("button_drop_cart", "cart:drop"))
        return Reply("\n".join(lines), buttons=tuple(buttons))

    @staticmethod
    def _event_name(cart: Cart) -> str:
        return next((item.event_name for item in cart.items if item.event_name), "")

    # --- the "cart" button, its text forms and the quantity ------------------------------

    async def view(self, turn: Turn) -> list[Reply]:
        """The fan's cart, or how to get one."""
        opened = await self.current(turn)
        if opened is None:
            return [Reply(turn.say("no_cart"), buttons=help_handlers.menu(turn))]
        return [await self.show(turn, opened)]

    async def button(self, turn: Turn, argument: str) -> list[Reply]:
        """``cart``, ``cart:pay``, ``cart:qty``, ``cart:split``, ``cart:drop``."""
        opened = await self.current(turn)
        if opened is None:
            return [Reply(turn.say("no_cart"), buttons=help_handlers.menu(turn))]
        if argument == "pay":
            return await self.pay(turn, opened)
        if argument == "split":
            return await self.split(turn, opened)
        if argument == "qty" and ticket_count(opened.cart):
            turn.expect("ticket_quantity")
            buttons = tuple(Button(str(n), f"qty:{n}") for n in QUANTITY_CHOICES)
            question = turn.say("ask_ticket_quantity", most=MAX_QUANTITY)
            return [Reply(question, buttons=buttons, expects=NUMBER)]
        if argument == "drop":
            turn.state.pop(CART, None)
            await self.carts.discard(opened.record.cart_id)
            return [Reply(turn.say("cart_dropped"), buttons=help_handlers.menu(turn))]
        return [await self.show(turn, opened)]

    async def button_quantity(self, turn: Turn, argument: str) -> list[Reply]:
        """``qty:<n>``: this many tickets in all."""
        if not argument.isdigit() or len(argument) > 2:
            return [turn.reply("bad_quantity", most=MAX_QUANTITY)]
        return await self.set_quantity(turn, int(argument))

    async def step_quantity(self, turn: Turn) -> list[Reply] | None:
        """Waiting for a ticket count."""
        match = QUANTITY.match(turn.inbound.text or "")
        if match is not None:
            return await self.set_quantity(turn, int(match.group(1)))
        return None if moving_on(turn) else [self._bad_quantity(turn)]

    async def set_quantity(self, turn: Turn, quantity: int) -> list[Reply]:
        """Change the number of tickets and show the repriced cart."""
        if not 1 <= quantity <= MAX_QUANTITY:
            return [self._bad_quantity(turn)]
        opened = await self.current(turn)
        turn.expect(None)
        if opened is None or not ticket_count(opened.cart):
            return [Reply(turn.say("no_cart"), buttons=help_handlers.menu(turn))]
        opened = await self.change(turn, opened, with_ticket_quantity(opened.cart, quantity))
        return [await self.show(turn, opened)]

    def _bad_quantity(self, turn: Turn) -> Reply:
        return turn.reply("bad_quantity", most=MAX_QUANTITY)

    async def unknown(self, turn: Turn) -> list[Reply]:
        """Text the recogniser could not place: the cart when it names the cart."""
        if asks_for_cart(turn):
            return await self.view(turn)
        return await help_handlers.unknown(turn)

    # --- paying --------------------------------------------------------------------------

    async def pay(self, turn: Turn, opened: OpenCart) -> list[Reply]:
        """The checkout link, once the cart is something ACME will sell as it stands."""
        cart = opened.cart
        if not any(item.quantity > 0 for item in cart.items):
            return [await self.show(turn, opened)]
        offer = await self.check_entitlements(turn, opened)
        if offer is not None:
            return [offer]
        url = self.links.url(opened.record.cart_id, turn.fan, turn.lang)
        total = money(cart.total)
        return [
            Reply(
                turn.say("pay_intro", amount=total),
                links=(Link(turn.say("pay_link", amount=total), url),),
                buttons=(turn.button("button_cart", "cart"),),
            )
        ]

    async def check_entitlements(self, turn: Turn, opened: OpenCart) -> Reply | None:
        """The offer to split the cart when member rules fail now; None when they hold."""
        if not opened.cart.membership_ids or not ticket_count(opened.cart):
            return None
        result = await self.carts.api.validate_entitlements(opened.record.cart_id)
        return None if result.valid else self.entitlement_offer(turn, opened.cart, result)

    def entitlement_offer(self, turn: Turn, cart: Cart, result: EntitlementsResult) -> Reply:
        """Tell the member how many member-priced tickets they may have; offer the rest."""
        extra = over_limit(cart, result.violations)
        if extra == 0 or not result.violations:
            return Reply(
                turn.say("entitlement_blocked"), buttons=(turn.button("button_human", "human"),)
            )
        violation = result.violations[0]
        retail = next(
            (
                item.retail_unit_price
                for item in cart.items
                if member_counted(item, violation) and item.retail_unit_price is not None
            ),
            None,
        )
        return Reply(
            turn.say(
                "entitlement_limit",
                event=self._event_name(cart),
                allowed=violation.allowed_quantity,
                remaining=violation.remaining,
                extra=extra,
                price=money(retail),
            ),
            buttons=(
                turn.button("button_split", "cart:split", extra=extra),
                turn.button("button_cart", "cart"),
            ),
        )

    async def split(self, turn: Turn, opened: OpenCart) -> list[Reply]:
        """Member tickets within the limit, the rest at full price; then the checkout link."""
        result = await self.carts.api.validate_entitlements(opened.record.cart_id)
        if not result.valid:
            opened = await self.change(
                turn, opened, split_for_entitlements(opened.cart, result.violations)
            )
        return [await self.show(turn, opened), *await self.pay(turn, opened)]
