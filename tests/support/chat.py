"""Drive a built Usher like a fan would, and read what it says back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.app.bootstrap import Usher
from bot.messages import Inbound
from tests.support import log_scan


class Outbox:
    """A mailer that keeps what it sends (the code mail) for the test to read."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject, body))
        log_scan.CODES_SENT.update(re.findall(r"\b\d{6}\b", body))

    def last_code(self, to: str | None = None) -> str:
        for recipient, _, body in reversed(self.sent):
            if to is None or recipient == to:
                match = re.search(r"\b(\d{6})\b", body)
                assert match, body
                return match.group(1)
        raise AssertionError(f"no mail to {to}")


@dataclass
class Chat:
    """One fan's side of a conversation (the converse protocol's reply shape)."""

    usher: Usher
    user: str
    channel: str = "console"
    locale: str | None = None
    last: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, **event: Any) -> list[dict[str, Any]]:
        inbound = Inbound(self.channel, self.user, self.user, locale=self.locale, **event)
        replies = await self.usher.conversation.handle(inbound)
        self.last = [reply.to_json() for reply in replies]
        return self.last

    async def say(self, text: str) -> list[dict[str, Any]]:
        return await self.send(text=text)

    async def press(self, payload: str) -> list[dict[str, Any]]:
        return await self.send(button=payload)

    async def share(self, phone: str) -> list[dict[str, Any]]:
        return await self.send(contact_phone=phone)

    @property
    def text(self) -> str:
        return "\n".join(reply["text"] for reply in self.last)

    @property
    def payloads(self) -> list[str]:
        return [b["payload"] for reply in self.last for b in reply["buttons"]]

    @property
    def qr_values(self) -> list[str]:
        return [i["qr"] for reply in self.last for i in reply["images"]]

    @property
    def urls(self) -> list[str]:
        return [link["url"] for reply in self.last for link in reply["links"]]
