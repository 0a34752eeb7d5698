""" "I want a person": queue the fan for the support team, then relay them while a person helps.

The queue is a Redis stream read by the Slack support console; the fan is told a person will
reply on this same channel. Once the request is posted for the agents, the handoff is *open*:
from then until an agent closes it, whatever the fan types goes to the agents (through the same
stream, so the fan's turn never waits on Slack and nothing is lost when Slack is down) instead
of to the bot. Buttons, a shared contact and slash commands (``/start``, ``/help``) still reach
the bot, so a fan is never stuck behind a person who has not answered yet.

Asking again while a request is on its way (queued or with the agents, for up to a cooldown)
queues nothing and tells the fan a person is already coming: each request is a post in the
agents' channel, and forty of them from one fan help nobody.

What the fan is told depends on the support desk's hours (``config/staff.toml``): while it is
staffed, their place in the queue; outside the hours, when someone will be back. After an agent
closes the handoff the fan is asked to rate the help (1-5); the rating goes to the staff audit
log, credited to the agent who helped, and ``/usher audit`` sums the week's ratings up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot import copy
from bot.conversation import clean_text
from bot.formatting import when
from bot.history import UNRECORDED_STEPS, recent, redact
from bot.messages import Button, Fan, Reply
from bot.staff import RATING, AuditLog, PendingRating
from bot.staff_config import SupportHours
from bot.turn import HANDOFF, Turn

#: The stars a fan can give.
STARS = range(1, 6)


@dataclass(frozen=True)
class Requested:
    """Where a request for a person stands."""

    #: The fan's place in the queue; 0 when an agent already has them.
    place: int
    #: False when nothing was queued: an earlier request is on its way (the cooldown).
    queued: bool = True


class HandoffQueue(Protocol):
    """Where requests for a person, and the fan's words during a handoff, go."""

    async def request(self, fan: Fan, chat_id: str, lang: str, history: list[str]) -> Requested:
        """Queue the fan for an agent, unless an earlier request of theirs is still on its way
        (within the cooldown, not closed by an agent); either way, their place."""
        ...

    async def take_rating(self, fan: Fan) -> PendingRating | None:
        """The fan's closed handoff waiting for a rating, at most once."""
        ...

    async def is_open(self, fan: Fan) -> bool:
        """True while agents have the fan's request (posted and not closed)."""
        ...

    async def forward(self, fan: Fan, text: str) -> None:
        """Queue what the fan wrote for the agents handling them."""
        ...


class Handoff:
    """The ``human`` intent, and the relay of the fan's words while a handoff is open."""

    def __init__(
        self,
        queue: HandoffQueue,
        hours: SupportHours,
        audit: AuditLog,
        tz: ZoneInfo,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.queue = queue
        self.hours = hours
        self.audit = audit
        self.tz = tz
        self.clock = clock

    async def __call__(self, turn: Turn) -> list[Reply]:
        """Queue once per request and tell the fan their place, or when the desk reopens."""
        requested = await self.queue.request(
            turn.fan, turn.inbound.chat_id, turn.lang, recent(turn.state)
        )
        turn.reset()
        turn.state[HANDOFF] = True
        place = requested.place
        if place == 0:
            return [turn.reply("human_with_agent")]
        if not requested.queued:
            return [turn.reply("human_already", position=place)]
        now = datetime.fromtimestamp(self.clock(), UTC)
        if self.hours.is_open(now, self.tz):
            return [turn.reply("human_queued", position=place)]
        back = self.hours.next_open(now, self.tz)
        if back is None:
            return [turn.reply("human_queued_away")]
        return [turn.reply("human_queued_back", back=when(back, self.tz, turn.lang))]

    async def rate(self, turn: Turn, argument: str) -> list[Reply]:
        """A press on one of the rating buttons (``rate:1`` .. ``rate:5``) after a close."""
        if not argument.isdigit() or int(argument) not in STARS:
            return [turn.reply("rate_invalid")]
        pending = await self.queue.take_rating(turn.fan)
        if pending is None:
            return [turn.reply("rate_nothing")]
        await self.audit.record(
            pending.agent, RATING, detail=f"{argument}/5 {turn.fan.channel} {pending.thread}"
        )
        return [turn.reply("rate_thanks")]

    async def button(self, turn: Turn, argument: str) -> list[Reply]:
        """The "Talk to a person" button."""
        return await self(turn)

    async def relay(self, turn: Turn) -> list[Reply] | None:
        """``Routes.relay``: the fan's text goes to the agents while a handoff is open.

        Answers nothing (the person will), or None when the turn is the bot's: no open
        handoff (asked of Redis only while the fan's state says one may be open: a handoff is
        opened by the fan's own request, and closed by an agent or by time), a button, a
        contact or a slash command rather than words for a person, or the answer to a secret
        question the bot asked (a code, a membership number, a last name), which agents must
        never see. What goes to the agents is redacted like the history.
        """
        inbound = turn.inbound
        if inbound.button is not None or inbound.contact_phone is not None:
            return None
        if turn.awaiting in UNRECORDED_STEPS:
            return None
        text = clean_text(inbound.text or "")
        if not text or text.startswith("/"):
            return None
        if turn.state.get(HANDOFF) is False:  # no request since the last one closed
            return None
        turn.state[HANDOFF] = await self.queue.is_open(turn.fan)
        if not turn.state[HANDOFF]:
            return None
        await self.queue.forward(turn.fan, redact(text))
        return []


def rating_question(lang: str) -> Reply:
    """The question sent after an agent closes a handoff, with one button per star count."""
    buttons = tuple(Button(copy.text("button_rate", lang, stars=n), f"rate:{n}") for n in STARS)
    return Reply(copy.text("rate_question", lang), buttons=buttons)
