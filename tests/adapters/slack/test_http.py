"""What reaches POST /slack/events: only requests Slack signed, recently."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest

from tests.support.slack_env import AGENT, SlackEnv
from tests.support.slack_requests import signature

pytestmark = pytest.mark.redis
FORM = "application/x-www-form-urlencoded"


def find_command(text: str = "find janedoe@gmail.com") -> bytes:
    return urlencode(
        {"command": "/usher", "text": text, "user_id": AGENT, "team_id": "T0TEST"}
    ).encode()


@pytest.mark.parametrize(
    "forgery",
    ["unsigned", "wrong secret", "stale", "from the future", "body changed", "garbled"],
)
async def test_requests_slack_did_not_sign_get_401_and_no_work(
    slack: SlackEnv, forgery: str
) -> None:
    body, now = find_command(), int(time.time())
    sender = slack.slack
    if forgery == "unsigned":
        response = await sender.post(body, FORM, signed=False)
    elif forgery == "wrong secret":
        response = await sender.post(body, FORM, secret="not-the-signing-secret")
    elif forgery == "stale":
        response = await sender.post(body, FORM, timestamp=now - 5 * 60 - 5)
    elif forgery == "from the future":
        response = await sender.post(body, FORM, timestamp=now + 5 * 60 + 5)
    else:
        other = find_command("find alex.rivera@example.com")
        sign = signature(body if forgery == "body changed" else b"x", now)
        headers = {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": sign}
        response = await sender.post(other, FORM, signed=False, headers=headers)
    assert response.status_code == 401
    await slack.settle()
    assert slack.fake.calls == []
    assert slack.fake.responses == []
    assert await slack.audit() == []


async def test_a_request_just_inside_five_minutes_is_accepted(slack: SlackEnv) -> None:
    response = await slack.slack.command(AGENT, "help", timestamp=int(time.time()) - 5 * 60 + 10)
    assert response.status_code == 200
    await slack.settle()
    assert "Usher commands" in slack.fake.responses[-1]["text"]


async def test_the_events_url_answers_slacks_verification_challenge(slack: SlackEnv) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV"})
    response = await slack.slack.post(body.encode(), "application/json")
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV"}
