"""Ticketmaster Partner API and SafeTix payloads, as the reference documents really show them.

Every JSON sample in ``tm-safetix-partner-api.txt`` is copied verbatim into ``tests/data/tm`` and
must parse into these models. Why each rule:

* **Unknown fields are ignored** (``extra="ignore"``): Ticketmaster adds fields over time, and a
  new one must never stop a fan from seeing a ticket. Fields the bot relies on are typed; the
  rest are optional with defaults, because the documented samples already disagree with each
  other (``customer_email`` in one order, ``options`` in the other).
* **Money is Decimal.** Amounts arrive as JSON numbers (``97.90``) or strings (``"54.41"``);
  pydantic reads them through a double, which round-trips any amount of up to 15 significant
  digits exactly, so ``Decimal`` arithmetic on totals is safe.
* **Python names, Ticketmaster spelling on the wire.** The Partner API is snake_case, secure
  render and availability are camelCase, and the cart has an ``"x-num"`` key: aliases carry the
  wire names, and request models serialise by alias so ``model_dump(mode="json")`` is the body.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel


def _number_to_str(value: Any) -> Any:
    """Ids that the documents show both as ``"1"`` and ``1`` (``priceLevelId``) become text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


#: Text that Ticketmaster sometimes sends as a number.
Text = Annotated[str, BeforeValidator(_number_to_str)]


class TMModel(BaseModel):
    """Base of every Ticketmaster payload: lenient on input, wire names on output."""

    model_config = ConfigDict(
        extra="ignore", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )


class CamelModel(TMModel):
    """Secure render and availability speak camelCase."""

    model_config = ConfigDict(alias_generator=to_camel)


# --- errors and polling --------------------------------------------------------------------


class TMError(TMModel):
    """The inside of ``{"error": {...}}``; ``http_code``/``severity`` are absent in some samples."""

    message: str
    code: int | str | None = None
    http_code: int | None = None
    severity: str | None = None


class TMErrorBody(TMModel):
    """Every Partner API error answer."""

    error: TMError


class PollingJob(TMModel):
    """A 202 answer: GET ``polling_url`` after ``wait`` seconds (the docs show 4)."""

    polling_url: str = Field(min_length=1)
    wait: float = 1.0


# --- order management ----------------------------------------------------------------------


class OrderManagementRequest(TMModel):
    """Body of ``POST /partners/v1/orders?order_token=...`` (limits from the document's table)."""

    device_id: str = Field(min_length=1, max_length=50)
    device_os: str = Field(min_length=1, max_length=50)
    device_type: str = Field(min_length=1, max_length=20)
    third_party_account_id: str = Field(min_length=1, max_length=100)


class Amount(TMModel):
    amount: Decimal
    currency: str


class OrderCharge(TMModel):
    description: str | None = None
    sub_type: str | None = None
    type: str
    amount: Amount


class SecureEntryError(TMModel):
    code: int
    message: str


class SecureEntryData(TMModel):
    """How a ticket is rendered: ``rotating_symbology`` (SafeTix PDF417) or ``barcode`` (QR)."""

    render_type: str
    segment_type: str | None = None
    token: str | None = Field(default=None, repr=False)
    error: SecureEntryError | None = None


class OrderTicket(TMModel):
    barcode_id: str = ""
    display_id: str | None = None
    event_code: str | None = None
    event_host: str | None = None
    event_id: str
    is_ga: bool = False
    is_national_vip: bool | None = None
    order_date: date | None = None
    order_number: str
    portal: str | None = None
    row: Text | None = None
    seat_id: Text | None = None
    seat_name: Text | None = None
    section: Text | None = None
    voided: bool = False
    charges: list[OrderCharge] = Field(default_factory=list)
    secure_entry_data: SecureEntryData | None = None

    @property
    def token(self) -> str | None:
        """The SafeTix token, if Ticketmaster issued one."""
        data = self.secure_entry_data
        return data.token if data is not None and data.token else None

    @property
    def is_safetix(self) -> bool:
        """A token means SafeTix: render with the SDK, refresh with secure render."""
        return self.token is not None

    @property
    def is_barcode_only(self) -> bool:
        """A barcode without a token means a plain QR code (the event is not SafeTix)."""
        return bool(self.barcode_id) and self.token is None

    @property
    def identity(self) -> str:
        """What names this ticket in caches and pages: its barcode, else its seat.

        The document's "Delay Delivery OFF" sample has ``"barcode_id": ""`` next to a token, so
        the barcode cannot be the only key: every such ticket would share ``""`` and overwrite
        the others' tokens. ``seat_id`` is Ticketmaster's id of the seat within the event.
        Tickets that have neither are told apart by :func:`keyed_tickets`.
        """
        if self.barcode_id:
            return self.barcode_id
        if self.seat_id:
            return f"seat:{self.event_id}:{self.seat_id}"
        place = "/".join(part or "-" for part in (self.section, self.row, self.seat_name))
        return f"place:{self.event_id}:{place}"


def keyed_tickets(tickets: list[OrderTicket]) -> list[tuple[str, OrderTicket]]:
    """Each ticket with a key unique within its order (``identity``, numbered on a clash).

    Tickets with neither barcode nor seat (general admission before delivery) would share an
    identity; their position in the order's answer tells them apart.
    """
    seen: dict[str, int] = {}
    keyed = []
    for ticket in tickets:
        key = ticket.identity
        seen[key] = seen.get(key, 0) + 1
        keyed.append((key if seen[key] == 1 else f"{key}#{seen[key]}", ticket))
    return keyed


