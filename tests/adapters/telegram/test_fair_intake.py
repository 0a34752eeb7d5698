"""Fair intake: one flooding fan holds one of a process's working slots, never all of them.

The flooder's turns are held up (a conversation that waits before answering them), so without
fairness the flood's updates would fill every slot of the inbox consumer and the other fan's
update would wait behind them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from adapters.telegram.inbox_consumer import MAX_IN_FLIGHT
from bot.app.bootstrap import Usher
from bot.messages import Inbound, Reply
from tests.adapters.telegram.conftest import serving, telegram_bot, text_update
from tests.support.fake_telegram import FakeTelegram

FLOODER, NEIGHBOUR = 6660001, 7770001


def from_user(update_id: int, user: int, text: str) -> dict[str, Any]:
    """A private text message from ``user`` (their own chat)."""
    update = text_update(update_id, text, id=user, username=f"user{user}")
    update["message"]["chat"].update(id=user, username=f"user{user}")
    return update


async def test_a_flooding_fan_cannot_fill_the_slots(usher: Usher, fake_api: FakeTelegram) -> None:
    bot = telegram_bot(usher, fake_api)
    release = asyncio.Event()
    in_turn: list[str] = []
    busiest = 0

    async def held_for_the_flooder(inbound: Inbound) -> list[Reply]:
        nonlocal busiest
        in_turn.append(inbound.user_id)
        busiest = max(busiest, in_turn.count(str(FLOODER)))
        try:
            if inbound.user_id == str(FLOODER):
                await release.wait()
            return await usher.conversation.handle(inbound)
        finally:
            in_turn.remove(inbound.user_id)

    bot.handle = held_for_the_flooder
    async with serving(usher, fake_api, bot) as served:
        for n in range(MAX_IN_FLIGHT + 8):
            assert (await served.post(from_user(1000 + n, FLOODER, "help"))).status_code == 200
        assert (await served.post(from_user(2000, NEIGHBOUR, "cancel"))).status_code == 200
        [answer] = await fake_api.wait_for(1, "sendMessage")
        assert str(answer.params["chat_id"]) == str(NEIGHBOUR)
        assert answer.params["text"] == "Nothing to cancel. What can I help with?"
        release.set()
        await served.channel.wait_idle()
    flooder_answers = [
        call for call in fake_api.sent("sendMessage") if str(call.params["chat_id"]) == str(FLOODER)
    ]
    # Every queued update of the flooder was still handled, one at a time (its turns are then
    # throttled by the turn bucket: a burst, one "slow down", silence).
    assert busiest == 1
    assert len(flooder_answers) == usher.settings.turn_burst + 1
