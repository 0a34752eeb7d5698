"""Coupons: on every ticket (cart level) or on one ticket (ticket level), as the fan chooses.

acme-discounts-carts.txt allows both: a cart-level ``couponCodes`` applies to every eligible
ticket ("very standard for online checkout"), an item-level one to that line only ("perhaps
the coupon can only be used on a single ticket"). A code the fan sends goes on the cart; when
the cart holds more than one ticket a button offers "one ticket only" instead, which moves one
ticket (a full-price one first) onto its own coupon line. That is how the document's "all in
one" cart arises: member price, full price and coupon price side by side.

ACME's rules decide the prices (a coupon beats the member price, ``isRetail`` beats both), and
those rules can make a coupon cost a member money: AAA5 turns a 24.00 member ticket into a
27.00 coupon ticket. So a coupon is kept only where it saves money: on every ticket, when the
cart's total goes down; on one ticket, when that ticket costs less than it would without the
code (full price on an ``isRetail`` line, the member price on a member's plain line).
Otherwise the cart is put back as it was and the fan is told why.

A code ACME refuses (400 ``INVALID_COUPON``, ``COUPON_EXPIRED``, ``COUPON_NOT_APPLICABLE``)
gets its own clear answer; ACME refused the whole update, so the cart is unchanged.

Codes are short and guessable, so a fan gets :data:`MAX_WRONG_CODES` refused codes an hour;
past that no code is even sent to ACME (a right one neither: guessing must stop paying off)
and the fan is told when to try again. Codes ACME accepts never count.
"""

from __future__ import annotations

import re
from decimal import Decimal

from bot.acme.cart_models import CartItem
from bot.buying.cart_edits import (
    one_ticket_source,
    request_cart,
    ticket_count,
    ticket_lines,
    with_cart_coupon,
    with_coupon_on_one_ticket,
)
from bot.buying.carts import COUPON_PROBLEMS, OpenCart
from bot.errors import BadRequest
from bot.formatting import money
from bot.messages import Reply
from bot.ports import RateCounter
from bot.turn import Turn
from handlers.cart import CartDesk, moving_on

CODE = re.compile(r"^[A-Za-z0-9_-]{3,20}$")
MAX_WRONG_CODES = 10
WRONG_CODE_WINDOW = 3600.0
REFUSALS = {
    "INVALID_COUPON": "coupon_invalid",
    "COUPON_EXPIRED": "coupon_expired",
    "COUPON_NOT_APPLICABLE": "coupon_not_applicable",
}


