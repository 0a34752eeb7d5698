"""Redis killed and restarted in the middle of a conversation: a clear answer, nothing lost."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.store.store import connect
from bot.app.bootstrap import build
from bot.app.settings import load_settings
from tests.support.chat import Chat, Outbox
from tests.support.redis_server import PrivateRedis

ALEX = "alex.rivera@example.com"


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


async def test_conversation_survives_a_redis_crash(
    private_redis: PrivateRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)
    outbox = Outbox()
    usher = build(load_settings(), mailer=outbox, store=connect(private_redis.url))
    try:
        chat = Chat(usher, "crash-1")
        await chat.say("my tickets")
        await chat.say(ALEX)
        code = outbox.last_code(ALEX)

        private_redis.kill()
        await chat.say(code)
        assert "went wrong" in chat.text
        assert "Traceback" not in chat.text

        private_redis.start()
        await chat.say(code)  # the code and the "waiting for a code" state were kept
        assert "verified" in chat.text
        assert chat.qr_values

        private_redis.kill()
        private_redis.start()
        await chat.say("show my tickets")  # the proof outlives another crash
        assert chat.qr_values
    finally:
        await usher.aclose()
