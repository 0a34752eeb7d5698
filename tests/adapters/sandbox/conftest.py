"""Fixtures of the ACME sandbox tests: one loopback server per module, a fresh sandbox per test,
and a plain HTTP client that sends the server-side B2C headers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.support.acme_env import B2C_HEADERS, AcmeEnv, AppSlot, fresh_sandbox
from tests.support.servers import serve_asgi


@pytest.fixture(scope="module")
def acme_server() -> Iterator[tuple[AppSlot, str]]:
    slot = AppSlot()
    with serve_asgi(slot) as base_url:
        yield slot, base_url


@pytest.fixture
def env(acme_server: tuple[AppSlot, str]) -> AcmeEnv:
    return fresh_sandbox(*acme_server)


@pytest.fixture
async def acme(env: AcmeEnv) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=env.base_url, headers=B2C_HEADERS, timeout=5) as http:
        yield http
