"""Ticketmaster orders registered to fans, and their SafeTix tokens.

The rules from the SafeTix document and docs/architecture.md, in one place:

* An order is registered to one fan (``POST /api/tm/orders``) with the
  ``third_party_account_id`` it was bought under; that id is sent as ``x-user-id`` on every
  secure render of its tickets.
* Device ids are sticky and per device (the SafeTix FAQ 3, 4 and 6: "a unique identifier
  specific to that device/app install"; "a user who has two devices ... would give us the same
  deviceId. This will not work"). Each browser that opens the secure page gets its own id,
  kept in Redis against that browser and reused for it; the fan's first browser takes the
  fan's own id, which the chat and the worker's scheduled refresh use, so nothing registered
  before changes. A view's order management and secure render carry the viewing browser's id.
* A ticket with a token is SafeTix (shown only on the secure page, refreshed on every view);
  a barcode without a token is a plain QR; a delay date without tokens means "ready on".
* Tokens are cached (Redis) at every refresh; when Ticketmaster is slow or down at display
  time the last cached token is shown, which the document says stays valid.
* Concurrent views of the same order share one secure-render call (single flight).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

import structlog

from bot import copy
from bot.app.metrics import CACHE
from bot.errors import NotAllowed, UpstreamError
from bot.messages import Fan
from bot.ticketmaster.cart_models import Availability
from bot.ticketmaster.models import (
    OrderManagementResponse,
    OrderTicket,
    RenderTicketRequest,
    keyed_tickets,
)
from bot.ticketmaster.ports import (
    CachedOrder,
    CachedToken,
    PageTicket,
    TicketmasterApi,
    TmOrderRef,
    TmOrderStore,
)

log = structlog.get_logger("usher.safetix")

DEVICE_TYPE = "web"
DEVICE_OS = "other"


@dataclass(frozen=True)
class Viewer:
    """The browser a token is rendered for: its OS (the document's ``device_os``: ios, android
    or other) and its ``userAgent`` (secure render's sample sends one). Ticketmaster answers
    an iOS device with ``passData.ios.pkPassId``, the Apple Wallet pass."""

    os: str = DEVICE_OS
    user_agent: str | None = None


#: A job or a chat turn: no browser.
NO_BROWSER = Viewer()
#: The longest ``userAgent`` passed on (the document gives no limit; real ones stay well under).
MAX_USER_AGENT = 300


def viewer_of(user_agent: str | None) -> Viewer:
    """The viewer a browser's ``User-Agent`` describes."""
    if not user_agent:
        return NO_BROWSER
    agent = user_agent[:MAX_USER_AGENT]
    lowered = agent.lower()
    if any(word in lowered for word in ("iphone", "ipad", "ipod")):
        return Viewer("ios", agent)
    if "android" in lowered:
        return Viewer("android", agent)
    return Viewer(DEVICE_OS, agent)


#: Longest a page view waits for a fresh token before showing the cached one.
REFRESH_BUDGET = 2.5


TOKEN_TTL = 7 * 24 * 3600.0
ORDER_TTL = 7 * 24 * 3600.0
EVENT_TTL = 3600.0


def seat_of(ticket: OrderTicket, hide_seat: bool) -> tuple[str, str, str] | None:
    """(section, row, seat), unless the event hides seats or the ticket has none (GA)."""
    if hide_seat or ticket.is_ga or not (ticket.section and ticket.row and ticket.seat_name):
        return None
    return (ticket.section, ticket.row, ticket.seat_name)


def ticket_label(ticket: OrderTicket, hide_seat: bool, lang: str) -> str:
    """ "Section 101, row C, seat 7" in the fan's language, or "seat assigned at entry"."""
    seat = seat_of(ticket, hide_seat)
    if seat is None:
        return copy.text("seat_hidden", lang)
    section, row, number = seat
    return copy.text("seat", lang, section=section, row=row, seat=number)


@dataclass(frozen=True)
class Renewal:
    """What one renewal brought: the order answer used, and the new token of each ticket key
    that got one; ``problems`` are Ticketmaster's per-ticket errors, for job reports."""

    answer: OrderManagementResponse
    fresh: dict[str, CachedToken]
    problems: list[str]


class SafeTix:
    """Loads a fan's Ticketmaster orders and keeps their tokens fresh, or at least cached."""

    def __init__(self, api: TicketmasterApi, store: TmOrderStore) -> None:
        self.api = api
        self.store = store
        self._inflight: dict[str, asyncio.Future[list[PageTicket]]] = {}

    async def owned(self, fan: Fan, ref: str) -> TmOrderRef:
        """The registered order, if it is this fan's (else NotAllowed, like "not found")."""
        found = await self.store.get(ref)
        if found is None or found.fan != fan:
            raise NotAllowed("not the fan's Ticketmaster order")
        return found

    async def load(
        self, order: TmOrderRef, *, device_id: str | None = None
    ) -> OrderManagementResponse:
        """Order management with a sticky device id (a browser's own, else the fan's); caches
        the answer and its tokens.

        Falls back to the cached answer when Ticketmaster fails, so a known order can still
        be shown during an outage.
        """
        answer, _ = await self._load(order, device_id)
        return answer

    async def _load(
        self, order: TmOrderRef, device_id: str | None
    ) -> tuple[OrderManagementResponse, bool]:
        """:meth:`load`, and whether the answer is Ticketmaster's own (True) or the cache's."""
        try:
            return await self._order_management(order, device_id), True
        except UpstreamError:
            cached = await self.store.cached_order(order.ref)
            if cached is None:
                raise
            CACHE.labels("tm_order", "fallback").inc()
            return cached, False

    async def _order_management(
        self, order: TmOrderRef, device_id: str | None, viewer: Viewer = NO_BROWSER
    ) -> OrderManagementResponse:
        """Ask Ticketmaster for the order (new tokens for every SafeTix ticket) and cache it."""
        device = device_id or await self.store.device_id(order.fan)
        answer = await self.api.order_management(
            order.order_token,
            device_id=device,
            device_type=DEVICE_TYPE,
            device_os=viewer.os,
            third_party_account_id=order.third_party_account_id,
        )
        await self.store.save_order(order.ref, answer, ORDER_TTL)
        await self.store.save_tokens(order.ref, list(_tokens_of(answer).values()), TOKEN_TTL)
        return answer

    async def renew(
        self,
        order: TmOrderRef,
        answer: OrderManagementResponse,
        *,
        retry: bool = True,
        device_id: str | None = None,
        viewer: Viewer = NO_BROWSER,
    ) -> Renewal:
        """New tokens for the order's SafeTix tickets, cached as they arrive.

        Secure render needs each ticket's barcode (the document's FAQ 2: "The barcode is a
        required parameter for the SecureRender API"). A ticket that came without one, as in
        the document's Delay-OFF sample, cannot be refreshed there; order management, which
        issued its token in the first place, issues a new one, so such an order is renewed
        through it (one call for every ticket). ``device_id``: the viewing browser's (None:
        the fan's own); ``viewer``: its OS and user agent. Raises ``UpstreamError`` when the
        call fails.
        """
        keyed = safetix_tickets(answer)
        if any(not ticket.barcode_id for _, ticket in keyed):
            answer = await self._order_management(order, device_id, viewer)
            return Renewal(answer, _tokens_of(answer), [])
        device = device_id or await self.store.device_id(order.fan)
        entries = [(key, RenderTicketRequest.from_order_ticket(t)) for key, t in keyed]
        rendered = await self.api.secure_render(
            user_id=order.third_party_account_id,
            device_id=device,
            device_type=DEVICE_TYPE,
            device_os=viewer.os,
            user_agent=viewer.user_agent,
            tickets=[entry for _, entry in entries],
            retry=retry,
        )
        now = time.time()
        fresh = {}
        for key, entry in entries:
            match = next((r for r in rendered.rendered if entry.answered_by(r)), None)
            if match is not None and match.token:
                fresh[key] = CachedToken(key, match.token, now, match.pk_pass_id)
        await self.store.save_tokens(order.ref, list(fresh.values()), TOKEN_TTL)
        problems = sorted({f"{f.error.code} {f.error.error}" for f in rendered.failed if f.error})
        return Renewal(answer, fresh, problems)

    async def event(
        self, event_id: str, *, preread: CachedOrder | None = None
    ) -> Availability | None:
        """The event's availability (for its date and seat restrictions), cached for an hour.

        ``preread``: a view's cache, read with the registration; the event's cached
        availability is taken from it when it was read there.
        """
        if preread is not None and event_id in preread.events:
            cached = preread.events[event_id]
        else:
            cached = await self.store.cached_event(event_id)
        if cached is not None:
            CACHE.labels("tm_event", "hit").inc()
            return cached
        CACHE.labels("tm_event", "miss").inc()
        try:
            event = await self.api.availability(event_id)
        except UpstreamError as exc:
            log.warning("tm_event_unavailable", event_id=event_id, error=type(exc).__name__)
            return None
        await self.store.save_event(event_id, event, EVENT_TTL)
        return event

    async def refresh(
        self,
        order: TmOrderRef,
        *,
        device_id: str | None = None,
        viewer: Viewer = NO_BROWSER,
        budget: float = REFRESH_BUDGET,
        cached: CachedOrder | None = None,
    ) -> list[PageTicket]:
        """Fresh tokens for every SafeTix ticket of the order, cached ones where refresh fails,
        rendered for ``device_id`` (a browser's own id; None: the fan's) and ``viewer``.

        ``cached``: the order's cache as the caller just read it with the registration
        (``TmOrderStore.get_with_cache``, the ticket page), so it is not read again.
        Concurrent callers for the same order and device share one call.
        """
        device = device_id or await self.store.device_id(order.fan)
        flight = f"{order.ref}\x00{device}"
        running = self._inflight.get(flight)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[list[PageTicket]] = asyncio.get_running_loop().create_future()
        self._inflight[flight] = future
        try:
            result = await self._refresh(order, device, viewer, budget, cached)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters get it through await
            raise
        finally:
            self._inflight.pop(flight, None)
        future.set_result(result)
        return result

    async def _refresh(
        self,
        order: TmOrderRef,
        device: str,
        viewer: Viewer,
        budget: float,
        preread: CachedOrder | None,
    ) -> list[PageTicket]:
        answer = preread.answer if preread is not None else await self.store.cached_order(order.ref)
        events_read = preread  # what was read of the events stays true after a load
        fresh: dict[str, CachedToken] = {}
        if answer is None or not safetix_tickets(answer):
            # Never loaded, or loaded while delivery was delayed: ask Ticketmaster again. A
            # successful answer carries new tokens, so no secure render is needed on top.
            answer, loaded = await self._load(order, device)
            if loaded:
                fresh = _tokens_of(answer)
            preread = None  # the load may have cached tokens since: read them again
        safetix = safetix_tickets(answer)
        if not safetix:
            return []
        cached = (
            preread.tokens
            if preread is not None and preread.tokens is not None
            else await self.store.tokens(order.ref)
        )
        if not fresh:
            # With a cached token for every ticket one attempt is enough: on failure the fan
            # gets the cached token at once, which the document says stays valid ("the SDK
            # would attempt to use the token refreshed 20 hours prior"). Retrying would only
            # make the fan at the gate wait and add secure-render calls in a rush.
            retry = any(key not in cached for key, _ in safetix)
            try:
                renewal = await asyncio.wait_for(
                    self.renew(order, answer, retry=retry, device_id=device, viewer=viewer),
                    timeout=budget,
                )
                answer, fresh = renewal.answer, renewal.fresh
                safetix = safetix_tickets(answer) or safetix
            except (UpstreamError, TimeoutError) as exc:
                log.warning("safetix_refresh_failed", ref=order.ref, error=type(exc).__name__)
        hide = await self._hide_seats(safetix[0][1].event_id, events_read)
        tickets: list[PageTicket] = []
        for key, ticket in safetix:
            seat = seat_of(ticket, hide)
            if key in fresh:
                CACHE.labels("safetix", "fresh").inc()
                token = fresh[key]
                tickets.append(PageTicket(key, token.token, seat, True, token.pk_pass_id))
            elif key in cached:
                CACHE.labels("safetix", "fallback").inc()
                token = cached[key]
                tickets.append(PageTicket(key, token.token, seat, False, token.pk_pass_id))
        return tickets

    async def _hide_seats(self, event_id: str, preread: CachedOrder | None) -> bool:
        event = await self.event(event_id, preread=preread)
        return bool(event and event.event.loc_row_seat_restrict)


def safetix_tickets(answer: OrderManagementResponse) -> list[tuple[str, OrderTicket]]:
    """Tickets that got a token (the document's one signal that a ticket is SafeTix), each
    with its key (``OrderTicket.identity``, unique within the order)."""
    return [(key, t) for key, t in keyed_tickets(answer.tickets) if t.is_safetix and not t.voided]


def _tokens_of(answer: OrderManagementResponse) -> dict[str, CachedToken]:
    """The tokens order management gave, by ticket key."""
    now = time.time()
    return {key: CachedToken(key, t.token, now) for key, t in safetix_tickets(answer) if t.token}


def delay_date(answer: OrderManagementResponse) -> date | None:
    """The day tickets become available, when delivery is delayed."""
    return answer.delivery_delay_date if answer.is_delayed else None


def event_time(event: Availability | None) -> datetime | None:
    """The event's start, when known; always aware (Ticketmaster writes UTC, "...Z": a time
    without a zone is read as UTC, never as the server's local time)."""
    moment = event.event.event_date_time if event is not None else None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
