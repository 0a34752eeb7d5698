"""The order list on Telegram, through the fake Bot API: upcoming first, the past list behind
its button, "next" and "previous" pressed as a fan presses them (short keys in Redis), and a
keyboard sent before the two lists existed (``orders:2``) or holding a bad page."""

from __future__ import annotations

import json
from typing import Any

from adapters.telegram.render import callback_data, keyboard_key
from bot.app.bootstrap import Usher
from tests.adapters.telegram.conftest import Served, load_update, press_update, text_update
from tests.support.fake_telegram import BOT_ID


def last_message(served: Served) -> tuple[str, dict[str, str]]:
    """The last message's text, and its buttons' callback data by label."""
    call = served.fake.messages()[-1]
    markup: dict[str, Any] = call.json("reply_markup") if "reply_markup" in call.params else {}
    rows = markup.get("inline_keyboard", [])
    return call.params["text"], {b["text"]: b["callback_data"] for row in rows for b in row}


async def plant_keyboard(usher: Usher, payloads: list[str]) -> str:
    """A keyboard as an earlier Usher stored it for a message already in the chat."""
    key = keyboard_key(payloads)
    stored = f"usher-test:telegram:{BOT_ID}:keyboard:{key}"
    await usher.store.redis.set(stored, json.dumps(payloads), ex=3600)
    return key


async def test_upcoming_then_past_pages_and_old_buttons_over_telegram(
    usher: Usher, served: Served
) -> None:
    await served.deliver(load_update("contact_own", 1))  # Alex shares his phone
    await served.deliver(text_update(2, "my orders"))
    text, buttons = last_message(served)
    assert text.startswith("Your orders (1–")
    assert "upcoming):" in text.splitlines()[0]
    past_label = next(label for label in buttons if label.startswith("Past orders ("))
    assert "Next ▶" not in buttons

    await served.deliver(press_update(3, buttons[past_label]))
    text, buttons = last_message(served)
    assert text.startswith("Your past orders (1–5 of ")
    first_page = text
    assert "◀ Previous" not in buttons

    await served.deliver(press_update(4, buttons["Next ▶"]))
    text, buttons = last_message(served)
    assert text.startswith("Your past orders (6–10 of ")
    assert "#" in text

    await served.deliver(press_update(5, buttons["◀ Previous"]))
    text, _ = last_message(served)
    assert text == first_page

    old = await plant_keyboard(usher, ["order:30270025", "tickets:30270025", "orders:2"])
    await served.deliver(press_update(6, callback_data(old, 2)))
    text, _ = last_message(served)
    assert text.startswith("Your orders (1–"), "an old 'more' button: the upcoming list"

    bad = await plant_keyboard(usher, ["orders:past:abc", "orders:past:99999999999"])
    await served.deliver(press_update(7, callback_data(bad, 0)))
    assert last_message(served)[0] == first_page
    await served.deliver(press_update(8, callback_data(bad, 1)))
    text, buttons = last_message(served)
    assert text.startswith("Your past orders (")
    assert "Next ▶" not in buttons, "the last page"
    assert "◀ Previous" in buttons
    assert len(served.fake.sent("answerCallbackQuery")) == 6
