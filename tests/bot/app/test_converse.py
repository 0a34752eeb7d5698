"""``usher converse`` as a real process: the JSON-lines protocol and the fan journeys.

One run on the built-in sandbox with nothing configured (the code mail appears on the
console); one against the simulators over real HTTP, real Redis and a real SMTP server,
configured exactly as a deployment would be.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest

from adapters.sandbox.app import Sandbox
from adapters.sandbox.config import SandboxKeys
from tests.conftest import TEST_REDIS_URL
from tests.support.jane import give_jane_tickets
from tests.support.process import Converse, clean_env, payloads_of, qr_of, text_of
from tests.support.servers import serve_asgi
from tests.support.smtp import tls_smtp_server

ALEX = "alex.rivera@example.com"


def wait_for_console_code(chat: Converse, email: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = re.findall(
            rf"\[sandbox mail\] to {re.escape(email)}:.*?\b(\d{{6}})\b", chat.stderr(), re.S
        )
        if found:
            return str(found[-1])
        time.sleep(0.05)
    raise AssertionError(f"no code mail on the console: {chat.stderr()}")


@pytest.fixture
def sandbox_chat() -> Iterator[Converse]:
    chat = Converse(clean_env())
    yield chat
    assert chat.close() == 0


def test_protocol_one_line_out_per_line_in_and_errors_do_not_stop_it(
    sandbox_chat: Converse,
) -> None:
    assert "error" in sandbox_chat.raw("this is not json")
    assert "error" in sandbox_chat.raw('{"text": "no user"}')
    assert "error" in sandbox_chat.raw('{"user": "u1", "text": "a", "button": "b"}')
    assert "error" in sandbox_chat.raw('{"user": "u1", "contact": {"phone": 5}}')
    answer = sandbox_chat.send(user="u1", text="help")
    assert answer["user"] == "u1"
    reply = answer["replies"][0]
    assert set(reply) == {"text", "buttons", "images", "links"}
    assert "orders" in payloads_of(answer)


def test_code_verification_and_tickets_on_the_builtin_sandbox(sandbox_chat: Converse) -> None:
    assert "make sure it's you" in text_of(sandbox_chat.send(user="f1", text="where r my tix 😭"))
    assert "6-digit code" in text_of(sandbox_chat.send(user="f1", text=ALEX))
    code = wait_for_console_code(sandbox_chat, ALEX)
    answer = sandbox_chat.send(user="f1", text=code)
    assert "verified" in text_of(answer)
    assert qr_of(answer)
    assert all(value.startswith("at") for value in qr_of(answer))
    # A second fan typing the same code gets nothing.
    assert "verified" not in text_of(sandbox_chat.send(user="f2", text=code))


def test_contact_and_buttons_on_the_builtin_sandbox(sandbox_chat: Converse) -> None:
    sandbox_chat.send(user="f3", text="my orders")
    answer = sandbox_chat.send(user="f3", contact={"phone": "+1 (415) 555-0134"})
    assert "phone number is verified" in text_of(answer)
    detail = next(p for p in payloads_of(answer) if p.startswith("order:"))
    assert "Total $" in text_of(sandbox_chat.send(user="f3", button=detail))
    assert "expired" in text_of(sandbox_chat.send(user="f3", button="bogus:1"))


@pytest.fixture
def deployed_sandbox() -> Sandbox:
    return Sandbox(SandboxKeys(acme_api_key="acme-key-for-test", tm_api_key="tm-key-for-test"))


@pytest.fixture
def deployed_chat(
    real_redis: object, deployed_sandbox: Sandbox
) -> Iterator[tuple[Converse, object]]:
    keys = deployed_sandbox.keys
    with serve_asgi(deployed_sandbox) as base, tls_smtp_server() as smtp:
        env = clean_env(
            USHER_ACME_BASE_URL=base,
            USHER_ACME_API_KEY=keys.acme_api_key,
            USHER_ACME_TENANT_ID=str(keys.acme_tenant_id),
            USHER_ACME_PUB_API_KEY=keys.acme_pub_api_key,
            USHER_TM_BASE_URL=base,
            USHER_TM_API_KEY=keys.tm_api_key,
            USHER_ALLOW_HTTP="true",  # the simulators over loopback HTTP
            USHER_REDIS_URL=TEST_REDIS_URL,
            USHER_SMTP_URL=smtp.url,  # STARTTLS, with the test's certificate trusted
            SSL_CERT_FILE=str(smtp.cafile),
            USHER_SECRET_KEY="s" * 48,
            USHER_TIMEZONE="America/Los_Angeles",
        )
        chat = Converse(env)
        yield chat, smtp.inbox
        assert chat.close() == 0


def test_journeys_over_http_with_real_redis_and_smtp(
    deployed_chat: tuple[Converse, object],
) -> None:
    chat, inbox = deployed_chat
    assert "make sure it's you" in text_of(chat.send(user="h1", text="I need my tickets"))
    chat.send(user="h1", text=ALEX)
    code = inbox.last_code(ALEX)  # type: ignore[attr-defined]
    answer = chat.send(user="h1", text=code)
    assert qr_of(answer)
    refused = text_of(chat.send(user="h2", text=f"order 100148401 {ALEX}"))
    assert refused == text_of(chat.send(user="h2", text="order 100148401 janedoe@example.com"))
    assert "couldn't find an order" in refused
    assert code not in chat.stderr()


def test_the_jazz_concert_at_1930_venue_time_reads_1930_and_only_its_codes_come(
    deployed_chat: tuple[Converse, object], deployed_sandbox: Sandbox
) -> None:
    """USHER_TIMEZONE=America/Los_Angeles, the sandbox venue's zone: its 19:30 jazz night is
    19:30 (not 02:30 or 03:30 the next day), and only that event's codes are sent."""
    chat, inbox = deployed_chat
    chat.send(user="tz", text=ALEX)
    chat.send(user="tz", text=inbox.last_code(ALEX))  # type: ignore[attr-defined]
    answer = chat.send(user="tz", text="tickets for the jazz concert")
    said = text_of(answer)
    assert re.search(r"Evening Jazz Concert\n\w{3} \d{1,2} \w{3} \d{4}, 19:30 P[SD]T", said), said
    jazz = {
        ticket["uuid"]
        for record in deployed_sandbox.acme.state.acme.orders.values()
        for item in record.detail.get("orderItems", [])
        if item.get("eventName") == "Evening Jazz Concert"
        for ticket in item.get("ticketVos", [])
    }
    assert qr_of(answer)
    assert set(qr_of(answer)) <= jazz
    transfer = chat.send(user="tz", text="transfer my ticket to a friend")
    assert "not tied to a name" in text_of(transfer)
    assert qr_of(transfer) == []


