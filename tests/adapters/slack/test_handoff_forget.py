"""An agent drops a fan's proofs from the handoff message (real Bolt app, fake Slack): for the
fan whose phone or mailbox is no longer theirs. Confirmed first, audited, the fan told."""

from __future__ import annotations

import pytest

from bot import copy
from bot.messages import Fan
from tests.adapters.slack.test_handoff import press, requested
from tests.support.chat import Chat
from tests.support.fake_slack import buttons
from tests.support.slack_env import AGENT, AGENT_2, HANDOFF_CHANNEL, STRANGER, SlackEnv

pytestmark = pytest.mark.redis

FAN = Fan("console", "lost-phone")


async def test_an_agent_forgets_the_fans_verification_and_it_is_audited(
    slack: SlackEnv,
) -> None:
    fan = Chat(slack.usher, FAN.user_id)
    await fan.share("+1 415 555 0134")
    assert (await slack.usher.identity.verified(FAN)).phones
    posted = await requested(slack, fan)
    await press(slack, AGENT, "usher:take", posted)
    taken = slack.fake.message(HANDOFF_CHANNEL, posted["ts"])
    [forget] = [b for b in buttons(taken) if b["action_id"] == "usher:forget"]
    assert forget["confirm"]["title"]["text"] == copy.staff("forget_confirm_title")

    await press(slack, STRANGER, "usher:forget", taken)  # not an agent: nothing happens
    assert (await slack.usher.identity.verified(FAN)).phones

    await press(slack, AGENT_2, "usher:forget", taken)  # any agent may
    assert not (await slack.usher.identity.verified(FAN)).anything
    assert slack.fake.responses[-1]["text"] == copy.staff("handoff_forgot")
    assert slack.recorder.texts[-1] == copy.text("forgot_by_staff")
    assert ("U0AGENT2", "forget_proofs", "") in await slack.audit()
    await fan.say("/tickets")  # a slash command reaches the bot during a handoff
    assert "make sure it's you" in fan.text


async def test_a_closed_handoff_cannot_forget_anything(slack: SlackEnv) -> None:
    fan = Chat(slack.usher, "closed-fan")
    await fan.share("+1 415 555 0134")
    posted = await requested(slack, fan)
    await press(slack, AGENT, "usher:take", posted)
    taken = slack.fake.message(HANDOFF_CHANNEL, posted["ts"])
    await press(slack, AGENT, "usher:close", taken)
    await press(slack, AGENT, "usher:forget", taken)  # a stale message's button
    assert "closed" in slack.fake.responses[-1]["text"]
    assert (await slack.usher.identity.verified(Fan("console", "closed-fan"))).phones
