"""Telegram updates as ``Inbound`` events: the only place that reads a PTB ``Update``.

What reaches the core, and what the adapter answers itself:

* a text message (or a photo's caption) -> ``Inbound(text=...)``; commands (``/tickets``) and
  deep links (``/start <code>``) are text too, the core's recogniser and router read them;
* a pressed inline button -> ``Inbound(button=<payload from Redis>)``; an unknown or expired
  key becomes :data:`EXPIRED_BUTTON`, a payload no route knows, so the core answers with its
  "that button has expired" menu;
* a shared contact counts as a verified phone only when Telegram vouches that it is the
  sender's own: ``contact.user_id == from_user.id`` (Telegram fills ``user_id`` server-side)
  and the message is not forwarded. Anything else (someone else's card, a forwarded one) is
  refused here, with the share-my-phone button offered again, and never reaches the core;
* anything from a group, supergroup or channel gets one line asking for a private chat:
  tickets are QR codes anyone in a group could scan.

Locale is the sender's ``language_code``; the core picks the reply language from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import CallbackQuery, Chat, Message, Update

from adapters.telegram.send import CallbackStore
from bot import copy
from bot.messages import Inbound, Reply

CHANNEL = "telegram"
#: The update kinds Usher asks Telegram for (``setWebhook`` / ``getUpdates``).
ALLOWED_UPDATES = ("message", "callback_query")
#: What a press on an unknown or expired button is handed to the core as (no route has it).
EXPIRED_BUTTON = "expired_button"


@dataclass(frozen=True)
class Incoming:
    """One update, understood: an event for the core, or a refusal to send as it is."""

    chat_id: str
    lang: str
    inbound: Inbound | None = None
    refusal: Reply | None = None
    #: Set for a button press: Telegram wants every callback query answered.
    callback_query_id: str | None = None


def update_kind(update: Update) -> str:
    """The kind of update (``message``, ``edited_message``, ``poll``...), for log lines."""
    for name, value in update.to_dict().items():
        if name != "update_id" and value is not None:
            return str(name)
    return "empty"


def international(phone: str) -> str:
    """Telegram gives the contact's number in international form, usually without the ``+``."""
    phone = phone.strip()
    return phone if phone.startswith("+") else f"+{phone}"


async def translate(update: Update, callbacks: CallbackStore) -> Incoming | None:
    """What ``update`` asks of us; None when it is not a kind we handle."""
    if update.callback_query is not None:
        return await _callback(update.update_id, update.callback_query, callbacks)
    if update.message is not None:
        return _message(update.update_id, update.message)
    return None


def _message(update_id: int, message: Message) -> Incoming | None:
    user = message.from_user
    if user is None:
        return None
    chat_id = str(message.chat.id)
    lang = copy.pick_language(user.language_code)
    if message.chat.type != Chat.PRIVATE:
        return Incoming(chat_id, lang, refusal=Reply(copy.text("private_only", lang)))
    contact = message.contact
    if contact is not None:
        if contact.user_id == user.id and message.forward_origin is None:
            inbound = Inbound(
                CHANNEL,
                str(user.id),
                chat_id,
                contact_phone=international(contact.phone_number),
                locale=user.language_code,
                event_id=str(update_id),
            )
            return Incoming(chat_id, lang, inbound=inbound)
        refusal = Reply(copy.text("contact_not_yours", lang), request_contact=True)
        return Incoming(chat_id, lang, refusal=refusal)
    inbound = Inbound(
        CHANNEL,
        str(user.id),
        chat_id,
        text=message.text if message.text is not None else message.caption,
        locale=user.language_code,
        event_id=str(update_id),
    )
    return Incoming(chat_id, lang, inbound=inbound)


async def _callback(update_id: int, query: CallbackQuery, callbacks: CallbackStore) -> Incoming:
    user = query.from_user
    lang = copy.pick_language(user.language_code)
    chat = query.message.chat if query.message is not None else None
    chat_id = str(chat.id) if chat is not None else str(user.id)
    if chat is not None and chat.type != Chat.PRIVATE:
        refusal = Reply(copy.text("private_only", lang))
        return Incoming(chat_id, lang, refusal=refusal, callback_query_id=query.id)
    payload = await callbacks.load(query.data or "")
    inbound = Inbound(
        CHANNEL,
        str(user.id),
        chat_id,
        button=payload if payload is not None else EXPIRED_BUTTON,
        locale=user.language_code,
        event_id=str(update_id),
    )
    return Incoming(chat_id, lang, inbound=inbound, callback_query_id=query.id)
