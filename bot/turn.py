"""One conversation turn as handlers see it: the event, the fan's state, the language.

The state is a plain dict saved as JSON in Redis at the end of the turn. Its keys are named
here so every handler agrees on them:

* ``lang``      the fan's language (their words, else the channel's locale; ``lang_from``
  says which, and "chosen" when they asked for one: "english please")
* ``awaiting``  what the bot asked for and expects next: ``email``, ``code``, ``order_email``
* ``resume``    the intent to carry on with once the fan is verified
* ``order_number``  an order number waiting for its email
* ``history``   the fan's last messages for an agent who takes over: ``[time, text]`` pairs,
  redacted, a day at most (``bot.history``; the store keeps them under a key of their own)
* ``chat_id``   where the fan last wrote from, so proactive messages can reach them
* ``handoff``   the fan asked for a person and the handoff may still be open (see
  ``handlers.handoff``: only then does a turn ask Redis whether it is)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot import copy
from bot.messages import Button, Fan, Inbound, Reply

AWAITING = "awaiting"
RESUME = "resume"
ORDER_NUMBER = "order_number"
LANG = "lang"
#: Where ``lang`` came from: the channel's locale (unset), the fan's words, or their choice.
LANG_FROM = "lang_from"
FROM_WORDS = "words"
FROM_CHOICE = "chosen"
HISTORY = "history"
CHAT_ID = "chat_id"
#: Whether the fan may have a handoff open (``handlers.handoff``): absent until first checked.
HANDOFF = "handoff"


@dataclass
class Turn:
    """The event being handled and everything the handler may read or change."""

    inbound: Inbound
    state: dict[str, Any]
    lang: str
    slots: dict[str, str | int] = field(default_factory=dict)
    intent: str | None = None
    #: What a handler read during this turn and may need again in it (the fan's ACME cart):
    #: never saved, gone with the turn.
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def fan(self) -> Fan:
        """Who is talking."""
        return self.inbound.fan

    def say(self, key: str, /, **values: object) -> str:
        """The message ``key`` in the fan's language."""
        return copy.text(key, self.lang, **values)

    def reply(self, key: str, /, *, buttons: tuple[Button, ...] = (), **values: object) -> Reply:
        """A one-message reply from the copy."""
        return Reply(self.say(key, **values), buttons=buttons)

    def button(self, key: str, payload: str, /, **values: object) -> Button:
        """A button whose label comes from the copy."""
        return Button(self.say(key, **values), payload)

    def expect(self, what: str | None, *, resume: str | None = None) -> None:
        """Remember what the bot asked for (None: nothing), and what to do afterwards."""
        if what is None:
            self.state.pop(AWAITING, None)
        else:
            self.state[AWAITING] = what
        if resume is not None:
            self.state[RESUME] = resume

    @property
    def awaiting(self) -> str | None:
        """What the bot is waiting for, if anything."""
        value = self.state.get(AWAITING)
        return value if isinstance(value, str) else None

    def reset(self) -> None:
        """Forget the conversation's progress (keeps the language)."""
        for key in (AWAITING, RESUME, ORDER_NUMBER):
            self.state.pop(key, None)


Handler = Callable[[Turn], Awaitable[list[Reply]]]
