"""The bare python-telegram-bot echo bot of ``bench.turns``, and the turn driver both bots share.

The echo bot is a PTB 22 ``Application`` built like Usher's (no updater, ``base_url`` pointed at
the fake Bot API) with one ``MessageHandler`` that answers ``reply_text(text)``: one
``sendMessage`` per update, nothing else. ``bench.turns`` runs it in a process of its own, so
its figures are a bare bot's, not a bare bot's sharing a heap and an event loop with Usher:

    python -m bench._echo_bot --api URL --first-user 820000000 --fans 200 --rounds 3 \\
        --text "my orders"          # prints {"samples": [...], "cpu_s": ..., "wall_s": ...}

``--fans 1`` style sequential series: ``--sequential N`` sends N turns one after another,
rotating over the fans.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import itertools
import json
import time
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from adapters.telegram_app import PtbApplication
from bench._harness import cpu_seconds
from tests.support.fake_telegram import TOKEN

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "telegram"


def _sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return data


TEXT_SAMPLE = _sample("text_message")
CONTACT_SAMPLE = _sample("contact_own")


class UpdateIds:
    """Fresh ``update_id`` values (Usher de-duplicates on them), from ``start`` on."""

    def __init__(self, start: int = 1) -> None:
        self._next = itertools.count(start)

    def text(self, user: int, text: str) -> dict[str, Any]:
        """A private text message from ``user`` (Telegram's sample, new ids and text)."""
        data = copy.deepcopy(TEXT_SAMPLE)
        data["update_id"] = next(self._next)
        message = data["message"]
        message["message_id"] = data["update_id"]
        message["from"]["id"] = message["chat"]["id"] = user
        message["text"] = text
        return data

    def contact(self, user: int, phone: str) -> dict[str, Any]:
        """``user`` shares their own contact (``contact.user_id`` is the sender's id)."""
        data = copy.deepcopy(CONTACT_SAMPLE)
        data["update_id"] = next(self._next)
        message = data["message"]
        message["message_id"] = data["update_id"]
        message["from"]["id"] = message["chat"]["id"] = user
        message["reply_to_message"]["chat"]["id"] = user
        message["contact"].update(user_id=user, phone_number=phone)
        return data


async def turn(app: PtbApplication, raw: dict[str, Any]) -> float:
    """One update through ``app`` as a webhook feeds it; seconds until its last API call."""
    started = time.perf_counter()
    await app.process_update(Update.de_json(raw, app.bot))
    return time.perf_counter() - started


async def closed_loop(
    app: PtbApplication, ids: UpdateIds, users: list[int], text: str, rounds: int
) -> list[float]:
    """Every user at once, each sending its next turn as soon as its last one was answered."""
    samples: list[float] = []

    async def one_fan(user: int) -> None:
        for _ in range(rounds):
            samples.append(await turn(app, ids.text(user, text)))

    await asyncio.gather(*(one_fan(user) for user in users))
    return samples


async def one_at_a_time(
    app: PtbApplication, ids: UpdateIds, users: list[int], text: str, count: int
) -> list[float]:
    """``count`` turns one after another, the users in turn."""
    return [await turn(app, ids.text(users[i % len(users)], text)) for i in range(count)]


async def _echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text is not None:
        await message.reply_text(message.text)


def echo_bot(api: str) -> PtbApplication:
    """The bare echo bot on the fake Bot API at ``api``."""
    app: PtbApplication = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .updater(None)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    return app


async def _series(options: argparse.Namespace) -> dict[str, object]:
    app = echo_bot(options.api)
    users = [options.first_user + i for i in range(options.fans)]
    ids = UpdateIds(options.first_update)
    await app.initialize()
    await app.start()
    try:
        if options.sequential:
            await one_at_a_time(app, ids, users, options.text, options.warm_up)
            cpu, wall = cpu_seconds(), time.perf_counter()
            samples = await one_at_a_time(app, ids, users, options.text, options.sequential)
        else:
            await closed_loop(app, ids, users, options.text, 1)  # live connections, as Usher's
            cpu, wall = cpu_seconds(), time.perf_counter()
            samples = await closed_loop(app, ids, users, options.text, options.rounds)
        return {
            "samples": samples,
            "cpu_s": cpu_seconds() - cpu,
            "wall_s": time.perf_counter() - wall,
        }
    finally:
        await app.stop()
        await app.shutdown()


def main() -> None:
    """Run one series and print its samples as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", required=True)
    parser.add_argument("--text", required=True)
    parser.add_argument("--first-user", type=int, required=True)
    parser.add_argument("--fans", type=int, required=True)
    parser.add_argument("--first-update", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sequential", type=int, default=0)
    parser.add_argument("--warm-up", type=int, default=20)
    print(json.dumps(asyncio.run(_series(parser.parse_args()))))


if __name__ == "__main__":
    main()
