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
    assert not DATE.search(line_of(chat.text, HIDDEN))  # upcoming
    listed = chat.text
    if "orders:past:1" in chat.payloads:  # 30270302's jazz night may still be ahead this week
        await chat.press("orders:past:1")
        listed += "\n" + chat.text
    assert DATE.search(line_of(listed, SHOWN))
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


def hide_dates(usher: Usher, order_id: str) -> None:
    """Set ``hideEventDate`` on a sandbox order, in both of its faces (get and search)."""
    assert usher.sandbox is not None
    state = usher.sandbox.acme.state.acme
    with state.lock:
        record = state.orders[order_id]
        record.detail["hideEventDate"] = True
        record.summary["hideEventDate"] = True


def button_labels(chat: Chat) -> dict[str, str]:
    return {b["payload"]: b["label"] for reply in chat.last for b in reply["buttons"]}


async def test_an_other_event_button_leaves_the_hidden_date_out(
    usher: Usher, outbox: Outbox
) -> None:
    """Lena holds the next jazz night (shown), a tour (order 30270402) and a museum visit
    (30270403), offered as buttons; the tour's order hides its dates, the visit's does not."""
    hide_dates(usher, "30270402")
    chat = Chat(usher, "hd3")
    await chat.say("my tickets")
    await verify_by_code(chat, outbox, "lena.park@example.com")
    labels = button_labels(chat)
    events = [label for payload, label in labels.items() if payload.startswith("tickets:ev:")]
    assert len(events) == 2, labels
    tour = next(label for label in events if "Tour" in label)
    visit = next(label for label in events if "Tour" not in label)
    assert not DATE.search(tour), tour
    assert DATE.search(visit), visit
    await chat.say("tickets for the zoo")  # names none of hers: her events are offered again
    labels = button_labels(chat)
    tour = next(label for label in labels.values() if "Tour" in label)
    assert not DATE.search(tour), tour
    assert any(DATE.search(label) for label in labels.values())


async def test_nothing_upcoming_names_a_hidden_date_order_without_its_date(
    usher: Usher, outbox: Outbox
) -> None:
    """Jane's documented order is over; when it hides its dates, the "nothing upcoming" line
    names it and says why, with no date."""
    chat = Chat(usher, "hd4")
    await chat.say("my tickets")
    await verify_by_code(chat, outbox, "janedoe@gmail.com")
    assert "#100148401" in chat.text
    assert DATE.search(line_of_bullet(chat.text, "100148401")), chat.text
    hide_dates(usher, "30263798")
    await drop_cached_orders(usher)
    await chat.say("my tickets")
    line = line_of_bullet(chat.text, "100148401")
    assert "the event is over" in line
    assert not DATE.search(line), line


def line_of_bullet(text: str, number: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"• #{number}"))


async def drop_cached_orders(usher: Usher) -> None:
    keys = await usher.store.redis.keys(usher.store.key("cache", "*"))
    if keys:
        await usher.store.redis.delete(*keys)


async def test_an_add_on_event_button_leaves_the_hidden_date_out(
    usher: Usher, outbox: Outbox
) -> None:
    """Lena's add-ons: a button per upcoming event; the tour's order hides its dates."""
    hide_dates(usher, "30270402")
    chat = Chat(usher, "hd5")
    await chat.say("add parking")
    await verify_by_code(chat, outbox, "lena.park@example.com")
    if not any(p.startswith("addons:") for p in chat.payloads):
        await chat.say("add parking")
    labels = [label for payload, label in button_labels(chat).items() if "addons:" in payload]
    assert len(labels) == 3, chat.last
    tour = next(label for label in labels if "Tour" in label)
    assert not DATE.search(tour), tour
    assert all(DATE.search(label) for label in labels if label != tour)
