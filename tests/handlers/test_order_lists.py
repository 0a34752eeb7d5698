"""The fan's order list: upcoming first (soonest first), past orders on request (latest first),
"previous" and "next" in both, old ``orders:<page>`` buttons, forged pages, and what it costs ACME.

Expected lists are worked out here from ACME's own answers (the sandbox moves its dates with the
day it starts, so which of Alex's jazz nights is still ahead depends on the weekday)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.app.bootstrap import Usher
from handlers.find_order import FindOrder
from tests.handlers.test_hidden_dates import DATE, hide_dates
from tests.handlers.test_journeys import verify_by_code
from tests.support.chat import Chat, Outbox

ALEX_STORED_PHONE = "(415) 555-0134"
OVER_AFTER = timedelta(hours=6)
NUMBER = re.compile(r"^#(\d+) · ", re.MULTILINE)
#: Alex's refunded and voided orders (the sandbox seed's n=6 and n=11), both long over.
REFUNDED, VOIDED = "100150007", "100150012"


async def alex_times(usher: Usher) -> dict[str, list[datetime]]:
    """Each of Alex's orders (by number) and its event start times, as ACME has them."""
    found: dict[str, list[datetime]] = {}
    async for summary in usher.acme.iter_orders(phone=ALEX_STORED_PHONE):
        order = await usher.acme.get_order(summary.id)
        starts = [i.event_start_time for i in order.order_items if i.event_start_time]
        found[str(order.order_number)] = starts
    assert len(found) == 25
    return found


def expected(times: dict[str, list[datetime]], now: datetime) -> tuple[list[str], list[str]]:
    """(upcoming soonest first, past latest first): the rule written out independently."""
    cutoff = now - OVER_AFTER
    up = [n for n, starts in times.items() if max(starts) >= cutoff]
    past = [n for n in times if n not in up]
    up.sort(key=lambda n: min(t for t in times[n] if t >= cutoff))
    past.sort(key=lambda n: max(times[n]), reverse=True)
    return up, past


def numbers(chat: Chat) -> list[str]:
    return NUMBER.findall(chat.text)


def labels(chat: Chat) -> dict[str, str]:
    return {b["payload"]: b["label"] for reply in chat.last for b in reply["buttons"]}


def line_of(chat: Chat, number: str) -> str:
    return next(line for line in chat.text.splitlines() if line.startswith(f"#{number} "))


async def alex(usher: Usher, user: str) -> Chat:
    chat = Chat(usher, user)
    await chat.say("my orders")
    await chat.share("+14155550134")
    return chat


async def test_upcoming_orders_come_first_and_past_ones_wait_behind_a_button(
    usher: Usher,
) -> None:
    up, past = expected(await alex_times(usher), datetime.now(UTC))
    assert 0 < len(up) <= 5 < len(past)
    chat = await alex(usher, "ol1")
    assert f"Your orders (1–{len(up)} of {len(up)} upcoming):" in chat.text
    assert numbers(chat) == up
    assert labels(chat)["orders:past:1"] == f"Past orders ({len(past)})"
    assert not [p for p in labels(chat) if p.startswith("orders:up:")], "one page: no paging"
    assert all(line_of(chat, n).endswith(("Paid", "Checked in")) for n in up)


