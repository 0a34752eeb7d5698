"""Every log line of the test suite, kept and searched for secrets when the session ends.

The suite runs with production logging (JSON, masked) writing into one file as well as to
standard error; subprocesses (``usher converse``...) add their JSON lines to it. At the end,
``scan`` looks through every line for what must never be logged: the sandbox's API keys,
SafeTix tokens and signed links (base64 JSON, ``eyJ...``), channel tokens, and every one-time
code a test mailed. A hit fails the run.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from pathlib import Path

from adapters.sandbox.config import DEFAULT_ACME_API_KEY, DEFAULT_TM_API_KEY
from bot.app import logs

LOG_ENV = "USHER_TEST_LOG_FILE"
#: One-time codes mailed during the session (filled by the test mailers).
CODES_SENT: set[str] = set()

KNOWN_SECRETS = (
    DEFAULT_ACME_API_KEY,
    DEFAULT_ACME_API_KEY.replace("-", ""),
    DEFAULT_TM_API_KEY,
    "acme-key-for-test",
    "tm-key-for-test",
)
SECRET_SHAPES = (
    ("base64 JSON token or signed link", re.compile(r"eyJ[A-Za-z0-9_+/=-]{16,}")),
    ("Slack token", re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{6,}")),
    ("Slack app token", re.compile(r"\bxapp-[A-Za-z0-9-]{6,}")),
    ("Telegram bot token", re.compile(r"\d{8,10}:[A-Za-z0-9_-]{30,}")),
)
#: Fields whose values are ours and can look like anything (times, ids of the work).
SKIP_FIELDS = frozenset({"timestamp", "request_id"})


def log_path() -> Path:
    """The session's log file (created by :func:`install`)."""
    return Path(os.environ[LOG_ENV])


def install() -> Path:
    """Production logging, at INFO, also into the session file; returns its path."""
    if LOG_ENV not in os.environ:
        handle, name = tempfile.mkstemp(prefix="usher-test-logs-", suffix=".jsonl")
        os.close(handle)
        os.environ[LOG_ENV] = name
    path = log_path()
    logs.configure("INFO", extra=logging.FileHandler(path, mode="a", encoding="utf-8"))
    return path


def record_lines(text: str) -> None:
    """Add a subprocess's JSON log lines to the session file."""
    if LOG_ENV not in os.environ:
        return
    lines = [line for line in text.splitlines() if line.startswith("{")]
    if lines:
        with log_path().open("a", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")


def scan(path: Path, codes: set[str]) -> list[str]:
    """Every leak found in the file, as ``line N: what``."""
    leaks: list[str] = []
    code_pattern = re.compile(r"\b(" + "|".join(sorted(codes)) + r")\b") if codes else None
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(record, dict):
                continue
            text = json.dumps({k: v for k, v in record.items() if k not in SKIP_FIELDS})
            leaks.extend(f"line {number}: API key" for key in KNOWN_SECRETS if key in text)
            leaks.extend(
                f"line {number}: {what}" for what, shape in SECRET_SHAPES if shape.search(text)
            )
            if code_pattern is not None and code_pattern.search(text):
                leaks.append(f"line {number}: a one-time code")
    return leaks
