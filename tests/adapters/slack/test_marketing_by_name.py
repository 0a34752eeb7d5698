"""Marketers name events as people do: "/usher link jazz", a date, or both; QR codes for posters.

The real Bolt app against the fake Slack; the events are the ACME simulator's catalog (the
"Evening Jazz Concert" every week at 19:30, general admission every day).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from adapters.sandbox.acme.catalog_data import JAZZ
from adapters.store.purchase_links import RedisLinkStore
from bot.buying.purchase_links import PurchaseLink, PurchaseLinks
from bot.formatting import when
from handlers.event_search import DAY_NAMES
from tests.support.fake_slack import texts
from tests.support.slack_env import AGENT, MARKETER, PUBLIC_URL, SlackEnv

pytestmark = pytest.mark.redis
STUDENT = "64b7f0c2a1d3e5f607100012"


async def made(slack: SlackEnv) -> list[PurchaseLink]:
    return [link for link, _ in await PurchaseLinks(RedisLinkStore(slack.usher.store)).report()]


def jazz_nights(slack: SlackEnv) -> list[tuple[str, datetime]]:
    """The simulator's upcoming jazz concerts (instance id, start), soonest first."""
    now = datetime.now(UTC)
    return sorted(
        (
            (instance.id, instance.start)
            for instance in slack.acme.catalog.instances_of(JAZZ.id)
            if now <= instance.start <= now + timedelta(days=90)
        ),
        key=lambda pair: pair[1],
    )


