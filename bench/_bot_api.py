"""The benchmarks' Telegram: the test suite's fake Bot API behind Telegram's send limits.

``tests.support.fake_telegram.FakeTelegram`` answers every method Usher calls, in the Bot API's
own envelope. This module puts a thin ASGI layer in front of it that

* **enforces the send limits** (``sendMessage``, ``sendPhoto``) the way Telegram states them,
  and answers flood control (429, ``parameters.retry_after``) when a send exceeds them, so a
  benchmark *measures* "no 429" rather than assuming it:

  - overall: at most ``overall`` messages in any sliding 1 s window (counted on arrival);
  - per chat: at most ``max(per_chat, burst)`` messages to one chat in any sliding 1 s window
    (Telegram: about one a second, short bursts tolerated);

  a refused send is not counted as delivered, exactly as on Telegram;
* **counts** what arrived: accepted messages per chat and their arrival times (monotonic clock,
  shared by every process on the machine), 429s by reason, calls per method, served at
  ``GET /__bench__/stats`` (``?arrivals=1`` adds the arrival times);
* keeps nothing else: the wrapped fake's call log is cleared after every call, so a long run's
  photos do not pile up in memory;
* can stand as far away as a Telegram data centre: ``POST /__bench__/latency?seconds=0.05``
  sets the round trip of every call, half of it before the call counts as arrived and half
  before the answer (0 by default; the loopback round trip is about 1 ms).

Run it as a process of its own (Telegram is another machine; its CPU should not be the bot's):

    python -m bench._bot_api --port 8201 [--overall 100] [--per-chat 1 --burst 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import uvicorn
from starlette.types import Message, Receive, Scope, Send

from tests.support.fake_telegram import FakeTelegram

SENDS = frozenset({"sendMessage", "sendPhoto", "sendMediaGroup"})
STATS_PATH = "/__bench__/stats"
LATENCY_PATH = "/__bench__/latency"
WINDOW = 1.0
#: Telegram answers flood control with whole seconds.
RETRY_AFTER = 1
#: Idle connections are kept this long (seconds).
KEEP_ALIVE = 120
#: Forget idle chats' windows every this many accepted sends.
CLEAN_EVERY = 5000
_MULTIPART_CHAT = re.compile(rb'name="chat_id"\r\n(?:[^\r\n]*\r\n)*\r\n(-?\d+)\r\n')
_METHOD = re.compile(r"^/bot[^/]+/(\w+)$")


@dataclass
class SendLimits:
    """What the fake enforces; None switches a limit off."""

    overall: float | None = None
    per_chat: float | None = None
    burst: int = 1

    def describe(self) -> dict[str, object]:
        """The limits as the JSON of a benchmark reports them."""
        per_chat = None if self.per_chat is None else max(self.per_chat, self.burst)
        return {
            "overall_max_per_1s_window": self.overall,
            "per_chat_max_per_1s_window": per_chat,
            "answer_when_exceeded": f"429 retry_after={RETRY_AFTER}",
        }


@dataclass
class Tally:
    """What the fake saw."""

    accepted: int = 0
    arrivals: list[float] = field(default_factory=list)
    per_chat: Counter[str] = field(default_factory=Counter)
    methods: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)

    def as_json(self, *, arrivals: bool) -> dict[str, object]:
        """The counters (arrival times only when asked: 10,000 floats are a lot of JSON)."""
        body: dict[str, object] = {
            "accepted": self.accepted,
            "rate_limited": dict(self.refused),
            "methods": dict(self.methods),
            "per_chat": dict(self.per_chat),
        }
        if arrivals:
            body["arrivals"] = self.arrivals
        return body


#: Called with the chat id and the arrival time (``time.monotonic``) of every accepted message.
OnAccept = Callable[[str, float], None]


class LimitedBotApi:
    """ASGI app: flood control and counters in front of ``FakeTelegram``."""

    def __init__(self, limits: SendLimits, on_accept: OnAccept | None = None) -> None:
        """A fresh fake Bot API for ``tests.support.fake_telegram.TOKEN``; ``on_accept`` lets
        a benchmark serving it in its own event loop see each message as it arrives."""
        self.limits = limits
        self.on_accept = on_accept
        self.fake = FakeTelegram()
        self.tally = Tally()
        self.latency = 0.0
        self._recent: deque[float] = deque()
        self._recent_by_chat: defaultdict[str, deque[float]] = defaultdict(deque)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request (lifespan is handled by the wrapped Starlette app)."""
        if scope["type"] != "http":
            await self.fake.app(scope, receive, send)
            return
        if scope["path"] == STATS_PATH:
            arrivals = b"arrivals=1" in scope.get("query_string", b"")
            await _json(send, 200, self.tally.as_json(arrivals=arrivals))
            return
        if scope["path"] == LATENCY_PATH:
            query = dict(parse_qsl(scope.get("query_string", b"").decode()))
            self.latency = float(query.get("seconds", "0"))
            await _json(send, 200, {"latency": self.latency})
            return
        body = await _body(receive)
        if self.latency:  # on its way here
            await asyncio.sleep(self.latency / 2)
        match = _METHOD.match(scope["path"])
        method = match.group(1) if match else ""
        self.tally.methods[method] += 1
        refusal = None
        if method in SENDS:
            refusal = self._admit(_chat_id(scope, body), time.monotonic())
        if self.latency:  # the answer on its way back
            await asyncio.sleep(self.latency / 2)
        if refusal is not None:
            self.tally.refused[refusal] += 1
            await _json(send, 429, _flood_control())
            return
        await self.fake.app(scope, _replay(body), send)
        self.fake.calls.clear()

    def _admit(self, chat_id: str, now: float) -> str | None:
        """Count the send and return None, or the name of the limit it would exceed."""
        recent = self._recent
        while recent and now - recent[0] >= WINDOW:
            recent.popleft()
        chat = self._recent_by_chat[chat_id]
        while chat and now - chat[0] >= WINDOW:
            chat.popleft()
        overall = self.limits.overall
        if overall is not None and len(recent) >= overall:
            return "overall"
        per_chat = self.limits.per_chat
        if per_chat is not None and len(chat) >= max(per_chat, self.limits.burst):
            return "per_chat"
        recent.append(now)
        chat.append(now)
        self.tally.accepted += 1
        self.tally.arrivals.append(now)
        self.tally.per_chat[chat_id] += 1
        if self.on_accept is not None:
            self.on_accept(chat_id, now)
        if self.tally.accepted % CLEAN_EVERY == 0:
            # A chat quiet for a whole window has no history that matters any more.
            recent_by_chat = self._recent_by_chat
            idle = [c for c, t in recent_by_chat.items() if not t or now - t[-1] >= WINDOW]
            for key in idle:
                del recent_by_chat[key]
        return None


