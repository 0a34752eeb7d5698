"""What every staff listener shares: how to answer the person, and how failures read.

Answers go back through the interaction's ``response_url`` as *ephemeral* messages: only the
person who typed the command or pressed the button sees them, it works in any channel (the bot
need not be a member), and nothing lands in the channel's history. They are still masked, since
a shared screen or screenshot is a channel too. Personal data in full, ticket QR codes included,
goes only to the person's own DM with the bot (:meth:`Ask.dm`), which is theirs alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import copy
from bot.errors import UpstreamError
from bot.staff import StaffError

log = structlog.get_logger("usher.slack")


@dataclass
class Ask:
    """One staff request being answered: who asked, and the ways to answer them."""

    user: str
    client: AsyncWebClient
    respond: AsyncRespond | None
    trigger_id: str | None = None

    async def say(
        self, text: str, blocks: Sequence[dict[str, Any]] | None = None, *, replace: bool = False
    ) -> None:
        """An ephemeral answer (replacing the message whose button was pressed if asked)."""
        if self.respond is None or self.respond.response_url is None:
            await self.dm(text, blocks)
            return
        await self.respond(
            text=text,
            blocks=blocks,
            response_type="ephemeral",
            replace_original=replace,
        )

    async def dm_channel(self) -> str:
        """The id of the person's DM with the bot (opened when needed; idempotent)."""
        opened = await self.client.conversations_open(users=self.user)
        return str(opened["channel"]["id"])

    async def dm(self, text: str, blocks: Sequence[dict[str, Any]] | None = None) -> None:
        """A message in the person's own DM with the bot."""
        await self.client.chat_postMessage(
            channel=await self.dm_channel(), text=text, blocks=blocks, unfurl_links=False
        )


@asynccontextmanager
async def answering(ask: Ask, action: str) -> AsyncIterator[None]:
    """Turn any failure of the work inside into one clear message for the staff member.

    Slack has had its 200 already (``ack()`` comes first), so a failure can only be told
    through the answer channel; an exception escaping here would be logged by Bolt and seen
    by nobody.
    """
    try:
        yield
    except StaffError as exc:
        await ask.say(exc.text())
    except UpstreamError as exc:
        log.warning("slack_upstream_failed", action=action, error=type(exc).__name__)
        await ask.say(copy.staff("acme_down"))
    except SlackApiError as exc:
        data, status = exc.response.data, exc.response.status_code
        error = str(data.get("error")) if isinstance(data, dict) else f"HTTP {status}"
        log.warning("slack_api_failed", action=action, error=error)
        await ask.say(copy.staff("slack_failed", error=error))
    except Exception:
        log.exception("slack_action_failed", action=action)
        await ask.say(copy.staff("error"))
