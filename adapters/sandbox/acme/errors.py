"""The ACME simulator's refusals: one exception, answered as ACME's ``{code, message, type}``.

``code`` is the HTTP status unless ACME documents a specific number (16003 for a duplicate
transaction, acme-notes.md); ``type`` names the problem for a program, ``message`` for a human.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

#: ACME's documented code for the same card and amount within five minutes.
DUPLICATE_TRANSACTION_CODE = 16003


class ApiError(Exception):
    """Raised anywhere in the simulator; becomes one JSON error response."""

    def __init__(self, status: int, type_: str, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.code = code if code is not None else status

    def body(self) -> dict[str, object]:
        """ACME's error body."""
        return {"code": self.code, "message": self.message, "type": self.type}


def error_response(error: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    """The HTTP answer for ``error``."""
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


async def handle_api_error(_: Request, exc: Exception) -> Response:
    """Starlette exception handler for :class:`ApiError`."""
    assert isinstance(exc, ApiError)
    return error_response(exc)
