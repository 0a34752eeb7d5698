"""Support agents in Slack: the real Bolt app, signed requests, a local fake Slack Web API.

Jane Doe's documented order (id 30263798, number 100148401, janedoe@gmail.com, phone stored
as +11234567890 and 1234567890) and Alex Rivera's orders with tickets come from the sandbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from adapters.qr import qr_png
from adapters.sandbox.acme.records import OrderRecord
from tests.support.chat import Chat
from tests.support.fake_slack import buttons, texts
from tests.support.slack_env import AGENT, MARKETER, STRANGER, SlackEnv

JANE_ID, JANE_NUMBER = "30263798", "100148401"

pytestmark = pytest.mark.redis


async def ask(slack: SlackEnv, text: str, user: str = AGENT) -> dict[str, Any]:
    return await slack.ask(text, user)


async def press(slack: SlackEnv, action: str, value: str, user: str = AGENT) -> None:
    response = await slack.slack.press(user, action, value)
    assert response.status_code == 200
    await slack.settle()


@pytest.mark.parametrize(
    "query",
    [
        "janedoe@gmail.com",
        "JaneDoe@Gmail.com",
        "<mailto:janedoe@gmail.com|janedoe@gmail.com>",  # as Slack may send a typed email
        "<tel:+11234567890|+1 123 456 7890>",
        "+1 (123) 456-7890",
        "123.456.7890",
        JANE_ID,
        f"#{JANE_ID}",
        f"janedoe@gmail.com {JANE_NUMBER}",
        f"+1 123 456 7890 #{JANE_NUMBER}",
    ],
)
async def test_an_agent_finds_janes_order_masked(slack: SlackEnv, query: str) -> None:
    answer = await ask(slack, f"find {query}")
    shown = texts(answer)
    assert "*1 order(s)*" in shown
    assert f"#{JANE_NUMBER} (id {JANE_ID})" in shown
    assert "Sailing" in shown
    assert "$255.00" in shown
    # Personal data masked where others may look: initials, masked email and phone.
    assert "J. D." in shown
    assert "j***e@gmail.com" in shown
    assert "***7890" in shown
    # The order's fields (what ACME and fans wrote) are plain text, never mrkdwn.
    [order] = [b for b in answer["blocks"] if "Sailing" in str(b) and b["type"] == "section"]
    assert order["text"]["type"] == "plain_text"
    for whole in ("janedoe@gmail.com", "Jane", "Doe", "1234567890", "456-7890"):
        assert whole not in shown
    actions = {b["action_id"]: b["value"] for b in buttons(answer)}
    assert actions == {
        f"usher:{verb}": JANE_ID for verb in ("details", "tickets", "resend", "edit")
    }
    assert ("U0AGENT", "find", "") in await slack.audit()


async def test_an_order_number_never_seen_says_to_search_by_email_or_phone_once(
    slack: SlackEnv,
) -> None:
    answer = await ask(slack, f"find {JANE_NUMBER}")
    assert f"I haven't seen an order with the number or id `{JANE_NUMBER}` yet" in answer["text"]
    assert "search by the fan's email or phone once" in answer["text"]
    answer = await ask(slack, "find janedoe@gmail.com 999")
    assert answer["text"] == "No orders match that."


async def see_janes_order_through_a_search(slack: SlackEnv) -> None:
    await ask(slack, "find +1 123 456 7890")


async def see_janes_order_in_a_fans_turn(slack: SlackEnv) -> None:
    chat = Chat(slack.usher, "jane-fan")
    await chat.say("my tickets please")
    await chat.say("janedoe@gmail.com")
    await chat.say(slack.outbox.last_code("janedoe@gmail.com"))
    assert "verified" in chat.text


async def see_janes_order_in_an_event_listing(slack: SlackEnv) -> None:
    await ask(slack, "event 5ff74342210cbe0c44913be2")  # the "Sailing" instance


@pytest.mark.parametrize(
    "seen",
    [
        see_janes_order_through_a_search,
        see_janes_order_in_a_fans_turn,
        see_janes_order_in_an_event_listing,
    ],
)
async def test_an_order_the_bot_has_seen_is_found_by_its_number(
    slack: SlackEnv, seen: Callable[[SlackEnv], Awaitable[None]]
) -> None:
    await seen(slack)
    for typed in (JANE_NUMBER, f"#{JANE_NUMBER}"):
        answer = await ask(slack, f"find {typed}")
        assert f"#{JANE_NUMBER} (id {JANE_ID})" in texts(answer)
        assert "*1 order(s)*" in texts(answer)
    # The id still works, and an unknown number still gets the plain answer.
    assert f"#{JANE_NUMBER} (id" in texts(await ask(slack, f"find {JANE_ID}"))
    assert "yet" in (await ask(slack, "find 999999999"))["text"]


@pytest.mark.parametrize("query", ["", "jane", "a@b.c d e", "+1 123 #1 #2"])
async def test_a_lookup_of_no_known_shape_gets_the_usage(slack: SlackEnv, query: str) -> None:
    answer = await ask(slack, f"find {query}")
    assert answer["text"].startswith("Tell me what to look for")


async def test_many_orders_are_paged(slack: SlackEnv) -> None:
    # By phone, in a spelling the orders do not store: all 25 of Alex's orders (by his email,
    # 24: one order stores the address in mixed case, and ACME matches as stored).
    answer = await ask(slack, "find +1 415 555 0134")
    assert "*25 order(s)*" in texts(answer)
    assert "Page 1 of 5" in texts(answer)
    first_page = {b["value"] for b in buttons(answer) if b["action_id"] == "usher:details"}
    assert len(first_page) == 5
    [forward] = [b for b in buttons(answer) if b["action_id"] == "usher:find_page"]
    await press(slack, "usher:find_page", forward["value"])
    second = slack.fake.responses[-1]
    assert second["replace_original"] is True
    assert "Page 2 of 5" in texts(second)
    second_page = {b["value"] for b in buttons(second) if b["action_id"] == "usher:details"}
    assert len(second_page) == 5
    assert not first_page & second_page
    assert {b["action_id"] for b in buttons(second)} >= {"usher:find_page"}


async def test_orders_for_an_event_are_paged(slack: SlackEnv) -> None:
    counts = {
        event: len(slack.acme.orders_for_event(event)) for event in slack.acme.catalog.instances
    }
    event, seeded = max(counts.items(), key=lambda item: item[1])
    model = slack.acme.orders_for_event(event)[0]
    for copy in range(7 - seeded):  # more orders than one page holds
        order_id = str(40000000 + copy)
        detail, summary = dict(model.detail, id=order_id), dict(model.summary, id=order_id)
        slack.acme.orders[order_id] = OrderRecord(detail, summary)
    total = 7
    answer = await ask(slack, f"event {event}")
    assert f"*{total} order(s)* for event `{event}`" in texts(answer)
    [forward] = [b for b in buttons(answer) if b["action_id"] == "usher:event_page"]
    await press(slack, "usher:event_page", forward["value"])
    assert "Page 2 of" in texts(slack.fake.responses[-1])
    answer = await ask(slack, "event 000000000000000000000000")
    assert answer["text"] == "No orders for that event yet."


async def test_details_go_whole_to_the_agents_dm_only(slack: SlackEnv) -> None:
    await press(slack, "usher:details", JANE_ID)
    [opened] = slack.fake.of("conversations.open")
    assert opened["users"] == AGENT
    [dm] = slack.fake.of("chat.postMessage")
    assert dm["channel"] == f"D{AGENT}"
    for whole in ("Jane Doe", "janedoe@gmail.com", "+11234567890", "Sailing", "$255.00"):
        assert whole in dm["text"]
    note = slack.fake.responses[-1]
    assert note["text"] == f"The details of order #{JANE_NUMBER} are in your DM with me."
    assert "janedoe" not in texts(note)
    assert (AGENT, "details", JANE_ID) in await slack.audit(JANE_ID)


async def test_tickets_are_uploaded_as_qr_codes_into_the_agents_dm(slack: SlackEnv) -> None:
    order = next(
        record.detail
        for record in slack.acme.orders.values()
        if record.detail.get("email") == "alex.rivera@example.com"
        and any(
            t.get("ticketStatus") in ("Void", "Refund")
            for item in record.detail.get("orderItems", [])
            for t in item.get("ticketVos") or []
        )
        is False
        and any(item.get("ticketVos") for item in record.detail.get("orderItems", []))
    )
    uuids = [
        t["uuid"] for item in order["orderItems"] for t in item.get("ticketVos") or [] if t["uuid"]
    ]
    await press(slack, "usher:tickets", order["id"])
    assert len(slack.fake.of("files.getUploadURLExternal")) == len(uuids)
    [complete] = slack.fake.of("files.completeUploadExternal")
    assert complete["channel_id"] == f"D{AGENT}"
    assert sorted(slack.fake.uploads.values()) == sorted(qr_png(u) for u in uuids)
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in slack.fake.uploads.values())
    assert f"{len(uuids)} ticket(s)" in slack.fake.responses[-1]["text"]
    assert (AGENT, "tickets", order["id"]) in await slack.audit(order["id"])


async def test_voided_tickets_are_not_sent(slack: SlackEnv) -> None:
    voided = next(
        record.detail
        for record in slack.acme.orders.values()
        if any(
            t.get("ticketStatus") in ("Void", "Refund")
            for item in record.detail.get("orderItems", [])
            for t in item.get("ticketVos") or []
        )
    )
    await press(slack, "usher:tickets", voided["id"])
    valid = [
        t["uuid"]
        for item in voided["orderItems"]
        for t in item.get("ticketVos") or []
        if t.get("ticketStatus") not in ("Void", "Refund")
    ]
    assert sorted(slack.fake.uploads.values()) == sorted(qr_png(u) for u in valid)


async def test_resend_has_acme_mail_the_confirmation_again(slack: SlackEnv) -> None:
    await press(slack, "usher:resend", JANE_ID)
    assert slack.acme.emails_sent == [(JANE_NUMBER, "janedoe@gmail.com")]
    answer = slack.fake.responses[-1]["text"]
    assert (
        answer
        == f"ACME is mailing the confirmation of order #{JANE_NUMBER} again, to j***e@gmail.com."
    )
    assert (AGENT, "resend", JANE_ID) in await slack.audit(JANE_ID)


async def test_editing_the_contact_validates_in_the_modal_then_writes_to_acme(
    slack: SlackEnv,
) -> None:
    await press(slack, "usher:edit", JANE_ID)
    [opened] = slack.fake.of("views.open")
    view = opened["view"]
    initial = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"]}
    assert initial == {
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "janedoe@gmail.com",
        "phone": "+11234567890",
    }
    typed = {**initial, "email": "jane.doe@", "phone": "12345"}
    refused = await slack.slack.submit(AGENT, view, typed)
    assert refused.status_code == 200
    errors = refused.json()
    assert errors["response_action"] == "errors"
    assert set(errors["errors"]) == {"email", "phone"}
    assert slack.acme.orders[JANE_ID].detail["email"] == "janedoe@gmail.com"

    typed = {**initial, "email": "Jane.Doe@Example.com", "phone": "(650) 253-0000"}
    accepted = await slack.slack.submit(AGENT, view, typed)
    assert accepted.status_code == 200
    assert accepted.content == b""
    await slack.settle()
    detail = slack.acme.orders[JANE_ID].detail
    assert detail["email"] == "Jane.Doe@example.com"
    assert detail["phoneNumber"] == "+16502530000"
    assert detail["contactFirstName"] == "Jane"
    assert detail["billingEmail"] == "janedoe@gmail.com"
    saved = slack.fake.of("chat.postMessage")[-1]
    assert saved["channel"] == f"D{AGENT}"
    assert saved["text"] == f"Saved in ACME: Email, Phone of order #{JANE_NUMBER}."
    audit = await slack.audit(JANE_ID)
    assert (AGENT, "edit_form", JANE_ID) in audit
    assert (AGENT, "edit", JANE_ID) in audit


async def test_the_unchanged_sample_phone_does_not_block_a_name_fix(slack: SlackEnv) -> None:
    await press(slack, "usher:edit", JANE_ID)
    view = slack.fake.of("views.open")[0]["view"]
    values = {"first_name": "Janet", "last_name": "Doe", "email": "janedoe@gmail.com"}
    accepted = await slack.slack.submit(AGENT, view, {**values, "phone": "+11234567890"})
    assert accepted.content == b""
    await slack.settle()
    assert slack.acme.orders[JANE_ID].detail["contactFirstName"] == "Janet"


async def test_anyone_else_is_refused_and_learns_nothing(slack: SlackEnv) -> None:
    for user in (STRANGER, MARKETER):
        answer = await ask(slack, "find janedoe@gmail.com", user=user)
        assert JANE_NUMBER not in texts(answer)
        assert "order(s)" not in texts(answer)
    assert "is for the support and marketing teams" in slack.fake.responses[0]["text"]
    assert "not part of your role" in slack.fake.responses[1]["text"]
    for action in ("usher:details", "usher:tickets", "usher:resend", "usher:edit"):
        await press(slack, action, JANE_ID, user=STRANGER)
        assert "is for the support and marketing teams" in slack.fake.responses[-1]["text"]
    view = {"callback_id": "usher:contact", "private_metadata": f'{{"order": "{JANE_ID}"}}'}
    refused = await slack.slack.submit(STRANGER, view, {"email": "evil@example.com"})
    assert refused.json()["response_action"] == "errors"
    await slack.settle()
    assert slack.fake.of("chat.postMessage") == slack.fake.of("views.open") == []
    assert slack.fake.of("files.getUploadURLExternal") == []
    assert slack.acme.emails_sent == []
    assert slack.acme.orders[JANE_ID].detail["email"] == "janedoe@gmail.com"
    assert await slack.audit() == []


async def test_unknown_subcommands_get_the_usage_for_the_persons_roles(slack: SlackEnv) -> None:
    answer = await ask(slack, "frobnicate")
    assert "/usher find" in answer["text"]
    assert "/usher link" not in answer["text"]
    answer = await ask(slack, "help", user=MARKETER)
    assert "/usher link" in answer["text"]
    assert "/usher find" not in answer["text"]


async def test_the_audit_command_shows_the_latest_actions(slack: SlackEnv) -> None:
    await ask(slack, "find janedoe@gmail.com")
    await press(slack, "usher:resend", JANE_ID)
    answer = await ask(slack, f"audit {JANE_ID}")
    shown = texts(answer)
    assert f"<@{AGENT}> *resend* · order {JANE_ID}" in shown
    assert "*find*" not in shown  # not about this order
    everything = texts(await ask(slack, "audit"))
    assert everything.index("*resend*") < everything.index("*find*")  # newest first
    assert "janedoe@gmail.com" not in everything  # lookups are recorded masked


async def test_an_email_is_searched_as_typed_then_lowercased(slack: SlackEnv) -> None:
    mixed = await ask(slack, "find Alex.Rivera@Example.com")
    assert "*1 order(s)*" in texts(mixed), "as typed: the order that stores it so"
    lower = await ask(slack, "find ALEX.RIVERA@EXAMPLE.COM")
    assert "*24 order(s)*" in texts(lower), "not stored so: lowercased, the other 24"
