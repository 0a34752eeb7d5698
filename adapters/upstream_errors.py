"""Upstream error answers onto the exception tree of ``bot.errors``: the single mapping point.

ACME answers ``{code, message, type}`` and Ticketmaster ``{"error": {...}}``; both become one
exception per status family, with ``Retry-After`` (or Ticketmaster's ``Ratelimit-Expiry``)
read for 429s. :class:`adapters.upstream.Upstream` calls it for every error response.
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any

import httpx

from bot.errors import (
    AuthError,
    BadRequest,
    DuplicateRequest,
    NotFound,
    RateLimited,
    ServerError,
    UpstreamRefused,
)


def parse_retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or TM's expiry header."""
    raw = response.headers.get("retry-after")
    if raw:
        raw = raw.strip()
        try:
            return max(0.0, float(raw))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(raw) if raw else None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - time.time())
    expiry = response.headers.get("ratelimit-expiry")
    if expiry and expiry.isdigit():
        return max(0.0, int(expiry) / 1000 - time.time())
    return None


def _error_details(response: httpx.Response) -> tuple[str | None, str, str | None]:
    """(code, message, type) from ACME's ``{code, message, type}`` or TM's ``{"error": {...}}``."""
    fallback = response.reason_phrase or f"HTTP {response.status_code}"
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None, fallback, None
    if isinstance(body, dict):
        nested = body.get("error")
        inner: dict[str, Any] = nested if isinstance(nested, dict) else body
        code, kind = inner.get("code"), inner.get("type")
        message = inner.get("message") or inner.get("error") or kind
        return (
            str(code) if code is not None else None,
            str(message or fallback),
            kind if isinstance(kind, str) else None,
        )
    return None, fallback, None


def error_for_status(response: httpx.Response, *, service: str, endpoint: str) -> UpstreamRefused:
    """Map one error response onto the exception tree (the single mapping point)."""
    status = response.status_code
    code, message, kind = _error_details(response)
    text = f"{service} {endpoint}: HTTP {status}: {message}"
    kwargs: dict[str, Any] = {
        "service": service,
        "endpoint": endpoint,
        "status": status,
        "kind": kind,
    }
    if status in (401, 403):
        return AuthError(text, code=code, **kwargs)
    if status == 404:
        return NotFound(text, code=code, **kwargs)
    if status == 409:
        return DuplicateRequest(text, code=code, **kwargs)
    if status == 429:
        return RateLimited(text, code=code, retry_after=parse_retry_after(response), **kwargs)
    if status >= 500:
        return ServerError(text, code=code, **kwargs)
    return BadRequest(text, code=code, **kwargs)
