"""The hosted checkout: signed links to a cart's payment page, and confirming what it bought.

Payment data never passes through Usher (docs/architecture.md): the page's own script sends the
card to ACME's CORS checkout with the publishable key (``adapters/pages/checkout.py``). Usher's
part:

1. **The link.** ``/checkout/{token}`` names one cart and a digest of the fan it was made for
   (empty for an anonymous browser that came through a web purchase link), signed and expiring
   like the ticket-page links (``bot.links``). It carries no price, no name, no key.
2. **The confirmation.** After paying, the page reports the order id ACME answered, or, when
   ACME answered 409 to a retried attempt (the first one went through, acme-notes.md), only
   the email it bought with. Neither is trusted: Usher reads the order from ACME with its
   server key and accepts it only when the order's ``notes`` carry the cart's secret ``ref``
   (:func:`order_note`), which only the page served for this cart writes into the checkout.
   So nobody can claim someone else's order by posting its id.

A confirmed order is handled once, whoever reports it first (a claim on the order id): the
purchase link counts a purchase, the cart record keeps the order id, and the fan is messaged on
their own channel with the order number. Paying proves nothing about the email typed on the
page (docs/architecture.md: only a held email or phone opens tickets), so the tickets open in
the chat only through that email: a fan who already verified it gets a tickets button; anyone
else gets a code mailed to the order's address and is asked for it (the chat then shows the
tickets). A
repeated report (double click, refresh) gets the same answer and does nothing else.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, Protocol

import structlog
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bot import copy
from bot.acme.models import Order, OrderPage
from bot.acme.types import email_spellings
from bot.buying.carts import CartRecord, CartRecordStore
from bot.errors import BotError, NotFound
from bot.formatting import mask_email
from bot.identity import SendResult, Verified
from bot.links import fan_digest
from bot.messages import Button, Fan, Reply
from bot.orders import is_order_id, owns

log = structlog.get_logger("usher.checkout")

#: How long a checkout link opens the page (a fan asks the chat for a fresh one afterwards).
CHECKOUT_LINK_MAX_AGE = 3600
#: How much longer the page may still report its order: a fan who paid just after the link's
#: hour must still get their confirmation.
CONFIRM_GRACE = 6 * 3600
#: How long a paid cart's record (and so a repeated confirmation) is remembered.
PAID_RECORD_TTL = 7 * 24 * 3600.0
#: Orders older than the cart by more than this cannot be its order (clock differences).
CLOCK_SKEW = 600.0
#: Newest orders of the buyer's email looked at when the page knows no order id.
RECENT_ORDERS = 10
#: Longest email accepted from the page (RFC 5321's path limit).
MAX_EMAIL = 254


class CheckoutExpired(BotError):
    """A genuine link, too old."""

    message_key = "checkout_expired"


class CheckoutInvalid(BotError):
    """A link we did not make (or one that was altered)."""

    message_key = "checkout_invalid"


class CheckoutGone(BotError):
    """The cart behind a genuine link is gone (cleaned up, emptied, or not this fan's)."""

    message_key = "checkout_gone"


class NotConfirmed(BotError):
    """The reported order could not be confirmed as this cart's (yet)."""

    message_key = "checkout_unconfirmed"


@dataclass(frozen=True)
class CheckoutToken:
    """What a checkout link names."""

    cart_id: str
    #: ``bot.links.fan_digest`` of the buyer, or "" for an anonymous browser.
    fan_digest: str
    lang: str


@dataclass(frozen=True)
class Confirmed:
    """A confirmed order, and whether its buyer has a chat that was told."""

    order: Order
    chat: bool


def order_note(record: CartRecord) -> str:
    """The ``notes`` the page sends with the checkout, tying the order to this cart."""
    return f"Usher checkout {record.ref}"


class CheckoutLinks:
    """Makes and reads checkout-page links."""

    def __init__(
        self, secret: bytes, public_url: str, *, max_age: int = CHECKOUT_LINK_MAX_AGE
    ) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="usher.checkout-page")
        self.public_url = public_url.rstrip("/")
        self.max_age = max_age

    def url(self, cart_id: str, fan: Fan | None, lang: str) -> str:
        """The page URL for one cart."""
        return f"{self.public_url}/checkout/{self.token(cart_id, fan, lang)}"

    def token(self, cart_id: str, fan: Fan | None, lang: str) -> str:
        """The signed path segment."""
        digest = fan_digest(fan) if fan is not None else ""
        return str(self.serializer.dumps({"c": cart_id, "f": digest, "l": lang}))

    def read(self, token: str, *, grace: int = 0) -> CheckoutToken:
        """The link's contents (``grace`` seconds past its age allowed), or CheckoutExpired /
        CheckoutInvalid."""
        try:
            data = self.serializer.loads(token, max_age=self.max_age + grace)
        except SignatureExpired:
            raise CheckoutExpired("checkout link expired") from None
        except BadSignature:
            raise CheckoutInvalid("checkout link not genuine") from None
        if not isinstance(data, dict) or not {"c", "f", "l"} <= data.keys():
            raise CheckoutInvalid("checkout link malformed")
        return CheckoutToken(str(data["c"]), str(data["f"]), copy.pick_language(str(data["l"])))


