"""Ticket-page links: a genuine link's signature is checked once per process, its age always."""

from __future__ import annotations

import time

import pytest

from bot.links import LinkExpired, LinkInvalid, PageLink, TicketLinks, fan_digest
from bot.messages import Fan

SECRET = b"k" * 32
FAN = Fan("telegram", "42")


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_genuine_link_reads_the_same_every_time_and_expires_on_time() -> None:
    clock = Clock()
    links = TicketLinks(SECRET, "https://usher.test", max_age=60, clock=clock)
    token = links.token(FAN, "ref-1", "link-1")
    expected = PageLink("ref-1", fan_digest(FAN), "link-1")
    assert links.read(token) == expected
    clock.now += 59
    assert links.read(token) == expected  # the kept verification, the age checked again
    clock.now += 2
    with pytest.raises(LinkExpired):
        links.read(token)
    clock.now -= 3600  # a clock set back: a link "from the future" is refused, as itsdangerous
    with pytest.raises(LinkExpired):
        links.read(token)


def test_a_link_that_fails_is_checked_again_every_time() -> None:
    links = TicketLinks(SECRET, "https://usher.test")
    token = links.token(FAN, "ref-1")
    other = TicketLinks(b"x" * 32, "https://usher.test")
    for _ in range(2):
        with pytest.raises(LinkInvalid):
            other.read(token)
        with pytest.raises(LinkInvalid):
            links.read(token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))
    assert links.read(token).ref == "ref-1"
    with pytest.raises(LinkInvalid):
        other.read(token)  # another key's verification is its own
