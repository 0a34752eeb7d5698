"""Proving who you are: email code, order number plus email, or a shared phone contact.

The verification steps interrupt a journey ("show my tickets") and then carry on with it:
the journey is remembered in the state's ``resume`` key and ``continue_with`` (bound at
start-up) runs it once the fan is verified.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from bot.acme.types import to_e164
from bot.errors import NotAllowed
from bot.identity import CodeCheck, Identity, SendResult
from bot.messages import Reply
from bot.orders import OrderBook
from bot.ports import RateCounter
from bot.turn import ORDER_NUMBER, RESUME, Turn

CODE_PATTERN = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})(?!\d)")
#: Order-number-plus-email attempts a fan may make per hour (guessing other fans' orders).
MAX_ORDER_GUESSES = 10
GUESS_WINDOW = 3600.0

Continue = Callable[[Turn, str], Awaitable[list[Reply]]]


async def _nothing_to_resume(turn: Turn, intent: str) -> list[Reply]:
    return []


class Verify:
    """The verification steps and the contact handler."""

    def __init__(self, identity: Identity, orders: OrderBook, counter: RateCounter) -> None:
        self.identity = identity
        self.orders = orders
        self.counter = counter
        self.continue_with: Continue = _nothing_to_resume

    def intro(self, turn: Turn, resume: str) -> list[Reply]:
        """Explain how to verify, offering the three ways."""
        turn.expect("email", resume=resume)
        return [
            Reply(
                turn.say("verify_intro"),
                buttons=(
                    turn.button("button_order_number", "verify:order"),
                    turn.button("button_help", "help"),
                ),
                request_contact=True,
            )
        ]

    async def from_slots(self, turn: Turn, resume: str) -> list[Reply] | None:
        """Verify with what the fan typed alongside their request, when it is enough to start.

        "my tickets, order 100148401 jane@example.com" proves the order; an email that is not
        verified yet gets a code; an order number alone asks for its email. None: nothing to do.
        """
        email, number = turn.slots.get("email"), turn.slots.get("order_number")
        if isinstance(number, str) and isinstance(email, str):
            turn.state[RESUME] = resume
            return await self.prove_order(turn, number, email)
        verified = await self.identity.verified(turn.fan)
        if isinstance(email, str) and email.lower() not in verified.emails:
            turn.expect("code", resume=resume)
            return await self.send_code(turn, email)
        if isinstance(number, str) and not verified.anything:
            turn.state[ORDER_NUMBER] = number
            turn.expect("order_email", resume=resume)
            return [turn.reply("ask_order_email", number=number)]
        return None

    async def send_code(self, turn: Turn, email: str) -> list[Reply]:
        """Mail a code to ``email`` and wait for it."""
        result = await self.identity.send_code(
            turn.fan,
            email,
            subject=turn.say("code_mail_subject"),
            body_template=turn.say("code_mail_body", code="{code}"),
        )
        if result is SendResult.TOO_MANY:
            return [turn.reply("code_too_many")]
        turn.expect("code")
        return [
            Reply(
                turn.say("code_sent", email=email.strip().lower()),
                buttons=(turn.button("button_resend", "verify:resend"),),
            )
        ]

    async def prove_order(self, turn: Turn, number: str, email: str) -> list[Reply]:
        """Order number plus its email proves that one order (refusals all read alike)."""
        if await self.counter.hit(f"order-guess:{turn.fan.key}", GUESS_WINDOW) > MAX_ORDER_GUESSES:
            return [turn.reply("order_guess_limit")]
        try:
            order = await self.orders.prove(number, email)
        except NotAllowed:
            turn.state.pop(ORDER_NUMBER, None)
            turn.expect(None)
            return [turn.reply("not_found_or_not_yours")]
        await self.identity.prove(turn.fan, "order", order.id)
        turn.state.pop(ORDER_NUMBER, None)
        turn.expect(None)
        done = [turn.reply("verified_order", number=order.order_number or order.id)]
        # The fan named one order: carry on with that order, its tickets or its details.
        then = "tickets" if turn.state.pop(RESUME, None) == "show_tickets" else "order"
        return done + await self.continue_with(turn, f"{then}:{order.id}")

    async def _resume(self, turn: Turn) -> list[Reply]:
        resume = turn.state.pop(RESUME, None)
        return await self.continue_with(turn, resume if isinstance(resume, str) else "find_order")

    # --- steps: text while the bot waits for something ------------------------------------

    async def step_email(self, turn: Turn) -> list[Reply] | None:
        """Waiting for an email (or an order number, or a phone share)."""
        email = turn.slots.get("email")
        number = turn.slots.get("order_number")
        if isinstance(email, str) and isinstance(number, str):
            return await self.prove_order(turn, number, email)
        if isinstance(email, str):
            return await self.send_code(turn, email)
        if isinstance(number, str):
            turn.state[ORDER_NUMBER] = number
            turn.expect("order_email")
            return [turn.reply("ask_order_email", number=number)]
        if turn.intent in ("unknown", None) and "@" in (turn.inbound.text or ""):
            return [turn.reply("bad_email")]
        return None

    async def step_order_email(self, turn: Turn) -> list[Reply] | None:
        """Waiting for the email that goes with an order number."""
        email = turn.slots.get("email")
        number = turn.slots.get("order_number") or turn.state.get(ORDER_NUMBER)
        if isinstance(email, str) and isinstance(number, str):
            return await self.prove_order(turn, number, email)
        if turn.intent in ("unknown", None):
            return [turn.reply("bad_email")]
        return None

    async def step_code(self, turn: Turn) -> list[Reply] | None:
        """Waiting for the 6-digit code (a new email restarts, anything else passes through)."""
        email = turn.slots.get("email")
        if isinstance(email, str):
            return await self.send_code(turn, email)
        match = CODE_PATTERN.search(turn.inbound.text or "")
        if match is None:
            return None
        result = await self.identity.check_code(turn.fan, match.group(1) + match.group(2))
        if result.outcome is CodeCheck.OK:
            turn.expect(None)
            done = [turn.reply("verified_email", email=result.email)]
            return done + await self._resume(turn)
        if result.outcome is CodeCheck.WRONG:
            word = turn.say("code_try_word" if result.tries_left == 1 else "code_tries_word")
            return [turn.reply("code_wrong", tries=result.tries_left, tries_word=word)]
        turn.expect("email")
        key = {
            CodeCheck.LOCKED_OUT: "code_locked",
            CodeCheck.EXPIRED: "code_expired",
        }.get(result.outcome, "code_none")
        return [Reply(turn.say(key), buttons=(turn.button("button_resend", "verify:resend"),))]

    # --- the contact event and the verification buttons -----------------------------------

    async def contact(self, turn: Turn) -> list[Reply]:
        """A phone the channel vouches is the sender's own: verified."""
        phone = to_e164(turn.inbound.contact_phone)
        if phone is None:
            return [Reply(turn.say("contact_not_yours"), request_contact=True)]
        await self.identity.prove(turn.fan, "phone", phone)
        if turn.awaiting in ("email", "code", "order_email"):
            turn.expect(None)
        return [turn.reply("verified_phone"), *await self._resume(turn)]

    async def button(self, turn: Turn, argument: str) -> list[Reply]:
        """``verify:email``, ``verify:order``, ``verify:resend``."""
        if argument == "order":
            turn.expect("email")
            return [turn.reply("ask_order_number")]
        turn.expect("email")
        return [turn.reply("ask_email")]
