"""The intent recogniser against its labelled phrasings, its commands, slots and limits.

``tests/data/intents/tune.jsonl`` must match exactly, line by line. ``heldout.jsonl`` and
``heldout_conversations.jsonl`` were written before any tuning and are only held to accuracy
floors: pinning their lines one by one would turn them into more tune sets.
"""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path
from typing import Any, get_args

import pytest

from bot.intents.lexicon import COMBOS, PHRASES, VOCABULARY
from bot.intents.recognise import SLOT_NAMES, Intent, Recognition, recognise
from bot.intents.text import MAX_CHARS, clean, correct, osa_distance

DATA = Path(__file__).resolve().parents[2] / "data" / "intents"
INTENTS = set(get_args(Intent))


def load(name: str) -> list[dict[str, Any]]:
    with (DATA / f"{name}.jsonl").open(encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


TUNE = load("tune")
HELDOUT = load("heldout")
CONVERSATIONS = load("heldout_conversations")
NEW_INTENTS = (
    "transfer_ticket",
    "resell_ticket",
    "refund",
    "upgrade",
    "lost_ticket",
    "venue_question",
    "small_talk",
)


@pytest.mark.parametrize("row", TUNE, ids=[f"{i}:{r['text'][:40]!r}" for i, r in enumerate(TUNE)])
def test_tune_line_matches_exactly(row: dict[str, Any]) -> None:
    got = recognise(row["text"])
    assert (got.intent, got.slots) == (row["intent"], row.get("slots", {}))


def test_heldout_accuracy() -> None:
    results = [(recognise(row["text"]), row) for row in HELDOUT]
    intent_ok = sum(got.intent == row["intent"] for got, row in results)
    exact_ok = sum(
        got.intent == row["intent"] and got.slots == row.get("slots", {}) for got, row in results
    )
    assert intent_ok / len(HELDOUT) >= 0.95
    assert exact_ok / len(HELDOUT) >= 0.90


def test_conversation_heldout_accuracy() -> None:
    """Issue 16's held-out set: 97 % overall, and no new intent below 90 %."""
    results = [(recognise(row["text"]), row) for row in CONVERSATIONS]
    intent_ok = sum(got.intent == row["intent"] for got, row in results)
    assert intent_ok / len(CONVERSATIONS) >= 0.97
    for intent in NEW_INTENTS:
        rows = [(got, row) for got, row in results if row["intent"] == intent]
        assert len(rows) >= 20, intent
        assert sum(got.intent == intent for got, _ in rows) / len(rows) >= 0.90, intent


def test_labelled_data_is_big_varied_and_disjoint() -> None:
    assert len(HELDOUT) >= 100
    assert len(CONVERSATIONS) >= 250
    assert len(TUNE) + len(HELDOUT) >= 300
    heldout = HELDOUT + CONVERSATIONS
    for rows in (TUNE, heldout):
        assert {row["intent"] for row in rows} == INTENTS
        assert {name for row in rows for name in row.get("slots", {})} == set(SLOT_NAMES)
        for row in rows:
            assert set(row) <= {"text", "intent", "slots"}
            assert row["intent"] in INTENTS
            assert set(row.get("slots", {})) <= set(SLOT_NAMES)
            assert row.get("slots", True), "write slots only where present"
    assert not {row["text"] for row in TUNE} & {row["text"] for row in heldout}
    assert not {row["text"] for row in HELDOUT} & {row["text"] for row in CONVERSATIONS}


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        ("/tickets", "show_tickets", {}),
        ("/tickets@usher_bot", "show_tickets", {}),
        ("/TICKETS@Usher_Bot", "show_tickets", {}),
        ("  /orders@usher_bot   #100148401  ", "find_order", {"order_number": "100148401"}),
        ("/orders 4155550134", "find_order", {"order_number": "4155550134"}),
        ("/orders +1 415 555 0134", "find_order", {"phone": "+14155550134"}),
        ("/coupon AAA5", "apply_coupon", {"coupon_code": "AAA5"}),
        ("/coupon@usher_bot summer", "apply_coupon", {"coupon_code": "SUMMER"}),
        ("/membership 5970603", "apply_membership", {"membership_id": "5970603"}),
        ("/addons parking 2", "buy_addon", {"quantity": 2}),
        ("/addons@usher_bot two", "buy_addon", {"quantity": 2}),
        ("/help", "help", {}),
        ("/cancel@usher_bot", "cancel", {}),
        ("/human", "human", {}),
        ("/agent", "human", {}),
        ("/start", "help", {}),
        ("/start@usher_bot", "help", {}),
        ("/start tickets", "show_tickets", {}),
        ("/start order_100148401", "find_order", {"order_number": "100148401"}),
        ("/start Xk3j9aQ_zz-1", "help", {}),
        ("/nosuchcommand", "unknown", {}),
        ("/nosuchcommand@usher_bot tickets", "unknown", {}),
        ("/", "unknown", {}),
        ("/tickets. please", "show_tickets", {}),
        ("please /tickets", "show_tickets", {}),
    ],
)
def test_commands(text: str, intent: str, slots: dict[str, Any]) -> None:
    got = recognise(text)
    assert (got.intent, got.slots) == (intent, slots)


