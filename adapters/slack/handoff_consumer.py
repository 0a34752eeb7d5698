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
import os
import secrets
import socket

import structlog
from redis.exceptions import ResponseError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import actions, button, escape, section
from adapters.store.handoff_queue import MESSAGE, HandoffBoard, Thread
from adapters.store.store import Store, awaited
from bot import copy
from bot.formatting import mask_text
from bot.messages import Fan

log = structlog.get_logger("usher.slack.handoff")

GROUP = "slack"
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
        *,
        reclaim_idle_ms: int = RECLAIM_IDLE_MS,
        block_ms: int = BLOCK_MS,
    ) -> None:
        self.store = store
        self.board = board
        self.client = client
        self.channel = channel
        self.reclaim_idle_ms = reclaim_idle_ms
        #: How long one read waits for new entries, so also how often pending ones are checked.
        self.block_ms = block_ms
        self.stream = store.key("handoff")
        self.name = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Join the consumer group (creating it to read from the start) and begin."""
        await self._join()
        self._task = asyncio.create_task(self._run(), name="slack-handoff-consumer")

    async def _join(self) -> None:
        try:
            await self.store.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

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
                    await self._join()
                    rejoin = False
                for entry_id, fields in await self._next():
                    await self._deliver(entry_id, fields)
            except asyncio.CancelledError:
                raise
            except ResponseError as exc:
                rejoin = "NOGROUP" in str(exc)
                if not rejoin:
                    log.exception("handoff_consumer_failed")
                    await asyncio.sleep(RETRY_PAUSE)
            except Exception:
                log.exception("handoff_consumer_failed")
                await asyncio.sleep(RETRY_PAUSE)

    async def _next(self) -> list[tuple[bytes, dict[bytes, bytes]]]:
        redis = self.store.redis
        claimed = await redis.xautoclaim(
            self.stream, GROUP, self.name, min_idle_time=self.reclaim_idle_ms, count=BATCH
        )
        # Redis 6.2 lists entries trimmed away meanwhile as (id, None); 7 leaves them out.
        reclaimed = [(entry_id, fields) for entry_id, fields in claimed[1] if fields is not None]
        gone = [entry_id for entry_id, fields in claimed[1] if fields is None]
        if gone:
            await awaited(redis.xack(self.stream, GROUP, *gone))
        if reclaimed:
            return reclaimed
        read = await redis.xreadgroup(
            GROUP, self.name, {self.stream: ">"}, count=BATCH, block=self.block_ms
        )
        return list(read[0][1]) if read else []

    async def _deliver(self, entry_id: bytes, raw: dict[bytes, bytes]) -> None:
        fields = {key.decode(): value.decode() for key, value in raw.items()}
        try:
            if fields.get("kind") == MESSAGE:
                await self._post_message(fields)
            else:
                await self._post_request(fields)
        except (KeyError, ValueError):
            log.warning("handoff_entry_malformed", entry=entry_id.decode())
        except Exception:
            # Left pending: retried by whichever consumer reclaims it after the idle time.
            log.exception("handoff_entry_failed", entry=entry_id.decode())
            return
        await awaited(self.store.redis.xack(self.stream, GROUP, entry_id))

    async def _post_request(self, fields: dict[str, str]) -> None:
        fan = Fan.from_key(fields["fan"])
        lang = fields.get("lang", "en")
        history = [str(line) for line in json.loads(fields.get("history") or "[]")]
        said = "\n".join(f"> {escape(mask_text(line))}" for line in history) or "> -"
        existing = await self.board.thread_of(fan)
        if existing is not None:
            await self.client.chat_postMessage(
                channel=existing.channel,
                thread_ts=existing.ts,
                text=copy.staff("handoff_again", history=said),
            )
            return
        title = copy.staff(
            "handoff_title", channel=escape(fan.channel), lang=lang, at=_slack_date(fields)
        )
        posted = await self.client.chat_postMessage(
            channel=self.channel,
            text=title,
            blocks=[
                section(title),
                section(copy.staff("handoff_history", history=said)),
                actions(button(copy.staff("button_take"), "usher:take", "take", "primary")),
            ],
        )
        await self.board.open(Thread(str(posted["channel"]), str(posted["ts"])), fan, lang)

    async def _post_message(self, fields: dict[str, str]) -> None:
        thread = await self.board.thread_of(Fan.from_key(fields["fan"]))
        if thread is None:  # closed meanwhile: the fan's words went nowhere, as they see
            return
        await self.client.chat_postMessage(
            channel=thread.channel,
            thread_ts=thread.ts,
            text=copy.staff("fan_says", text=escape(mask_text(fields["text"]))),
        )


def _slack_date(fields: dict[str, str]) -> str:
    at = int(float(fields.get("at") or 0))
    return f"<!date^{at}^{{date_short_pretty}} {{time}}|{at}>"
