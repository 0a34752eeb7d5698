"""The conversation core: one inbound event in, replies out, state saved, under the fan's lock.

Order of recognition (docs/architecture.md): a shared contact, then a button, then text — slash
commands and "cancel"/"help"/"human" first, then whatever the bot is waiting for (a code,
an email), then the intent of the text. Every failure becomes a friendly message from the
copy; a failed turn saves nothing, so bad input or an upstream outage changes no state.

An event that carries the platform's id (``Inbound.event_id``) runs at most one turn: its
replies are saved with the state it produced, in one write, and the same event handled again
(say, by another process that took the update over from one that died before sending the
answer) gets those replies back instead of a second turn on the state the first one changed.
A turn that failed, or never got as far as saving, saved nothing and simply runs again.
"""

from __future__ import annotations

import dataclasses
import re
import time
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from bot import copy
from bot.app.metrics import INTENTS, TURN_LATENCY, TURNS
from bot.app.tracing import start_request
from bot.errors import BotError, RateLimited, UpstreamError
from bot.history import remember
from bot.identity import turn_proofs
from bot.intents.language import choose
from bot.messages import MAX_PAYLOAD_LENGTH, MAX_TEXT_LENGTH, Button, Inbound, Reply
from bot.ports import StateStore, TurnStore
from bot.throttle import Admission
from bot.turn import CHAT_ID, FROM_CHOICE, FROM_WORDS, LANG, LANG_FROM, Handler, Turn

log = structlog.get_logger("usher.conversation")

#: ``/start PAYLOAD`` as Telegram delivers a deep link (payload: 1-64 of A-Za-z0-9_-).
DEEP_LINK = re.compile(r"^/start(?:@\w+)?\s+(\S+)$", re.IGNORECASE)
#: Intents that interrupt whatever the bot was waiting for.
ESCAPES = frozenset({"cancel", "help", "human"})

ButtonHandler = Callable[[Turn, str], Awaitable[list[Reply]]]
#: Handles text while the bot waits for something; None means "not for me".
StepHandler = Callable[[Turn], Awaitable[list[Reply] | None]]


class Recognition(Protocol):
    """What the recogniser returns (structural: ``bot.intents.recognise.Recognition`` fits)."""

    @property
    def intent(self) -> str:
        """The intent name."""
        ...

    @property
    def slots(self) -> dict[str, str | int]:
        """The slots found in the text."""
        ...


Recogniser = Callable[[str], Recognition]


@dataclass
class Routes:
    """Where each kind of event goes; bound once in ``bot.app.bootstrap``."""

    intents: dict[str, Handler]
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)
    steps: dict[str, StepHandler] = field(default_factory=dict)
    contact: Handler | None = None
    #: ``/start <payload>`` (Telegram deep links, purchase links): gets the payload.
    deep_link: ButtonHandler | None = None
    #: Asked first on every turn: while a person has taken over the fan (human handoff), it
    #: forwards the fan's words to them and answers the replies (often none); None: not mine.
    relay: StepHandler | None = None
    #: Fixed phrases that act as switches ("stop reminders"), checked before recognition so
    #: they need no intent of their own; None means "not one of mine".
    phrases: StepHandler | None = None


