"""Sending to Telegram: the core's replies through the shared pacer to the Bot API.

:class:`TelegramSender` is the Telegram :class:`bot.outbound.ChannelSender`: turn replies and
proactive messages alike go through it, so every message of every process is paced by the one
Redis limiter (``adapters.store.pacing``) and a 429 is waited out instead of losing the message.

:class:`CallbackStore` keeps the payloads behind inline buttons. Telegram gives a button 64
bytes of ``callback_data``; a button carries its keyboard's key and its index
(``adapters.telegram.render.callback_data``) and Redis holds each keyboard's payloads as one
record for a week. A press on an older button, or data that was never ours, finds nothing, and
the core answers it as an expired button.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from functools import partial

import structlog
from redis.asyncio.client import Pipeline
from telegram import Bot, InputMediaPhoto
from telegram.error import Forbidden, RetryAfter

from adapters.store.pacing import Along, Pacer, along_all
from adapters.store.store import Store
from adapters.telegram.render import Outgoing, plan
from bot.messages import MAX_PAYLOAD_LENGTH, Reply
from bot.outbound import Unreachable

# PTB 22 warns on every read of a time period as a number (``RetryAfter.retry_after`` too,
# even inside PTB while it raises one) unless its future behaviour, ``timedelta`` values, is
# opted into; ``retry_after`` below reads either form.
os.environ.setdefault("PTB_TIMEDELTA", "true")

log = structlog.get_logger("usher.telegram")

#: How long a button keeps working after it was last sent.
CALLBACK_TTL = 7 * 24 * 3600.0
#: Longest ``callback_data`` we look up (Telegram's own limit is 64 bytes).
MAX_CALLBACK_DATA = 64
PHOTO_NAME = "ticket.png"

LanguageOf = Callable[[str], Awaitable[str]]
#: The commands that record that the first n messages of an answer are out.
Delivered = Callable[[int], Along]


def retry_after(exc: BaseException) -> float | None:
    """Seconds Telegram asked us to wait, when ``exc`` is its 429 (``RetryAfter``)."""
    if not isinstance(exc, RetryAfter):
        return None
    value: int | float | timedelta = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class CallbackStore:
    """Button payloads in Redis, under the keys the buttons carry."""

    def __init__(self, store: Store, scope: str) -> None:
        self.store = store
        self.scope = scope

    def _key(self, keyboard: str) -> str:
        return self.store.key(self.scope, "keyboard", keyboard)

    def _legacy_key(self, callback_data: str) -> str:
        """Where a button sent before keyboards were stored whole keeps its payload."""
        return self.store.key(self.scope, "button", callback_data)

    def saving(self, keyboards: Mapping[str, Sequence[str]]) -> Along:
        """Store (or refresh) each keyboard's payloads, one command per keyboard, as commands
        for a pipeline: they go with the first message's slot request, before it is sent."""
        ttl = int(CALLBACK_TTL * 1000)

        def add(pipe: Pipeline) -> None:
            for key, payloads in keyboards.items():
                pipe.set(self._key(key), json.dumps(list(payloads)), px=ttl)

        return add

    async def load(self, callback_data: str) -> str | None:
        """The payload behind a pressed button, or None (expired, forged, not ours)."""
        if not callback_data or len(callback_data.encode()) > MAX_CALLBACK_DATA:
            return None
        key, dot, index = callback_data.rpartition(".")
        if not dot:
            raw = await self.store.redis.get(self._legacy_key(callback_data))
            payload = bytes(raw).decode(errors="replace") if raw is not None else None
        else:
            payload = _nth(await self.store.redis.get(self._key(key)), index)
        return payload if payload is not None and len(payload) <= MAX_PAYLOAD_LENGTH else None


def _nth(record: bytes | None, index: str) -> str | None:
    """Button ``index`` of a stored keyboard (None: no such keyboard, button or record)."""
    if record is None or not index.isdigit():
        return None
    try:
        payloads = json.loads(record)
    except ValueError:
        return None
    position = int(index)
    if not isinstance(payloads, list) or position >= len(payloads):
        return None
    payload = payloads[position]
    return payload if isinstance(payload, str) else None


async def _english(_: str) -> str:
    return "en"


class TelegramSender:
    """Delivers replies to one chat: planned, paced, in order."""

    def __init__(
        self,
        bot: Bot,
        pacer: Pacer,
        callbacks: CallbackStore,
        language_of: LanguageOf = _english,
    ) -> None:
        """``language_of(chat_id)`` names the fan's language for a proactive message."""
        self.bot = bot
        self.pacer = pacer
        self.callbacks = callbacks
        self.language_of = language_of

    async def send(
        self,
        chat_id: str,
        replies: Sequence[Reply],
        *,
        lang: str | None = None,
        skip: int = 0,
        delivered: Delivered | None = None,
        ahead: Along | None = None,
    ) -> None:
        """Deliver ``replies`` to ``chat_id``; raise when Telegram refuses one for good.

        ``lang`` (known in a turn) labels the share-my-phone button; a proactive send looks
        the fan's language up, since in a private chat the chat id is the fan's user id.
        ``skip`` leaves out the first messages (an interrupted answer resumed by another
        process); after each message but the last, ``delivered(n)``'s commands (the first n are
        out) go with the next message's slot request, so at once and in no round trip of their
        own (the caller marks the whole answer delivered right after the last one).
        ``ahead``: commands that must run before the first message (the turn's end), in its
        slot request's round trip too.
        Unreachable: the fan blocked the bot or deleted their account (Telegram's 403).
        """
        if lang is None:
            lang = await self.language_of(chat_id) if asks_contact(replies) else "en"
        messages = plan(replies, lang)
        # The buttons' keyboards are stored in the round trip of the first message's slot
        # request, so before any of them goes (a resumed answer stores them again).
        keyboards = self.callbacks.saving(messages.keyboards) if messages.keyboards else None
        along = along_all(ahead, keyboards)
        last = len(messages.messages)
        try:
            for number, message in enumerate(messages.messages, start=1):
                if number <= skip:
                    continue
                send = partial(self._send_one, chat_id, message)
                await self.pacer.run(chat_id, send, along=along)
                # The last one needs no count: what follows it marks the whole answer out.
                along = delivered(number) if delivered is not None and number < last else None
        except Forbidden as exc:
            raise Unreachable(f"telegram refused the chat: {exc.message}") from exc

    async def _send_one(self, chat_id: str, message: Outgoing) -> None:
        if message.album:
            media = [
                InputMediaPhoto(photo.png, caption=photo.caption or None, filename=PHOTO_NAME)
                for photo in message.album
            ]
            await self.bot.send_media_group(chat_id, media)
        elif message.photo is not None:
            await self.bot.send_photo(
                chat_id,
                message.photo,
                caption=message.text or None,
                reply_markup=message.markup,
                filename=PHOTO_NAME,
            )
        else:
            await self.bot.send_message(chat_id, message.text, reply_markup=message.markup)


def asks_contact(replies: Sequence[Reply]) -> bool:
    """True when an answer shows the share-my-phone button (labelled in the fan's language)."""
    return any(reply.request_contact for reply in replies)