async def test_past_orders_on_request_latest_first_with_previous_and_next(usher: Usher) -> None:
    up, past = expected(await alex_times(usher), datetime.now(UTC))
    chat = await alex(usher, "ol2")
    await chat.press("orders:past:1")
    assert f"Your past orders (1–5 of {len(past)}):" in chat.text
    assert numbers(chat) == past[:5]
    first_page = chat.text
    assert labels(chat)["orders:past:2"] == "Next ▶"
    assert "◀ Previous" not in labels(chat).values()
    assert labels(chat)["orders:up:1"] == f"Upcoming orders ({len(up)})"

    await chat.press("orders:past:2")
    assert f"Your past orders (6–10 of {len(past)}):" in chat.text
    assert numbers(chat) == past[5:10]
    assert labels(chat)["orders:past:1"] == "◀ Previous"
    assert labels(chat)["orders:past:3"] == "Next ▶"

    await chat.press("orders:past:1")  # "previous" from page 2
    assert chat.text == first_page

    seen: list[str] = []
    lines: dict[str, str] = {}
    page = 1
    while True:
        await chat.press(f"orders:past:{page}")
        seen += numbers(chat)
        lines |= {n: line_of(chat, n) for n in numbers(chat)}
        if f"orders:past:{page + 1}" not in labels(chat):
            break
        page += 1
    assert seen == past
    assert page == (len(past) + 4) // 5
    assert "Next ▶" not in labels(chat).values()
    assert lines[REFUNDED].endswith("· Refunded")
    assert lines[VOIDED].endswith("· Voided: these tickets no longer get anyone in")
    others = [line for n, line in lines.items() if n not in (REFUNDED, VOIDED)]
    assert all(line.endswith(("· Past", "· Checked in")) for line in others)


@pytest.fixture
def earlier(usher: Usher) -> Usher:
    """Usher whose order list lives 50 days before the sandbox's day: all of Alex's orders are
    ahead (only the list's clock moves: proofs and throttles keep the real one)."""
    find_order = usher.conversation.routes.intents["find_order"]
    assert isinstance(find_order, FindOrder)
    find_order.clock = lambda: time.time() - 50 * 86400
    return usher


async def test_the_upcoming_list_pages_both_ways_and_old_buttons_open_it(earlier: Usher) -> None:
    now = datetime.now(UTC) - timedelta(days=50)
    up, past = expected(await alex_times(earlier), now)
    assert (len(up), past) == (25, [])
    chat = await alex(earlier, "ol3")
    assert "Your orders (1–5 of 25 upcoming):" in chat.text
    assert numbers(chat) == up[:5]
    assert labels(chat)["orders:up:2"] == "Next ▶"
    assert "orders:past:1" not in labels(chat), "nothing past: no past button"
    await chat.press("orders:up:1")
    first_page = chat.text

    await chat.press("orders:up:2")
    assert "Your orders (6–10 of 25 upcoming):" in chat.text
    assert numbers(chat) == up[5:10]
    assert labels(chat)["orders:up:1"] == "◀ Previous"
    assert labels(chat)["orders:up:3"] == "Next ▶"
    second_page = chat.text

    await chat.press("orders:up:1")
    assert chat.text == first_page
    await chat.press("orders:2")  # a button from before the two lists
    assert chat.text == second_page
    await chat.press("orders")
    assert chat.text == first_page
    await chat.press("orders:past:1")  # nothing past: the upcoming list, not an error
    assert chat.text == first_page


@pytest.mark.parametrize(
    ("pressed", "same_as"),
    [
        ("orders:past:abc", "orders:past:1"),
        ("orders:past:-1", "orders:past:1"),
        ("orders:past:", "orders:past:1"),
        ("orders:past:99999999999", "orders:past:5"),
        ("orders:past:" + "9" * 50, "orders:past:5"),
        ("orders:past:２", "orders:past:1"),
        ("orders:up:0", "orders:up:1"),
        ("orders:up:7", "orders:up:1"),
        ("orders:sideways:2", "orders:up:1"),
        ("orders:99999999999", "orders:up:1"),
        ("orders:-1", "orders:up:1"),
    ],
)
async def test_bad_list_buttons_open_a_real_page(usher: Usher, pressed: str, same_as: str) -> None:
    _, past = expected(await alex_times(usher), datetime.now(UTC))
    assert (len(past) + 4) // 5 == 5  # the last past page, as the cases above name it
    chat = await alex(usher, "ol4")
    await chat.press(same_as)
    wanted = chat.text
    await chat.press(pressed)
    assert chat.text == wanted