class OrderLookup(Protocol):
    """The part of the ACME client confirmation needs."""

    async def get_order(self, order_id: str) -> Order:
        """One order with its items."""
        ...

    async def search_orders(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        page: int = 1,
        page_size: int = 100,
        sort_field: str | None = None,
        sort_direction: Literal["asc", "desc"] | None = None,
    ) -> OrderPage:
        """One page of the orders of an email."""
        ...


class Verifier(Protocol):
    """What the fan holds, and codes to an email (``bot.identity.Identity`` fits)."""

    async def verified(self, fan: Fan) -> Verified:
        """The fan's verified emails and phones."""
        ...

    async def send_code(
        self, fan: Fan, email: str, *, subject: str, body_template: str
    ) -> SendResult:
        """Mail the fan a one-time code to ``email`` (within the code rules)."""
        ...


class LinkCounter(Protocol):
    """Counts what purchase links lead to (``bot.buying.purchase_links.PurchaseLinks`` fits)."""

    async def counted(self, code: str, stat: str) -> None:
        """Add one to a link's counter."""
        ...


class Notifier(Protocol):
    """Messages a fan outside a turn (``bot.outbound.Messenger`` fits)."""

    async def language_of(self, fan: Fan) -> str:
        """The fan's language."""
        ...

    async def send(self, fan: Fan, replies: Sequence[Reply]) -> None:
        """Deliver, or raise."""
        ...

    async def send_composed(
        self, fan: Fan, compose: Callable[[str], Awaitable[Sequence[Reply]]]
    ) -> None:
        """Deliver what ``compose(lang)`` writes in the fan's language, or raise."""
        ...

    async def expect(self, fan: Fan, what: str, *, resume: str) -> None:
        """Make the fan's next message the answer to a question (as a turn's ``expect``)."""
        ...


