"""Requests exactly as Slack sends them to ``POST /slack/events``, signed as Slack signs them.

Signature: ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{raw body}`` with the signing secret,
in ``X-Slack-Signature``, the timestamp in ``X-Slack-Request-Timestamp``. Slash commands and
interactivity payloads are form-encoded (``payload=<json>`` for the latter); events are JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.support.fake_slack import TEAM

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
_ids = itertools.count(1)


def signature(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    """What Slack puts in ``X-Slack-Signature``."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackSender:
    """Posts signed requests to one Usher web app."""

    def __init__(self, http: httpx.AsyncClient, url: str, response_url: str) -> None:
        self.http = http
        self.url = url.rstrip("/") + "/slack/events"
        self.response_url = response_url

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
        signed: bool = True,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send ``body`` signed (or not) with ``timestamp`` (now by default)."""
        ts = int(time.time()) if timestamp is None else timestamp
        sent = {"Content-Type": content_type, **(headers or {})}
        if signed:
            sent["X-Slack-Request-Timestamp"] = str(ts)
            sent["X-Slack-Signature"] = signature(body, ts, secret)
        return await self.http.post(self.url, content=body, headers=sent)

    async def command(self, user: str, text: str, **options: Any) -> httpx.Response:
        """``/usher <text>`` typed by ``user`` in channel C0SUPPORT."""
        form = {
            "token": "legacy-unused",
            "team_id": TEAM,
            "team_domain": "usher-test",
            "channel_id": "C0SUPPORT",
            "channel_name": "support",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/usher",
            "text": text,
            "api_app_id": "A0USHER",
            "response_url": self.response_url,
            "trigger_id": f"{next(_ids)}.{TEAM}.trigger",
        }
        return await self.post(
            urlencode(form).encode(), "application/x-www-form-urlencoded", **options
        )

    async def interaction(self, payload: dict[str, Any], **options: Any) -> httpx.Response:
        """A block_actions or view_submission payload."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded", **options)

    async def press(
        self,
        user: str,
        action_id: str,
        value: str,
        *,
        channel: str = "C0SUPPORT",
        message: dict[str, Any] | None = None,
        **options: Any,
    ) -> httpx.Response:
        """``user`` presses a button (on ``message`` when given, else on an ephemeral one)."""
        action = {"type": "button", "action_id": action_id, "block_id": "b1", "value": value}
        return await self.act(user, action, channel=channel, message=message, **options)

    async def select(
        self,
        user: str,
        action_id: str,
        value: str,
        *,
        block_id: str = "b1",
        channel: str = "C0SUPPORT",
        message: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """``user`` picks the option ``value`` of a ``static_select``."""
        action = {
            "type": "static_select",
            "action_id": action_id,
            "block_id": block_id,
            "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
        }
        return await self.act(user, action, channel=channel, message=message)

    async def act(
        self,
        user: str,
        action: dict[str, Any],
        *,
        channel: str = "C0SUPPORT",
        message: dict[str, Any] | None = None,
        **options: Any,
    ) -> httpx.Response:
        """A ``block_actions`` payload with one action, as Slack sends it."""
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "api_app_id": "A0USHER",
            "token": "legacy-unused",
            "team": {"id": TEAM, "domain": "usher-test"},
            "channel": {"id": channel, "name": "support"},
            "container": {
                "type": "message",
                "message_ts": (message or {}).get("ts", "1.000001"),
                "channel_id": channel,
                "is_ephemeral": message is None,
            },
            "trigger_id": f"{next(_ids)}.{TEAM}.trigger",
            "response_url": self.response_url,
            "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
        }
        if message is not None:
            payload["message"] = message
        return await self.interaction(payload, **options)

    async def submit(
        self, user: str, view: dict[str, Any], values: dict[str, str]
    ) -> httpx.Response:
        """``user`` submits the modal ``view`` with these input values (block id -> text)."""
        state = {
            name: {"value": {"type": "plain_text_input", "value": v}} for name, v in values.items()
        }
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "usher-test"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "api_app_id": "A0USHER",
            "token": "legacy-unused",
            "trigger_id": f"{next(_ids)}.{TEAM}.trigger",
            "view": {"type": "modal", **view, "id": "V0VIEW", "state": {"values": state}},
        }
        return await self.interaction(payload)

    async def event(
        self, event: dict[str, Any], event_id: str, *, retry: int | None = None
    ) -> httpx.Response:
        """An Events API delivery (a retry carries ``X-Slack-Retry-Num``)."""
        body = {
            "token": "legacy-unused",
            "team_id": TEAM,
            "api_app_id": "A0USHER",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
        }
        headers = {}
        if retry is not None:
            headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(json.dumps(body).encode(), "application/json", headers=headers)
