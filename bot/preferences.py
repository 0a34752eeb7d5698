"""What a fan agreed to receive outside a conversation: event reminders and offers.

The two defaults differ on purpose. Reminders are about tickets the fan already holds, so they
are on until the fan says "stop reminders". Offers are marketing, so nobody gets them until
they ask ("send me offers"), and "stop offers" ends them. Both are read at send time, so a
change made while a broadcast or reminder is under way is honoured for every later message.
"""

from __future__ import annotations

from typing import Protocol

from bot.messages import Fan


class Preferences(Protocol):
    """Per-fan opt-outs and opt-ins, shared by every process (Redis)."""

    async def reminders_on(self, fan: Fan) -> bool:
        """True unless the fan turned reminders off."""
        ...

    async def set_reminders(self, fan: Fan, on: bool) -> None:
        """Turn the fan's event reminders on or off."""
        ...

    async def offers_on(self, fan: Fan) -> bool:
        """True when the fan asked for offers (and has not stopped them)."""
        ...

    async def set_offers(self, fan: Fan, on: bool) -> None:
        """Opt the fan in to offers, or out."""
        ...

    async def offer_fans(self, after: str, limit: int) -> list[Fan]:
        """Fans who opted in to offers, in a stable order (by ``Fan.key``), after ``after``.

        The order is what lets a broadcast keep a cursor and resume where it stopped.
        """
        ...
