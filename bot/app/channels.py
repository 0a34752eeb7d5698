"""The channels a built Usher can run: the Slack app, the Telegram bot and the web chat.

Part of the wiring: ``usher serve``, ``usher telegram`` and ``usher worker`` build the channels
they run from one :class:`~bot.app.bootstrap.Usher`; each is None when its settings are unset.
"""

from __future__ import annotations

import structlog
from pydantic import SecretStr

from adapters.slack.app import SlackChannel
from adapters.slack.canned import CannedReplies, canned_menu
from adapters.slack.client import web_client
from adapters.slack.handoff import HandoffDesk
from adapters.slack.handoff_consumer import HandoffConsumer
from adapters.slack.marketing import MarketingConsole
from adapters.slack.support import SupportConsole
from adapters.store.audit_log import RedisAuditLog
from adapters.store.handoff_queue import HandoffBoard
from adapters.store.identity import RedisStateStore
from adapters.store.order_index import RedisOrderIndex
from adapters.store.purchase_links import RedisLinkStore
from adapters.telegram.bot import TelegramBot, TelegramConfig, build_application
from adapters.webchat.channel import WebChat
from adapters.webchat.endpoint import Origins
from adapters.webchat.limits import Limits
from bot.app.bootstrap import Usher
from bot.buying.purchase_links import PurchaseLinks
from bot.messages import Fan
from bot.staff import Roles
from handlers.marketing import Marketing
from handlers.support import SupportDesk
from handlers.support_contact import ContactEditor

log = structlog.get_logger("usher.bootstrap")


def slack_channel(usher: Usher) -> SlackChannel | None:
    """The Slack app (staff console and human handoff) for a built Usher; None when off."""
    settings = usher.settings
    if settings.slack_bot_token is None:
        return None
    api_url = str(settings.slack_api_url) if settings.slack_api_url else None
    client = web_client(settings.slack_bot_token.get_secret_value(), api_url)
    roles = Roles(frozenset(settings.slack_agents), frozenset(settings.slack_marketers))
    audit = RedisAuditLog(usher.store)
    board = HandoffBoard(usher.store)
    tz = settings.zone()
    marketing = Marketing(
        PurchaseLinks(RedisLinkStore(usher.store)),
        usher.acme,
        audit,
        public_url=str(settings.public_url),
        bot_username=settings.telegram_bot_username,
        tz=tz,
        broadcaster=usher.scheduling.broadcasts,
    )
    consumer = None
    if settings.slack_handoff_channel:
        consumer = HandoffConsumer(
            usher.store, board, client, settings.slack_handoff_channel, tz, identity=usher.identity
        )
    else:
        log.warning("slack_handoff_off", note="USHER_SLACK_HANDOFF_CHANNEL unset: not posted")
    canned = usher.staff.canned
    handoff = HandoffDesk(
        board,
        usher.messenger,
        audit,
        roles,
        menu=canned_menu(canned) if canned else None,
        forget=usher.identity.forget,
    )
    return SlackChannel(
        client,
        usher.store,
        roles,
        SupportConsole(
            SupportDesk(usher.acme, audit, RedisOrderIndex(usher.store)),
            ContactEditor(usher.acme, audit, usher.identity.mailer),
            audit,
            tz,
        ),
        MarketingConsole(marketing, tz),
        handoff,
        signing_secret=_secret(settings.slack_signing_secret),
        app_token=_secret(settings.slack_app_token),
        consumer=consumer,
        canned=CannedReplies(handoff, canned),
    )


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def telegram_bot(usher: Usher, *, polling: bool = False) -> TelegramBot | None:
    """The Telegram bot for a built Usher, its sender registered for proactive messages.

    None when Telegram is off (no ``USHER_TELEGRAM_TOKEN``); ConfigError when a setting is
    wrong. ``polling``: with PTB's ``getUpdates`` loop, else for the webhook in the web app.
    """
    config = TelegramConfig.from_settings(usher.settings)
    if config is None:
        return None
    return TelegramBot(
        build_application(config, polling=polling),
        config,
        usher.conversation.handle,
        usher.store,
        messenger=usher.messenger,
    )


def webchat_channel(usher: Usher, *, limits: Limits | None = None) -> WebChat | None:
    """The web chat for a built Usher, its sender registered for proactive messages.

    None when web chat is off (``USHER_WEBCHAT_ORIGINS`` unset outside the sandbox). Signing
    out forgets the fan's conversation state and every proof (``Identity.forget``).
    """
    settings = usher.settings
    if not settings.webchat_enabled:
        return None
    states = RedisStateStore(usher.store)

    async def forget(fan: Fan) -> None:
        await usher.identity.forget(fan)
        await states.forget(fan)

    # In the sandbox with no sites named, any page on this machine may chat (any port).
    origins = Origins(
        settings.webchat_allowed_origins(),
        any_loopback=not settings.production and settings.webchat_origins is None,
    )
    return WebChat(
        usher.store,
        usher.conversation.handle,
        origins,
        forget,
        messenger=usher.messenger,
        limits=limits,
        demo=not settings.production,
    )
