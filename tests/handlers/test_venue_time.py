"""Every time a fan reads is the venue's: the sandbox's 19:30 jazz night reads 19:30."""

from __future__ import annotations

import re

from bot.app.bootstrap import Usher
from tests.support.chat import Chat

ALEX_PHONE = "+14155550134"
VENUE_EVENING = re.compile(r"Evening Jazz Concert\n\w{3} \d{1,2} \w{3} \d{4}, 19:30 P[SD]T")


async def test_the_jazz_night_reads_1930_venue_time_with_its_zone(usher: Usher) -> None:
    assert usher.settings.zone().key == "America/Los_Angeles"
    chat = Chat(usher, "tz1")
    await chat.say("my tickets")
    await chat.share(ALEX_PHONE)
    await chat.say("tickets for the jazz concert")
    assert VENUE_EVENING.search(chat.text), chat.text
    assert "02:30" not in chat.text
    assert "03:30" not in chat.text


async def test_order_lists_and_details_use_the_venue_clock_too(usher: Usher) -> None:
    chat = Chat(usher, "tz2")
    await chat.say("my orders")
    await chat.share(ALEX_PHONE)
    assert re.search(r"Evening Jazz Concert · \w{3} \d{1,2} \w{3} \d{4}, 19:30 P[SD]T", chat.text)
