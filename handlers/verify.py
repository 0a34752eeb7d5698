"""Proving who you are: an email code or a shared phone; an order number is a lookup key only.

The rules (``bot.identity`` holds the code policy, ``bot.orders`` the ownership rule):

* **Email**: a one-time code mailed to the address; the right code verifies it, which opens
  every order on it.
* **Phone**: a contact the channel vouches is the sender's own (Telegram's shared contact).
* **Order number plus email** proves nothing. It shows that order's *status* (event, date,
  paid or refunded, ticket count, the email masked) and mails a code to the order's own
  address, whatever the fan typed; the code, typed back, verifies that email as above. No QR
  code, SafeTix link, add-on or checkout follows from a lookup alone. Lookups are budgeted per
  fan (10 an hour, found or not) and per order number (10 *failed* lookups an hour across every
  fan, so spraying one order number from many accounts does not scale); a refusal reads the
  same whether the number, the email or both were wrong.

The steps interrupt a journey ("show my tickets") and then carry on with it. The fan's state
(``bot.turn``) says where the flow is, so whoever builds on it knows every state:

* ``awaiting = "email"``: the bot asked who the fan is. An email mails a code (then ``code``);
  an order number with an email is a lookup; an order number alone asks for its email (then
  ``order_email``); a shared contact verifies the phone.
* ``awaiting = "order_email"``: ``order_number`` holds the number; the next email completes
  the lookup.
* ``awaiting = "code"``: a code is on its way. Six digits are checked; a new email mails a new
  code; anything else passes through to intent recognition (the code stays valid).
* ``resume``: what to do once verified, run by ``continue_with`` (bound at start-up): an intent
  (``show_tickets``, ``find_order``, ``buy_addon``) or, after a lookup, that one order
  (``tickets:<order id>`` or ``order:<order id>``).

Nothing else is kept between turns: the code itself lives only as a hash in the identity store.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from bot.acme.models import Order
from bot.acme.types import to_e164
from bot.formatting import mask_email, when
from bot.identity import CodeCheck, Identity, SendResult
from bot.intents.text import fold
from bot.messages import Reply
from bot.orders import OrderBook, owns
from bot.ports import RateCounter
from bot.turn import ORDER_NUMBER, RESUME, Turn
from handlers.order_text import event_names, first_event_time, status_key, ticket_count

CODE_PATTERN = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})(?!\d)")
#: A message that is only a code ("293745", "293 745").
CODE_ALONE = re.compile(r"\d{3}[ -]?\d{3}")
#: What a mistyped code looks like: 4 to 8 digits, perhaps with a letter or separators.
NEAR_CODE = re.compile(r"(?=(?:\D*\d){4,8}\D*$)[\d \-.oOlI]{4,12}")
#: "send a new code", "resend the code", "I didn't get the code", "nuevo código"...
RESEND = re.compile(
    r"\b(?:(?:send|get|give)(?: me)? (?:a |the |another )?(?:new |other )?code|new code|"
    r"resend(?: the| my)? code|code (?:again|never (?:came|arrived))|"
    r"(?:didn'?t|did not|never) (?:get|got|receive|received) (?:the |a |my )?code|"
    r"(?:nuevo|otro) codigo|reenvia(?:r|me)? (?:el )?codigo|"
    r"(?:envia|manda)me (?:otro|un nuevo|el) codigo|no (?:me )?(?:ha )?llegad?o el codigo)\b"
)
#: Order lookups a fan may make per hour, found or not (guessing other fans' orders).
MAX_LOOKUPS_PER_FAN = 10
#: Failed lookups of one order number per hour, whoever makes them.
MAX_FAILED_LOOKUPS_PER_ORDER = 10
LOOKUP_WINDOW = 3600.0

Continue = Callable[[Turn, str], Awaitable[list[Reply]]]


async def _nothing_to_resume(turn: Turn, intent: str) -> list[Reply]:
    return []


def _order_key(number: str) -> str:
    """The per-order budget's counter: any typed number, existing or not, counts alike."""
    digest = hashlib.sha256(number.strip().lstrip("#").lower().encode()).hexdigest()[:24]
    return f"lookup-failed:order:{digest}"


