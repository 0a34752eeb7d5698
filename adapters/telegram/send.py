"""Sending to Telegram: the core's replies through the shared pacer to the Bot API.

:class:`TelegramSender` is the Telegram :class:`bot.outbound.ChannelSender`: turn replies and
proactive messages alike go through it, so every message of every process is paced by the one
Redis limiter (``adapters.store.pacing``) and a 429 is waited out instead of losing the message.

:class:`CallbackStore` keeps the payloads behind inline buttons. Telegram gives a button 64
bytes of ``callback_data``; the button carries a short key (``telegram_render.callback_key``)
and Redis holds the payload for a week. A press on an older button, or a key that was never
ours, finds nothing, and the core answers it as an expired button.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from functools import partial

import structlog
from telegram import Bot
from telegram.error import Forbidden, RetryAfter

from adapters.store.pacing import Pacer
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
Delivered = Callable[[int], Awaitable[None]]


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

    def _key(self, callback_data: str) -> str:
        return self.store.key(self.scope, "button", callback_data)

    async def save(self, callbacks: Mapping[str, str]) -> None:
        """Store (or refresh) the payloads; one round trip for all of them."""
        if not callbacks:
            return
        ttl = int(CALLBACK_TTL * 1000)
        async with self.store.redis.pipeline(transaction=False) as pipe:
            for data, payload in callbacks.items():
                pipe.set(self._key(data), payload.encode(), px=ttl)
            await pipe.execute()

    async def load(self, callback_data: str) -> str | None:
        """The payload behind a pressed button, or None (expired, forged, not ours)."""
        if not callback_data or len(callback_data.encode()) > MAX_CALLBACK_DATA:
            return None
        raw = await self.store.redis.get(self._key(callback_data))
        if raw is None:
            return None
        payload = bytes(raw).decode(errors="replace")
        return payload if len(payload) <= MAX_PAYLOAD_LENGTH else None


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
    ) -> None:
        """Deliver ``replies`` to ``chat_id``; raise when Telegram refuses one for good.

        ``lang`` (known in a turn) labels the share-my-phone button; a proactive send looks
        the fan's language up, since in a private chat the chat id is the fan's user id.
        ``skip`` leaves out the first messages (an interrupted answer resumed by another
        process); ``delivered(n)`` is told after each message that the first n are out.
        Unreachable: the fan blocked the bot or deleted their account (Telegram's 403).
        """
        if lang is None:
            lang = await self.language_of(chat_id) if _asks_contact(replies) else "en"
        messages = plan(replies, lang)
        await self.callbacks.save(messages.callbacks)
        try:
            for number, message in enumerate(messages.messages, start=1):
                if number <= skip:
                    continue
                await self.pacer.run(chat_id, partial(self._send_one, chat_id, message))
                if delivered is not None:
                    await delivered(number)
        except Forbidden as exc:
            raise Unreachable(f"telegram refused the chat: {exc.message}") from exc

    async def _send_one(self, chat_id: str, message: Outgoing) -> None:
        if message.photo is not None:
            await self.bot.send_photo(
                chat_id,
                message.photo,
                caption=message.text or None,
                reply_markup=message.markup,
                filename=PHOTO_NAME,
            )
        else:
            await self.bot.send_message(chat_id, message.text, reply_markup=message.markup)


def _asks_contact(replies: Sequence[Reply]) -> bool:
    return any(reply.request_contact for reply in replies)
