"""Log lines: JSON, with secrets dropped and personal data masked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from bot.app import logs
from tests.support import log_scan


@pytest.fixture
def configured(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    logs.configure("DEBUG")
    yield
    log_scan.install()  # back to the session's logging


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
    err = capsys.readouterr().err
    line = json.loads(err.strip().splitlines()[-1])
    assert line["event"] == "fan_event"
    assert "janedoe" not in line["email_seen"]
    assert "j***e@gmail.com" in line["email_seen"]
    assert line["phone_seen"] == "call ***0134"
    assert line["api_key"] == line["safetix_token"] == line["one_time_code"] == "***"
    assert line["order_id"] == "30263798"
    assert line["timestamp"].startswith("20")
    assert line["request_id"].startswith("us01-")


def test_the_session_scan_finds_what_must_never_be_logged(tmp_path: Path) -> None:
    """The end-of-session check itself: each kind of secret in a log line is found."""
    lines = [
        {"event": "ok", "timestamp": "2026-11-27T10:00:00.123456Z", "n": 123456},
        {"event": "leak", "url": "/x?apikey=GkB8Z037ZfqbLCNtZViAgrEegbsrZ6Ne"},
        {"event": "leak", "token": "eyJiIjoiMDExODg1NjY5ODg2NTM5NiIsInQiOiJCQVVB"},
        {"event": "leak", "detail": "code 654321 sent"},
        {"event": "leak", "auth": "xoxb-1234-5678-abcdef"},
    ]
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\nnot json\n")
    leaks = log_scan.scan(path, {"654321"})
    assert leaks == [
        "line 2: API key",
        "line 3: base64 JSON token or signed link",
        "line 4: a one-time code",
        "line 5: Slack token",
    ]


def test_secret_shapes_are_masked_in_any_line(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """A library logging a URL with a signed link or a bot token in its path gets it masked."""
    import logging

    logging.getLogger("httpx").warning(
        "HTTP Request: GET http://x/t/eyJyIjoiNTE1NzAyNjU4OWFjZmFl.awnVzA.DtqV9Sjs6Q2bX "
        "and https://api.telegram.org/bot7000000001:AAFakeTokenForUsherTests-0123456789ab/getMe"
    )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert "eyJ" not in line["event"]
    assert "AAFakeToken" not in line["event"]
    assert line["event"].count("***") == 2