@pytest.mark.parametrize(
    ("text", "slot", "value"),
    [
        ("JANE.Doe@Example.COM", "email", "jane.doe@example.com"),
        ("jane@x.com.", "email", "jane@x.com"),
        ("+1 (415) 555-0134", "phone", "+14155550134"),
        ("415-555-0134", "phone", "+14155550134"),
        ("415 555 0134", "phone", "+14155550134"),
        ("(415)555-0134", "phone", "+14155550134"),
        ("+34 612 34 56 78", "phone", "+34612345678"),
        ("+34612345678", "phone", "+34612345678"),
        ("4155550134", "phone", "+14155550134"),
        ("my order 4155550134", "order_number", "4155550134"),
        ("#100148401", "order_number", "100148401"),
        ("order no. 30263798", "order_number", "30263798"),
        ("１００１４８４０１", "order_number", "100148401"),
        ("membership card ab12cd", "membership_id", "AB12CD"),
        ("socio nº 5970603", "membership_id", "5970603"),
        ("promo code summer10", "coupon_code", "SUMMER10"),
        ("cupón VERANO", "coupon_code", "VERANO"),
        ("add parking for 2", "quantity", 2),
        ("parking x3", "quantity", 3),
        ("audio guide for ten", "quantity", 10),
        ("aparcamiento para cinco", "quantity", 5),
        ("a couple of audio guides", "quantity", 2),
        ("un par de audioguías", "quantity", 2),
    ],
)
def test_slot_normalisation(text: str, slot: str, value: str | int) -> None:
    assert recognise(text).slots[slot] == value


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("coupon not working", "coupon_code"),  # lower-case words are not codes
        ("USE CODE NOW", "coupon_code"),  # known words are not codes, even in capitals
        ("I bought 2 tickets", "quantity"),  # counts are read for add-ons only
        ("mi telefono es 612 34 56 78", "phone"),  # not a valid US number, no country code
        ("order 30263798 12", "phone"),  # an order number beside a count is no phone
        ("12345", "order_number"),  # too short for an ACME order number
        ("see https://example.com/orders/100148401", "order_number"),  # links are dropped
        ("member 123", "membership_id"),
    ],
)
def test_slot_not_invented(text: str, absent: str) -> None:
    assert absent not in recognise(text).slots


def test_bare_ten_digits_prefer_phone_unless_an_order_is_mentioned() -> None:
    assert recognise("4155550134").slots == {"phone": "+14155550134"}
    assert recognise("pedido 4155550134").slots == {"order_number": "4155550134"}
    assert recognise("confirmation code 4155550134").slots == {"order_number": "4155550134"}
    assert recognise("1001484012").slots == {"order_number": "1001484012"}  # no such area code