def _chat_id(scope: Scope, body: bytes) -> str:
    headers = dict(scope["headers"])
    content_type = headers.get(b"content-type", b"")
    if content_type.startswith(b"multipart/form-data"):
        found = _MULTIPART_CHAT.search(body)
        return found.group(1).decode() if found else ""
    if content_type.startswith(b"application/json"):
        return str(json.loads(body or b"{}").get("chat_id", ""))
    return dict(parse_qsl(body.decode())).get("chat_id", "")


def _flood_control() -> dict[str, object]:
    return {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {RETRY_AFTER}",
        "parameters": {"retry_after": RETRY_AFTER},
    }


async def _body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _json(send: Send, status: int, payload: object) -> None:
    data = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def main() -> None:
    """Serve the limited fake Bot API on loopback until terminated."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--overall", type=float, default=None)
    parser.add_argument("--per-chat", type=float, default=None)
    parser.add_argument("--burst", type=int, default=1)
    options = parser.parse_args()
    app = LimitedBotApi(SendLimits(options.overall, options.per_chat, options.burst))
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=options.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        # Clients drop idle connections after 5 s (httpx's default); a server that closed them
        # at the same moment would race with their reuse (a ReadError no real Telegram causes).
        timeout_keep_alive=KEEP_ALIVE,
    )


if __name__ == "__main__":
    main()
