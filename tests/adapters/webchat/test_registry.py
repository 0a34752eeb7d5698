"""A socket's view of its session's log: every entry once, in order, whoever appended it."""

from __future__ import annotations

import json

import pytest
import redis.asyncio as redis_asyncio

from adapters.store.store import Store
from adapters.webchat.registry import Connection
from adapters.webchat.sessions import Sessions
from tests.conftest import TEST_REDIS_URL

pytestmark = pytest.mark.redis


async def test_entries_appended_elsewhere_in_between_are_sent_before_ours(
    real_redis: redis_asyncio.Redis,
) -> None:
    sessions = Sessions(Store(redis_asyncio.Redis.from_url(TEST_REDIS_URL), prefix="t:"))
    session = await sessions.open(None)
    sent: list[dict[str, object]] = []

    async def send(frame: str) -> None:
        sent.append(json.loads(frame))

    async def close(_: int) -> None:
        return None

    socket = Connection(
        session.id, sessions, send, close, address="127.0.0.1", locale=None, cursor=None
    )
    socket.wake()
    await socket.caught_up()  # the (empty) history
    first = await sessions.append(session.id, [{"from": "fan", "text": "one", "ref": "a"}])
    assert first is not None
    assert first.after is None
    await socket.deliver(first)  # nothing in between: sent as appended
    other = await sessions.append(session.id, [{"from": "bot", "replies": []}], process="p2")
    assert other is not None  # another process's entry (its nudge is not handled here)
    mine = await sessions.append(session.id, [{"from": "fan", "text": "three", "ref": "c"}])
    assert mine is not None
    assert mine.after == other.entries[0].id
    await socket.deliver(mine)
    assert [frame["id"] for frame in sent] == [
        first.entries[0].id,
        other.entries[0].id,
        mine.entries[0].id,
    ]
    again = await sessions.append(session.id, [{"from": "fan", "text": "x"}], once="c:fan")
    assert again is not None
    assert again.entries  # first time under this id
    repeat = await sessions.append(session.id, [{"from": "fan", "text": "x"}], once="c:fan")
    assert repeat is not None
    assert repeat.entries == []
    await socket.deliver(repeat)  # catches up on "x", once
    assert [frame["id"] for frame in sent][3:] == [again.entries[0].id]
    await sessions.redis.aclose()
