""" "I want a person": queue the fan for the support team with the conversation so far.

The queue is a Redis stream read by the Slack support console; the fan is told a person will
reply on this same channel.
"""

from __future__ import annotations

from typing import Protocol

from bot.messages import Fan, Reply
from bot.turn import HISTORY, Turn


class HandoffQueue(Protocol):
    """Where requests for a person go."""

    async def request(self, fan: Fan, chat_id: str, lang: str, history: list[str]) -> None:
        """Queue the fan for an agent."""
        ...


class Handoff:
    """The ``human`` intent."""

    def __init__(self, queue: HandoffQueue) -> None:
        self.queue = queue

    async def __call__(self, turn: Turn) -> list[Reply]:
        """Queue once per request and reassure the fan."""
        history = turn.state.get(HISTORY)
        lines = [str(line) for line in history] if isinstance(history, list) else []
        await self.queue.request(turn.fan, turn.inbound.chat_id, turn.lang, lines)
        turn.reset()
        return [turn.reply("human_queued")]

    async def button(self, turn: Turn, argument: str) -> list[Reply]:
        """The "Talk to a person" button."""
        return await self(turn)
