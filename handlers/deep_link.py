"""``/start <payload>``: a Telegram deep link, today always a purchase link's code.

An unknown, expired or revoked code gets one clear answer (``link_gone``) whichever it was;
a good one counts a click and hands the link to the buying journey.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.buying.purchase_links import LinkGone, PurchaseLink, PurchaseLinks
from bot.messages import Reply
from bot.turn import Turn
from handlers.help import menu, not_yet

StartPurchase = Callable[[Turn, PurchaseLink], Awaitable[list[Reply]]]


async def _journey_not_built(turn: Turn, link: PurchaseLink) -> list[Reply]:
    return await not_yet(turn)


class DeepLink:
    """Opens purchase links."""

    def __init__(self, links: PurchaseLinks, start_purchase: StartPurchase | None = None):
        self.links = links
        self.start_purchase: StartPurchase = start_purchase or _journey_not_built

    async def __call__(self, turn: Turn, payload: str) -> list[Reply]:
        """Open the link behind ``payload``."""
        try:
            link = await self.links.open(payload)
        except LinkGone:
            return [Reply(turn.say("link_gone"), buttons=menu(turn))]
        turn.reset()
        return await self.start_purchase(turn, link)