async def test_a_fan_with_only_past_orders_is_told_so_and_offered_them(
    usher: Usher, outbox: Outbox
) -> None:
    chat = Chat(usher, "ol5")
    await chat.say("my orders")
    await verify_by_code(chat, outbox, "janedoe@gmail.com")  # the documented 2021 order
    assert "Nothing upcoming in your orders." in chat.text
    assert "#" not in chat.text
    assert labels(chat) == {"orders:past:1": "Past orders (1)"}
    await chat.press("orders:past:1")
    assert "Your past orders (1–1 of 1):" in chat.text
    assert "Fri 14 May 2021" in chat.text
    assert not [p for p in labels(chat) if p.startswith("orders:up")]
    await chat.press("orders:up:3")
    assert "Nothing upcoming in your orders." in chat.text


async def test_a_fan_with_no_orders_gets_no_orders_from_either_list(
    usher: Usher, outbox: Outbox
) -> None:
    chat = Chat(usher, "ol6")
    await chat.say("my orders")
    await verify_by_code(chat, outbox, "noah.kim@example.com")
    assert "couldn't find any orders" in chat.text
    for pressed in ("orders:past:1", "orders:up:1", "orders:2"):
        await chat.press(pressed)
        assert "couldn't find any orders" in chat.text


async def test_voided_and_refunded_orders_are_named_in_either_list(
    usher: Usher, outbox: Outbox
) -> None:
    marcus = Chat(usher, "ol7")
    await marcus.say("my orders")
    await verify_by_code(marcus, outbox, "marcus.lee@example.com")
    assert line_of(marcus, "100150203").endswith("· Voided: these tickets no longer get anyone in")
    priya = Chat(usher, "ol8")
    await priya.say("my orders")
    await verify_by_code(priya, outbox, "priya.shah@example.com")
    assert "#100150103" not in priya.text, "a refunded past order is not upcoming"
    await priya.press("orders:past:1")
    assert line_of(priya, "100150103").endswith("· Refunded")


async def test_hidden_dates_stay_hidden_in_both_lists(usher: Usher) -> None:
    hide_dates(usher, "30270001")  # Alex's oldest order, long over
    _, past = expected(await alex_times(usher), datetime.now(UTC))
    chat = await alex(usher, "ol9")
    await chat.press(f"orders:past:{(len(past) + 4) // 5}")
    assert not DATE.search(line_of(chat, "100150001"))
    assert all(DATE.search(line_of(chat, n)) for n in numbers(chat) if n != "100150001")
    sofia = Chat(usher, "ol10")  # Sofia's hidden order is upcoming: no date either
    await sofia.say("my orders")
    await sofia.share("+442079460958")
    assert not DATE.search(line_of(sofia, "100150301"))


class AcmeCalls:
    """Counts ACME order calls (an httpx request hook): searches and single-order gets."""

    def __init__(self, usher: Usher) -> None:
        self.searches = self.gets = 0
        for client in usher.http_clients:
            client.event_hooks["request"].append(self._record)

    async def _record(self, request: httpx.Request) -> None:
        if request.url.path.endswith("/v2/b2c/orders/search"):
            self.searches += 1
        elif "/v2/b2c/orders/" in request.url.path:
            self.gets += 1

    def take(self) -> tuple[int, int]:
        taken = (self.searches, self.gets)
        self.searches = self.gets = 0
        return taken


async def drop_cache(usher: Usher, pattern: str) -> None:
    keys = await usher.store.redis.keys(usher.store.key("cache", "acme", pattern))
    if keys:
        await usher.store.redis.delete(*keys)


async def test_what_a_list_turn_costs_acme_for_a_fan_with_25_orders(usher: Usher) -> None:
    """Cold: every order once (their times are unknown). Warm: nothing. Details expired but
    times kept (a day): the page's orders only. A past page: its own orders only."""
    up, _ = expected(await alex_times(usher), datetime.now(UTC))
    calls = AcmeCalls(usher)
    chat = await alex(usher, "ol11")
    searches, gets = calls.take()
    assert gets == 25
    assert 1 <= searches <= 3  # the phone's spellings until one finds the orders
    await chat.say("my orders")
    assert calls.take() == (0, 0)
    await drop_cache(usher, "order:*")
    await drop_cache(usher, "search:*")
    await chat.say("my orders")
    assert calls.take() == (1, len(up))  # the winning spelling is remembered
    await chat.press("orders:past:3")
    assert calls.take() == (0, 5)
