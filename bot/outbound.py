"""Proactive messages: reaching a fan on their own channel outside a turn.

Agents' replies, checkout confirmations, ready-ticket notices and reminders all need to
message a fan who did not just write. Each channel adapter provides a :class:`ChannelSender`;
the :class:`Messenger` picks the fan's channel, finds the chat they last wrote from (kept in
their conversation state) and renders the text in the fan's language.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

import structlog

from bot.messages import Fan, Reply
from bot.ports import StateStore
from bot.turn import AWAITING, CHAT_ID, LANG, RESUME

log = structlog.get_logger("usher.outbound")


#: Writes a proactive message's replies in a given language.
Compose = Callable[[str], Awaitable[Sequence[Reply]]]


class ChannelSender(Protocol):
    """Sends replies to one chat of one channel (paced as the channel requires)."""

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
        """Deliver the replies, in order, or raise."""
        ...


class Unreachable(Exception):
    """The fan's channel has no sender in this process, or the fan never wrote to us."""


class Messenger:
    """Routes proactive replies to the fan's channel."""

    def __init__(self, states: StateStore, senders: Mapping[str, ChannelSender]) -> None:
        self.states = states
        self.senders = dict(senders)

    def add(self, channel: str, sender: ChannelSender) -> None:
        """Register a channel's sender (done once at start-up)."""
        self.senders[channel] = sender

    async def language_of(self, fan: Fan) -> str:
        """The language the fan last used (English when unknown)."""
        state = await self.states.load(fan)
        lang = state.get(LANG)
        return lang if isinstance(lang, str) else "en"

    async def send(self, fan: Fan, replies: Sequence[Reply]) -> None:
        """Deliver to the chat the fan last wrote from; Unreachable when that is impossible."""
        sender = self._sender(fan)
        await sender.send(_chat_of(fan, await self.states.load(fan)), replies)

    async def send_composed(self, fan: Fan, compose: Compose) -> None:
        """Deliver the replies ``compose(lang)`` writes in the fan's language: the fan's state
        (language and chat) read once, where ``language_of`` then ``send`` read it twice."""
        sender = self._sender(fan)
        state = await self.states.load(fan)
        lang = state.get(LANG)
        replies = await compose(lang if isinstance(lang, str) else "en")
        await sender.send(_chat_of(fan, state), replies)

    def _sender(self, fan: Fan) -> ChannelSender:
        sender = self.senders.get(fan.channel)
        if sender is None:
            raise Unreachable(f"no sender for channel {fan.channel}")
        return sender

    async def expect(self, fan: Fan, what: str, *, resume: str) -> None:
        """Make the fan's next message the answer to a question a proactive message asks
        (a checkout's "send me the code"), as a turn's ``Turn.expect`` would: under the fan's
        lock, so it cannot interleave with a turn of theirs."""
        async with self.states.locked(fan):
            state = await self.states.load(fan)
            state[AWAITING] = what
            state[RESUME] = resume
            await self.states.save(fan, state)


def _chat_of(fan: Fan, state: dict[str, Any]) -> str:
    """The chat the fan last wrote from (a Telegram user's own chat when none was kept)."""
    chat_id = state.get(CHAT_ID)
    if not isinstance(chat_id, str):
        chat_id = fan.user_id if fan.channel == "telegram" else None
    if chat_id is None:
        raise Unreachable(f"no chat known for {fan.channel} fan")
    return chat_id
