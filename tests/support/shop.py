"""Helpers for the buying tests: the documented tour, a chat opened by a purchase link, and a
channel sender that records proactive messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.acme.cart_models import Cart
from bot.app.bootstrap import Usher
from bot.buying.carts import CART
from bot.messages import Fan, Reply
from tests.support.chat import Chat

#: acme-discounts-carts.txt: the Behind-the-Scenes Tour instance and its "Adult" price point.
TOUR = "61f99cfb62bd1f467c397829"
ADULT = "6130fea5bf4aec4ef5db0dc5"
#: Member 5970603's card (what the fan types) and last name; Individual level: 1 a day.
MARCUS_CARD = "7700123456"
MARCUS_LAST_NAME = "Lee"
MARCUS_MEMBERSHIP = 5970603


async def chat_with_link(usher: Usher, user: str, **link: Any) -> Chat:
    """A fan who opened a purchase link (default: one adult tour ticket) in the chat."""
    fields: dict[str, Any] = {"event_id": TOUR, "ticketing_type_id": ADULT, "quantity": 1}
    fields.update(link)
    made = await usher.shop.links.create(created_by="U_MARKETER", **fields)
    chat = Chat(usher, user)
    await chat.say(f"/start {made.code}")
    return chat


async def become_member(chat: Chat) -> None:
    """The fan proves membership 5970603 (card number, then last name)."""
    await chat.say(f"membership {MARCUS_CARD}")
    assert "last name" in chat.text, chat.text
    await chat.say(MARCUS_LAST_NAME)
    assert "Membership verified" in chat.text, chat.text


async def cart_of(chat: Chat) -> Cart:
    """The fan's cart as ACME holds it."""
    state = await chat.usher.store.get_json(
        chat.usher.store.fan_key("state", Fan("console", chat.user))
    )
    return await chat.usher.acme.get_cart(state[CART])


def unit_prices(cart: Cart) -> list[str]:
    """``["24.00", "32.00"]``: each line's unit price, in cart order (a quantity-2 line twice)."""
    return [f"{item.unit_price:.2f}" for item in cart.items for _ in range(item.quantity)]


class RecordingSender:
    """A ChannelSender that keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Reply]]] = []

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
        self.sent.append((chat_id, list(replies)))