def test_only_the_first_max_chars_are_read() -> None:
    filler = "z" * MAX_CHARS
    assert recognise(filler + " tickets").intent == "unknown"
    assert recognise("tickets " + filler).intent == "show_tickets"
    assert recognise("tickets " + "blah " * (MAX_CHARS // 5)).intent == "show_tickets"


def test_a_huge_message_is_read_no_further_than_a_long_one() -> None:
    """What a 1.5 MB message costs is what its first MAX_CHARS cost: the rest is never read
    (the speed itself is bench.intents' to measure, not a test's)."""
    huge = "tickets jane@x.com 4155550134 " * 50_000
    assert recognise(huge) == recognise(huge[:MAX_CHARS])
    assert len(clean(huge)) <= MAX_CHARS
    hidden = "hello there " * (MAX_CHARS // 12 + 1) + "where are my tickets"
    assert recognise(hidden).intent != "show_tickets"  # past the limit: never looked at


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\x00",
        "\u200b",
        "😭" * 50,
        "<" * 3000,
        "@" * 3000,
        "+1 " * 900,
        "#" * 3000,
        "\ud800",
        "a@b@c.com",
        "\N{RIGHT-TO-LEFT OVERRIDE}tickets",
        "9" * 5000,
    ],
)
def test_hostile_input_never_raises(text: str) -> None:
    got = recognise(text)
    assert got.intent in INTENTS
    assert set(got.slots) <= set(SLOT_NAMES)


def test_random_input_gives_well_formed_results() -> None:
    rng = random.Random(20240611)
    alphabet = "abcdeíñoprstuxz0123456789 +-#@.()/<>*_\n\t😭🎟️"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 120)))
        got = recognise(text)
        assert got.intent in INTENTS
        assert list(got.slots) == [name for name in SLOT_NAMES if name in got.slots]
        for name, value in got.slots.items():
            assert isinstance(value, int if name == "quantity" else str)


def test_to_json_is_exactly_the_contract() -> None:
    got = recognise("I have a promo code SUMMER10")
    assert got.to_json() == '{"intent": "apply_coupon", "slots": {"coupon_code": "SUMMER10"}}'
    assert json.loads(recognise("").to_json()) == {"intent": "unknown", "slots": {}}
    assert list(json.loads(got.to_json())) == ["intent", "slots"]


def test_recognition_is_frozen_and_deterministic() -> None:
    got = recognise("add parking for 2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.intent = "help"  # type: ignore[misc]
    correct.cache_clear()
    assert recognise("add parking for 2") == got == Recognition("buy_addon", {"quantity": 2})


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("tickts", "tickets"),
        ("ticktes", "tickets"),
        ("oder", "order"),
        ("membreship", "membership"),
        ("pleaseeee", "please"),
        ("hiii", "hi"),
        ("goood", "good"),
        ("estacionamiento", "estacionamiento"),
        ("cuopon", "coupon"),
    ],
)
def test_typo_correction(typed: str, meant: str) -> None:
    assert correct(typed) == meant


@pytest.mark.parametrize("word", ["shop", "said", "part", "mind", "into", "call", "walk"])
def test_common_words_are_not_corrected_into_keywords(word: str) -> None:
    assert correct(word) == word


def test_phrase_and_combination_words_survive_typo_correction() -> None:
    # "call" once became "cell" (a phone keyword), so the phrase "call me" never matched.
    words = {word for sequence in PHRASES for word in sequence}
    words |= {word for needed, _ in COMBOS for word in needed}
    assert {word for word in words if word not in VOCABULARY or correct(word) != word} == set()


def test_osa_distance_counts_a_swap_as_one_edit() -> None:
    assert osa_distance("tickets", "ticktes") == 1
    assert osa_distance("order", "oder") == 1
    assert osa_distance("help", "help") == 0
    assert osa_distance("ab", "abcdef") > 2


