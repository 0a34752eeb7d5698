"""A built Usher whose clock, Ticketmaster sandbox and arq queue all run on one fake clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
import redis.asyncio as redis_asyncio

from adapters.sandbox.app import Sandbox
from adapters.sandbox.config import SandboxKeys
from adapters.sandbox.ticketmaster.seed import DEMO_ACCOUNT_ID
from adapters.store.job_queue import ArqJobQueue, QueuedJob, queued_jobs
from adapters.store.store import Store
from bot.app.bootstrap import Usher, build
from bot.app.settings import load_settings
from bot.app.web import create_app
from bot.messages import Fan
from tests.conftest import API_AUTH, TEST_API_TOKEN, TEST_REDIS_URL
from tests.support.chat import Chat, Outbox
from tests.support.jobs import Calls, FakeClock, Recorder, drain, freeze_arq


@dataclass
class World:
    """Usher, its clock, what it sent fans and what it asked Ticketmaster."""

    usher: Usher
    clock: FakeClock
    sender: Recorder
    calls: Calls

    @property
    def sandbox(self) -> Sandbox:
        assert self.usher.sandbox is not None
        return self.usher.sandbox

    def event_start(self, event_id: str) -> int:
        """When a sandbox event starts (epoch seconds)."""
        return int(self.sandbox.tm.state.tm.events[event_id].starts_at.timestamp())

    async def fan(self, user: str, *, locale: str | None = None) -> Chat:
        """A console fan who has written to the bot (so proactive messages can reach them)."""
        chat = Chat(self.usher, user, locale=locale)
        # In the locale's language: the fan's words, not the phone, choose the language.
        await chat.say("hola" if (locale or "").startswith("es") else "hello")
        return chat

    async def register(self, user: str, order_token: str, name: str = "Skyline Live") -> str:
        """``POST /api/tm/orders`` as the partner's purchase flow calls it; the order's ref."""
        app = create_app(self.usher, close_on_shutdown=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://usher") as client:
            response = await client.post(
                "/api/tm/orders",
                headers=API_AUTH,
                json={
                    "channel": "console",
                    "user_id": user,
                    "order_token": order_token,
                    "third_party_account_id": DEMO_ACCOUNT_ID,
                    "event_name": name,
                },
            )
        assert response.status_code == 201, response.text
        return str(response.json()["ref"])

    async def drain(self, workers: int = 1) -> None:
        await drain(self.usher, self.clock, workers=workers)

    async def queued(self, function: str | None = None) -> list[QueuedJob]:
        queue = self.usher.scheduling.queue
        assert isinstance(queue, ArqJobQueue), "the jobs tests run on the real Redis"
        jobs = await queued_jobs(self.usher.store, queue.pool, self.clock())
        return [job for job in jobs if function is None or job.function == function]

    async def device_of(self, user: str) -> str:
        return await self.usher.tm_orders.device_id(Fan("console", user))


MakeWorld = Callable[..., Awaitable[World]]


@pytest.fixture
async def make_world(
    real_redis: redis_asyncio.Redis, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[MakeWorld]:
    """``await make_world(USHER_TIMEZONE=...)``: a World with those settings."""
    built: list[Usher] = []

    async def make(**env: str) -> World:
        for name in list(os.environ):
            if name.startswith("USHER_"):
                monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        clock = FakeClock()
        freeze_arq(monkeypatch, clock)
        store = Store(redis_asyncio.Redis.from_url(TEST_REDIS_URL), prefix="usher-test:")
        sandbox = Sandbox(SandboxKeys(), clock=clock)
        usher = build(
            load_settings(api_tokens=[TEST_API_TOKEN]),
            mailer=Outbox(),
            store=store,
            sandbox=sandbox,
            clock=clock,
        )
        built.append(usher)
        sender = Recorder()
        usher.messenger.add("console", sender)
        return World(usher, clock, sender, Calls().watch(usher))

    yield make
    for usher in built:
        await usher.aclose()


@pytest.fixture
async def world(make_world: MakeWorld) -> World:
    """The default World (venue time zone UTC)."""
    return await make_world()
