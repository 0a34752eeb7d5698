"""Secrets out of URLs before they reach a log line: Ticketmaster's ``apikey``, ``order_token``.

Ticketmaster takes its key in the query string (tm-safetix-partner-api.txt), so every URL Usher
logs, and every URL httpx logs on its own, passes through :func:`redact_url` first.
"""

from __future__ import annotations

import logging

import httpx

SECRET_QUERY_PARAMS = frozenset({"apikey", "api_key", "key", "token", "order_token"})
REDACTED = "***"


def redact_url(url: httpx.URL | str) -> str:
    """The URL with secret query parameters (Ticketmaster's ``apikey``...) replaced by ***."""
    parsed = httpx.URL(str(url))
    if not parsed.query:
        return str(parsed)
    params: list[tuple[str, str | int | float | bool | None]] = [
        (name, REDACTED if name.lower() in SECRET_QUERY_PARAMS else value)
        for name, value in parsed.params.multi_items()
    ]
    return str(parsed.copy_with(query=None).copy_merge_params(params)).replace("%2A", "*")


class _RedactHttpxLog(logging.Filter):
    """httpx logs each request itself (``HTTP Request: GET <url> ...``, INFO) with the whole
    query string; rewrite that URL so a key in the query (Ticketmaster's ``apikey``, an
    ``order_token``) never reaches a log line whatever the log level is set to."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(arg, httpx.URL) for arg in record.args
        ):
            record.args = tuple(
                redact_url(arg) if isinstance(arg, httpx.URL) else arg for arg in record.args
            )
        return True


_HTTPX_LOG_FILTER = _RedactHttpxLog()


def redact_httpx_logs() -> None:
    """Install the redacting filter on httpx's logger (idempotent; done by every Upstream)."""
    logger = logging.getLogger("httpx")
    if _HTTPX_LOG_FILTER not in logger.filters:
        logger.addFilter(_HTTPX_LOG_FILTER)