@pytest.mark.parametrize(
    ("text", "event"),
    [
        ("tickets for the Jazz Concert!", "jazz concert"),
        ("jazz tickets", "jazz"),
        ("tickets for the behind-the-scenes tour", "behind-the-scenes tour"),
        ("my tickets for tonight", "tonight"),
        ("tonight's tickets", "tonight"),
        ("tickets this weekend", "this weekend"),
        ("tickets for next saturday", "next saturday"),
        ("entradas de esta noche", "esta noche"),
        ("entradas para el concierto de jazz", "concierto de jazz"),
        ("las entradas del sábado", "sábado"),
        ("jazz tickets for saturday", "jazz saturday"),
    ],
)
def test_an_event_named_in_a_ticket_request(text: str, event: str) -> None:
    got = recognise(text)
    assert got.intent == "show_tickets"
    assert got.slots.get("event") == event


@pytest.mark.parametrize(
    "text",
    [
        "where are my tickets bro",  # no sign that "bro" names an event
        "tickets for the show",  # "the show" names none
        "entradas del concierto",
        "send my tickets please",
        "tickets for order 100148401",
        "e-tickets",
        "pull up my tickets",
        "lorem ipsum dolor sit amet consectetur adipiscing elit sed do tickets",  # chatter
    ],
)
def test_no_event_is_invented(text: str) -> None:
    assert "event" not in recognise(text).slots


def test_an_event_is_read_for_ticket_requests_only() -> None:
    assert recognise("I want to sell my jazz tickets").slots == {}
    assert recognise("where is my order for the jazz concert").slots == {}


@pytest.mark.parametrize(
    ("text", "intent", "topic"),
    [
        ("what time do the doors open", "venue_question", "doors"),
        ("can I bring a backpack", "venue_question", "bags"),
        ("dónde puedo aparcar", "venue_question", "parking"),
        ("is it wheelchair accessible", "venue_question", "accessibility"),
        ("can kids come", "venue_question", "age"),
        ("what's the address", "venue_question", "address"),
        ("box office hours?", "venue_question", "contact"),
        ("thanks!!", "small_talk", "thanks"),
        ("ok thanks, bye", "small_talk", "bye"),
        ("👍", "small_talk", "ok"),
        ("jajajaja", "small_talk", "emoji"),
        ("🎉🎉", "small_talk", "emoji"),
    ],
)
def test_topics(text: str, intent: str, topic: str) -> None:
    assert recognise(text).as_dict() == {"intent": intent, "slots": {"topic": topic}}


def test_small_talk_gives_way_to_any_request() -> None:
    assert recognise("thanks, now show my tickets").intent == "show_tickets"
    assert recognise("ok cancel").intent == "cancel"
    assert recognise("add parking").intent == "buy_addon"


def test_a_sad_emoji_is_no_small_talk() -> None:
    """A crying fan gets the offer of help (unknown), not a smiley back."""
    assert recognise("😭").intent == "unknown"
    assert recognise("😭😭😭").intent == "unknown"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("transfer my ticket to a friend", "transfer_ticket"),
        ("I want to sell my ticket", "resell_ticket"),
        ("cancel my order", "refund"),
        ("can I upgrade my seats", "upgrade"),
        ("I lost my ticket", "lost_ticket"),
        ("quiero transferir mi entrada a un amigo", "transfer_ticket"),
        ("quiero vender mi entrada", "resell_ticket"),
        ("quiero un reembolso", "refund"),
        ("perdí mi entrada", "lost_ticket"),
    ],
)
def test_ticket_requests_that_must_not_send_tickets(text: str, intent: str) -> None:
    assert recognise(text).intent == intent


def test_lexicon_phrases_use_canonical_words_only() -> None:
    """A phrase over a variant ("real person" once, "person" being read as "human") never
    matches; the lexicon refuses one at import."""
    from bot.intents import lexicon

    for sequence in lexicon.PHRASES:
        assert all(lexicon.CANON_OF.get(word, word) == word for word in sequence), sequence


@pytest.mark.parametrize("word", ["live", "list", "queda", "tell", "cost", "five"])
def test_everyday_words_near_new_keywords_are_not_corrected(word: str) -> None:
    assert correct(word) == word