class Checkouts:
    """Opens checkout pages and confirms their orders; bound once at start-up."""

    def __init__(
        self,
        links: CheckoutLinks,
        records: CartRecordStore,
        orders: OrderLookup,
        verifier: Verifier,
        counter: LinkCounter,
        notifier: Notifier,
    ) -> None:
        self.links = links
        self.records = records
        self.orders = orders
        self.verifier = verifier
        self.counter = counter
        self.notifier = notifier

    async def record_for(self, token: str, *, grace: int = 0) -> tuple[CheckoutToken, CartRecord]:
        """The link's cart record; CheckoutExpired / CheckoutInvalid / CheckoutGone."""
        data = self.links.read(token, grace=grace)
        record = await self.records.get(data.cart_id)
        if record is None:
            raise CheckoutGone("no such cart (any more)")
        expected = fan_digest(Fan.from_key(record.fan)) if record.fan is not None else ""
        if not hmac.compare_digest(expected, data.fan_digest):
            raise CheckoutGone("the cart is not the link's fan's")
        return data, record

    async def confirm(self, token: str, *, order_id: str | None, email: str | None) -> Confirmed:
        """The order the page reports for this cart, confirmed with ACME; handled once."""
        _, record = await self.record_for(token, grace=CONFIRM_GRACE)
        chat = record.fan is not None
        if record.order_id is not None:
            return Confirmed(await self.orders.get_order(record.order_id), chat)
        order = await self._find(record, order_id, email)
        if not await self.records.claim_order(order.id, ttl=PAID_RECORD_TTL):
            # Another report of the same order is being (or was) handled: nothing more to do.
            return Confirmed(order, chat)
        try:
            await self._settle(record, order)
        except Exception:
            await self.records.release_order(order.id)
            raise
        await self._notify(record, order)
        return Confirmed(order, chat)

    async def _find(self, record: CartRecord, order_id: str | None, email: str | None) -> Order:
        if order_id is not None:
            if not is_order_id(order_id):
                raise NotConfirmed("not an order id")
            try:
                order = await self.orders.get_order(order_id)
            except NotFound:
                raise NotConfirmed("no such order") from None
            if self._is_cart_order(order, record):
                return order
            raise NotConfirmed("the order is not this cart's")
        if email is None or "@" not in email or len(email) > MAX_EMAIL:
            raise NotConfirmed("neither an order id nor an email")
        for spelling in email_spellings(email):  # ACME matches as stored: as typed, then lower
            recent = await self.orders.search_orders(
                email=spelling,
                page_size=RECENT_ORDERS,
                sort_field="createdOn",
                sort_direction="desc",
            )
            for summary in recent.orders:
                if not self._recent_enough(summary, record):
                    continue
                order = await self.orders.get_order(summary.id)
                if self._is_cart_order(order, record):
                    return order
        raise NotConfirmed("no order of that email carries this cart's note")

    def _recent_enough(self, order: Order, record: CartRecord) -> bool:
        created = order.created_on or order.creation_date
        return created is None or created.timestamp() >= record.created_at - CLOCK_SKEW

    def _is_cart_order(self, order: Order, record: CartRecord) -> bool:
        return order_note(record) in (order.notes or "") and self._recent_enough(order, record)

    async def _settle(self, record: CartRecord, order: Order) -> None:
        if record.link_code is not None:
            await self.counter.counted(record.link_code, "purchases")
        await self.records.finish(replace(record, order_id=order.id), ttl=PAID_RECORD_TTL)
        log.info("checkout_confirmed", order=order.id, via_link=record.link_code is not None)

    async def _notify(self, record: CartRecord, order: Order) -> None:
        """Tell the fan in their chat; the page has already shown the number, so a failure
        here is logged, not raised."""
        if record.fan is None:
            return
        fan = Fan.from_key(record.fan)
        try:

            async def paid(lang: str) -> list[Reply]:
                return [await self._paid_message(fan, order, lang)]

            await self.notifier.send_composed(fan, paid)
        except Exception as exc:
            log.warning("checkout_notify_failed", channel=fan.channel, error=type(exc).__name__)

    async def _paid_message(self, fan: Fan, order: Order, lang: str) -> Reply:
        """The paid message: tickets at once for a fan who holds the order's email or phone;
        otherwise a code to the order's email, which the fan's next message answers."""
        number = order.order_number or order.id
        tickets = (Button(copy.text("button_my_new_tickets", lang), f"tickets:{order.id}"),)
        if owns(order, await self.verifier.verified(fan)):
            return Reply(copy.text("checkout_paid", lang, number=number), buttons=tickets)
        if order.email:
            sent = await self.verifier.send_code(
                fan,
                order.email,
                subject=copy.text("code_mail_subject", lang),
                body_template=copy.text("code_mail_body", lang, code="{code}"),
            )
            if sent is SendResult.SENT:
                await self.notifier.expect(fan, "code", resume=f"tickets:{order.id}")
                email = mask_email(order.email.strip().lower())
                return Reply(copy.text("checkout_paid_code", lang, number=number, email=email))
        return Reply(copy.text("checkout_paid_verify", lang, number=number), buttons=tickets)
