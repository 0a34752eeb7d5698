"""The Telegram channel on python-telegram-bot (PTB) v22: one update in, the core's replies out.

The same :class:`TelegramBot` serves both ways updates arrive:

* **webhook** (``usher serve``): the PTB ``Application`` is built without an updater and lives
  inside Usher's own ASGI app (``adapters.telegram.webhook`` feeds it the POSTed updates);
* **polling** (``usher telegram --polling``, for a laptop): PTB's own ``getUpdates`` loop.

Either way an update goes through :meth:`TelegramBot.process`: translated to an ``Inbound``
(``adapters.telegram.inbound``), claimed on ``update_id`` in Redis (``adapters.telegram.claims``:
a redelivered or duplicated update is handled once, whichever process gets it), run through
the conversation core ("typing…" shown when that takes a while), answered through the paced
sender (``adapters.telegram.send``), each delivered message counted. If anything fails the claim is
given back, and the next attempt (the webhook inbox retries; see ``adapters.telegram.inbox``)
gets the same replies from the core and sends only what is missing. No state lives in the
process: conversation state, turn replies, button payloads, claims and the rate limiter are
all in Redis.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

import structlog
from telegram import BotCommand, Update
from telegram.constants import ChatAction
from telegram.error import InvalidToken, TelegramError
from telegram.ext import ContextTypes, TypeHandler

from adapters.store.pacing import Along, Limits, Pacer
from adapters.store.store import Store
from adapters.store.turns import ending_with_first_message
from adapters.telegram.app import (
    WEBHOOK_PATH,
    PtbApplication,
    TelegramConfig,
    build_application,
)
from adapters.telegram.claims import Ahead, Finishing, UpdateClaims
from adapters.telegram.inbound import ALLOWED_UPDATES, CHANNEL, Incoming, translate, update_kind
from adapters.telegram.send import (
    CallbackStore,
    Delivered,
    TelegramSender,
    asks_contact,
    retry_after,
)
from bot import copy
from bot.app.metrics import CHANNEL_EVENTS
from bot.errors import ConfigError
from bot.messages import Fan, Inbound, Reply
from bot.outbound import Messenger, Unreachable

__all__ = ["WEBHOOK_PATH", "TelegramBot", "TelegramConfig", "build_application"]

log = structlog.get_logger("usher.telegram")

#: "typing…" is shown only for a turn still running after this long. The Bot API recommends
#: the chat action only "when a response from the bot will take a noticeable amount of time";
#: for a quick turn the extra call cost more time than the whole answer (bench.turns).
TYPING_AFTER = 0.4
#: Telegram shows "typing…" for 5 s; renew it while the core is still working.
TYPING_EVERY = 4.5
#: The commands shown in Telegram's menu (the core's recogniser reads them as text).
COMMANDS = ("start", "orders", "tickets", "help", "cancel")

Handle = Callable[[Inbound], Awaitable[list[Reply]]]


class TelegramBot:
    """Processes updates for one bot; its :attr:`sender` also serves proactive messages."""

    def __init__(
        self,
        application: PtbApplication,
        config: TelegramConfig,
        handle: Handle,
        store: Store,
        *,
        messenger: Messenger | None = None,
        limits: Limits | None = None,
    ) -> None:
        """Wire the handlers; with ``messenger``, register the sender for proactive messages."""
        self.application = application
        self.config = config
        self.handle = handle
        self.store = store
        self.scope = f"telegram:{config.bot_id}"
        self.callbacks = CallbackStore(store, self.scope)
        self.claims = UpdateClaims(store, self.scope, lease=config.takeover)
        pacer = Pacer(store, self.scope, limits=limits, retry_after_of=retry_after)

        async def language_of(chat_id: str) -> str:
            # In a private chat the chat id is the fan's user id.
            return await messenger.language_of(Fan(CHANNEL, chat_id)) if messenger else "en"

        self.sender = TelegramSender(application.bot, pacer, self.callbacks, language_of)
        if messenger is not None:
            messenger.add(CHANNEL, self.sender)
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Initialise PTB (``getMe``) and start the application."""
        await self._initialize()
        await self.application.start()

    async def _initialize(self) -> None:
        try:
            await self.application.initialize()
        except BaseException as exc:
            # A failed initialize() leaves the HTTP pools open and shutdown() then does nothing.
            await self.application.bot.shutdown()
            if isinstance(exc, InvalidToken):  # its message holds the token: not passed on
                raise ConfigError(
                    "USHER_TELEGRAM_TOKEN: Telegram does not accept this token"
                ) from None
            raise

    async def stop(self) -> None:
        """Stop and shut the application down (closes its HTTP pools)."""
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def register_commands(self) -> None:
        """The command menu, in every language of the copy."""
        for lang in copy.languages():
            commands = [BotCommand(name, copy.text(f"command_{name}", lang)) for name in COMMANDS]
            code = None if lang == copy.DEFAULT_LANGUAGE else lang
            await self.application.bot.set_my_commands(commands, language_code=code)

    async def set_webhook(self) -> None:
        """Point Telegram at our webhook, with the secret it must echo, and set the menu."""
        await self.application.bot.set_webhook(
            self.config.webhook_url,
            secret_token=self.config.require_secret(),
            allowed_updates=list(ALLOWED_UPDATES),
        )
        await self.register_commands()
        log.info("telegram_webhook_set", url=self.config.webhook_url)

    async def run_polling(self, stop: asyncio.Event, *, poll_timeout: int = 30) -> None:
        """Poll ``getUpdates`` until ``stop`` is set (PTB removes any webhook first)."""
        updater = self.application.updater
        if updater is None:
            raise RuntimeError("this application was built for webhooks (no updater)")
        await self._initialize()
        try:
            await self.register_commands()
            await updater.start_polling(timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES)
            await self.application.start()
            log.info("telegram_polling", bot_id=self.config.bot_id)
            await stop.wait()
        finally:
            if updater.running:
                await updater.stop()
            await self.stop()

    # --- one update -----------------------------------------------------------------------

    @staticmethod
    def wants(update: Update) -> bool:
        """True for the kinds of update Usher handles."""
        return update.message is not None or update.callback_query is not None

    async def process(
        self,
        update: Update,
        *,
        holder: str | None = None,
        finishing: Finishing | None = None,
        ahead: Ahead | None = None,
    ) -> bool:
        """Handle ``update`` once across all processes.

        False when another holder is handling it right now (ask again later: it may die);
        True once it is done, whoever did it. Raises when handling failed: the claim is given
        back, and what was already delivered stays counted for the next attempt.
        ``holder`` names the claim's owner (a stream consumer and entry); random by default.
        ``finishing`` joins the round trip that marks the update done (called only then);
        ``ahead`` must allow before the update is claimed (the inbox's per-fan order: False
        while it says wait) and may send its look with the claim.
        """
        incoming = await translate(update, self.callbacks)
        if incoming is None:
            CHANNEL_EVENTS.labels(CHANNEL, "ignored").inc()
            log.info(
                "telegram_update_ignored", update_id=update.update_id, kind=update_kind(update)
            )
            return True
        update_id = update.update_id
        holder = holder or f"direct/{secrets.token_hex(6)}"
        claim = await self.claims.begin(update_id, holder, ahead)
        if not claim.mine:
            if claim.done:
                CHANNEL_EVENTS.labels(CHANNEL, "duplicate").inc()
                log.info("telegram_update_duplicate", update_id=update_id)
            return claim.done
        if claim.sent:
            log.info("telegram_update_resumed", update_id=update_id, sent=claim.sent)

        def delivered(count: int) -> Along:
            return self.claims.counting(update_id, count)

        try:
            async with self.claims.held(update_id, holder):
                await self._answer(incoming, skip=claim.sent, delivered=delivered)
        except Unreachable as exc:
            # Blocked by the fan: another attempt would meet the same refusal, so it is done.
            CHANNEL_EVENTS.labels(CHANNEL, "unreachable").inc()
            log.info("telegram_fan_unreachable", update_id=update_id, error=str(exc))
        except BaseException:
            CHANNEL_EVENTS.labels(CHANNEL, "failed").inc()
            with suppress(Exception):
                await self.claims.release(update_id, holder)
            raise
        else:
            CHANNEL_EVENTS.labels(CHANNEL, "handled" if incoming.inbound else "refused").inc()
        await self.claims.finish(update_id, finishing)
        return True

    async def _answer(self, incoming: Incoming, *, skip: int, delivered: Delivered) -> None:
        if incoming.callback_query_id is not None and not skip:
            try:
                await self.application.bot.answer_callback_query(incoming.callback_query_id)
            except TelegramError as exc:  # too old to answer: the press still counts
                log.info("telegram_callback_not_answered", error=str(exc))
        if incoming.inbound is None:
            refusal = [incoming.refusal] if incoming.refusal is not None else []
            await self.sender.send(
                incoming.chat_id, refusal, lang=incoming.lang, skip=skip, delivered=delivered
            )
            return
        # The turn's end (its state, replies and lock) goes ahead of the first message, in
        # the same round trip as its slot (``adapters.store.turns``).
        async with ending_with_first_message() as ending:
            async with self._typing(incoming.chat_id):
                replies = await self.handle(incoming.inbound)
            # The core picks the language from the fan's words (the locale is only its prior)
            # and stores it with the state: the sender looks it up for its own labels (the
            # phone button), when the answer has any, so then the state is saved first.
            if asks_contact(replies):
                await ending.flush()
            await self.sender.send(
                incoming.chat_id, replies, skip=skip, delivered=delivered, ahead=ending.along
            )

    @asynccontextmanager
    async def _typing(self, chat_id: str) -> AsyncIterator[None]:
        """Show "typing…" while the body runs, once it has run :data:`TYPING_AFTER` seconds
        (best effort, not paced: it is no message)."""
        done = asyncio.Event()

        async def keep_typing() -> None:
            delay = TYPING_AFTER
            while True:
                with suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), delay)
                    return
                await self._typing_once(chat_id)
                delay = TYPING_EVERY

        typing = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            done.set()
            await typing  # a call under way completes first, so "typing" never lands after

    async def _typing_once(self, chat_id: str) -> None:
        try:
            await self.application.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as exc:
            log.info("telegram_typing_failed", error=str(exc))

    async def _on_update(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        # Polling: PTB hands each update over once, so an update someone else is handling
        # (the webhook of another deployment, say) is theirs to finish.
        if not await self.process(update):
            CHANNEL_EVENTS.labels(CHANNEL, "duplicate").inc()
            log.info("telegram_update_duplicate", update_id=update.update_id)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("telegram_update_failed", update_id=update_id, exc_info=context.error)
