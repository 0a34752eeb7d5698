"""Log lines: JSON, with secrets dropped and personal data masked."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import structlog

from bot import logs


@pytest.fixture
def configured(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    logs.configure("DEBUG")  # after capsys, so the logger writes into the captured stderr
    yield
    structlog.reset_defaults()


def test_secrets_and_personal_data_never_reach_a_line(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    structlog.get_logger("t").info(
        "fan_event",
        email_seen="write to janedoe@gmail.com please",
        phone_seen="call +1 (415) 555-0134",
        api_key="a4c5cfd3-0783-4890-a6e1-e09eb9e11b4d",
        safetix_token="eyJiIjoi",
        one_time_code="123456",
        order_id="30263798",
    )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["event"] == "fan_event"
    assert "janedoe" not in line["email_seen"]
    assert "j***e@gmail.com" in line["email_seen"]
    assert line["phone_seen"] == "call ***0134"
    assert line["api_key"] == line["safetix_token"] == line["one_time_code"] == "***"
    assert line["order_id"] == "30263798"
    assert line["timestamp"].startswith("20")
    assert line["request_id"].startswith("us01-")
