"""Structured logs (structlog): JSON lines on standard error, secrets and personal data masked.

Every line goes one way: structlog's loggers and the standard library's (httpx, uvicorn, arq,
python-telegram-bot, slack-bolt) all end in one ``logging`` handler whose formatter runs the
same processors, so every line is JSON with a timestamp, a level and the request id, and every
line is masked.

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

from bot.app.tracing import current_request_id
from bot.formatting import mask_text

SECRET_FIELDS = re.compile(r"(token|secret|password|api_?key|apikey|code|authorization)", re.I)
SAFE_FIELDS = frozenset(
    {"status", "status_code", "level", "logger", "timestamp", "request_id", "ms"}
)


#: Secrets recognisable by their shape wherever they appear (a URL in a library's log line):
#: base64-JSON tokens (SafeTix tokens, signed page links), Slack and Telegram bot tokens.
SECRET_SHAPES = re.compile(
    r"eyJ[A-Za-z0-9_+/=-]{16,}(?:\.[A-Za-z0-9_-]+){0,2}"
    r"|\bxox[abpr]-[A-Za-z0-9-]{6,}|\bxapp-[A-Za-z0-9-]{6,}"
    r"|\d{8,10}:[A-Za-z0-9_-]{30,}"
)


def mask(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: drop secrets by field name or shape, mask emails and phones."""
    for key, value in list(event.items()):
        if key in SAFE_FIELDS:
            continue
        if SECRET_FIELDS.search(key):
            event[key] = "***"
        elif isinstance(value, str):
            event[key] = mask_text(SECRET_SHAPES.sub("***", value))
    return event


def add_request_id(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Every line carries the id of the unit of work it belongs to."""
    event.setdefault("request_id", current_request_id())
    return event


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each line (tests swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        """The current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        """Ignored: the stream is always the current standard error."""


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_request_id,
    ]


def json_formatter() -> logging.Formatter:
    """The formatter every handler uses: masked JSON, whoever logged the line."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            mask,
            structlog.processors.JSONRenderer(),
        ],
    )


def configure(level: str = "INFO", *, extra: logging.Handler | None = None) -> None:
    """JSON logs on standard error at ``level`` (and into ``extra`` too, when given)."""
    handler = StderrHandler()
    handlers: list[logging.Handler] = [handler] if extra is None else [handler, extra]
    for each in handlers:
        each.setFormatter(json_formatter())
        each.usher_installed = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "usher_installed", False):  # ours from an earlier call; others stay
            root.removeHandler(old)
            old.close()
    for each in handlers:
        root.addHandler(each)
    root.setLevel(level)
    # httpx logs every request at INFO; Usher's own ``upstream_call`` line (DEBUG) says the
    # same with the endpoint's name and the time taken, so at INFO httpx's copy is only cost
    # (formatting and masking a line per upstream call). At DEBUG both are written.
    logging.getLogger("httpx").setLevel(
        logging.NOTSET if root.getEffectiveLevel() <= logging.DEBUG else logging.WARNING
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
