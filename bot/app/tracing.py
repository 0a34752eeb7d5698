"""The request id of the work in progress, carried from an inbound event to upstream calls.

A context variable (not a parameter threaded through every call) because the id must reach the
ACME client's ``x-acme-request-id`` header and every log line without handlers knowing about it.
"""

from __future__ import annotations

import secrets
from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("usher_request_id", default=None)


def new_request_id() -> str:
    """A short random id in ACME's documented shape (``ec01-ec6f5d47-81a1ba46``)."""
    return f"us01-{secrets.token_hex(4)}-{secrets.token_hex(4)}"


def current_request_id() -> str:
    """The id of the current unit of work, making one up when none was started."""
    value = _request_id.get()
    if value is None:
        value = new_request_id()
        _request_id.set(value)
    return value


def start_request(request_id: str | None = None) -> str:
    """Begin a unit of work (an inbound event, a page view, a job) and return its id."""
    value = request_id or new_request_id()
    _request_id.set(value)
    return value
