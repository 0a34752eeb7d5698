"""Telegram Update JSON for the benchmarks: Telegram's own samples with the fan's ids.

The samples are the ones the Telegram tests use (``tests/data/telegram``), so every update a
benchmark sends has the shape Telegram sends.
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "telegram"


def _sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return data


TEXT_SAMPLE = _sample("text_message")
CONTACT_SAMPLE = _sample("contact_own")


class UpdateIds:
    """Updates with fresh ``update_id`` values (Usher de-duplicates on them), from ``start``."""

    def __init__(self, start: int = 1) -> None:
        self._next = itertools.count(start)

    def text(self, user: int, text: str) -> dict[str, Any]:
        """A private text message from ``user``."""
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