class DeliveryDescription(TMModel):
    long: str | None = None
    short: str | None = None
    eta: str | None = None


class Delivery(TMModel):
    carrier: str | None = None
    service_level: str | None = None
    description: DeliveryDescription | None = None


class OrderOption(TMModel):
    option_number: int
    description: str


class AdditionalInfo(TMModel):
    safetix_delivery_delay_date: date | None = None


class OrderManagementResponse(TMModel):
    """The order and its tickets; the first SafeTix token arrives here."""

    customer_email: str | None = None
    third_party_source: str | None = None
    options: list[OrderOption] = Field(default_factory=list)
    delivery: Delivery | None = None
    tickets: list[OrderTicket] = Field(default_factory=list)
    voided: bool = False
    additional_info: AdditionalInfo | None = None
    device_id: str | None = None
    device_type: str | None = None
    device_os: str | None = None
    nfc_capable_device: bool | None = None
    third_party_account_id: str | None = None
    tm_sends_redemption_claim_email: bool | None = None

    @property
    def delivery_delay_date(self) -> date | None:
        """The day the SafeTix tokens can be fetched, when Delay Delivery is on."""
        info = self.additional_info
        return info.safetix_delivery_delay_date if info is not None else None

    @property
    def is_delayed(self) -> bool:
        """Delay Delivery is on and no ticket has its token yet: tell the fan the date.

        A date alone is not enough: the document's "Delay Delivery OFF" sample also carries a
        (past) date while its tickets already have tokens, and those must be shown.
        """
        return self.delivery_delay_date is not None and not any(
            ticket.is_safetix for ticket in self.tickets
        )


# --- secure render -------------------------------------------------------------------------


class RenderTicketRequest(CamelModel):
    """One ticket to refresh; Ticketmaster requires all five fields.

    A field the ticket does not have is left out rather than sent as ``""``: the document's
    400 sample shows that shape (a ticket without ``row`` answered ``missing.row.attribute``),
    and an empty string would pass for a value. Callers send ``exclude_none`` bodies.
    """

    event_id: str
    section: str | None = None
    row: str | None = None
    seat: str | None = None
    barcode: str | None = None

    @classmethod
    def from_order_ticket(cls, ticket: OrderTicket) -> RenderTicketRequest:
        """The request entry for a ticket from order management (seat is its ``seat_name``)."""
        return cls(
            event_id=ticket.event_id,
            section=ticket.section or None,
            row=ticket.row or None,
            seat=ticket.seat_name or None,
            barcode=ticket.barcode_id or None,
        )

    def answered_by(self, rendered: RenderedTicket) -> bool:
        """True when ``rendered`` is the answer to this entry (by barcode, else by seat)."""
        if self.barcode:
            return rendered.barcode == self.barcode
        return (rendered.event_id, rendered.section, rendered.row, rendered.seat) == (
            self.event_id,
            self.section,
            self.row,
            self.seat,
        )


class SecureRenderRequest(CamelModel):
    """Body of ``POST /marketplace/v1/securerender`` (the fan's id goes in ``x-user-id``)."""

    device_id: str
    device_type: str
    device_os: str
    user_agent: str | None = None
    tickets: list[RenderTicketRequest] = Field(min_length=1)


class IosPass(CamelModel):
    pk_pass_id: str | None = None


class PassData(CamelModel):
    ios: IosPass | None = None


class RenderError(CamelModel):
    """A per-ticket failure, e.g. ``{"code": 400, "error": "missing.row.attribute"}``."""

    code: int
    error: str


class RenderedTicket(CamelModel):
    """One ticket of the answer: a fresh ``token`` or an ``error``, never the call's fate."""

    event_id: str | None = None
    section: Text | None = None
    row: Text | None = None
    seat: Text | None = None
    barcode: Text | None = None
    token: str | None = Field(default=None, repr=False)
    render_type: str | None = None
    pass_data: PassData | None = None
    error: RenderError | None = None

    @property
    def ok(self) -> bool:
        """True when this ticket got a token."""
        return self.error is None and bool(self.token)

    @property
    def pk_pass_id(self) -> str | None:
        """The Apple Wallet pass id, when Ticketmaster offers one."""
        ios = self.pass_data.ios if self.pass_data is not None else None
        return ios.pk_pass_id if ios is not None else None


class SecureRenderResponse(CamelModel):
    """The 200 answer, or the 400 one whose tickets carry per-ticket errors."""

    device_id: str | None = None
    device_type: str | None = None
    device_os: str | None = None
    nfc_capable_device: bool | None = None
    tickets: list[RenderedTicket] = Field(default_factory=list)

    @property
    def rendered(self) -> list[RenderedTicket]:
        """Tickets that got a fresh token."""
        return [ticket for ticket in self.tickets if ticket.ok]

    @property
    def failed(self) -> list[RenderedTicket]:
        """Tickets that did not; each carries its ``error`` when Ticketmaster gave one."""
        return [ticket for ticket in self.tickets if not ticket.ok]
