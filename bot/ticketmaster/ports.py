"""What the SafeTix domain needs from the outside, and the records it keeps.

``adapters.ticketmaster.client.TicketmasterClient`` implements :class:`TicketmasterApi` and
``adapters.store.tm_orders.RedisTmOrderStore`` implements :class:`TmOrderStore`; both are
handed to :class:`bot.ticketmaster.safetix.SafeTix` in ``bot.app.bootstrap``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.messages import Fan
from bot.ticketmaster.cart_models import Availability
from bot.ticketmaster.models import (
    OrderManagementResponse,
    RenderTicketRequest,
    SecureRenderResponse,
)


@dataclass(frozen=True)
class TmOrderRef:
    """A Ticketmaster order registered to a fan."""

    ref: str
    fan: Fan
    order_token: str
    third_party_account_id: str
    event_name: str | None = None
    #: The commit answer's ``redemption_url`` (tm-notes.md), when the partner passed it on:
    #: where the fan claims the tickets in a Ticketmaster account.
    redemption_url: str | None = None


@dataclass(frozen=True)
class CachedToken:
    """The last token Ticketmaster gave for a ticket, and when.

    ``key`` is the ticket's ``OrderTicket.identity`` (its barcode, else its seat): never the
    empty barcode the document's Delay-OFF sample carries.
    """

    key: str
    token: str
    refreshed_at: float
    #: Apple Wallet pass id from secure render (``passData.ios.pkPassId``), when given.
    pk_pass_id: str | None = None


@dataclass(frozen=True)
class PageTicket:
    """What the secure page needs for one ticket: the token and where the seat is."""

    key: str
    token: str
    #: (section, row, seat), or None when seats must not be shown.
    seat: tuple[str, str, str] | None
    fresh: bool
    pk_pass_id: str | None = None


@dataclass(frozen=True)
class CachedOrder:
    """What the cache holds of one registered order, read with its registration in one round
    trip (a ticket view needs them together): Ticketmaster's last answer, when asked for the
    last token of each ticket (None: not read), and the cached availability of the events the
    order's tickets were for when last seen (by event id; None: Redis had none). An event the
    answer names that is not in ``events`` was not read."""

    answer: OrderManagementResponse | None
    tokens: dict[str, CachedToken] | None = None
    events: Mapping[str, Availability | None] = field(default_factory=dict)


class TicketmasterApi(Protocol):
    """The part of the Ticketmaster client SafeTix needs."""

    async def order_management(
        self,
        order_token: str,
        *,
        device_id: str,
        device_type: str,
        device_os: str,
        third_party_account_id: str,
    ) -> OrderManagementResponse:
        """Order with tickets (initial tokens)."""
        ...

    async def secure_render(
        self,
        *,
        user_id: str,
        device_id: str,
        device_type: str,
        device_os: str,
        tickets: Sequence[RenderTicketRequest],
        user_agent: str | None = None,
        retry: bool = True,
    ) -> SecureRenderResponse:
        """Fresh tokens; ``retry=False``: one attempt only."""
        ...

    async def availability(self, event_id: str) -> Availability:
        """Event date and display restrictions."""
        ...


class TmOrderStore(Protocol):
    """Redis-backed registry of fans' Ticketmaster orders, device ids and token cache."""

    async def register(self, ref: TmOrderRef) -> None:
        """Remember that this order belongs to this fan."""
        ...

    async def orders_of(self, fan: Fan) -> list[TmOrderRef]:
        """The fan's registered orders."""
        ...

    async def get(self, ref: str) -> TmOrderRef | None:
        """One registered order by its reference."""
        ...

    async def get_with_cache(
        self, ref: str, *, tokens: bool
    ) -> tuple[TmOrderRef | None, CachedOrder]:
        """One registered order and what the cache holds of it (the tokens too when asked),
        at once."""
        ...

    async def device_id(self, fan: Fan) -> str:
        """The fan's sticky device id (created on first use, never changed)."""
        ...

    async def browser_device_id(self, fan: Fan, browser: str) -> str:
        """The sticky device id of one browser of the fan (the first takes the fan's own)."""
        ...

    async def save_tokens(self, ref: str, tokens: Sequence[CachedToken], ttl: float) -> None:
        """Cache the latest tokens of an order's tickets."""
        ...

    async def tokens(self, ref: str) -> dict[str, CachedToken]:
        """Cached tokens by ticket key (``OrderTicket.identity``)."""
        ...

    async def save_order(self, ref: str, order: OrderManagementResponse, ttl: float) -> None:
        """Cache the order management answer (tickets, seats, delay date)."""
        ...

    async def cached_order(self, ref: str) -> OrderManagementResponse | None:
        """The cached order management answer."""
        ...

    async def save_event(self, event_id: str, event: Availability, ttl: float) -> None:
        """Cache an event's availability (date, restrictions)."""
        ...

    async def cached_event(self, event_id: str) -> Availability | None:
        """The cached availability of an event."""
        ...