class ApplyCoupon:
    """The ``apply_coupon`` intent, its question and the ``coupon:<scope>:<code>`` buttons."""

    def __init__(self, desk: CartDesk, counter: RateCounter) -> None:
        self.desk = desk
        self.counter = counter

    async def __call__(self, turn: Turn) -> list[Reply]:
        """The intent: "coupon AAA5", or "I have a coupon" (the code is asked next)."""
        code = turn.slots.get("coupon_code")
        if isinstance(code, str):
            return await self.apply(turn, code, one_ticket=False)
        turn.expect("coupon_code")
        return [turn.reply("ask_coupon")]

    async def step_code(self, turn: Turn) -> list[Reply] | None:
        """Waiting for the code: a bare word with a digit, or in capitals, is taken as it
        ("thanks" is not a code; "aaa5" and "VIP" are). Another request moves on."""
        code = turn.slots.get("coupon_code")
        typed = (turn.inbound.text or "").strip()
        if not isinstance(code, str) and _looks_like_code(typed):
            code = typed.upper()
        if isinstance(code, str):
            turn.expect(None)
            return await self.apply(turn, code, one_ticket=False)
        return None if moving_on(turn) else [turn.reply("bad_coupon")]

    async def button(self, turn: Turn, argument: str) -> list[Reply]:
        """``coupon:one:<code>`` or ``coupon:all:<code>``."""
        scope, _, code = argument.partition(":")
        if scope not in ("one", "all") or not CODE.match(code):
            return [turn.reply("bad_coupon")]
        return await self.apply(turn, code.upper(), one_ticket=scope == "one")

    async def apply(self, turn: Turn, code: str, *, one_ticket: bool) -> list[Reply]:
        """Put the code on the cart (or on one ticket); keep it only where it saves money."""
        wrong = _wrong_codes(turn)
        if await self.counter.peek(wrong) >= MAX_WRONG_CODES:
            return [turn.reply("coupon_guess_limit")]
        before = await self.desk.current(turn)
        if before is None:
            return [turn.reply("coupon_needs_cart")]
        source = one_ticket_source(before.cart)
        if one_ticket:
            request = with_coupon_on_one_ticket(before.cart, code)
            if request is None or source is None:
                return [turn.reply("coupon_already", code=code)]
        else:
            request = with_cart_coupon(before.cart, code)
        try:
            after = await self.desk.carts.change(before, request)
        except BadRequest as exc:
            key = REFUSALS.get(exc.kind or "")
            if exc.kind not in COUPON_PROBLEMS or key is None:
                raise
            if await self.counter.hit(wrong, WRONG_CODE_WINDOW) >= MAX_WRONG_CODES:
                key = "coupon_guess_last"
            return [await self.desk.show(turn, before, intro=turn.say(key, code=code))]
        if one_ticket and source is not None:
            saves = await self._saves_on_one(before, after, source, code)
        else:
            saves = after.cart.total < before.cart.total
        if not saves:
            return await self._put_back(
                turn, before, code, offer_one=not one_ticket, would_pay=after.cart.total
            )
        intro = turn.say("coupon_applied_one" if one_ticket else "coupon_applied", code=code)
        reply = await self.desk.show(turn, after, intro=intro)
        return [self._with_one_ticket_button(turn, reply, after, code) if not one_ticket else reply]

    async def _saves_on_one(
        self, before: OpenCart, after: OpenCart, source: CartItem, code: str
    ) -> bool:
        """True when the coupon ticket costs less than that ticket would without the code.

        Without the code, a ticket from a full-price (``isRetail``) line costs full price and a
        plain ticket costs the member price when the cart has a membership, else full price.
        The comparison is with that, not with the cart before: the fan may be moving the code
        from every ticket to one (a code meant for one ticket), which costs more in all.
        """
        line = next((i for i in ticket_lines(after.cart) if code in (i.coupon_codes or [])), None)
        if line is None or line.unit_price is None:
            return False
        usual = source.retail_unit_price
        members = before.cart.membership_ids
        if not source.is_retail and members:
            event = await self.desk.carts.api.get_event(before.record.event_id, members[0])
            price = event.price_for(str(source.ticketing_type_id))
            if price is not None:
                usual = price.discounted_price or price.price
        return usual is not None and line.unit_price < usual

    async def _put_back(
        self, turn: Turn, before: OpenCart, code: str, *, offer_one: bool, would_pay: Decimal
    ) -> list[Reply]:
        """Undo a coupon that did not save anything, saying what the fan would have paid with
        it and what they pay without (the one-ticket button, when offered, is only a try:
        nothing here claims it saves or not)."""
        restored = await self.desk.carts.change(before, request_cart(before.cart))
        key = "coupon_no_gain_member" if before.cart.membership_ids else "coupon_no_gain"
        intro = turn.say(
            key, code=code, with_code=money(would_pay), without=money(restored.cart.total)
        )
        if offer_one and ticket_count(restored.cart) >= 2 and one_ticket_source(restored.cart):
            intro += " " + turn.say("coupon_try_one", code=code)
        reply = await self.desk.show(turn, restored, intro=intro)
        return [self._with_one_ticket_button(turn, reply, restored, code) if offer_one else reply]

    @staticmethod
    def _with_one_ticket_button(turn: Turn, reply: Reply, opened: OpenCart, code: str) -> Reply:
        """Offer "one ticket only" when there is more than one ticket to choose from."""
        if ticket_count(opened.cart) < 2 or one_ticket_source(opened.cart) is None:
            return reply
        one = turn.button("button_coupon_one", f"coupon:one:{code}", code=code)
        return Reply(reply.text, buttons=(one, *reply.buttons))


def _wrong_codes(turn: Turn) -> str:
    """The fan's counter of refused codes."""
    return f"coupon-guess:{turn.fan.key}"


def _looks_like_code(text: str) -> bool:
    return bool(CODE.match(text)) and (any(ch.isdigit() for ch in text) or text.isupper())
