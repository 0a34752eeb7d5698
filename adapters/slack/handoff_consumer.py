"""Posts the ``handoff`` stream's entries to the Slack handoff channel (steps 2 and 4 of the
flow in ``adapters.slack.handoff``).

One consumer per process, all in one Redis consumer group, so several processes share the work
and each entry is handled by one of them; an entry is acknowledged (XACK) only once posted. An
entry a process read but never acknowledged (it died, or Slack refused) is claimed by another
consumer after :data:`RECLAIM_IDLE_MS` and tried again: a request is posted at least once, and
a crash between posting and XACK can post it twice, which beats losing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

import structlog
from redis.exceptions import ResponseError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import actions, button, escape, plain_context, quoted, section
from adapters.store.handoff_queue import MESSAGE, HandoffBoard, Thread
from adapters.store.store import Store
from adapters.store.streams import HANDOFF, ConsumerGroup, StreamEntry, consumer_name, lost_group
from bot import copy
from bot.formatting import mask_text, when
from bot.identity import Verified
from bot.messages import Fan
from bot.verification_line import verification_line

log = structlog.get_logger("usher.slack.handoff")

GROUP = "slack"
#: Block ids of the request message's parts that stay when an agent takes or closes it.
IDENTITY_BLOCK = "identity"
HISTORY_BLOCK = "history"
KEPT_BLOCKS = (IDENTITY_BLOCK, HISTORY_BLOCK)


class Proofs(Protocol):
    """What the consumer reads of a fan's identity (``bot.identity.Identity`` fits)."""

    async def verified(self, fan: Fan) -> Verified:
        """The fan's current proofs."""
        ...


BATCH = 10
BLOCK_MS = 5_000
#: A read entry nobody acknowledged for this long is taken over by another consumer.
RECLAIM_IDLE_MS = 60_000
RETRY_PAUSE = 1.0


class HandoffConsumer:
    """Posts the ``handoff`` stream's entries to the handoff channel (see module docstring)."""

    def __init__(
        self,
        store: Store,
        board: HandoffBoard,
        client: AsyncWebClient,
        channel: str,
        tz: ZoneInfo,
        *,
        identity: Proofs | None = None,
        reclaim_idle_ms: int = RECLAIM_IDLE_MS,
        block_ms: int = BLOCK_MS,
    ) -> None:
        """``identity``: where the fan's proofs are read for the verification line."""
        self.store = store
        self.identity = identity
        self.board = board
        self.client = client
        self.channel = channel
        #: The venue's zone: the request's time reads as the venue's, like every other time.
        self.tz = tz
        self.reclaim_idle_ms = reclaim_idle_ms
        #: How long one read waits for new entries, so also how often pending ones are checked.
        self.block_ms = block_ms
        self.group = ConsumerGroup(store.redis, store.key(*HANDOFF), GROUP)
        self.name = consumer_name()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Join the consumer group (creating it to read from the start) and begin."""
        await self.group.join()
        self._task = asyncio.create_task(self._run(), name="slack-handoff-consumer")

    async def stop(self) -> None:
        """Stop reading; unacknowledged entries stay pending for another consumer."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        rejoin = False
        while True:
            try:
                if rejoin:  # the stream was deleted (and its group with it): start again
                    await self.group.join()
                    rejoin = False
                for entry in await self._next():
                    await self._deliver(entry)
            except asyncio.CancelledError:
                raise
            except ResponseError as exc:
                rejoin = lost_group(exc)
                if not rejoin:
                    log.exception("handoff_consumer_failed")
                    await asyncio.sleep(RETRY_PAUSE)
            except Exception:
                log.exception("handoff_consumer_failed")
                await asyncio.sleep(RETRY_PAUSE)

    async def _next(self) -> list[StreamEntry]:
        _, reclaimed = await self.group.reclaim(self.name, self.reclaim_idle_ms, BATCH)
        if reclaimed:
            return reclaimed
        return await self.group.read(self.name, BATCH, self.block_ms)

    async def _deliver(self, entry: StreamEntry) -> None:
        fields = {key.decode(): value.decode() for key, value in entry.fields.items()}
        try:
            if fields.get("kind") == MESSAGE:
                await self._post_message(fields)
            else:
                await self._post_request(fields)
        except (KeyError, ValueError):
            log.warning("handoff_entry_malformed", entry=entry.id)
        except Exception:
            # Left pending: retried by whichever consumer reclaims it after the idle time.
            log.exception("handoff_entry_failed", entry=entry.id)
            return
        await self.group.ack(entry.id)

    async def _post_request(self, fields: dict[str, str]) -> None:
        fan = Fan.from_key(fields["fan"])
        lang = fields.get("lang", "en")
        history = [str(line) for line in json.loads(fields.get("history") or "[]")]
        said = [mask_text(line) for line in history] or ["-"]
        fallback = "\n".join(f"> {escape(line)}" for line in said)  # notifications only
        existing = await self.board.thread_of(fan)
        if existing is not None:
            await self.client.chat_postMessage(
                channel=existing.channel,
                thread_ts=existing.ts,
                text=copy.staff("handoff_again", history=fallback),
                blocks=[section(copy.staff("handoff_again_title")), quoted(said)],
            )
            return
        title = copy.staff(
            "handoff_title", channel=escape(fan.channel), lang=lang, at=self._asked_at(fields)
        )
        posted = await self.client.chat_postMessage(
            channel=self.channel,
            text=title,
            blocks=[
                section(title),
                plain_context(await self._verification(fan), IDENTITY_BLOCK),
                section(copy.staff("handoff_history_title")),
                quoted(said, HISTORY_BLOCK),
                actions(button(copy.staff("button_take"), "usher:take", "take", "primary")),
            ],
        )
        await self.board.open(Thread(str(posted["channel"]), str(posted["ts"])), fan, lang)

    async def _post_message(self, fields: dict[str, str]) -> None:
        thread = await self.board.thread_of(Fan.from_key(fields["fan"]))
        if thread is None:  # closed meanwhile: the fan's words went nowhere, as they see
            return
        said = mask_text(fields["text"])
        await self.client.chat_postMessage(
            channel=thread.channel,
            thread_ts=thread.ts,
            text=copy.staff("fan_says", text=escape(said)),  # notifications only
            blocks=[section(copy.staff("fan_says_title")), quoted([said])],
        )

    async def _verification(self, fan: Fan) -> str:
        """What the bot knows of the fan's identity, from its own records (never the fan's
        words); "not verified" when it cannot tell."""
        if self.identity is None:
            return copy.staff("identity_none")
        try:
            return verification_line(await self.identity.verified(fan))
        except Exception:  # Redis blinked: say nothing is known rather than post nothing
            log.warning("handoff_identity_unavailable")
            return copy.staff("identity_none")

    def _asked_at(self, fields: dict[str, str]) -> str:
        """When the fan asked, in the venue's zone with its abbreviation (not Slack's
        ``<!date>``, which each agent would read in their own zone)."""
        at = float(fields.get("at") or 0)
        return when(datetime.fromtimestamp(at, UTC), self.tz)
