"""Helpers of the secure ticket page tests: a registered SafeTix order, its link, the SDK."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from adapters.sandbox.ticketmaster.seed import DEMO_ACCOUNT_ID, SAFETIX_ORDER_TOKEN
from bot.app.bootstrap import Usher
from tests.conftest import API_AUTH
from tests.support.chat import Chat

#: What a phone's browser says it is (the page serves robots a plain page).
BROWSER = {
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
}


async def register(usher: Usher, base: str, user: str, event_name: str = "Skyline Live") -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{base}/api/tm/orders",
            headers=API_AUTH,
            json={
                "channel": "console",
                "user_id": user,
                "order_token": SAFETIX_ORDER_TOKEN,
                "third_party_account_id": DEMO_ACCOUNT_ID,
                "event_name": event_name,
            },
        )
    assert response.status_code == 201, response.text


async def ticket_link(usher: Usher, base: str, user: str, event_name: str = "Skyline Live") -> str:
    await register(usher, base, user, event_name)
    chat = Chat(usher, user)
    await chat.say("my tickets")
    assert "Open your secure ticket" in chat.text, chat.text
    assert "token" not in chat.text.lower()
    [url] = chat.urls
    return url


async def sdk_views(page: Any) -> list[dict[str, str]]:
    """The SDK calls the page made, once it made some (polled: the page's CSP forbids eval)."""
    for _ in range(200):
        views: list[dict[str, str]] = await page.evaluate("window.__sdk ? window.__sdk.views : []")
        if views:
            return views
        await asyncio.sleep(0.05)
    raise AssertionError("the page never called Presence.SecureEntryView")
