"""PTB's Bot API transport on aiohttp: ``AiohttpRequest``, a ``telegram.request.BaseRequest``.

Why: every reply a fan gets is one or more Bot API calls, and PTB's default transport,
``HTTPXRequest`` (httpx, httpcore, anyio), made them the largest share of a serve process's
CPU. Through PTB's ``Bot``, a ``sendMessage`` costs 2.5 times the CPU on httpx that it costs
here, a ``sendPhoto`` of a ticket's QR code over 3 times (``bench.telegram_transport``).
aiohttp is already installed for slack-sdk.

It keeps ``HTTPXRequest``'s contract (the same defaults, the same errors, the same lifecycle), so
PTB sees no difference:

* ``do_request`` sends the parameters as a URL-encoded form, or as ``multipart/form-data`` with
  the files when there are any, and returns ``(status, body)``: PTB's ``_request_wrapper`` turns
  a status into ``RetryAfter``, ``BadRequest``... as it does for httpx.
* Timeouts: ``DEFAULT_NONE`` means this instance's default (read 5 s, write 5 s, connect 5 s,
  pool 1 s, and 20 s to write a request that uploads files). Waiting longer than the pool
  timeout for one of ``connection_pool_size`` connections, or a timeout while connecting or
  reading, raises ``telegram.error.TimedOut``; any other aiohttp or socket failure raises
  ``telegram.error.NetworkError`` naming the aiohttp exception's class.
* Lifecycle: a new instance works at once (its session is made on first use, inside the running
  event loop, so making the instance outside one warns nothing); ``shutdown`` closes the session
  and its connections, after which a request raises ``RuntimeError`` until ``initialize``, as
  with ``HTTPXRequest``.

The bot token is in every Bot API URL (``/bot<id>:<secret>/method``). aiohttp logs no request
line; ours (DEBUG, ``usher.telegram.http``, the request line httpx would have logged) and the
message of every error raised here show ``/bot<id>:***`` instead, and an aiohttp exception is
never chained to ours (``raise ... from None``): some carry the whole URL in their message
(``ConnectionTimeoutError``, the ``ClientOSError`` of a failed upload), and a logged traceback
would print it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode, urlsplit

import aiohttp
from aiohttp.payload import BytesPayload
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput, UploadFileDict
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

LOGGER_NAME = "usher.telegram.http"
_LOG = logging.getLogger(LOGGER_NAME)
_BOT_TOKEN = re.compile(r"/bot(\d+):[A-Za-z0-9_-]+")
#: How long an idle connection is kept: httpx's default (``keepalive_expiry``), shorter than
#: the idle timeout of common servers (uvicorn's is 5 s too), so a reused one is rarely dead.
KEEP_ALIVE = 5.0
POOL_TIMEOUT_MESSAGE = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* sent "
    "to Telegram. Consider adjusting the connection pool size or the pool timeout."
)


def redact_token(text: str) -> str:
    """``text`` with every Bot API token in a URL path cut to its public half (``/bot<id>:***``)."""
    return _BOT_TOKEN.sub(r"/bot\1:***", text)


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds for each stage of a request (None: no limit), as ``HTTPXRequest`` takes them."""

    read: float | None = 5.0
    write: float | None = 5.0
    connect: float | None = 5.0
    pool: float | None = 1.0
    #: ``write`` for a request that uploads files.
    media_write: float | None = 20.0


@lru_cache(maxsize=64)
def client_timeout(
    read: float | None, write: float | None, connect: float | None
) -> aiohttp.ClientTimeout:
    """httpx's per-stage timeouts as aiohttp can express them.

    * ``connect`` bounds making a connection (name resolution, TCP, TLS): aiohttp's ``connect``,
      which would also cover waiting for a free connection, but ``AiohttpRequest`` only asks
      once one is free (its pool timeout is applied before).
    * ``read`` bounds each wait for the server's bytes once the request is written (aiohttp's
      ``sock_read`` starts after the body is sent and restarts on every chunk, like httpx's
      read timeout).
    * ``write``: aiohttp has no timeout for a socket write. The whole exchange, from connecting
      to the answer's last byte, is capped at ``connect + write + read`` instead (aiohttp's
      ``total``; no cap if any of them is None): a stalled upload still ends in ``TimedOut``,
      up to ``connect + read`` seconds later than httpx would say so, and an answer still
      trickling in after that cap fails where httpx would go on reading (Bot API answers are
      one small JSON document).

    aiohttp rounds a ``total`` or ``connect`` of 5 s or more up to the next whole second of the
    event loop's clock (its ``ceil_threshold``), so those may fire up to a second late.
    """
    total = None if read is None or write is None or connect is None else connect + write + read
    return aiohttp.ClientTimeout(total=total, connect=connect, sock_read=read)


