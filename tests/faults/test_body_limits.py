"""Bodies are sized before they are read: 300 MB against every POST route of a real
``usher serve`` leaves its peak memory where it was.

Each route gets the body with everything else right (the webhook secret, a signed page token,
the API bearer token, a valid Slack timestamp), so only the size can stop it: once declared
(``Content-Length``: 413 before a byte is read) and once streamed without a length (chunked:
refused once the route's limit is passed). The process's peak resident memory (``VmHWM``)
may grow by less than 20 MB over the whole run.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from adapters.telegram.webhook import SECRET_HEADER
from bot.app.bootstrap import Usher
from bot.app.web import create_app
from bot.buying.checkout import CheckoutLinks
from bot.links import TicketLinks
from bot.messages import Fan
from tests.adapters.telegram.processes import launched, until
from tests.conftest import TEST_REDIS_URL
from tests.support.fake_slack import BOT_TOKEN, FakeSlack
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.process import clean_env
from tests.support.servers import free_port, serve_in_loop
from tests.support.slack_requests import SIGNING_SECRET
from tests.support.ticket_page import BROWSER

pytestmark = pytest.mark.redis

MIB = 1024 * 1024
HUGE = 300 * MIB
CHUNK = b"x" * MIB
PEAK_GROWTH_MIB = 20
SECRET_KEY = "body-limits-secret-key-0123456789abcdef"
WEBHOOK_SECRET = "body-limits-webhook-secret"
API_TOKEN = "body-limits-api-token-0123456789"
PUBLIC_URL = "https://usher.example.com"


@dataclass
class Outcome:
    """What one oversized upload got: a status, or the connection cut short by the server."""

    status: int | None = None
    sent: int = 0
    cut: bool = False
    head: bytes = field(default=b"", repr=False)


async def upload(base: str, path: str, headers: dict[str, str], *, chunked: bool) -> Outcome:
    """POST 300 MB of ``x`` to ``path``, declared or chunked, reading the answer meanwhile."""
    host = urlsplit(base)
    reader, writer = await asyncio.open_connection(host.hostname, host.port)
    lines = [f"POST {path} HTTP/1.1", f"Host: {host.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {HUGE}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    outcome = Outcome()

    async def read_answer() -> None:
        with contextlib.suppress(ConnectionError):
            outcome.head = await reader.readuntil(b"\r\n\r\n")
            outcome.status = int(outcome.head.split()[1])

    answer = asyncio.create_task(read_answer())
    # A route that refuses on the declared length answers at once: read that before sending,
    # as a client that waits for "100 Continue" would (a reset would lose the answer).
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(answer), timeout=2.0)
    frame = f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n" if chunked else CHUNK
    try:
        while outcome.sent < HUGE and not answer.done():
            writer.write(frame)
            await writer.drain()
            outcome.sent += len(CHUNK)
        if chunked and not answer.done():
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    except ConnectionError:
        outcome.cut = True
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(answer, timeout=10)
    answer.cancel()
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()
    return outcome


def peak_rss_mib(pid: int) -> float:
    """``VmHWM``: the most resident memory the process ever had, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeTelegram, FakeSlack]]:
    telegram, slack = FakeTelegram(), FakeSlack()
    async with serve_in_loop(telegram.app) as telegram_url, serve_in_loop(slack.app) as slack_url:
        telegram.url, slack.base_url = telegram_url, slack_url
        yield telegram, slack


