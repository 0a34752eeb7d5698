"""The Slack Web API client Usher uses: Slack's own, or a local fake in tests."""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient


def web_client(token: str, base_url: str | None) -> AsyncWebClient:
    """The Web API client: Slack's, or the server at ``USHER_SLACK_API_URL`` (a test fake).

    Retries 429 answers as Slack asks (``Retry-After``), a couple of times.
    """
    url = base_url.rstrip("/") + "/" if base_url else AsyncWebClient.BASE_URL
    client = AsyncWebClient(token=token, base_url=url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client