def clean_text(raw: str) -> str:
    """Drop control and format characters (keeping newlines) and surrounding space."""
    kept = (ch for ch in raw if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    return "".join(kept).strip()


class Conversation:
    """Runs turns. Holds no fan state itself, so any process can serve any turn."""

    def __init__(
        self,
        states: StateStore,
        routes: Routes,
        recognise: Recogniser,
        turns: TurnStore,
    ) -> None:
        """``turns``: the turn's Redis work (bucket, lock, replay, state, proofs) in two round
        trips; ``states`` stays for the proactive side and tests that read a fan's state."""
        self.states = states
        self.routes = routes
        self.recognise = recognise
        self.turns = turns

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Handle one event and return the replies for the fan."""
        start_request()
        started = time.perf_counter()
        lang = copy.pick_language(inbound.locale)
        outcome = "ok"
        try:
            # One round trip before anything else: the fan's turn bucket first (a flooding
            # fan's refused turns cost nothing more), then the lock, the replay, the state.
            async with self.turns.begin(inbound.fan, inbound.event_id) as opened:
                if opened.admission is not Admission.ADMIT:
                    outcome = "throttled"
                    if opened.admission is Admission.SLOW_DOWN:  # once per flood, then silence
                        log.info("fan_throttled", channel=inbound.channel)
                        return [Reply(copy.text("slow_down", lang))]
                    return []
                if inbound.text is not None and len(inbound.text) > MAX_TEXT_LENGTH:
                    outcome = "rejected"
                    return [Reply(copy.text("too_long", lang))]
                if inbound.button is not None and len(inbound.button) > MAX_PAYLOAD_LENGTH:
                    outcome = "rejected"
                    return [Reply(copy.text("stale_button", lang))]
                if opened.finished is not None:
                    outcome = "replayed"
                    return opened.finished
                state = opened.state
                lang, inbound, switched = self._language(inbound, state, lang)
                state[CHAT_ID] = inbound.chat_id
                turn = Turn(inbound=inbound, state=state, lang=lang)
                with turn_proofs(inbound.fan, opened.proofs):
                    if switched:  # "english please" and nothing else
                        replies = [Reply(copy.text("language_set", lang))]
                    else:
                        replies = await self._dispatch(turn)
                await opened.save(turn.state, replies)
                return replies
        except BotError as exc:
            outcome = "refused"
            return [Reply(copy.text(exc.message_key, lang))]
        except UpstreamError as exc:
            outcome = "upstream"
            log.warning("turn_upstream_failed", error=type(exc).__name__, detail=str(exc))
            key = "upstream_slow" if isinstance(exc, RateLimited) else "upstream_down"
            return [Reply(copy.text(key, lang))]
        except Exception:
            outcome = "error"
            log.exception("turn_failed")
            return [Reply(copy.text("error_generic", lang))]
        finally:
            TURNS.labels(inbound.channel, outcome).inc()
            TURN_LATENCY.labels(inbound.channel).observe(time.perf_counter() - started)

    @staticmethod
    def _language(
        inbound: Inbound, state: dict[str, object], lang: str
    ) -> tuple[str, Inbound, bool]:
        """The turn's language (``bot.intents.language``): the one the fan's words chose
        before, else the channel's locale; then this message's words, which may switch it
        (an explicit "english please" sticks). Returns the language, the event with the
        switch words taken off its text, and whether the message was only a switch."""
        stored = state.get(LANG)
        from_words = state.get(LANG_FROM) in (FROM_WORDS, FROM_CHOICE)
        if isinstance(stored, str) and (inbound.locale is None or from_words):
            lang = copy.pick_language(stored)
        switched = False
        if inbound.text is not None and inbound.button is None and inbound.contact_phone is None:
            text = clean_text(inbound.text)
            choice = choose(text, lang, pinned=state.get(LANG_FROM) == FROM_CHOICE)
            if choice.explicit:
                state[LANG_FROM] = FROM_CHOICE
                switched = not choice.rest
                inbound = dataclasses.replace(inbound, text=choice.rest)
            elif choice.lang != lang:
                state[LANG_FROM] = FROM_WORDS
            lang = choice.lang
        state[LANG] = lang
        return lang, inbound, switched

    async def _dispatch(self, turn: Turn) -> list[Reply]:
        inbound = turn.inbound
        if self.routes.relay is not None:
            relayed = await self.routes.relay(turn)
            if relayed is not None:
                turn.intent = "relay"
                return relayed
        if inbound.contact_phone is not None and self.routes.contact is not None:
            return await self.routes.contact(turn)
        if inbound.button is not None:
            return await self._button(turn, inbound.button)
        text = clean_text(inbound.text or "")
        deep = DEEP_LINK.match(text)
        if deep is not None and self.routes.deep_link is not None:
            turn.intent = "deep_link"
            return await self.routes.deep_link(turn, deep.group(1))
        remember(turn, text)
        if self.routes.phrases is not None:
            switched = await self.routes.phrases(turn)
            if switched is not None:
                return switched
        recognition = self.recognise(text)
        turn.intent, turn.slots = recognition.intent, dict(recognition.slots)
        INTENTS.labels(turn.intent).inc()
        if turn.intent not in ESCAPES and turn.awaiting in self.routes.steps:
            replies = await self.routes.steps[turn.awaiting](turn)
            if replies is not None:
                return replies
        handler = self.routes.intents.get(turn.intent) or self.routes.intents["unknown"]
        return await handler(turn)

    async def _button(self, turn: Turn, payload: str) -> list[Reply]:
        verb, _, argument = payload.partition(":")
        handler = self.routes.buttons.get(verb)
        if handler is None:
            return [
                Reply(
                    turn.say("stale_button"),
                    buttons=(
                        Button(turn.say("button_orders"), "orders"),
                        Button(turn.say("button_tickets"), "tickets"),
                        Button(turn.say("button_help"), "help"),
                    ),
                )
            ]
        turn.intent = verb
        return await handler(turn, argument)
