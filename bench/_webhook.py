"""Feeding updates to ``usher serve``'s Telegram webhook, as Telegram does, without outrunning it.

:class:`Driver` POSTs updates (with the webhook secret) and reads the process's own ``/metrics``
to know how many it has handled, so that at most ``window`` are ever unanswered: the process
stays busy, and what a benchmark measures is its steady state, not a backlog it queued up.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx

from adapters.telegram.webhook import SECRET_HEADER
from bench._updates import UpdateIds

EVENT = re.compile(r"^usher_channel_events_total\{([^}]*)\} (\S+)$", re.MULTILINE)
OUTCOME = re.compile(r'outcome="([^"]+)"')
#: How often ``/metrics`` is read while waiting (each read costs the process a little CPU).
POLL = 0.1


async def channel_events(http: httpx.AsyncClient, base: str) -> dict[str, float]:
    """Telegram updates by outcome (handled, duplicate, failed...), from ``/metrics``."""
    text = (await http.get(f"{base}/metrics")).text
    counts: dict[str, float] = {}
    for labels, value in EVENT.findall(text):
        if 'channel="telegram"' in labels and (outcome := OUTCOME.search(labels)) is not None:
            counts[outcome.group(1)] = float(value)
    return counts


class Driver:
    """Posts updates to one process's webhook, at most ``window`` unanswered at a time."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base: str,
        secret: str,
        ids: UpdateIds | None = None,
        *,
        window: int = 64,
    ) -> None:
        self.http = http
        self.base = base
        self.secret = secret
        self.ids = ids or UpdateIds()
        self.window = window
        self.posted = 0

    async def handled(self) -> float:
        """Updates the process has finished with, whatever the outcome."""
        return sum((await channel_events(self.http, self.base)).values())

    async def feed(self, updates: list[dict[str, Any]]) -> None:
        """POST the updates; return once the process has handled every one of them."""
        headers = {SECRET_HEADER: self.secret, "Content-Type": "application/json"}
        url = f"{self.base}/telegram/webhook"
        index = 0
        while True:
            done = await self.handled()
            while index < len(updates) and self.posted - done < self.window:
                answer = await self.http.post(
                    url, content=json.dumps(updates[index]), headers=headers
                )
                if answer.status_code != 200:
                    raise RuntimeError(f"the webhook answered {answer.status_code}")
                index += 1
                self.posted += 1
            if index == len(updates) and done >= self.posted:
                return
            await asyncio.sleep(POLL)
