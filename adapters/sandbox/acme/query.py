"""Reading ACME-style requests: JSON bodies, paging parameters and time windows.

Paged lists take ``page`` (from 1), ``pageSize`` (default 100, at most 1000, ``-1`` for
everything), ``sortField`` (any field of the rows; default ``createdOn``) and ``sortDirection``
(``asc``/``desc``; default ``desc``), and answer ``{"list": [...], "pagination": {page,
pageSize, sortDirection, sortField, count (all matches), hasMore}}``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request

from adapters.sandbox.acme.errors import ApiError

MAX_PAGE_SIZE = 1000


async def json_body(request: Request, *, empty: Any = None) -> Any:
    """The request's JSON (``empty`` when there is no body); 400 when it is not JSON."""
    raw = await request.body()
    if not raw.strip():
        if empty is None:
            raise ApiError(400, "INVALID_JSON", "a JSON body is required")
        return empty
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "INVALID_JSON", "the body is not valid JSON") from None


def object_body(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object; 400 otherwise."""
    if not isinstance(value, dict):
        raise ApiError(400, "INVALID_JSON", "the body must be a JSON object")
    return value


def within(when: datetime, start: datetime | None, end: datetime | None) -> bool:
    """True when ``when`` falls in the (open-ended) window."""
    return (start is None or when >= start) and (end is None or when <= end)


def time_param(request: Request, name: str) -> datetime | None:
    """An aware ISO 8601 time from the query, or None when absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, "INVALID_TIME", f"{name} must be an ISO 8601 time") from None
    if value.tzinfo is None:
        raise ApiError(400, "INVALID_TIME", f"{name} needs a UTC offset")
    return value


def page_of(rows: list[dict[str, Any]], request: Request) -> dict[str, Any]:
    """One page of ``rows`` by ACME's paging parameters."""
    query = request.query_params
    page, size = _number(query.get("page"), 1), _number(query.get("pageSize"), 100)
    if page < 1 or not (size == -1 or 1 <= size <= MAX_PAGE_SIZE):
        raise ApiError(400, "INVALID_PAGING", f"page >= 1; pageSize 1..{MAX_PAGE_SIZE} or -1")
    field, direction = query.get("sortField") or "createdOn", query.get("sortDirection") or "desc"
    if direction not in ("asc", "desc"):
        raise ApiError(400, "INVALID_PAGING", "sortDirection is asc or desc")
    present = [row for row in rows if row.get(field) not in (None, "null")]
    absent = [row for row in rows if row.get(field) in (None, "null")]
    ordered = sorted(present, key=lambda row: _sort_key(row[field]), reverse=direction == "desc")
    ordered += absent
    chunk = ordered if size == -1 else ordered[(page - 1) * size : page * size]
    return {
        "list": chunk,
        "pagination": {
            "page": page,
            "pageSize": size,
            "sortDirection": direction,
            "sortField": field,
            "count": len(rows),
            "hasMore": size != -1 and page * size < len(rows),
        },
    }


def _number(raw: str | None, default: int) -> int:
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, "INVALID_PAGING", "page and pageSize are whole numbers") from None


def _sort_key(value: Any) -> tuple[int, Any]:
    """Numbers and amount strings by value, then ISO times by instant, then text."""
    text = str(value)
    try:
        number = Decimal(text)
        if number.is_finite() and not isinstance(value, bool):
            return (0, number)
    except InvalidOperation:
        pass
    try:
        when = datetime.fromisoformat(text)
        return (1, when.timestamp() if when.tzinfo else when.replace(tzinfo=UTC).timestamp())
    except ValueError:
        return (2, text)