def select_of(answer: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The block id and the select of an answer that asks to pick an event."""
    [block] = [b for b in answer["blocks"] if b["type"] == "actions"]
    [select] = block["elements"]
    assert select["type"] == "static_select"
    return str(block["block_id"]), select


async def pick(slack: SlackEnv, user: str, block_id: str, instance: str) -> dict[str, Any]:
    before = len(slack.fake.responses)
    response = await slack.slack.select(user, "usher:link_pick", instance, block_id=block_id)
    assert response.status_code == 200
    await slack.settle()
    assert len(slack.fake.responses) == before + 1
    return slack.fake.responses[-1]


def decode(png: bytes) -> str:
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return str(found.text)


async def test_link_jazz_offers_the_matching_events_and_the_pick_makes_the_link(
    slack: SlackEnv,
) -> None:
    nights = jazz_nights(slack)
    assert len(nights) >= 4
    answer = await slack.ask("link jazz night student 2", MARKETER)
    assert f"*{len(nights)} events match `jazz night student`*" in texts(answer)
    block_id, select = select_of(answer)
    zone = slack.usher.settings.zone()
    assert [(o["value"], o["text"]["text"]) for o in select["options"]] == [
        (instance, f"{JAZZ.name} · {when(start, zone)}") for instance, start in nights
    ]
    assert await made(slack) == []  # nothing until the marketer picks

    instance, start = nights[1]
    shown = await pick(slack, MARKETER, block_id, instance)
    assert shown["replace_original"] is True
    [link] = await made(slack)
    assert (link.event_id, link.ticketing_type_id, link.quantity, link.coupon_code) == (
        instance,
        STUDENT,
        2,
        None,  # "night" fits nothing and has no digit: ignored, not a coupon
    )
    assert (link.event_name, link.event_start) == (JAZZ.name, start.timestamp())
    text = texts(shown)
    assert f"{JAZZ.name} ({when(start, zone)}) · Student × 2 · coupon -" in text
    assert "Ignored" in text
    assert "`night`" in text

    # The QR code for posters: PNG and SVG of the web link, in the marketer's DM.
    [complete] = slack.fake.of("files.completeUploadExternal")
    assert complete["channel_id"] == f"D{MARKETER}"
    [png] = [f for f in slack.fake.uploads.values() if f.startswith(b"\x89PNG")]
    [svg] = [f for f in slack.fake.uploads.values() if not f.startswith(b"\x89PNG")]
    assert len(slack.fake.uploads) == 2
    assert Image.open(io.BytesIO(png)).size[0] >= 1500  # print size
    assert decode(png) == f"{PUBLIC_URL}/l/{link.code}"
    assert b"<svg" in svg
    assert (MARKETER, "link", "") in await slack.audit()


async def test_a_name_and_a_date_that_fit_one_event_make_the_link_at_once(
    slack: SlackEnv,
) -> None:
    instance, start = jazz_nights(slack)[0]
    local = start.astimezone(slack.usher.settings.zone())
    typed = f"{DAY_NAMES[local.weekday()][:3]} {local.day} {local:%b}"
    answer = await slack.ask(f'link "jazz" {typed} aaa5 3', MARKETER)
    assert "Purchase link ready" in texts(answer)
    [link] = await made(slack)
    assert (link.event_id, link.quantity, link.coupon_code) == (instance, 3, "AAA5")
    assert len(slack.fake.of("files.completeUploadExternal")) == 1


async def test_a_date_alone_lists_that_days_events(slack: SlackEnv) -> None:
    instance, start = jazz_nights(slack)[0]
    local = start.astimezone(slack.usher.settings.zone())
    answer = await slack.ask(f"link {local:%d %B}", MARKETER)
    _, select = select_of(answer)
    names = {o["text"]["text"].split(" · ")[0] for o in select["options"]}
    assert JAZZ.name in names
    assert len(names) > 1
    assert instance in {o["value"] for o in select["options"]}


async def test_words_and_dates_that_fit_nothing_are_explained_and_make_nothing(
    slack: SlackEnv,
) -> None:
    answer = await slack.ask("link opera", MARKETER)
    assert answer["text"].startswith("No upcoming event in ACME's catalog matches `opera`")
    tomorrow = datetime.now(UTC).astimezone(slack.usher.settings.zone()) + timedelta(days=1)
    wrong = DAY_NAMES[(tomorrow.weekday() + 1) % 7][:3]
    answer = await slack.ask(f"link jazz {wrong} {tomorrow.day} {tomorrow:%b}", MARKETER)
    assert "doesn't add up: that day is a " + DAY_NAMES[tomorrow.weekday()] in answer["text"]
    answer = await slack.ask("link 31 Feb", MARKETER)
    assert answer["text"] == "`31 feb` is not a real date."
    assert await made(slack) == []


async def test_only_marketers_can_pick_and_a_forged_pick_is_checked(slack: SlackEnv) -> None:
    answer = await slack.ask("link jazz", MARKETER)
    block_id, select = select_of(answer)
    refused = await pick(slack, AGENT, block_id, select["options"][0]["value"])
    assert "for the support and marketing teams" in refused["text"]
    forged = await pick(slack, MARKETER, block_id, "000000000000000000000000")
    assert forged["text"] == "ACME has no event `000000000000000000000000`."
    bad = await pick(slack, MARKETER, "usher:link_pick{not json", select["options"][0]["value"])
    assert bad["text"].startswith("Usage: `/usher link")
    assert await made(slack) == []


async def test_links_shows_event_names_dates_and_conversion(slack: SlackEnv) -> None:
    instance, start = jazz_nights(slack)[0]
    answer = await slack.ask(f"link {instance} 2", MARKETER)
    code = next(link.code for link in await made(slack))
    store = RedisLinkStore(slack.usher.store)
    for stat in ("clicks",) * 8 + ("carts",) * 3 + ("purchases",) * 2:
        await store.count(code, stat)
    assert "Purchase link ready" in texts(answer)
    listed = texts(await slack.ask("links", MARKETER))
    zone = slack.usher.settings.zone()
    assert (
        f"*{JAZZ.name}*, {when(start, zone)} × 2 · 8 clicks · 3 carts · 2 purchases"
        " · 25.0 % conversion" in listed
    )
