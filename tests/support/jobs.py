"""Scheduled jobs under test: a clock that moves, arq workers run in-process, recorded sends.

Time: one :class:`FakeClock` drives Usher's scheduling code, the Ticketmaster sandbox (event
dates, delayed delivery) *and* arq (its queue scores and "is this job due?" checks read
``arq.utils.timestamp_ms``, which :func:`freeze_arq` points at the clock). Moving the clock
forward is how a test reaches "20 hours before the event" without waiting.

Workers: :func:`drain` runs one or more real arq ``Worker`` objects (the ones ``usher worker``
runs) until no job is due at the current fake time, then stops them. arq's own burst mode
cannot do this: it waits for the queue to be empty, and deferred jobs never leave it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from adapters.jobs.worker import close_worker, create_worker
from adapters.store.job_queue import queue_name
from bot.app.bootstrap import Usher
from bot.messages import Reply

DRAIN_LIMIT = 30.0
POLL = 0.01


@dataclass
class FakeClock:
    """Epoch seconds that only move when the test says so."""

    now: float = field(default_factory=time.time)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def set(self, moment: float) -> None:
        self.now = moment


def freeze_arq(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    """Make arq read ``clock`` wherever it decides what is due."""

    def now_ms() -> int:
        return round(clock() * 1000)

    monkeypatch.setattr("arq.worker.timestamp_ms", now_ms)
    monkeypatch.setattr("arq.connections.timestamp_ms", now_ms)


@dataclass
class Sent:
    """One proactive message: the chat, and the reply in the converse JSON shape."""

    chat_id: str
    reply: dict[str, Any]

    @property
    def payloads(self) -> list[str]:
        return [button["payload"] for button in self.reply["buttons"]]


@dataclass
class Recorder:
    """A ChannelSender that keeps what it was asked to send; ``fail`` makes sends raise."""

    sent: list[Sent] = field(default_factory=list)
    fail: bool = False

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
        if self.fail:
            raise ConnectionError("channel down")
        self.sent.extend(Sent(chat_id, reply.to_json()) for reply in replies)

    def to(self, chat_id: str) -> list[Sent]:
        return [sent for sent in self.sent if sent.chat_id == chat_id]


@dataclass
class Call:
    """One request Usher made to an upstream."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    #: When it left (monotonic seconds: real time, whatever the fake clock says).
    at: float = field(default_factory=time.monotonic)


@dataclass
class Calls:
    """Every upstream request of a built Usher (httpx request hooks)."""

    calls: list[Call] = field(default_factory=list)

    def watch(self, usher: Usher) -> Calls:
        for client in usher.http_clients:
            client.event_hooks["request"].append(self._record)
        return self

    async def _record(self, request: httpx.Request) -> None:
        body = json.loads(request.content) if request.content else None
        self.calls.append(Call(request.method, request.url.path, dict(request.headers), body))

    def to(self, prefix: str) -> list[Call]:
        return [call for call in self.calls if call.path.startswith(prefix)]

    @property
    def renders(self) -> list[Call]:
        """Secure render calls."""
        return self.to("/marketplace")


async def drain(usher: Usher, clock: FakeClock, *, workers: int = 1) -> None:
    """Run ``workers`` arq workers until nothing is due at ``clock`` and nothing runs."""
    running = [
        create_worker(usher.scheduling, handle_signals=False, poll_delay=POLL)
        for _ in range(workers)
    ]
    tasks = [asyncio.create_task(worker.async_run()) for worker in running]
    queue = queue_name(usher.store)
    deadline = time.monotonic() + DRAIN_LIMIT
    quiet = 0
    try:
        while quiet < 5:  # idle for several polls in a row: cron and retries have settled
            await asyncio.sleep(POLL * 2)
            due = await usher.store.redis.zcount(queue, "-inf", round(clock() * 1000))
            busy = any(not t.done() for w in running for t in w.tasks.values())
            # ``_last_health_check`` is set by each worker's first heart beat, which is also
            # when it queues its start-up cron (the reconcile): not quiet before that.
            started = all(w._last_health_check > 0 for w in running)
            quiet = quiet + 1 if started and due == 0 and not busy else 0
            for task in tasks:
                if task.done():
                    task.result()  # a worker that died: show why
            if time.monotonic() > deadline:
                raise AssertionError(f"jobs still due after {DRAIN_LIMIT}s: {due}")
    finally:
        for worker in running:
            await close_worker(worker)
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
