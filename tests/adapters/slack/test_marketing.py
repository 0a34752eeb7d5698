"""Marketing in Slack: purchase links made with /usher link, opened by fans, counted, revoked."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from adapters.sandbox.acme.catalog_data import ADULT, DOCUMENTED_TOUR_INSTANCE
from adapters.store.purchase_links import RedisLinkStore
from bot import copy
from bot.buying.purchase_links import PurchaseLinks
from tests.support.chat import Chat
from tests.support.slack_env import AGENT, MARKETER, PUBLIC_URL, SlackEnv

pytestmark = pytest.mark.redis
EVENT = DOCUMENTED_TOUR_INSTANCE  # "Behind-the-Scenes Tour", Adult at 32.00


def links(slack: SlackEnv) -> PurchaseLinks:
    return PurchaseLinks(RedisLinkStore(slack.usher.store))


async def test_a_marketers_link_opens_for_fans_until_it_is_revoked(slack: SlackEnv) -> None:
    answer = (await slack.ask(f"link {EVENT} adult 2 aaa5 7d", MARKETER))["text"]
    found = re.search(r"start=([A-Za-z0-9_-]{1,64})(?![A-Za-z0-9_-])", answer)
    assert found is not None
    code = found.group(1)
    assert f"https://t.me/usher_test_bot?start={code}" in answer
    assert f"{PUBLIC_URL}/l/{code}" in answer
    assert "Behind-the-Scenes Tour · Adult × 2 · coupon AAA5" in answer
    link = await links(slack).store.get(code)
    assert link is not None
    assert (link.event_id, link.ticketing_type_id, link.quantity, link.coupon_code) == (
        EVENT,
        ADULT,
        2,
        "AAA5",
    )
    assert link.expires_at is not None
    assert abs(link.expires_at - (datetime.now(UTC) + timedelta(days=7)).timestamp()) < 60

    fan = Chat(slack.usher, "buyer")
    await fan.say(f"/start {code}")
    assert fan.text != copy.text("link_gone")
    [(_, stats)] = await links(slack).report()
    assert stats["clicks"] == 1
    assert stats["purchases"] == 0
    listed = (await slack.ask("links", MARKETER))["blocks"]
    line = next(b["text"]["text"] for b in listed if code in b["text"]["text"])
    assert "active" in line
    assert f"1 clicks · {stats['carts']} carts · 0 purchases" in line

    revoked = await slack.ask(f"revoke {code}", MARKETER)
    assert (
        revoked["text"]
        == f"Link `{code}` is switched off. Fans who open it are told it has expired."
    )
    await fan.say(f"/start {code}")
    assert fan.text == copy.text("link_gone")
    listed = (await slack.ask("links", MARKETER))["blocks"]
    assert any(code in b["text"]["text"] and "revoked" in b["text"]["text"] for b in listed)
    assert [(who, what) for who, what, _ in await slack.audit()] == [
        (MARKETER, "link"),
        (MARKETER, "revoke"),
    ]


async def test_a_word_that_is_no_ticket_type_is_taken_for_a_coupon_and_said_so(
    slack: SlackEnv,
) -> None:
    answer = (await slack.ask(f"link {EVENT} VIP", MARKETER))["text"]
    assert "the fan picks the ticket type × 1 · coupon VIP" in answer
    answer = (await slack.ask(f"link {EVENT} coupon=48H type=adult", MARKETER))["text"]
    assert "Adult × 1 · coupon 48H · expires never" in answer
    answer = (await slack.ask(f"link {EVENT} VIP coupon=48H", MARKETER))["text"]
    assert answer == "You gave the coupon twice (`48H`)."
    assert sorted(link.coupon_code or "" for link, _ in await links(slack).report()) == [
        "48H",
        "VIP",
    ]


async def test_a_date_expiry_lasts_through_that_day_and_options_come_in_any_order(
    slack: SlackEnv,
) -> None:
    day = date.today() + timedelta(days=30)
    await slack.ask(f"link {EVENT} {day.isoformat()} 3", MARKETER)
    [(link, _)] = await links(slack).report()
    # Through that day at the venue (the sandbox venue's zone here).
    zone = slack.usher.settings.zone()
    midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
    assert link.expires_at == midnight.timestamp()
    assert (link.quantity, link.ticketing_type_id, link.coupon_code) == (3, None, None)


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ("", "Usage: `/usher link"),
        ('"unbalanced', "Usage: `/usher link"),
        ("000000000000000000000000", "ACME has no event"),
        (
            f"{EVENT} type=VIP",
            "I can't place `type=VIP`: it is not one of this event's ticket types (Adult",
        ),
        (f"{EVENT} quantity=two", "I can't place `quantity=two`"),
        (f"{EVENT} colour=red", "I can't place `colour=red`"),
        (f"{EVENT} 21", "The quantity must be 1 to 20"),
        (f"{EVENT} 0", "The quantity must be 1 to 20"),
        (f"{EVENT} 2 3", "You gave the quantity twice"),
        (f"{EVENT} Adult Child", "You gave the ticket type twice"),
        (f"{EVENT} 2001-01-01", "is not a usable expiry"),
        (f"{EVENT} 2030-02-30", "is not a usable expiry"),
        (f"{EVENT} 400d", "is not a usable expiry"),
        (f"{EVENT} no!coupon", "I can't place `no!coupon`"),
    ],
)
async def test_bad_links_are_explained_and_nothing_is_made(
    slack: SlackEnv, arguments: str, says: str
) -> None:
    answer = await slack.ask(f"link {arguments}", MARKETER)
    assert answer["text"].startswith(says) or says in answer["text"]
    assert await links(slack).report() == []


async def test_only_marketers_make_list_or_revoke_links(slack: SlackEnv) -> None:
    for command in (f"link {EVENT}", "links", "revoke abc"):
        answer = await slack.ask(command, AGENT)
        assert "not part of your role" in answer["text"]
    assert await links(slack).report() == []
    unknown = await slack.ask("revoke nope", MARKETER)
    assert unknown["text"] == "There is no link `nope`."


async def test_a_marketer_broadcasts_a_link_to_opted_in_fans(slack: SlackEnv) -> None:
    """``/usher broadcast`` queues the worker's broadcast; bad codes are refused clearly."""
    answer = (await slack.ask(f"link {EVENT} adult 1", MARKETER))["text"]
    found = re.search(r"start=([A-Za-z0-9_-]{1,64})(?![A-Za-z0-9_-])", answer)
    assert found is not None
    code = found.group(1)
    started = (await slack.ask(f"broadcast {code}", MARKETER))["text"]
    match = re.search(r"Broadcast `([A-Za-z0-9_-]+)`", started)
    assert match is not None, started
    status = await slack.usher.scheduling.broadcasts.status(match.group(1))
    assert status is not None
    assert status.link_code == code
    assert "no link" in (await slack.ask("broadcast nope", MARKETER))["text"]
    assert "Which link" in (await slack.ask("broadcast", MARKETER))["text"]
    assert "broadcast" not in (await slack.ask(f"broadcast {code}", AGENT))["text"].lower()
    assert (MARKETER, "broadcast") in [(w, a) for w, a, _ in await slack.audit()]
