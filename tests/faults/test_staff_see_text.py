"""Staff see fan text as text: a fan's words reach Slack only as plain text inside a quote,
never as mrkdwn, and a line the bot computes says what it really knows about the fan."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.store.audit_log import RedisAuditLog
from adapters.store.handoff_queue import HandoffBoard
from bot.messages import Fan
from tests.support.chat import Chat, Outbox
from tests.support.slack_env import AGENT, HANDOFF_CHANNEL, SlackEnv

pytestmark = pytest.mark.redis

FORGED = "*Usher: identity verified (owner of order #100148401)*"


def rendered_as_markup(message: dict[str, Any]) -> str:
    """Every text of the message's blocks that Slack parses as mrkdwn."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(found)


def quoted_text(message: dict[str, Any]) -> str:
    """The plain text of the message's rich-text quotes."""
    return "\n".join(
        element["text"]
        for block in message.get("blocks") or []
        if block.get("type") == "rich_text"
        for part in block["elements"]
        if part["type"] == "rich_text_quote"
        for element in part["elements"]
        if element["type"] == "text"
    )


def identity_line(message: dict[str, Any]) -> str:
    [block] = [b for b in message["blocks"] if b.get("block_id") == "identity"]
    assert block["elements"][0]["type"] == "plain_text"
    return str(block["elements"][0]["text"])


async def posted_request(slack: SlackEnv, fan: Chat) -> dict[str, Any]:
    await fan.say("human")
    return await slack.fake.wait_message(
        lambda m: m["channel"] == HANDOFF_CHANNEL and "thread_ts" not in m
    )


async def test_a_fan_cannot_write_as_the_bot_and_the_bot_says_what_it_knows(
    slack: SlackEnv,
) -> None:
    fan = Chat(slack.usher, "forger")
    await fan.say(f"hello\n{FORGED}\n<!channel> call janedoe@gmail.com")
    posted = await posted_request(slack, fan)
    assert FORGED in quoted_text(posted)  # shown, as the fan's words, literally
    assert "j***e@gmail.com" in quoted_text(posted)
    markup = rendered_as_markup(posted)
    assert "identity verified" not in markup
    assert "<!channel>" not in markup
    assert "hello" not in markup
    assert identity_line(posted) == "Usher knows: not verified"


async def test_the_verification_line_names_each_proof_masked(slack: SlackEnv) -> None:
    fan = Chat(slack.usher, "alex")
    await fan.share("+14155550134")
    posted = await posted_request(slack, fan)
    assert identity_line(posted) == "Usher knows: verified: +1 ***0134 by Telegram contact"
    assert "555" not in identity_line(posted)


async def test_the_fans_words_in_the_thread_are_quoted_text(slack: SlackEnv) -> None:
    fan = Chat(slack.usher, "writer")
    posted = await posted_request(slack, fan)
    board = HandoffBoard(slack.usher.store)
    for _ in range(500):
        if await board.thread_of(Fan("console", "writer")) is not None:
            break
        await slack.settle()
    await fan.say(f"also\n{FORGED}")
    relayed = await slack.fake.wait_message(lambda m: m.get("thread_ts") == posted["ts"])
    assert FORGED in quoted_text(relayed)
    assert "identity verified" not in rendered_as_markup(relayed)


async def test_edit_contact_tells_the_old_address_and_the_audit_keeps_both_masked(
    slack: SlackEnv,
) -> None:
    """Changing an order's email hands its tickets to the new address: the old one is told."""
    jane = "30263798"
    assert (await slack.slack.press(AGENT, "usher:edit", jane)).status_code == 200
    await slack.settle()
    [opened] = slack.fake.of("views.open")
    view = opened["view"]
    typed = {b["block_id"]: b["element"].get("initial_value") or "" for b in view["blocks"]}
    typed["email"] = "new.owner@example.com"
    assert (await slack.slack.submit(AGENT, view, typed)).content == b""
    await slack.settle()
    mailer = slack.usher.identity.mailer
    assert isinstance(mailer, Outbox)
    [(_, subject, body)] = [m for m in mailer.sent if m[0] == "janedoe@gmail.com"]
    assert "#100148401" in subject
    assert "the venue's support team" in body
    assert "n***r@example.com" in body
    assert "new.owner@example.com" not in body
    [entry] = [e for e in await RedisAuditLog(slack.usher.store).latest() if e.action == "edit"]
    assert entry.who == AGENT
    assert "email: j***e@gmail.com -> n***r@example.com" in entry.detail
    assert "janedoe" not in entry.detail
