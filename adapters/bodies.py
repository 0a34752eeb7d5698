"""Request bodies read with a size limit, before anything else is done with them.

Why: Starlette's ``request.body()`` reads whatever the client sends into memory, and a route
that parses first and checks afterwards can be made to hold a 300 MB body (one such request
took a serve process from 95 MB to 676 MB). So every route that takes a body checks, in this
order: who is calling (a secret header, a signature, a page token: cheap, no body needed),
then the declared ``Content-Length`` against the route's limit (413 at once, nothing read),
then reads the stream chunk by chunk and stops at the limit (a chunked upload declares no
length), and only then parses. uvicorn reads at most 64 KB ahead of the app, so a refused body
never sits in memory.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

KIB = 1024


class BodyTooLarge(Exception):
    """The body is (or declares it is) over the route's limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"body over {limit} bytes")
        self.limit = limit


def declared_too_large(request: Request, limit: int) -> bool:
    """True when ``Content-Length`` says the body is over ``limit`` (or is not a number)."""
    declared = request.headers.get("content-length")
    if declared is None:
        return False
    return not declared.isdigit() or int(declared) > limit


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, at most ``limit`` bytes; BodyTooLarge as soon as it is known to be more
    (from ``Content-Length`` before reading, or once the stream passes the limit)."""
    if declared_too_large(request, limit):
        raise BodyTooLarge(limit)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise BodyTooLarge(limit)
    return bytes(body)


def too_large(limit: int) -> Response:
    """The 413 answer: what the limit is, so an honest caller can fix the request."""
    return JSONResponse(
        {"error": f"request body too large (at most {limit} bytes)"},
        413,
        headers={"Connection": "close"},
    )
