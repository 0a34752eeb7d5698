"""Every exception Usher raises, in one tree.

Upstream trouble comes in two families that callers treat differently: *transport* failures
(we never got an answer, so retrying may help and nothing is known about the server's state)
and *refusals* (the server answered and said no). A malformed answer is a refusal too: the
server answered, just not in the documented shape.

    UsherError
    ├── ConfigError                  a setting is missing or wrong (raised at start-up)
    ├── UpstreamError                anything that went wrong talking to ACME or Ticketmaster
    │   ├── TransportError           no usable answer arrived
    │   │   ├── UpstreamConnectError     could not connect / connection dropped
    │   │   └── UpstreamTimeout          connected, but no answer in time
    │   ├── UpstreamRefused          the server answered with an error status
    │   │   ├── AuthError                401 / 403: key, session or tenant not accepted
    │   │   ├── NotFound                 404
    │   │   ├── DuplicateRequest         409: this x-acme-request-uuid was already used
    │   │   ├── RateLimited              429: carries ``retry_after`` seconds when known
    │   │   ├── BadRequest               any other 4xx (carries the upstream code/message)
    │   │   └── ServerError              5xx
    │   ├── MalformedResponse        2xx, but the body is not the documented JSON
    │   └── StillProcessing          a 202 polling job did not finish within the budget
    └── BotError                     the conversation could not go on (has a fan-facing key)
        ├── NotAllowed                   the fan may not see this (reads like "not found")
        ├── InvalidInput                 bad input from a fan or a webhook, nothing changed
        └── Busy                         another turn of the same fan holds its lock

Every upstream exception is raised in exactly one place, ``adapters.upstream``, with
``raise ... from exc`` so the original cause is kept for the logs.
"""

from __future__ import annotations


class UsherError(Exception):
    """Root of every exception Usher raises on purpose."""


class ConfigError(UsherError):
    """A setting is missing or wrong; the message is one line that names the variable."""


class UpstreamError(UsherError):
    """A call to ACME or Ticketmaster failed; ``service`` and ``endpoint`` say which call."""

    def __init__(self, message: str, *, service: str, endpoint: str) -> None:
        super().__init__(message)
        self.service = service
        self.endpoint = endpoint


class TransportError(UpstreamError):
    """No usable answer arrived: the server's state after the call is unknown."""


class UpstreamConnectError(TransportError):
    """The connection could not be made or broke before an answer came.

    ``request_sent`` is False when the connection was never made, so the server surely did
    nothing and even a non-idempotent call may be sent again.
    """

    def __init__(
        self, message: str, *, service: str, endpoint: str, request_sent: bool = True
    ) -> None:
        super().__init__(message, service=service, endpoint=endpoint)
        self.request_sent = request_sent


class UpstreamTimeout(TransportError):
    """The server did not answer within the timeout."""


class UpstreamRefused(UpstreamError):
    """The server answered with an error status (``status``), maybe with a code and message.

    ``kind`` is the machine-readable name of the problem when the server gives one (ACME's
    ``type``, e.g. ``INVALID_COUPON``): callers that answer a fan differently per problem
    (a bad coupon vs an expired one) read it instead of parsing the message.
    """

    def __init__(
        self,
        message: str,
        *,
        service: str,
        endpoint: str,
        status: int,
        code: str | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(message, service=service, endpoint=endpoint)
        self.status = status
        self.code = code
        self.kind = kind


class AuthError(UpstreamRefused):
    """401 or 403: our credentials or tenant were not accepted."""


class NotFound(UpstreamRefused):
    """404: the thing asked for does not exist (or is not visible to us)."""


class DuplicateRequest(UpstreamRefused):
    """409: the request uuid was already used, i.e. that checkout already happened."""


class RateLimited(UpstreamRefused):
    """429: slow down; ``retry_after`` is the wait the server asked for, when it said."""

    def __init__(
        self,
        message: str,
        *,
        service: str,
        endpoint: str,
        status: int = 429,
        code: str | None = None,
        kind: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message, service=service, endpoint=endpoint, status=status, code=code, kind=kind
        )
        self.retry_after = retry_after


class BadRequest(UpstreamRefused):
    """Any other 4xx: the request itself was wrong; retrying will not help."""


class ServerError(UpstreamRefused):
    """5xx: the server failed; an idempotent call may be retried."""


class MalformedResponse(UpstreamError):
    """A success status whose body is not the documented JSON shape."""


class StillProcessing(UpstreamError):
    """A long-running (202) operation had not finished when our time budget ran out."""


class BotError(UsherError):
    """The conversation cannot go on as asked; ``message_key`` names the fan-facing text."""

    message_key = "error_generic"


class NotAllowed(BotError):
    """The fan may not see or do this. Worded exactly like "not found" to leak nothing."""

    message_key = "not_found_or_not_yours"


class InvalidInput(BotError):
    """The input was malformed or too large; nothing was changed."""

    message_key = "invalid_input"


class Busy(BotError):
    """Another process is still handling this fan's previous turn (its lock is held)."""

    message_key = "busy"
