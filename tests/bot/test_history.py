"""The history agents see: what is hidden, what stays readable, how long a line lives."""

from __future__ import annotations

import pytest

from bot.history import HISTORY_TTL, UNRECORDED_STEPS, recent, redact, remember
from bot.messages import Inbound
from bot.turn import HISTORY, Turn

HIDDEN = "[number hidden]"


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("my code is 123456", f"my code is {HIDDEN}"),
        ("123 456", HIDDEN),
        ("123-456", HIDDEN),
        ("code123456", f"code{HIDDEN}"),
        ("membership 7700123456", f"membership {HIDDEN}"),
        ("4242 4242 4242 4242", HIDDEN),
        ("4242-4242-4242-4242", HIDDEN),
        ("4242424242424242", HIDDEN),
        ("4242.4242.4242.4242", ".".join([HIDDEN] * 4)),
        ("pin 1234", f"pin {HIDDEN}"),
        ("4155550134", HIDDEN),  # bare digits are not trusted to be a phone
        ("order 4242 4242 4242 4242", f"order {HIDDEN}"),  # no order number looks like that
    ],
)
def test_codes_cards_and_membership_numbers_are_hidden(said: str, kept: str) -> None:
    assert redact(said) == kept


@pytest.mark.parametrize(
    "said",
    [
        "order 100148401 never came",
        "#100148401",
        "pedido nº 100148401",
        "my order number: 100148401",
        "call me on +1 415 555 0134",
        "or (415) 555-0134",
        "it cost $255.00 on 12/09/2026",
        "$1250.00 for 3 tickets",
        "coupon AAA5",
    ],
)
def test_order_numbers_phones_amounts_and_dates_stay_readable(said: str) -> None:
    assert redact(said) == said


def turn(awaiting: str | None = None) -> Turn:
    state = {"awaiting": awaiting} if awaiting else {}
    return Turn(inbound=Inbound("console", "u", "u", text="x"), state=state, lang="en")


@pytest.mark.parametrize("step", sorted(UNRECORDED_STEPS))
def test_answers_to_secret_questions_are_not_recorded(step: str) -> None:
    t = turn(step)
    remember(t, "Lee", now=1000.0)
    assert HISTORY not in t.state


def test_lines_are_redacted_timed_and_dropped_after_a_day() -> None:
    t = turn()
    remember(t, "hi, code 654321", now=1000.0)
    remember(t, "still there?", now=1000.0 + HISTORY_TTL)
    assert recent(t.state, now=1000.0 + HISTORY_TTL) == ["still there?"]
    assert t.state[HISTORY] == [[1000.0 + HISTORY_TTL, "still there?"]]


def test_lines_kept_by_earlier_versions_are_dropped_not_trusted() -> None:
    assert recent({HISTORY: ["my code is 123456"]}) == []
