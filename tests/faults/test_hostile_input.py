"""A corpus of hostile input: every line gets a clear answer, nothing leaks, nothing breaks."""

from __future__ import annotations

import pytest

from bot.app.bootstrap import Usher
from bot.messages import Fan
from tests.support.chat import Chat, Outbox

ALEX = "alex.rivera@example.com"
INJECTIONS = ["<script", "<b>", "<!channel>", "<@U0", "javascript:", "](http", "<a href"]

CORPUS = [
    "x" * 1_000_000,
    "🎟️" * 3000,
    "\x00\x01\x02\x1b[31mred\x1b[0m",
    "\u202etekcit ym\u202c",
    "\u200b\u200b\u200b",
    "<script>alert(1)</script> my tickets",
    "<b>tickets</b> <a href='javascript:alert(1)'>x</a>",
    "*bold* _it_ `code` <!channel> <@U012ABC> my orders",
    "[click](http://evil.example/phish) order 100148401",
    "order 100148401 <script>@evil.com",
    "order ' OR 1=1 -- janedoe@gmail.com",
    "../../../../etc/passwd",
    "%00%0d%0aSet-Cookie: x=y",
    "{{7*7}} ${7*7} #{7*7}",
    "/start " + "A" * 65,
    "/start <script>",
    "/tickets@someone_else_bot",
    "\n\n\n",
    "",
    "   ",
]


@pytest.mark.parametrize("text", CORPUS, ids=lambda t: repr(t[:20]))
async def test_hostile_text_gets_a_clean_answer(usher: Usher, text: str) -> None:
    chat = Chat(usher, "hostile")
    replies = await chat.say(text)
    assert replies, "every input gets an answer"
    for reply in replies:
        assert reply["text"].strip()
        assert "Traceback" not in reply["text"]
        for marker in INJECTIONS:
            assert marker not in reply["text"], (marker, reply["text"])
        assert len(reply["text"]) < 4096  # fits a Telegram message


FORGED_BUTTONS = [
    "order:30263798",
    "order:../../admin",
    "order:" + "9" * 41,
    "tickets:30263798",
    "tickets:tm-0000",
    "tickets:tm-../../x",
    "orders:99999999999",
    "orders:-1",
    "verify:admin",
    "human:everyone",
    "::::",
    "order:",
    "\x00",
]


@pytest.mark.parametrize("payload", FORGED_BUTTONS)
async def test_forged_buttons_reveal_nothing(usher: Usher, payload: str) -> None:
    chat = Chat(usher, "forger")
    await chat.press(payload)
    assert chat.text
    assert "100148401" not in chat.text
    assert "Jane" not in chat.text
    assert "255.00" not in chat.text
    assert chat.qr_values == []


@pytest.mark.unthrottled
async def test_guessing_codes_never_verifies_and_sends_are_limited(
    usher: Usher, outbox: Outbox
) -> None:
    chat = Chat(usher, "guesser")
    await chat.say("my tickets")
    await chat.say(ALEX)
    real = outbox.last_code(ALEX)
    guesses = [f"{n:06d}" for n in range(0, 60) if f"{n:06d}" != real]
    for guess in guesses[:20]:
        await chat.say(guess)
        assert "verified" not in chat.text
    for _ in range(5):
        await chat.say(ALEX)
    assert "too many codes" in chat.text
    assert len([m for m in outbox.sent if m[0] == ALEX]) == 3
    assert not (await usher.identity.verified(Fan("console", "guesser"))).anything


@pytest.mark.unthrottled
async def test_guessing_order_numbers_is_rate_limited(usher: Usher) -> None:
    chat = Chat(usher, "order-guesser")
    for n in range(12):
        await chat.say(f"order {100148500 + n} janedoe@gmail.com")
    assert "Too many tries" in chat.text
    await chat.say("order 100148401 janedoe@gmail.com")  # even the right one, for now
    assert "Too many tries" in chat.text
