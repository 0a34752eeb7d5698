"""Add-ons in the chat: for an event the fan holds tickets for (from their verified orders), or
for the event in their cart; the sandbox's documented add-ons Audio Guide 8.00, Parking 15.00."""

from __future__ import annotations

import pytest

from adapters.sandbox.acme.catalog_data import GA_PREFIX, JAZZ_PREFIX, offset_id
from bot.acme.cart_models import Cart
from bot.app.bootstrap import Usher
from tests.support.chat import Chat, Outbox
from tests.support.shop import cart_of, chat_with_link

PRIYA = "priya.shah@example.com"
#: Priya's upcoming events (acme_seed): general admission in 5 days, jazz in 9 (with parking).
PRIYA_GA = offset_id(GA_PREFIX, 5)
PRIYA_JAZZ = "64b7f0c2a1d3e5f608800009"
SOMEONE_ELSES = offset_id(JAZZ_PREFIX, 2)


async def verified_priya(usher: Usher, outbox: Outbox, user: str) -> Chat:
    chat = Chat(usher, user)
    await chat.say("can I add parking?")
    assert "make sure it's you" in chat.text
    await chat.say(PRIYA)
    await chat.say(outbox.last_code(PRIYA))
    assert "verified" in chat.text
    return chat


async def test_add_ons_for_an_event_the_fan_holds_tickets_for(usher: Usher, outbox: Outbox) -> None:
    chat = await verified_priya(usher, outbox, "a1")
    assert "Which event are the add-ons for?" in chat.text
    assert set(chat.payloads) == {f"addons:{PRIYA_GA}", f"addons:{PRIYA_JAZZ}"}

    await chat.press(f"addons:{PRIYA_GA}")
    assert "• Audio Guide — $8.00" in chat.text
    assert "• Parking — $15.00" in chat.text
    assert chat.payloads == ["addon:1901", "addon:1902"]

    await chat.press("addon:1902")
    assert "How many Parking ($15.00 each)?" in chat.text
    await chat.press("addon:1902:2")
    assert "Parking × 2 · $15.00 each — $30.00" in chat.text
    await chat.say("audio guide x3")
    assert "Audio Guide × 3 · $8.00 each — $24.00" in chat.text
    assert "Total $54.00" in chat.text
    cart = await cart_of(chat)
    assert [(i.inventory_id, i.quantity, f"{i.amount}") for i in cart.items] == [
        ("1902", 2, "30.00"),
        ("1901", 3, "24.00"),
    ]
    await chat.press("addon:1902:2")  # pressed again: still two, not four
    await chat.press("addon:1901:0")  # none: out of the cart
    assert "Parking × 2 · $15.00 each — $30.00" in chat.text
    assert "Audio Guide" not in chat.text.split("\n", 1)[1]
    await chat.press("cart:pay")
    assert len(chat.urls) == 1


async def test_a_typed_quantity_and_a_second_event_replaces_the_cart(
    usher: Usher, outbox: Outbox
) -> None:
    chat = await verified_priya(usher, outbox, "a2")
    await chat.press(f"addons:{PRIYA_GA}")
    await chat.press("addon:1901")
    await chat.say("two")  # not a number: asked again
    assert "Please send a number" in chat.text
    await chat.say("2")
    assert "Audio Guide × 2 · $8.00 each — $16.00" in chat.text
    await chat.press(f"addons:{PRIYA_JAZZ}")
    assert chat.payloads == ["addon:1902"]  # the jazz night sells parking only
    await chat.press("addon:1902:1")
    assert "I closed your earlier cart" in chat.text
    assert "Parking × 1 · $15.00 each — $15.00" in chat.text
    assert "Total $15.00" in chat.text


async def test_add_ons_for_someone_elses_event_or_an_unknown_add_on_are_refused(
    usher: Usher, outbox: Outbox
) -> None:
    chat = await verified_priya(usher, outbox, "a3")
    await chat.press(f"addons:{SOMEONE_ELSES}")
    assert "couldn't find" in chat.text
    await chat.press(f"addons:{PRIYA_JAZZ}")
    await chat.press("addon:1901:1")  # the audio guide is not sold with the jazz night
    assert "isn't available" in chat.text


async def test_add_ons_for_the_event_being_bought(usher: Usher) -> None:
    chat = await chat_with_link(usher, "a4")
    await chat.press("addons")
    assert "• Audio Guide — $8.00" in chat.text
    await chat.say("add 2 audio guides")
    assert "Adult × 1 · $32.00 each — $32.00" in chat.text
    assert "Audio Guide × 2 · $8.00 each — $16.00" in chat.text
    assert "Total $48.00" in chat.text


async def test_a_fan_without_upcoming_events_is_told_so(usher: Usher, outbox: Outbox) -> None:
    chat = Chat(usher, "a5")
    await chat.say("extras please")
    await chat.say("noah.kim@example.com")
    await chat.say(outbox.last_code("noah.kim@example.com"))
    assert "couldn't find an upcoming event" in chat.text


async def test_an_add_on_turn_reads_the_cart_from_acme_once(
    usher: Usher, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = await chat_with_link(usher, "a6")
    await chat.press("addons")
    reads: list[str] = []
    get_cart = usher.acme.get_cart

    async def counted(cart_id: str) -> Cart:
        reads.append(cart_id)
        return await get_cart(cart_id)

    monkeypatch.setattr(usher.acme, "get_cart", counted)
    await chat.press("addon:1901:2")
    assert "Audio Guide × 2 · $8.00 each — $16.00" in chat.text
    assert len(reads) == 1
    reads.clear()
    await chat.say("add 3 audio guides")
    assert "Audio Guide × 3 · $8.00 each — $24.00" in chat.text
    assert len(reads) == 1
