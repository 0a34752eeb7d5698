"""Fixtures shared by the whole suite: real Redis, loopback servers, offline HTTP."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis_asyncio
import redis.exceptions as redis_exceptions
import stamina

from adapters.store.store import Store
from bot.app.bootstrap import Usher, build
from bot.app.settings import load_settings
from tests.support import log_scan
from tests.support.chat import Outbox

TEST_REDIS_URL = os.environ.get("USHER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
#: The bearer token ``POST /api/tm/orders`` accepts in the suite (``USHER_API_TOKENS``).
TEST_API_TOKEN = "usher-test-api-token-0123456789abcdef"
API_AUTH = {"Authorization": f"Bearer {TEST_API_TOKEN}"}


def pytest_configure(config: pytest.Config) -> None:
    """The suite logs as production does, into a file searched for secrets at the end."""
    log_scan.install()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when any log line of it holds a key, a token or a one-time code."""
    leaks = log_scan.scan(log_scan.log_path(), log_scan.CODES_SENT)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter is not None:
            reporter.write_line(f"SECRETS IN LOGS ({len(leaks)}): " + "; ".join(leaks[:20]))
    elif reporter is not None:
        reporter.write_line(f"log scan: no secret in {log_scan.log_path()}")


@pytest.fixture(autouse=True)
def _fast_retries() -> None:
    """Backoff waits are real in production and zero in tests (attempt counts stay real)."""
    stamina.set_testing(True, attempts=4, cap=True)


@pytest.fixture
async def real_redis() -> AsyncIterator[redis_asyncio.Redis]:
    """The real Redis server (database 15, flushed). In CI a missing server fails the test."""
    client = redis_asyncio.Redis.from_url(TEST_REDIS_URL)
    try:
        await client.ping()
    except (redis_exceptions.ConnectionError, OSError) as exc:
        await client.aclose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required in CI and not reachable at {TEST_REDIS_URL}: {exc}")
        pytest.skip(f"no Redis at {TEST_REDIS_URL}")
    await client.flushdb()
    try:
        yield client
    finally:
        await client.flushdb()
        await client.aclose()


@pytest.fixture
def outbox() -> Outbox:
    """Where the code mails of the ``usher`` fixture go."""
    return Outbox()


@pytest.fixture
async def usher(
    real_redis: redis_asyncio.Redis,
    outbox: Outbox,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Usher]:
    """A complete Usher on the in-process sandbox and the real Redis server.

    Production's per-fan turn rate applies, except in tests marked ``unthrottled``: a script
    that guesses codes as fast as it can is throttled long before the code limits it tests.
    """
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)
    store = Store(redis_asyncio.Redis.from_url(TEST_REDIS_URL), prefix="usher-test:")
    overrides: dict[str, object] = {"api_tokens": [TEST_API_TOKEN]}
    if request.node.get_closest_marker("unthrottled"):
        overrides["turn_burst"] = 1000
    app = build(load_settings(**overrides), mailer=outbox, store=store)
    try:
        yield app
    finally:
        await app.aclose()
