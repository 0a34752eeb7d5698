"""``usher telegram --polling``: PTB's own getUpdates loop, same handlers, same Redis state."""

from __future__ import annotations

import asyncio

from bot.app.bootstrap import Usher
from tests.adapters.telegram.conftest import Served, telegram_bot, text_update
from tests.support.fake_telegram import FakeTelegram


async def poll_until(fake: FakeTelegram, usher: Usher, messages: int) -> None:
    """Run polling until ``messages`` messages were sent, then stop it."""
    bot = telegram_bot(usher, fake, polling=True)
    stop = asyncio.Event()
    polling = asyncio.create_task(bot.run_polling(stop, poll_timeout=1))
    try:
        await fake.wait_for(messages, "sendMessage", "sendPhoto", "sendMediaGroup")
    finally:
        stop.set()
        await asyncio.wait_for(polling, timeout=10)


async def test_polling_handles_updates_from_get_updates(
    usher: Usher, fake_api: FakeTelegram
) -> None:
    await fake_api.push_update(text_update(31, "help"))
    await fake_api.push_update(text_update(32, "/orders"))
    await poll_until(fake_api, usher, 3)
    help_text, orders_text, share_text = fake_api.texts()
    assert help_text.startswith("Here's what I can do")
    assert "make sure it's you" in orders_text
    assert share_text.startswith("Or share your phone number")
    polls = fake_api.sent("getUpdates")
    assert polls[0].json("allowed_updates") == ["message", "callback_query"]
    assert fake_api.sent("deleteWebhook"), "polling must remove a webhook first"
    assert len(fake_api.sent("setMyCommands")) == 2


async def test_polling_skips_an_update_the_webhook_already_handled(
    usher: Usher, served: Served
) -> None:
    fake = served.fake
    await served.deliver(text_update(33, "help"))
    await fake.push_update(text_update(33, "help"))
    await fake.push_update(text_update(34, "cancel"))
    await poll_until(fake, usher, 2)
    assert len(fake.messages()) == 2
    assert fake.texts()[1] == "Nothing to cancel. What can I help with?"
