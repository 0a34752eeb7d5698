"""Questions about the venue, and the requests the bot answers with the venue's policy.

Doors, parking, bags, accessibility, age limits, the address and the opening hours are facts the
venue wrote in ``config/venue.toml`` (``bot.venue``); the answer is that text in the fan's
language, with a map link for the address and the parking add-on for parking.

Transfer, resale, refund, upgrade and lost tickets are things only the venue's team can do, or
rules the fan should know before doing them. Each gets the venue's policy and the offer of a
person, and never a ticket: a fan who asked how to give a ticket away, or said theirs was
stolen, must not receive a fresh set of entry codes in reply. Their tickets stay one tap away
("My tickets") for the fan who only could not find them.
"""

from __future__ import annotations

from bot.messages import Button, Link, Reply
from bot.turn import Turn
from bot.venue import QUESTIONS, Venue

#: Intent -> the venue policy that answers it.
POLICY_OF = {
    "transfer_ticket": "transfer",
    "resell_ticket": "resale",
    "refund": "refund",
    "upgrade": "upgrade",
    "lost_ticket": "lost",
}


class VenueDesk:
    """The ``venue_question`` intent and the policy intents (:data:`POLICY_OF`)."""

    def __init__(self, venue: Venue) -> None:
        self.venue = venue

    async def question(self, turn: Turn) -> list[Reply]:
        """A fact about the venue, by the ``topic`` slot (the address when none was found)."""
        topic = turn.slots.get("topic")
        if not isinstance(topic, str) or topic not in QUESTIONS:
            topic = "address"
        text = self.venue.answer(topic, turn.lang)
        links: tuple[Link, ...] = ()
        buttons: tuple[Button, ...] = ()
        if topic == "address":
            links = (Link(turn.say("venue_map"), self.venue.map_url),)
        elif topic == "parking":
            buttons = (turn.button("button_addons", "addons"),)
        return [Reply(text, buttons=buttons, links=links)]

    async def policy(self, turn: Turn) -> list[Reply]:
        """The venue's policy for the request, and a person to talk to; no ticket."""
        policy = POLICY_OF.get(turn.intent or "", "refund")
        buttons = [turn.button("button_human", "human")]
        if policy == "lost":
            buttons.insert(0, turn.button("button_tickets", "tickets"))
        text = self.venue.answer(policy, turn.lang) + "\n\n" + turn.say("policy_person")
        return [Reply(text, buttons=tuple(buttons))]


async def small_talk(turn: Turn) -> list[Reply]:
    """Thanks, ok, bye, a laugh or an emoji: a short friendly answer, nothing more.

    Whatever the bot was waiting for (a code, a coupon) still stands: a fan who says "ok"
    before typing the code has not changed the subject.
    """
    topic = turn.slots.get("topic")
    if topic not in ("thanks", "ok", "bye", "emoji"):
        topic = "ok"
    return [Reply(turn.say(f"small_talk_{topic}"))]