class AiohttpRequest(BaseRequest):
    """A ``telegram.request.BaseRequest`` sending on one ``aiohttp.ClientSession``.

    ``connection_pool_size`` is the ``aiohttp.TCPConnector``'s ``limit``: at most that many
    requests are on the wire at once (PTB's ``ApplicationBuilder`` gives 256 to the main request
    object and 1 to ``getUpdates``'). A request that finds them all busy waits at most
    ``pool_timeout`` for one, in a semaphore of the same size (aiohttp would count that wait in
    its connect timeout and could not tell the two apart), then raises ``TimedOut`` saying so.

    ``proxy``: a proxy URL for every request. Without one, the environment's (``HTTP_PROXY``,
    ``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``) is used as httpx uses it, looked up once per
    scheme and host (aiohttp's own ``trust_env`` would look it up, and read ``~/.netrc``, in a
    thread on every request). Not offered: HTTP/2, socket options and httpx's own settings.
    """

    __slots__ = (
        "_defaults",
        "_env_proxies",
        "_pool_size",
        "_proxy",
        "_session",
        "_shut",
        "_slots",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._defaults = Timeouts(
            read=read_timeout,
            write=write_timeout,
            connect=connect_timeout,
            pool=pool_timeout,
            media_write=media_write_timeout,
        )
        self._proxy = proxy
        self._env_proxies: dict[str, str | None] = {}
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None
        self._shut = False

    @property
    def connection_pool_size(self) -> int:
        """How many connections (and so requests at once) this instance holds at most."""
        return self._pool_size

    @property
    def timeouts(self) -> Timeouts:
        """The default timeouts, used where a call passes ``DEFAULT_NONE``."""
        return self._defaults

    @property
    def read_timeout(self) -> float | None:
        """See ``BaseRequest.read_timeout`` (PTB adds it to ``getUpdates``' long-poll timeout)."""
        return self._defaults.read

    async def initialize(self) -> None:
        """See ``BaseRequest.initialize``: (re)opens the session, in the running loop."""
        self._shut = False
        self._open()

    async def shutdown(self) -> None:
        """See ``BaseRequest.shutdown``: closes the session and its connections; idempotent."""
        if self._shut:
            _LOG.debug("This AiohttpRequest is already shut down. Returning.")
            return
        self._shut = True
        session, self._session, self._slots = self._session, None, None
        if session is not None:
            await session.close()

    def _open(self) -> tuple[aiohttp.ClientSession, asyncio.Semaphore]:
        if self._session is None or self._slots is None:
            connector = aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=KEEP_ALIVE)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                # Telegram sets no cookies: skip the jar's work on every answer.
                cookie_jar=aiohttp.DummyCookieJar(),
            )
            self._slots = asyncio.Semaphore(self._pool_size)
        return self._session, self._slots

    def _proxy_for(self, url: str) -> str | None:
        if self._proxy is not None:
            return self._proxy
        path = url.find("/", url.find("//") + 2)
        origin = url if path < 0 else url[:path]
        try:
            return self._env_proxies[origin]
        except KeyError:
            found = self._env_proxies[origin] = env_proxy(origin)
            return found

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See ``BaseRequest.do_request``: one HTTP exchange, ``(status, body)`` of the answer."""
        if self._shut:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        session, slots = self._open()
        files = request_data.multipart_data if request_data is not None else None
        defaults = self._defaults
        if isinstance(read_timeout, DefaultValue):
            read_timeout = defaults.read
        if isinstance(connect_timeout, DefaultValue):
            connect_timeout = defaults.connect
        if isinstance(pool_timeout, DefaultValue):
            pool_timeout = defaults.pool
        if isinstance(write_timeout, DefaultValue):
            write_timeout = defaults.media_write if files else defaults.write
        timeout = client_timeout(read_timeout, write_timeout, connect_timeout)
        body = await _body(request_data, files) if request_data is not None else None

        if slots.locked():
            try:
                async with asyncio.timeout(pool_timeout):
                    await slots.acquire()
            except TimeoutError:
                raise TimedOut(POOL_TIMEOUT_MESSAGE) from None
        else:
            await slots.acquire()  # free: returns at once
        try:
            async with session.request(
                method, url, data=body, timeout=timeout, proxy=self._proxy_for(url)
            ) as response:
                status, payload = response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's ServerTimeoutError family is a TimeoutError
            raise TimedOut(f"Timed out ({_describe(exc)})") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise NetworkError(_describe(exc)) from None
        finally:
            slots.release()
        if _LOG.isEnabledFor(logging.DEBUG):
            _LOG.debug('HTTP Request: %s %s "%s"', method, redact_token(url), status)
        return status, payload


async def _body(
    request_data: RequestData, files: UploadFileDict | None
) -> BytesPayload | aiohttp.FormData | None:
    """The request body: a URL-encoded form, or a multipart form when there are files."""
    parameters = request_data.json_parameters
    if not files:
        if not parameters:
            return None
        # What aiohttp.FormData would make of the dict, without building one per call.
        return BytesPayload(
            urlencode(parameters).encode(), content_type="application/x-www-form-urlencoded"
        )
    form = aiohttp.FormData()
    for name, value in parameters.items():
        form.add_field(name, value)
    in_memory = True
    for name, (filename, content, mimetype) in files.items():
        in_memory = in_memory and isinstance(content, bytes)
        form.add_field(name, content, filename=filename, content_type=mimetype)
    if not in_memory:
        return form  # aiohttp writes it piece by piece, reading open files as it goes
    # aiohttp's multipart writer hands each piece (boundary, headers, content, line end) to
    # the socket separately: 13 system calls for a photo and its caption, about 0.6 ms of CPU
    # here, more than the rest of the call. The same writer's bytes go as one buffer instead.
    writer = form()
    return BytesPayload(await writer.as_bytes(), content_type=writer.content_type)


def env_proxy(origin: str) -> str | None:
    """The proxy the environment names for ``origin`` (``scheme://host[:port]``), if any."""
    proxies = urllib.request.getproxies()
    if not proxies:
        return None
    parts = urlsplit(origin)
    if urllib.request.proxy_bypass(parts.hostname or ""):  # NO_PROXY
        return None
    found = proxies.get(parts.scheme) or proxies.get("all")
    return str(found) if found else None


def _describe(exc: BaseException) -> str:
    """``module.Class: message`` of an exception, the bot token cut from the message."""
    module = type(exc).__module__.split(".", 1)[0]
    name = type(exc).__qualname__ if module == "builtins" else f"{module}.{type(exc).__qualname__}"
    message = redact_token(str(exc))
    return f"{name}: {message}" if message else name
