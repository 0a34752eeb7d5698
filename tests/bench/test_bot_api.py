"""The benchmarks' fake Bot API enforces Telegram's send limits and counts what it accepted."""

from __future__ import annotations

import asyncio

import httpx

from bench._bot_api import STATS_PATH, LimitedBotApi, SendLimits
from tests.support.fake_telegram import TOKEN

BASE = "http://bot-api.test"


def client(limits: SendLimits) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=LimitedBotApi(limits))
    return httpx.AsyncClient(transport=transport, base_url=BASE)


async def send(http: httpx.AsyncClient, chat_id: int, *, photo: bool = False) -> httpx.Response:
    if photo:
        return await http.post(
            f"/bot{TOKEN}/sendPhoto",
            data={"chat_id": str(chat_id), "caption": "ticket"},
            files={"photo": ("ticket.png", b"\x89PNG fake", "image/png")},
        )
    return await http.post(f"/bot{TOKEN}/sendMessage", data={"chat_id": chat_id, "text": "hi"})


async def test_sends_over_the_overall_limit_get_flood_control_and_are_not_counted() -> None:
    async with client(SendLimits(overall=3)) as http:
        answers = [await send(http, chat, photo=chat % 2 == 0) for chat in range(5)]
        stats = (await http.get(STATS_PATH, params={"arrivals": "1"})).json()
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert answers[3].json()["parameters"] == {"retry_after": 1}
    assert stats["accepted"] == 3
    assert stats["rate_limited"] == {"overall": 2}
    assert stats["per_chat"] == {"0": 1, "1": 1, "2": 1}
    assert len(stats["arrivals"]) == 3


async def test_one_chat_gets_its_burst_then_flood_control() -> None:
    async with client(SendLimits(per_chat=1, burst=3)) as http:
        to_one = [(await send(http, 42)).status_code for _ in range(4)]
        other = await send(http, 43)
        stats = (await http.get(STATS_PATH)).json()
    assert to_one == [200, 200, 200, 429]
    assert other.status_code == 200
    assert stats["per_chat"] == {"42": 3, "43": 1}
    assert stats["rate_limited"] == {"per_chat": 1}
    assert "arrivals" not in stats


async def test_other_methods_pass_and_are_answered_by_the_fake() -> None:
    async with client(SendLimits(overall=1)) as http:
        me = await http.post(f"/bot{TOKEN}/getMe")
        typing = await http.post(
            f"/bot{TOKEN}/sendChatAction", data={"chat_id": "1", "action": "typing"}
        )
        stats = (await http.get(STATS_PATH)).json()
    assert me.json()["result"]["is_bot"] is True
    assert typing.json() == {"ok": True, "result": True}
    assert stats["methods"] == {"getMe": 1, "sendChatAction": 1}
    assert stats["accepted"] == 0


async def test_a_latency_can_be_set_for_every_call() -> None:
    async with client(SendLimits()) as http:
        set_to = await http.post("/__bench__/latency", params={"seconds": "0.05"})
        started = asyncio.get_running_loop().time()
        await send(http, 1)
        took = asyncio.get_running_loop().time() - started
    assert set_to.json() == {"latency": 0.05}
    assert took >= 0.05
