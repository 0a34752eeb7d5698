"""Ticketmaster's 202 polling, followed to the final answer within a time budget.

Reserve, commit, delete cart and order management may answer ``202 {"polling_url", "wait"}``
instead of their result: GET the polling URL after ``wait`` seconds, again while it answers
202; the final answer is the operation's own (its payload, or its error). Why this is a class of
its own: the budget, the cap on ``wait`` and the rules for the URL are policy worth testing
alone, and sleep and clock must be injectable so tests never wait.

* ``wait`` is capped (``PollingPolicy.max_wait``): a long wait inside one chat turn helps nobody.
* Past ``budget_seconds`` it raises ``StillProcessing``; the chat answers the fan at once.
* The polling URL may be relative or absolute and already carries ``apikey`` and ``cart_id``
  (Ticketmaster's do); its parameters are kept and ``apikey`` set to ours. A URL on another
  origin would receive the key, so it is refused as a malformed answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from adapters.upstream import Retry, Upstream
from bot.errors import MalformedResponse, StillProcessing
from bot.ticketmaster.models import PollingJob

SERVICE = "ticketmaster"
FORCE_POLLING_HEADER = "X-TM-FORCE-POLLING"

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class PollingPolicy:
    """How long one call may wait for a 202 job, and the longest single ``wait`` we honour."""

    budget_seconds: float = 30.0
    max_wait: float = 5.0


class Poller:
    """Follows 202 answers of one client (its key, its policy)."""

    def __init__(
        self,
        upstream: Upstream,
        *,
        api_key: str,
        policy: PollingPolicy,
        sleep: Sleep,
        clock: Callable[[], float],
        force_polling: bool = False,
    ) -> None:
        self._upstream = upstream
        self._api_key = api_key
        self._policy = policy
        self._sleep = sleep
        self._clock = clock
        self._headers = {FORCE_POLLING_HEADER: "true"} if force_polling else None

    async def settle(
        self, response: httpx.Response, endpoint: str, accept: frozenset[int] = frozenset()
    ) -> httpx.Response:
        """The first non-202 answer, polling as told; ``StillProcessing`` past the budget."""
        deadline = self._clock() + self._policy.budget_seconds
        polls = 0
        while response.status_code == 202:
            job = self._upstream.parse(response, PollingJob, endpoint=endpoint)
            url = self._polling_url(response.request.url, job.polling_url, endpoint)
            wait = min(max(job.wait, 0.0), self._policy.max_wait)
            if self._clock() + wait > deadline:
                raise StillProcessing(
                    f"{SERVICE} {endpoint}: still processing after {polls} polls "
                    f"({self._policy.budget_seconds:g} s budget)",
                    service=SERVICE,
                    endpoint=endpoint,
                )
            await self._sleep(wait)
            polls += 1
            response = await self._upstream.send(
                "GET",
                str(url),
                endpoint=f"{endpoint}_poll",
                retry=Retry.IDEMPOTENT,
                headers=self._headers,
                accept=accept,
            )
        return response

    def _polling_url(self, answered: httpx.URL, polling_url: str, endpoint: str) -> httpx.URL:
        url = answered.join(polling_url)
        if (url.scheme, url.host, url.port) != (answered.scheme, answered.host, answered.port):
            raise MalformedResponse(
                f"{SERVICE} {endpoint}: polling_url points away from the Ticketmaster host",
                service=SERVICE,
                endpoint=endpoint,
            )
        return url.copy_merge_params({"apikey": self._api_key})
