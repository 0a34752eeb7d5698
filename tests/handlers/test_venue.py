"""Venue questions, policy requests and small talk: answered from config/venue.toml, no tickets."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.bootstrap import Usher
from bot.app.settings import load_settings
from bot.errors import ConfigError
from bot.venue import ANSWERS, DEFAULT_VENUE_FILE, VenueFileError, load_venue
from tests.support.chat import Chat

ALEX_PHONE = "+14155550134"


async def verified(usher: Usher, user: str) -> Chat:
    chat = Chat(usher, user)
    await chat.say("my orders")
    await chat.share(ALEX_PHONE)
    return chat


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("transfer my ticket to a friend", "not tied to a name"),
        ("I want to sell my ticket", "can't be resold"),
        ("cancel my order", "refunded up to 48 hours"),
        ("can I upgrade my seats?", "upgrade to another ticket type"),
        ("I lost my ticket", "cancel the old codes"),
    ],
)
async def test_policy_requests_get_the_policy_and_a_person_never_a_ticket(
    usher: Usher, text: str, expected: str
) -> None:
    chat = await verified(usher, f"p-{text[:12]}")
    await chat.say(text)
    assert expected in chat.text
    assert "person from our team" in chat.text
    assert "human" in chat.payloads
    assert chat.qr_values == []
    assert chat.urls == []


async def test_lost_ticket_keeps_the_tickets_one_tap_away(usher: Usher) -> None:
    chat = await verified(usher, "lost1")
    await chat.say("someone stole my tickets")
    assert chat.payloads == ["tickets", "human"]
    assert chat.qr_values == []
    await chat.press("human")
    assert "support team" in chat.text


async def test_a_stranger_gets_the_policy_too_without_verifying(usher: Usher) -> None:
    chat = Chat(usher, "stranger")
    await chat.say("how do I transfer my tickets to my wife")
    assert "not tied to a name" in chat.text
    assert "make sure it's you" not in chat.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what time do doors open?", "Doors open 30 minutes before"),
        ("where can I park?", "garage is next door"),
        ("can I bring a backpack?", "cloakroom"),
        ("is it wheelchair accessible?", "step-free"),
        ("can kids come?", "All ages are welcome"),
        ("box office hours?", "Tue-Sun 10:00-18:00"),
    ],
)
async def test_venue_questions_are_answered_from_the_venue_file(
    usher: Usher, text: str, expected: str
) -> None:
    chat = Chat(usher, f"v-{text[:10]}")
    await chat.say(text)
    assert expected in chat.text
    assert "didn't get that" not in chat.text


async def test_the_address_comes_with_a_map_and_parking_with_the_add_on(usher: Usher) -> None:
    chat = Chat(usher, "map")
    await chat.say("what's the address?")
    assert "100 Harbor Way" in chat.text
    assert chat.urls == [usher.settings.venue().map_url]
    await chat.say("is there parking?")
    assert chat.payloads == ["addons"]


async def test_spanish_questions_get_the_spanish_policy(usher: Usher) -> None:
    chat = Chat(usher, "es1", locale="es")
    await chat.say("¿a qué hora abren las puertas?")
    assert "Las puertas abren" in chat.text
    await chat.say("quiero vender mi entrada")
    assert "no se pueden revender" in chat.text


@pytest.mark.parametrize(
    ("text", "key_phrase"),
    [
        ("thanks!", "You're welcome"),
        ("ok", "👍"),
        ("bye", "Bye!"),
        ("🎉", "😊"),
    ],
)
async def test_small_talk_gets_a_short_friendly_answer(
    usher: Usher, text: str, key_phrase: str
) -> None:
    chat = Chat(usher, f"st-{text}")
    await chat.say(text)
    assert key_phrase in chat.text
    assert "didn't get that" not in chat.text


async def test_ok_while_a_question_is_open_keeps_the_question(usher: Usher) -> None:
    """ "Send me the coupon code." "ok" "AAA5": the ok is answered and the code still taken."""
    chat = Chat(usher, "st-code")
    await chat.say("I have a coupon")
    assert usher.conversation is not None
    await chat.say("ok")
    assert chat.text == "👍"
    await chat.say("AAA5")
    assert "cart" in chat.text.lower()


def test_the_shipped_venue_file_answers_everything_in_every_language() -> None:
    venue = load_venue(DEFAULT_VENUE_FILE)
    for lang in ("en", "es"):
        for topic in ANSWERS:
            assert venue.answer(topic, lang).strip()
    assert venue.map_url.startswith("https://")


def test_a_broken_venue_file_stops_the_start_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "venue.toml"
    text = DEFAULT_VENUE_FILE.read_text(encoding="utf-8")
    broken.write_text(text.replace("\nrefund = ", "\nrefnud = ", 1), encoding="utf-8")
    with pytest.raises(VenueFileError, match=r"\[en\] needs refund"):
        load_venue(broken)
    monkeypatch.setenv("USHER_VENUE_FILE", str(broken))
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith("USHER_VENUE_FILE: ")
    assert "\n" not in str(caught.value)


def test_a_placeholder_the_file_does_not_define_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "venue.toml"
    text = DEFAULT_VENUE_FILE.read_text(encoding="utf-8")
    broken.write_text(text.replace("on {phone}", "on {telephone}", 1), encoding="utf-8")
    with pytest.raises(VenueFileError, match=r"unknown \{telephone\}"):
        load_venue(broken)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('doors_open_before = "30m"', 'doors_open_before = "soon"', "doors_open_before must"),
        ('doors_open_before = "30m"', 'doors_open_before = "0m"', "doors_open_before must"),
        (
            'membership_url = "https://',
            'membership_url = "http://',
            "membership_url must be an https",
        ),
    ],
)
def test_the_doors_time_and_renewal_page_are_checked(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    assert load_venue(DEFAULT_VENUE_FILE).doors_before == 30 * 60
    broken = tmp_path / "venue.toml"
    broken.write_text(
        DEFAULT_VENUE_FILE.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8"
    )
    with pytest.raises(VenueFileError, match=problem):
        load_venue(broken)
