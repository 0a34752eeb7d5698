"""What one turn costs Redis, pinned: a change that adds a round trip fails here loudly.

A verified fan's "my orders" with ACME's answers cached (the common turn): the first script
(turn bucket, lock, replay check, state, history, proofs), one read of the cached searches with
the cached details and times of the orders listed last time (``OrderBook.listing``), and the
script that saves and unlocks. The proofs are read once however many handlers ask for them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Sequence

import pytest

from adapters.store.store import Store
from bot.app.bootstrap import Usher, build
from bot.app.settings import load_settings
from bot.messages import Fan, Inbound, Reply
from tests.conftest import TEST_REDIS_URL
from tests.support.chat import Outbox
from tests.support.redis_count import Tally, counting_redis


@pytest.fixture
async def counted(
    real_redis: object, outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Usher, Tally]]:
    for name in [n for n in __import__("os").environ if n.startswith("USHER_")]:
        monkeypatch.delenv(name)
    tally = Tally()
    store = Store(counting_redis(TEST_REDIS_URL, tally), prefix="usher-test:")
    usher = build(load_settings(), mailer=outbox, store=store)
    try:
        yield usher, tally
    finally:
        await usher.aclose()


def event(text: str | None = None, n: int = 0, **given: str) -> Inbound:
    return Inbound("telegram", "5550134", "5550134", text=text, event_id=str(n), **given)


async def test_a_verified_find_my_order_turn_costs_three_round_trips(
    counted: tuple[Usher, Tally],
) -> None:
    usher, tally = counted
    handle = usher.conversation.handle
    await handle(event("my orders", 1))
    await handle(event(contact_phone="+14155550134", n=2))
    await handle(event("my orders", 3))  # ACME's answers now cached
    tally.reset()

    replies = await handle(event("my orders", 4))

    assert "Your orders" in replies[0].text
    assert tally.commands == Counter({"EVALSHA": 2, "MGET": 1}), tally.commands
    assert tally.round_trips == 3


async def test_a_redelivered_event_is_answered_in_one_round_trip(
    counted: tuple[Usher, Tally],
) -> None:
    usher, tally = counted
    first = await usher.conversation.handle(event("help", 7))
    tally.reset()
    again = await usher.conversation.handle(event("help", 7))
    assert again == first
    assert tally.round_trips == 1


async def test_a_proactive_message_reads_the_fans_state_once(
    counted: tuple[Usher, Tally],
) -> None:
    usher, tally = counted
    await usher.conversation.handle(event("hola", 9, locale="es"))
    sent: list[tuple[str, list[str]]] = []

    class Sender:
        async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
            sent.append((chat_id, [reply.text for reply in replies]))

    usher.messenger.add("telegram", Sender())
    tally.reset()

    async def greeting(lang: str) -> list[Reply]:
        return [Reply(f"lang={lang}")]

    await usher.messenger.send_composed(Fan("telegram", "5550134"), greeting)
    assert sent == [("5550134", ["lang=es"])]
    assert tally.round_trips == 1