def routes() -> dict[str, tuple[str, dict[str, str]]]:
    """Every POST route, with whatever it checks before the body made right."""
    checkout = CheckoutLinks(SECRET_KEY.encode(), PUBLIC_URL).token(
        "643e8cbd9f0baf41144ce26b", None, "en"
    )
    ticket = TicketLinks(SECRET_KEY.encode(), PUBLIC_URL).url(Fan("telegram", "5550134"), "0" * 24)
    page = {
        "x-usher-page": "1",
        "Sec-Fetch-Site": "same-origin",
        "Content-Type": "application/json",
        **BROWSER,  # the token call refuses robots before anything else
    }
    now = str(int(time.time()))
    return {
        "telegram": (
            "/telegram/webhook",
            {SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"},
        ),
        "slack": (
            "/slack/events",
            {
                "X-Slack-Request-Timestamp": now,
                "X-Slack-Signature": "v0=" + "0" * 64,
                "Content-Type": "application/json",
            },
        ),
        "checkout": (f"/checkout/{checkout}/done", page),
        "ticket": (urlsplit(ticket).path + "/token", page),
        "api": (
            "/api/tm/orders",
            {"Authorization": f"Bearer {API_TOKEN}", "Content-Type": "application/json"},
        ),
    }


async def test_300_mb_against_every_post_route_leaves_memory_alone(
    fakes: tuple[FakeTelegram, FakeSlack], tmp_path: Path
) -> None:
    telegram, slack = fakes
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = clean_env(
        USHER_REDIS_URL=TEST_REDIS_URL,
        USHER_SECRET_KEY=SECRET_KEY,
        USHER_SMTP_URL="smtps://127.0.0.1:9",
        USHER_TIMEZONE="America/Los_Angeles",
        USHER_PUBLIC_URL=PUBLIC_URL,
        USHER_TELEGRAM_TOKEN=TOKEN,
        USHER_TELEGRAM_API_URL=telegram.url,
        USHER_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        USHER_SLACK_BOT_TOKEN=BOT_TOKEN,
        USHER_SLACK_SIGNING_SECRET=SIGNING_SECRET,
        USHER_SLACK_API_URL=slack.base_url + "/api/",
        USHER_API_TOKENS=API_TOKEN,
    )
    log = tmp_path / "serve.log"
    async with (
        launched(log, "serve", "--port", str(port), env=env) as proc,
        httpx.AsyncClient(timeout=10) as http,
    ):

        async def up() -> bool:
            return (await http.get(f"{base}/healthz")).status_code == 200

        await until(up, "usher serve answering", log)
        # Warm every route up with a small body first: what a route costs once is not growth.
        for path, headers in routes().values():
            await http.post(base + path, content=b"{}", headers=headers)
        before = peak_rss_mib(proc.pid)
        outcomes = {
            (name, chunked): await upload(base, path, headers, chunked=chunked)
            for name, (path, headers) in routes().items()
            for chunked in (False, True)
        }
        after = peak_rss_mib(proc.pid)
        assert (await http.get(f"{base}/healthz")).status_code == 200
    for (name, chunked), outcome in outcomes.items():
        assert outcome.sent < HUGE, (name, chunked, "the server read the whole body")
        if not chunked:
            assert outcome.status == 413, (name, outcome)
        elif name == "telegram":  # Telegram would only redeliver a bad body: 200, logged
            assert outcome.status == 200, outcome
        else:  # refused at the limit; the rest of the upload may be cut off with the answer
            assert outcome.status == 413 or (outcome.status is None and outcome.cut), outcome
    assert after - before < PEAK_GROWTH_MIB, (before, after)


async def test_who_is_calling_is_checked_before_the_size(usher: Usher) -> None:
    """A forged page token or a wrong API token is refused for what it is, nothing read."""
    app = create_app(usher, close_on_shutdown=False)
    json_body = {"Content-Type": "application/json"}
    page = {"x-usher-page": "1", "Sec-Fetch-Site": "same-origin", **json_body}
    async with serve_in_loop(app) as base:
        forged = await upload(base, "/checkout/forged.token.x/done", page, chunked=False)
        wrong = await upload(
            base, "/api/tm/orders", {"Authorization": "Bearer nope", **json_body}, chunked=False
        )
        no_page = await upload(base, "/t/forged.token.x/token", json_body, chunked=False)
    assert (forged.status, wrong.status, no_page.status) == (403, 401, 403)
    assert all(o.sent < HUGE for o in (forged, wrong, no_page))
