"""What agents see of a fan's conversation carries no secrets (real Bolt app, fake Slack).

Think like the fan who typed everything into the chat before asking for a person: the code the
bot mailed them, their membership number and last name, the card they were charged on. None of
it may reach the handoff channel; the order number and the rest of their words do.
"""

from __future__ import annotations

import pytest

from bot.history import HISTORY_TTL, recent
from bot.messages import Fan
from tests.adapters.slack.test_handoff import requested
from tests.support.chat import Chat, Outbox
from tests.support.fake_slack import texts
from tests.support.shop import MARCUS_CARD, MARCUS_LAST_NAME
from tests.support.slack_env import SlackEnv

pytestmark = pytest.mark.redis

ALEX = "alex.rivera@example.com"
CARD = "4242 4242 4242 4242"


def outbox_of(slack: SlackEnv) -> Outbox:
    mailer = slack.usher.identity.mailer
    assert isinstance(mailer, Outbox)
    return mailer


async def test_a_mailed_code_never_reaches_the_handoff(slack: SlackEnv) -> None:
    fan = Chat(slack.usher, "coder")
    await fan.say("my tickets")
    await fan.say(ALEX)
    code = outbox_of(slack).last_code(ALEX)
    await fan.say(code)  # the answer to the code question: not recorded at all
    assert "verified" in fan.text
    await fan.say(f"I typed {code[:3]} {code[3:]} and it worked, but order 100150001 is wrong")
    posted = await requested(slack, fan)
    shown = texts(posted)
    assert code not in shown
    assert f"{code[:3]} {code[3:]}" not in shown
    assert "[number hidden]" in shown
    assert "order 100150001 is wrong" in shown  # an order number named as one stays

    # While a person helps, what the fan writes is redacted the same way.
    assert await fan.say(f"the code was {code}") == []
    relayed = await slack.fake.wait_message(lambda m: m.get("thread_ts") == posted["ts"])
    assert code not in relayed["text"]
    assert "the code was [number hidden]" in relayed["text"]


async def test_a_membership_number_and_last_name_never_reach_the_handoff(
    slack: SlackEnv,
) -> None:
    fan = Chat(slack.usher, "member")
    await fan.say(f"membership {MARCUS_CARD}")
    assert "last name" in fan.text
    await fan.say(MARCUS_LAST_NAME)  # the answer to the last-name question: not recorded
    assert "Membership verified" in fan.text
    await fan.say(f"my card number is {MARCUS_CARD}, why no discount?")
    posted = await requested(slack, fan)
    shown = texts(posted)
    assert MARCUS_CARD not in shown
    assert MARCUS_LAST_NAME not in shown
    assert "why no discount?" in shown


async def test_a_card_number_never_reaches_the_handoff(slack: SlackEnv) -> None:
    fan = Chat(slack.usher, "charged")
    for card in (CARD, CARD.replace(" ", "-"), CARD.replace(" ", "")):
        await fan.say(f"you charged {card} twice!!")
    posted = await requested(slack, fan)
    shown = texts(posted)
    assert "4242" not in shown
    assert shown.count("you charged [number hidden] twice!!") == 3


async def test_the_history_lasts_a_day_not_as_long_as_the_state(slack: SlackEnv) -> None:
    fan = Chat(slack.usher, "oldtimer")
    await fan.say("hello, my tickets are missing")
    store = slack.usher.store
    key = store.fan_key("history", Fan("console", "oldtimer"))
    assert 0 < await store.redis.pttl(key) <= HISTORY_TTL * 1000
    assert (
        await store.redis.pttl(store.fan_key("state", Fan("console", "oldtimer")))
        > 20 * 24 * 3600 * 1000
    )
    state = await slack.usher.conversation.states.load(Fan("console", "oldtimer"))
    [(at, line)] = state["history"]
    assert line == "hello, my tickets are missing"
    assert recent(state, now=at + HISTORY_TTL - 1) == [line]
    assert recent(state, now=at + HISTORY_TTL + 1) == []
