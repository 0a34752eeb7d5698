"""Structured logs (structlog): JSON lines on standard error, secrets and personal data masked.

The masking processor is a last line of defence: code should not log secrets in the first
place, but any field whose *name* says it holds one is replaced, and emails and phone numbers
are masked wherever they appear in a value.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from bot.formatting import mask_text
from bot.tracing import current_request_id

SECRET_FIELDS = re.compile(r"(token|secret|password|api_?key|apikey|code|authorization)", re.I)
SAFE_FIELDS = frozenset(
    {"status", "status_code", "event", "level", "logger", "timestamp", "request_id", "ms"}
)


def mask(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: drop secrets by field name, mask emails and phones in values."""
    for key, value in list(event.items()):
        if key in SAFE_FIELDS:
            continue
        if SECRET_FIELDS.search(key):
            event[key] = "***"
        elif isinstance(value, str):
            event[key] = mask_text(value)
    return event


def add_request_id(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Every line carries the id of the unit of work it belongs to."""
    event.setdefault("request_id", current_request_id())
    return event


def configure(level: str = "INFO") -> None:
    """JSON logs on standard error at ``level``."""
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level, force=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            add_request_id,
            structlog.processors.format_exc_info,
            mask,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        # Resolved per logger, not once: whatever sys.stderr is at the time (tests swap it).
        logger_factory=lambda *_: structlog.PrintLogger(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
