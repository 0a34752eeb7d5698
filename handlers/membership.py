"""Member prices: the fan gives their membership card number and last name; ACME checks them.

Why the last name is always asked: a card number is short and printed on a plastic card, so
it is easy to guess or to read off someone else's card; ACME's validate call takes the last
name as a second factor (``membership/validate?membershipId=&lastName=``), and asking for it
every time costs the fan one message. Attempts are limited per fan like order-number guesses.
A refusal reads the same whether the number or the name was wrong.

What is kept: only ACME's *internal* ``membershipId`` from the member record (what carts take,
acme-notes.md), in the fan's state under ``bot.buying.carts.MEMBERSHIP``. The card number waits in
the state only until the last name arrives. Nothing else from the member record (name, email,
phone, address, level) is stored or ever shown to the fan: the chat may be read by others.

With a cart open, the membership goes onto it at once and the fan sees member prices next to
full prices; the member's entitlements are checked there and then (``CartDesk``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from bot.acme.cart_models import MemberListEntry, MembershipExists, MembershipValidation
from bot.buying.cart_edits import with_membership
from bot.buying.carts import MEMBERSHIP, MEMBERSHIP_PROBLEMS
from bot.errors import BadRequest, UpstreamError
from bot.messages import Link, Reply
from bot.ports import RateCounter
from bot.turn import Turn
from handlers.cart import CartDesk, asks_for_cart, moving_on

#: State key: the card number typed, waiting for its last name.
CARD = "member_card"
CARD_PATTERN = re.compile(r"^[A-Za-z0-9]{4,20}$")
#: Letters (any script), spaces, hyphens, apostrophes and dots; at most 60 characters.
LAST_NAME = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ '\u2019.-]){0,59}$")
#: Card plus last-name attempts a fan may make per hour.
MAX_MEMBER_GUESSES = 10
GUESS_WINDOW = 3600.0


class MembershipCheck(Protocol):
    """The part of the ACME client this handler needs."""

    async def validate_membership(
        self, card_number: str, last_name: str | None = None
    ) -> list[MembershipValidation]:
        """Look a card up."""
        ...

    async def membership_exists(self, email: str) -> MembershipExists:
        """Whether the member may renew (``canRenew``)."""
        ...


class ApplyMembership:
    """The ``apply_membership`` intent and its two questions."""

    def __init__(
        self,
        members: MembershipCheck,
        desk: CartDesk,
        counter: RateCounter,
        clock: Callable[[], float] = time.time,
        *,
        renew_url: str | None = None,
    ) -> None:
        #: The venue's renewal page (``config/venue.toml``), offered when ACME says a lapsed
        #: membership can be renewed.
        self.renew_url = renew_url
        self.members = members
        self.desk = desk
        self.counter = counter
        self.clock = clock

    async def __call__(self, turn: Turn) -> list[Reply]:
        """The intent: "membership 7700123456", or "I'm a member" (the number is asked next)."""
        card = turn.slots.get("membership_id")
        if isinstance(card, str):
            return self._ask_last_name(turn, card)
        turn.expect("member_card")
        return [turn.reply("ask_member_card")]

    async def step_card(self, turn: Turn) -> list[Reply] | None:
        """Waiting for the card number."""
        card = turn.slots.get("membership_id")
        typed = (turn.inbound.text or "").strip().replace(" ", "")
        if not isinstance(card, str) and _looks_like_card(typed):
            card = typed.upper()
        if isinstance(card, str):
            return self._ask_last_name(turn, card)
        return None if moving_on(turn) else [turn.reply("bad_member_card")]

    async def step_last_name(self, turn: Turn) -> list[Reply] | None:
        """Waiting for the last name on the membership."""
        name = " ".join((turn.inbound.text or "").split())
        card = turn.state.get(CARD)
        if not isinstance(card, str):
            turn.expect(None)
            return None
        if not LAST_NAME.match(name) or asks_for_cart(turn):
            if not moving_on(turn):
                return [turn.reply("bad_last_name")]
            turn.state.pop(CARD, None)
            return None
        turn.state.pop(CARD, None)
        turn.expect(None)
        return await self._validate(turn, card, name)

    def _ask_last_name(self, turn: Turn, card: str) -> list[Reply]:
        turn.state[CARD] = card
        turn.expect("member_last_name")
        return [turn.reply("ask_member_last_name")]

    async def _validate(self, turn: Turn, card: str, last_name: str) -> list[Reply]:
        tries = await self.counter.hit(f"member-guess:{turn.fan.key}", GUESS_WINDOW)
        if tries > MAX_MEMBER_GUESSES:
            return [turn.reply("member_guess_limit")]
        results = await self.members.validate_membership(card, last_name)
        entry = next((r.member_list_entry for r in results if r.verified), None)
        if entry is None:
            return [turn.reply("member_not_found")]
        if self._expired(entry):
            return await self._lapsed(turn, entry)
        turn.state[MEMBERSHIP] = entry.membership_id
        return await self._apply(turn, entry.membership_id)

    def _expired(self, entry: MemberListEntry) -> bool:
        if (entry.membership_standing or "").lower() == "expired":
            return True
        ends = entry.expiration_date
        return ends is not None and ends <= datetime.fromtimestamp(self.clock(), UTC)

    async def _lapsed(self, turn: Turn, entry: MemberListEntry) -> list[Reply]:
        """An expired membership: offer renewal when ACME says it can be renewed
        (``membership/exists``: ``canRenew``), else say only that it expired.

        The member record's email is used for the question and never shown; when ACME cannot
        answer, nothing is offered (no promise the next message would take back)."""
        can_renew = False
        if entry.email:
            try:
                can_renew = bool((await self.members.membership_exists(entry.email)).can_renew)
            except UpstreamError:
                can_renew = False
        if not can_renew:
            return [turn.reply("member_expired")]
        human = turn.button("button_human", "human")
        if self.renew_url is None:
            return [turn.reply("member_renew_person", buttons=(human,))]
        link = Link(turn.say("member_renew_link"), self.renew_url)
        return [Reply(turn.say("member_renew"), buttons=(human,), links=(link,))]

    async def _apply(self, turn: Turn, membership_id: int) -> list[Reply]:
        opened = await self.desk.current(turn)
        if opened is None:
            return [turn.reply("member_saved")]
        try:
            opened = await self.desk.carts.change(
                opened, with_membership(opened.cart, membership_id)
            )
        except BadRequest as exc:
            if exc.kind not in MEMBERSHIP_PROBLEMS:
                raise
            turn.state.pop(MEMBERSHIP, None)
            return [turn.reply("membership_not_usable")]
        # Entitlements first: "member prices are in your cart" must not be followed by "only
        # one ticket may have the member price".
        offer = await self.desk.check_entitlements(turn, opened)
        intro = turn.say("member_applied" if offer is None else "member_applied_limit")
        replies = [await self.desk.show(turn, opened, intro=intro)]
        return replies + ([offer] if offer is not None else [])


def _looks_like_card(text: str) -> bool:
    """Letters and digits, with at least one digit (so a typed name is not taken for a card)."""
    return bool(CARD_PATTERN.match(text)) and any(ch.isdigit() for ch in text)
