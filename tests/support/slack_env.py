"""A complete Usher with its Slack app served on loopback, talking to a local fake Slack.

Both servers run in the test's own event loop (``serve_in_loop``), so the test can read the
same Redis, sandbox and recorders the app uses while it works.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as redis_asyncio

from adapters.sandbox.acme.state import AcmeSandboxState
from adapters.slack.app import SlackChannel
from adapters.store.audit_log import RedisAuditLog
from adapters.store.store import Store
from bot.app.bootstrap import Usher, build
from bot.app.channels import slack_channel
from bot.app.settings import load_settings
from bot.app.web import create_app
from bot.messages import Reply
from tests.support.chat import Outbox
from tests.support.fake_slack import BOT_TOKEN, FakeSlack
from tests.support.production import PRODUCTION
from tests.support.servers import serve_in_loop
from tests.support.slack_requests import SIGNING_SECRET, SlackSender

AGENT = "U0AGENT"
AGENT_2 = "U0AGENT2"
MARKETER = "U0MARKET"
STRANGER = "U0STRANGER"
HANDOFF_CHANNEL = "C0HANDOFF"
PUBLIC_URL = "https://usher.example"
#: A staff file with the shipped canned replies and no hours: the desk is always staffed.
ALWAYS_STAFFED = Path(__file__).parents[1] / "data" / "staff" / "always_staffed.toml"


@dataclass
class Recorder:
    """A ChannelSender that keeps what the Messenger sends (the fan's side of a handoff)."""

    sent: list[tuple[str, list[Reply]]] = field(default_factory=list)
    fail_next: int = 0

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("channel down")
        self.sent.append((chat_id, list(replies)))

    @property
    def texts(self) -> list[str]:
        return [reply.text for _, replies in self.sent for reply in replies]


@dataclass
class SlackEnv:
    """One running instance: the Usher, its Slack channel, where it is, and the recorders."""

    usher: Usher
    channel: SlackChannel
    url: str
    slack: SlackSender
    recorder: Recorder
    fake: FakeSlack
    #: The code mails fans were sent.
    outbox: Outbox

    @property
    def acme(self) -> AcmeSandboxState:
        assert self.usher.sandbox is not None
        state: AcmeSandboxState = self.usher.sandbox.acme.state.acme
        return state

    async def settle(self) -> None:
        """Wait until the work acknowledged so far is done."""
        assert not await self.channel.drain(5.0), "Slack work still running"

    async def ask(self, text: str, user: str = AGENT) -> dict[str, Any]:
        """Type ``/usher <text>`` as ``user``; the one (ephemeral) answer it gets."""
        before = len(self.fake.responses)
        response = await self.slack.command(user, text)
        assert response.status_code == 200
        assert response.content == b""  # acknowledged at once; the answer comes separately
        await self.settle()
        assert len(self.fake.responses) == before + 1
        answer = self.fake.responses[-1]
        assert answer["response_type"] == "ephemeral"
        return answer

    async def audit(self, order: str | None = None) -> list[tuple[str, str, str]]:
        entries = await RedisAuditLog(self.usher.store).latest(order=order, count=100)
        return [(e.who, e.action, e.order) for e in reversed(entries)]


async def start_instance(
    stack: AsyncExitStack,
    fake: FakeSlack,
    redis_url: str,
    *,
    clock: Callable[[], float] = time.time,
    **settings: Any,
) -> SlackEnv:
    """Build and serve one Usher with Slack on; it all stops when ``stack`` closes.

    The support desk is always staffed (``ALWAYS_STAFFED``) unless a test gives its own
    ``staff_config``: what a fan is told then does not depend on when the suite runs.
    """
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": f"{fake.base_url}/api/",
        "slack_agents": f"{AGENT},{AGENT_2}",
        "slack_marketers": MARKETER,
        "slack_handoff_channel": HANDOFF_CHANNEL,
        "telegram_bot_username": "usher_test_bot",
        "public_url": PUBLIC_URL,
        **PRODUCTION,
        "staff_config": ALWAYS_STAFFED,
        **settings,
    }
    store = Store(redis_asyncio.Redis.from_url(redis_url), prefix="usher-test:")
    outbox = Outbox()
    usher = build(load_settings(**values), mailer=outbox, store=store, clock=clock)
    stack.push_async_callback(usher.aclose)
    channel = slack_channel(usher)
    assert channel is not None
    recorder = Recorder()
    usher.messenger.add("console", recorder)
    app = create_app(usher, channels=[channel], close_on_shutdown=False)
    url = await stack.enter_async_context(serve_in_loop(app))
    http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
    sender = SlackSender(http, url, fake.response_url())
    return SlackEnv(usher, channel, url, sender, recorder, fake, outbox)
