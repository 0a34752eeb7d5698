"""Who may see what, through Telegram: real updates, the real PTB bot, the fake Bot API.

A stranger who knows Jane's order number and email gets the order's status and a code sent to
Jane's mailbox, never a ticket photo or a link; the code (which only Jane's mailbox has) is what
opens the tickets.
"""

from __future__ import annotations

import pytest

from bot.app.bootstrap import Usher
from tests.adapters.telegram.conftest import Served, decode_qr, text_update
from tests.support.chat import Outbox
from tests.support.jane import JANE_EMAIL, JANE_ORDER_NUMBER, give_jane_tickets


@pytest.fixture
def jane_tickets(usher: Usher) -> list[str]:
    assert usher.sandbox is not None
    return give_jane_tickets(usher.sandbox.acme.state.acme)


async def test_a_lookup_shows_the_status_and_only_the_mailed_code_opens_the_tickets(
    served: Served, outbox: Outbox, jane_tickets: list[str]
) -> None:
    fake = served.fake
    await served.deliver(text_update(1, f"my tickets #{JANE_ORDER_NUMBER} {JANE_EMAIL}"))
    texts = fake.texts()
    assert any(f"Order #{JANE_ORDER_NUMBER}: Paid" in text for text in texts)
    assert any("Code sent to j***e@gmail.com" in text for text in texts)
    assert fake.photos() == []
    for call in fake.sent("sendMessage"):
        markup = call.json("reply_markup") if "reply_markup" in call.params else {}
        buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
        assert all("url" not in button for button in buttons)
        assert JANE_EMAIL not in call.params["text"]
    assert not any(uuid in " ".join(texts) for uuid in jane_tickets)

    await served.deliver(text_update(2, outbox.last_code(JANE_EMAIL)))
    photos = fake.photos()
    assert sorted(decode_qr(png) for png, _ in photos) == sorted(jane_tickets)
