"""What a Telegram turn costs Redis from the webhook to the last message, pinned.

A verified fan's "my orders", ACME's answers cached, a one-message answer with its keyboard,
seven round trips: the update into the inbox (XADD); its read (XREADGROUP, also the
consumer's idle polling, so left out of the exact count); its fan-order check (XPENDING) with
the update's claim (a script); the turn's first script and one cache read
(``tests/bot/test_turn_cost.py``); the turn's end (a script) and the keyboard (a SET) with the
message's slot from the pacer (a script); and the update marked done with its inbox entry
acknowledged and deleted.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from adapters.store.store import Store
from bot.app.bootstrap import Usher, build
from bot.app.settings import load_settings
from tests.adapters.telegram.conftest import Served, load_update, serving, telegram_bot, text_update
from tests.conftest import TEST_REDIS_URL
from tests.support.chat import Outbox
from tests.support.fake_telegram import FakeTelegram
from tests.support.redis_count import Tally, counting_redis
from tests.support.servers import serve_in_loop

#: Commands of other tasks that may fall into the window: the test's own wait for an empty
#: inbox, and the consumer's blocking reads, takeover checks and lease touches.
POLLING = ("XLEN", "XREADGROUP", "XAUTOCLAIM", "XCLAIM")


@pytest.fixture
async def counted(
    real_redis: object, outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Served, Tally]]:
    for name in [n for n in os.environ if n.startswith("USHER_")]:
        monkeypatch.delenv(name)
    tally = Tally()
    store = Store(counting_redis(TEST_REDIS_URL, tally), prefix="usher-test:")
    usher: Usher = build(load_settings(), mailer=outbox, store=store)
    fake = FakeTelegram()
    try:
        async with serve_in_loop(fake.app) as url:
            fake.url = url
            async with serving(usher, fake, telegram_bot(usher, fake)) as served:
                yield served, tally
    finally:
        await usher.aclose()


async def test_a_verified_find_my_order_turn_end_to_end(counted: tuple[Served, Tally]) -> None:
    served, tally = counted
    await served.deliver(text_update(1, "my orders"))
    await served.deliver(load_update("contact_own", 2))
    await served.deliver(text_update(3, "my orders"))
    tally.reset()

    await served.deliver(text_update(4, "my orders"))

    assert "Your orders" in served.fake.texts()[-1]
    assert tally.commands["XREADGROUP"] >= 1
    assert tally.without(*POLLING) == Counter(
        {"XADD": 1, "XPENDING": 1, "EVALSHA": 4, "MGET": 1, "SET": 2, "XACK": 1, "XDEL": 1}
    )
    assert tally.trips_without(*POLLING) == Counter(
        {
            "XADD": 1,
            "XPENDING+EVALSHA": 1,
            "EVALSHA": 1,
            "MGET": 1,
            "EVALSHA+SET+EVALSHA": 1,
            "SET+XACK+XDEL": 1,
        }
    ), tally.trips


async def test_a_ticket_answer_counts_each_message_out_in_the_next_ones_round_trip(
    counted: tuple[Served, Tally],
) -> None:
    """The second message's slot request carries the count of the first (a takeover sends
    only the rest); the finish deletes nothing (the count expires by itself)."""
    served, tally = counted
    await served.deliver(load_update("contact_own", 1))
    await served.deliver(text_update(2, "my tickets"))
    before = len(served.fake.messages())
    tally.reset()

    await served.deliver(text_update(3, "my tickets"))

    # The header, then the next event's codes: a photo, or an album when it has several
    # tickets (the sandbox's dates are relative to today).
    header, codes = (c.method for c in served.fake.messages()[before:])
    assert header == "sendMessage"
    assert codes in ("sendPhoto", "sendMediaGroup")
    assert tally.trips_without(*POLLING) == Counter(
        {
            "XADD": 1,
            "XPENDING+EVALSHA": 1,
            "EVALSHA": 1,
            "MGET": 1,
            "SMEMBERS": 1,  # the fan's Ticketmaster orders
            "EVALSHA+SET+EVALSHA": 1,  # the turn's end and the keyboard, with the first slot
            "SET+EVALSHA": 1,  # the first message's count with the second's slot
            "SET+XACK+XDEL": 1,
        }
    ), tally.trips