def test_a_stranger_with_janes_order_number_and_email_gets_no_tickets_only_jane_does(
    deployed_chat: tuple[Converse, object], deployed_sandbox: Sandbox
) -> None:
    """An order number plus its email is a lookup key: the status, and a code to Jane's
    mailbox (the real SMTP server here); the code opens the tickets."""
    chat, inbox = deployed_chat
    uuids = give_jane_tickets(deployed_sandbox.acme.state.acme)
    answer = chat.send(user="stranger", text="my tickets 100148401 janedoe@gmail.com")
    said = text_of(answer)
    assert "Order #100148401: Paid" in said
    assert "Code sent to j***e@gmail.com" in said
    assert qr_of(answer) == []
    assert all(reply["links"] == [] and reply["images"] == [] for reply in answer["replies"])
    assert not any(uuid in json.dumps(answer) for uuid in uuids)
    assert "Section" not in said
    code = inbox.last_code("janedoe@gmail.com")  # type: ignore[attr-defined]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert qr_of(chat.send(user="stranger", text=wrong)) == []
    answer = chat.send(user="stranger", text=code)  # whoever reads Jane's mailbox
    assert "janedoe@gmail.com is verified" in text_of(answer)
    assert sorted(qr_of(answer)) == sorted(uuids)


def test_a_wrong_setting_fails_at_start_with_one_line() -> None:
    chat = Converse(clean_env(USHER_ACME_TENANT_ID="abc"))
    assert chat.close() == 2
    err = chat.stderr().strip()
    assert err.startswith("usher: USHER_ACME_TENANT_ID:")
    assert "\n" not in err


def test_outside_the_sandbox_the_venue_zone_is_required_at_start() -> None:
    """Without USHER_TIMEZONE a deployment would show every time in UTC: a fan at a 19:30
    concert in Los Angeles would read 03:30 the next day. It refuses to start instead."""
    chat = Converse(
        clean_env(
            USHER_ACME_BASE_URL="https://acme.example.com",
            USHER_ACME_API_KEY="k",
            USHER_ACME_TENANT_ID="107",
            USHER_ACME_PUB_API_KEY="pk",
            USHER_SECRET_KEY="s" * 48,
            USHER_SMTP_URL="smtp://127.0.0.1:9",
        )
    )
    assert chat.close() == 2
    err = chat.stderr().strip()
    assert err.startswith("usher: USHER_TIMEZONE: required outside the sandbox")
    assert "\n" not in err
