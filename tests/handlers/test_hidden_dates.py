"""``hideEventDate: true`` ("hide dates on the tickets", acme-orders.txt): no date anywhere a
fan or an agent sees that order. Sofia's sandbox order 30270301 sets it; her order 30270302
does not, so each test also shows the date where it belongs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.slack.blocks import order_details, order_line
from bot.acme.models import Order
from bot.app.bootstrap import Usher
from tests.handlers.test_journeys import verify_by_code
from tests.support.chat import Chat, Outbox

SOFIA = "sofia.garcia@example.com"
HIDDEN, SHOWN = "100150301", "100150302"
DATA = Path(__file__).parents[1] / "data" / "acme"
#: A date as ``bot.formatting.when`` writes it, in either language.
DATE = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|ene|abr|ago|dic)")


def documented(hide: bool) -> Order:
    body = json.loads((DATA / "order_get_response.json").read_text())
    assert body["hideEventDate"] is False  # the document's own order shows its dates
    return Order.model_validate(body | {"hideEventDate": hide})


def line_of(text: str, number: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"#{number}"))


async def test_the_order_list_leaves_the_hidden_date_out(usher: Usher, outbox: Outbox) -> None:
    chat = Chat(usher, "hd1")
    await chat.say("my orders")
    await verify_by_code(chat, outbox, SOFIA)
    assert not DATE.search(line_of(chat.text, HIDDEN))
    assert DATE.search(line_of(chat.text, SHOWN))
    await chat.press("order:30270301")
    assert "#100150301" in chat.text
    items = [line for line in chat.text.splitlines() if line.startswith("•")]
    assert items
    assert not any(DATE.search(line) for line in items)


async def test_ticket_captions_leave_the_hidden_date_out(usher: Usher, outbox: Outbox) -> None:
    chat = Chat(usher, "hd2")
    await chat.say("my orders")
    await verify_by_code(chat, outbox, SOFIA)
    await chat.press("tickets:30270301")
    assert chat.qr_values, chat.text
    assert not DATE.search(chat.text)
    alts = [image["alt"] for reply in chat.last for image in reply["images"]]
    assert len(alts) == 3
    assert not any(DATE.search(alt) for alt in alts)
    await chat.press("tickets:30270302")
    assert DATE.search(chat.text)


def test_agents_see_no_hidden_date_on_the_documented_order() -> None:
    utc = ZoneInfo("UTC")
    # The document's Hiking starts at 1621029600000: Fri 14 May 2021, 22:00 UTC.
    assert "Fri 14 May 2021" in order_line(documented(False), utc)
    assert "Fri 14 May 2021" in order_details(documented(False), utc)
    hidden_line = order_line(documented(True), utc)
    assert "date hidden" in hidden_line
    assert not DATE.search(hidden_line.split("\n")[1])
    details = order_details(documented(True), utc)
    assert not any(DATE.search(line) for line in details.splitlines() if line.startswith("•"))
