"""A platform event runs one turn: handled again, it gets the same replies, not a second turn."""

from __future__ import annotations

from prometheus_client import REGISTRY

from bot.app.bootstrap import Usher
from bot.messages import Inbound
from tests.support.chat import Outbox

ALEX = "alex.rivera@example.com"


def replayed() -> float:
    value = REGISTRY.get_sample_value(
        "usher_turns_total", {"channel": "telegram", "outcome": "replayed"}
    )
    return value or 0.0


def event(event_id: str, **what: str) -> Inbound:
    return Inbound("telegram", "u-replay", "u-replay", event_id=event_id, **what)


async def test_an_event_handled_again_gets_its_replies_back_without_a_second_turn(
    usher: Usher, outbox: Outbox
) -> None:
    await usher.conversation.handle(event("1", text="my orders"))
    before = replayed()
    first = await usher.conversation.handle(event("2", text=ALEX))
    assert "6-digit code" in first[0].text
    state = await usher.messenger.states.load(event("2").fan)

    again = await usher.conversation.handle(event("2", text=ALEX))

    assert again == first
    assert replayed() == before + 1
    assert len(outbox.sent) == 1  # a second turn would have mailed a new code
    assert await usher.messenger.states.load(event("2").fan) == state


async def test_the_same_words_as_a_new_event_are_a_new_turn(usher: Usher, outbox: Outbox) -> None:
    await usher.conversation.handle(event("1", text="my orders"))
    await usher.conversation.handle(event("2", text=ALEX))
    await usher.conversation.handle(event("3", text=ALEX))
    assert len(outbox.sent) == 2


async def test_replies_come_back_whole(usher: Usher) -> None:
    first = await usher.conversation.handle(event("1", text="my tickets"))
    assert any(reply.buttons for reply in first)
    assert any(reply.request_contact for reply in first)
    assert await usher.conversation.handle(event("1", text="my tickets")) == first
    shared = await usher.conversation.handle(event("2", contact_phone="+14155550134"))
    assert any(reply.images for reply in shared)
    assert await usher.conversation.handle(event("2", contact_phone="+14155550134")) == shared
