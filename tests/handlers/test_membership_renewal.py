"""A lapsed membership: renewal is offered only when ACME's ``membership/exists`` says
``canRenew`` (acme-notes.md), pointing at the venue's renewal page, else at a person; when ACME
cannot say, nothing is promised. Sofia's sandbox membership (card 7700999000) lapsed."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.asyncio as redis_asyncio

from adapters.sandbox.faults import Fault
from adapters.store.store import Store
from bot.app.bootstrap import Usher, build
from bot.app.settings import load_settings
from bot.venue import DEFAULT_VENUE_FILE, load_venue
from tests.conftest import TEST_REDIS_URL
from tests.support.chat import Chat, Outbox

SOFIA_CARD = "7700999000"


async def lapsed(chat: Chat) -> None:
    await chat.say(f"membership {SOFIA_CARD}")
    await chat.say("Garcia")


async def test_a_renewable_lapsed_membership_gets_the_venues_renewal_link(usher: Usher) -> None:
    chat = Chat(usher, "mr1")
    await lapsed(chat)
    assert "It can be renewed" in chat.text
    assert load_venue().membership_url in chat.urls
    assert "human" in chat.payloads
    assert "Garcia" not in chat.text
    assert "sofia" not in chat.text.lower()


async def test_when_acme_cannot_say_nothing_is_promised(usher: Usher) -> None:
    assert usher.sandbox is not None
    usher.sandbox.faults.add(Fault("/v2/b2c/membership/exists", status=503))
    chat = Chat(usher, "mr2", locale="es")
    await lapsed(chat)
    assert chat.text == "Esa membresía ha caducado, así que no se aplican precios de socio."
    assert chat.urls == []


async def test_without_a_renewal_page_a_person_is_offered(
    usher: Usher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venue = tmp_path / "venue.toml"
    text = DEFAULT_VENUE_FILE.read_text(encoding="utf-8")
    venue.write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("membership_url")),
        encoding="utf-8",
    )
    monkeypatch.setenv("USHER_VENUE_FILE", str(venue))
    store = Store(redis_asyncio.Redis.from_url(TEST_REDIS_URL), prefix="usher-test:")
    other = build(load_settings(), mailer=Outbox(), store=store)
    try:
        chat = Chat(other, "mr3")
        await lapsed(chat)
        assert "a person can help you with that" in chat.text
        assert chat.urls == []
        assert "human" in chat.payloads
    finally:
        await other.aclose()
