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
"""

from __future__ import annotations

from typing import Protocol

from bot.conversation import clean_text
from bot.messages import Fan, Reply
from bot.turn import HISTORY, Turn


class HandoffQueue(Protocol):
    """Where requests for a person, and the fan's words during a handoff, go."""

    async def request(self, fan: Fan, chat_id: str, lang: str, history: list[str]) -> bool:
        """Queue the fan for an agent; False (nothing queued) while an earlier request of the
        fan is still on its way: within the cooldown and not closed by an agent."""
        ...

    async def is_open(self, fan: Fan) -> bool:
        """True while agents have the fan's request (posted and not closed)."""
        ...

    async def forward(self, fan: Fan, text: str) -> None:
        """Queue what the fan wrote for the agents handling them."""
        ...


class Handoff:
    """The ``human`` intent, and the relay of the fan's words while a handoff is open."""

    def __init__(self, queue: HandoffQueue) -> None:
        self.queue = queue

    async def __call__(self, turn: Turn) -> list[Reply]:
        """Queue once per request and reassure the fan."""
        history = turn.state.get(HISTORY)
        lines = [str(line) for line in history] if isinstance(history, list) else []
        queued = await self.queue.request(turn.fan, turn.inbound.chat_id, turn.lang, lines)
        turn.reset()
        return [turn.reply("human_queued" if queued else "human_already")]

    async def button(self, turn: Turn, argument: str) -> list[Reply]:
        """The "Talk to a person" button."""
        return await self(turn)

    async def relay(self, turn: Turn) -> list[Reply] | None:
        """``Routes.relay``: the fan's text goes to the agents while a handoff is open.

        Answers nothing (the person will), or None when the turn is the bot's: no open
        handoff, or a button, a contact or a slash command rather than words for a person.
        """
        inbound = turn.inbound
        if inbound.button is not None or inbound.contact_phone is not None:
            return None
        text = clean_text(inbound.text or "")
        if not text or text.startswith("/"):
            return None
        if not await self.queue.is_open(turn.fan):
            return None
        await self.queue.forward(turn.fan, text)
        return []
