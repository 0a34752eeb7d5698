"""What one view of the secure ticket page costs Redis, pinned (``bench.gate_rush``'s unit).

At the gate a serve process takes thousands of views a minute, and each Redis command on its
own costs a round trip's CPU (the write, the read, the pool's health check), so a change that
adds one fails here loudly. A view is the page (``GET``) and its token call (``POST``); it
cost 13 round trips before the reads of a view were put in one pipeline (4 + 9).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as redis_asyncio

from adapters.pages.ticket import COOKIE
from adapters.store.store import Store
from adapters.store.tm_orders import RedisTmOrderStore
from bot.app.bootstrap import Usher, build
from bot.app.settings import load_settings
from bot.app.web import create_app
from tests.conftest import TEST_API_TOKEN, TEST_REDIS_URL
from tests.support.chat import Outbox
from tests.support.redis_count import Tally, counting_redis
from tests.support.servers import free_port, serve_in_loop
from tests.support.ticket_page import BROWSER, ticket_link

PAGE_CALL = {"X-Usher-Page": "1"}


@pytest.fixture
async def counted_site(
    real_redis: redis_asyncio.Redis, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Usher, str, Tally]]:
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)
    port = free_port()
    monkeypatch.setenv("USHER_PUBLIC_URL", f"http://127.0.0.1:{port}")
    tally = Tally()
    store = Store(counting_redis(TEST_REDIS_URL, tally), prefix="usher-test:")
    usher = build(load_settings(api_tokens=[TEST_API_TOKEN]), mailer=Outbox(), store=store)
    async with serve_in_loop(create_app(usher), port=port) as base:
        yield usher, base, tally


async def test_a_view_costs_eight_round_trips_and_a_reload_seconds_later_five(
    counted_site: tuple[Usher, str, Tally],
) -> None:
    usher, base, tally = counted_site
    url = await ticket_link(usher, base, "gate-1")  # the chat cached the order and its event
    async with httpx.AsyncClient(headers=BROWSER) as browser:
        tally.reset()
        page = await browser.get(url)
        assert page.status_code == 200
        # The registration with the cached answer and the event's availability (one
        # pipeline: the chat read this order, so the process knows its event), the binding.
        assert tally.round_trips == 2, tally.commands
        assert tally.commands == Counter({"GET": 3, "EVALSHA": 1})
        assert COOKIE in browser.cookies  # kept by the client, as a browser keeps it

        tally.reset()
        tokens = await browser.post(f"{url}/token", headers=PAGE_CALL)
        assert tokens.status_code == 200
        assert all(t["fresh"] for t in tokens.json()["tickets"])
        # The registration, the cached answer, tokens and event (one pipeline); the binding;
        # the tokens of a view seconds ago; the browser's device id; the new tokens (MULTI,
        # HSET, EXPIRE, EXEC); this view's tokens for a reload.
        assert tally.round_trips == 6, tally.commands
        assert tally.commands == Counter(
            {"GET": 4, "HGETALL": 1, "EVALSHA": 2, "MULTI": 1, "HSET": 1, "EXPIRE": 1}
            | {"EXEC": 1, "SET": 1}
        )

        tally.reset()
        assert (await browser.get(url)).status_code == 200
        again = await browser.post(f"{url}/token", headers=PAGE_CALL)
        assert again.json() == tokens.json()  # a reload reuses the view's tokens
        # The page as before; the registration, the binding, the view's tokens.
        assert tally.round_trips == 2 + 3, tally.commands


async def test_the_first_view_of_an_order_this_process_never_read_costs_one_more(
    counted_site: tuple[Usher, str, Tally],
) -> None:
    """The pipeline reads the event the order named when this process last read it: the very
    first read of an order in a process learns it, and the page reads the event on its own."""
    usher, base, tally = counted_site
    url = await ticket_link(usher, base, "gate-2")
    other = RedisTmOrderStore(usher.store)  # a process that has not seen the order
    usher.safetix.store = other
    async with httpx.AsyncClient(headers=BROWSER) as browser:
        tally.reset()
        assert (await browser.get(url)).status_code == 200
        assert tally.round_trips == 3, tally.commands
        tally.reset()
        assert (await browser.post(f"{url}/token", headers=PAGE_CALL)).status_code == 200
        assert tally.round_trips == 6, tally.commands