class Verify:
    """The verification steps, the order lookup and the contact handler."""

    def __init__(
        self, identity: Identity, orders: OrderBook, counter: RateCounter, tz: ZoneInfo
    ) -> None:
        self.identity = identity
        self.orders = orders
        self.counter = counter
        self.tz = tz
        self.continue_with: Continue = _nothing_to_resume

    async def intro(self, turn: Turn, resume: str) -> list[Reply]:
        """Explain how to verify, offering the ways; with a code on its way, keep waiting for
        it (a fan who asks again while the mail arrives must not lose their code)."""
        pending = await self.identity.pending_email(turn.fan)
        if pending is not None:
            turn.expect("code", resume=resume if RESUME not in turn.state else None)
            return [self._still_waiting(turn, pending)]
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

    def _still_waiting(self, turn: Turn, email: str) -> Reply:
        return Reply(
            turn.say("code_still_waiting", email=mask_email(email)),
            buttons=(turn.button("button_resend", "verify:resend"),),
        )

    async def code_phrase(self, turn: Turn) -> list[Reply] | None:
        """Before anything else reads the text: while a code is pending, six digits are that
        code, whatever the bot last asked, and "send a new code" sends one to the same
        address. None: not one of these (or no code pending)."""
        text = (turn.inbound.text or "").strip()
        is_code = CODE_ALONE.fullmatch(text) is not None
        if not is_code and RESEND.search(fold(text)) is None:
            return None
        pending = await self.identity.pending_email(turn.fan)
        if pending is None:
            return None
        if is_code:
            turn.expect("code")
            return await self.step_code(turn)
        return await self.resend(turn)

    async def resend(self, turn: Turn) -> list[Reply]:
        """A new code to the pending address (within the send limits), else ask for one."""
        pending = await self.identity.pending_email(turn.fan)
        if pending is None:
            turn.expect("email")
            return [turn.reply("ask_email")]
        return await self.send_code(turn, pending, again=True)

    async def from_slots(self, turn: Turn, resume: str) -> list[Reply] | None:
        """Start with what the fan typed alongside their request, when it is enough.

        "my tickets, order 100148401 jane@example.com" is a lookup; an email that is not
        verified yet gets a code; an order number alone asks for its email. None: nothing to do.
        """
        email, number = turn.slots.get("email"), turn.slots.get("order_number")
        if isinstance(number, str) and isinstance(email, str):
            turn.state[RESUME] = resume
            return await self.lookup(turn, number, email)
        verified = await self.identity.verified(turn.fan)
        if isinstance(email, str) and email.lower() not in verified.emails:
            turn.expect("code", resume=resume)
            return await self.send_code(turn, email)
        if isinstance(number, str) and not verified.anything:
            turn.state[ORDER_NUMBER] = number
            turn.expect("order_email", resume=resume)
            return [turn.reply("ask_order_email", number=number)]
        return None

    async def send_code(
        self, turn: Turn, email: str, *, on_order: bool = False, again: bool = False
    ) -> list[Reply]:
        """Mail a code to ``email`` and wait for it (``on_order``: the address of a lookup,
        shown masked, since the fan may not be its owner; ``again``: a new code to the
        pending address, also masked)."""
        result = await self.identity.send_code(
            turn.fan,
            email,
            subject=turn.say("code_mail_subject"),
            body_template=turn.say("code_mail_body", code="{code}"),
        )
        if result is not SendResult.SENT:
            turn.expect(None)
            turn.state.pop(RESUME, None)
            if result is SendResult.PAUSED:
                return [Reply(turn.say("code_paused"), request_contact=True)]
            return [turn.reply("code_too_many")]
        turn.expect("code")
        if again:
            text = turn.say("code_resent", email=mask_email(email.strip().lower()))
        elif on_order:
            text = turn.say("lookup_code_sent", email=mask_email(email.strip().lower()))
        else:
            text = turn.say("code_sent", email=email.strip().lower())
        return [Reply(text, buttons=(turn.button("button_resend", "verify:resend"),))]

    async def lookup(self, turn: Turn, number: str, email: str) -> list[Reply]:
        """Order number plus email: the order's status and a code to its own address."""
        turn.state.pop(ORDER_NUMBER, None)
        turn.expect(None)
        per_order = _order_key(number)
        if (
            await self.counter.hit(f"lookup:fan:{turn.fan.key}", LOOKUP_WINDOW)
            > MAX_LOOKUPS_PER_FAN
            or await self.counter.peek(per_order) >= MAX_FAILED_LOOKUPS_PER_ORDER
        ):
            turn.state.pop(RESUME, None)
            return [turn.reply("order_guess_limit")]
        order = await self.orders.lookup(number, email)
        if order is None or not order.email:
            await self.counter.hit(per_order, LOOKUP_WINDOW)
            turn.state.pop(RESUME, None)
            return [turn.reply("not_found_or_not_yours")]
        # The fan named one order: once verified, carry on with that order.
        then = ("tickets:" if turn.state.get(RESUME) == "show_tickets" else "order:") + order.id
        if owns(order, await self.identity.verified(turn.fan)):
            turn.state.pop(RESUME, None)
            return await self.continue_with(turn, then)
        turn.state[RESUME] = then
        return [self._status(turn, order), *await self.send_code(turn, order.email, on_order=True)]

    def _status(self, turn: Turn, order: Order) -> Reply:
        """What a lookup may show: no seat, no amount, no QR code, the email masked."""
        moment = "" if order.dates_hidden else when(first_event_time(order), self.tz, turn.lang)
        return turn.reply(
            "lookup_status",
            number=order.order_number or order.id,
            status=turn.say(status_key(order)),
            events=", ".join(event_names(order)) or turn.say("no_events"),
            when=f" · {moment}" if moment else "",
            count=ticket_count(order),
            email=mask_email(order.email),
        )

    async def _resume(self, turn: Turn) -> list[Reply]:
        resume = turn.state.pop(RESUME, None)
        return await self.continue_with(turn, resume if isinstance(resume, str) else "find_order")

    # --- steps: text while the bot waits for something ------------------------------------

    async def step_email(self, turn: Turn) -> list[Reply] | None:
        """Waiting for an email (or an order number, or a phone share)."""
        email = turn.slots.get("email")
        number = turn.slots.get("order_number")
        if isinstance(email, str) and isinstance(number, str):
            return await self.lookup(turn, number, email)
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
            return await self.lookup(turn, number, email)
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
            if NEAR_CODE.fullmatch((turn.inbound.text or "").strip()):
                # A code mistyped (five digits, seven, a letter in it): a hint, not a new flow.
                return [turn.reply("code_format")]
            return None
        result = await self.identity.check_code(turn.fan, match.group(1) + match.group(2))
        if result.outcome is CodeCheck.OK:
            turn.expect(None)
            done = [turn.reply("verified_email", email=result.email)]
            return done + await self._resume(turn)
        if result.outcome is CodeCheck.WRONG:
            word = turn.say("code_try_word" if result.tries_left == 1 else "code_tries_word")
            return [turn.reply("code_wrong", tries=result.tries_left, tries_word=word)]
        if result.outcome is CodeCheck.PAUSED:
            turn.expect(None)
            turn.state.pop(RESUME, None)
            return [Reply(turn.say("code_paused"), request_contact=True)]
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
        if argument == "resend":
            return await self.resend(turn)
        if argument == "order":
            turn.expect("email")
            return [turn.reply("ask_order_number")]
        turn.expect("email")
        return [turn.reply("ask_email")]
