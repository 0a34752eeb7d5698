"""ACME order, paging, session and error payloads (acme-orders.txt, acme-api-basics.txt).

The field names follow the Order Object table of acme-orders.txt; every documented sample parses
verbatim (tests/data/acme). Carts, entitlements and memberships are in ``acme_cart_models``,
the event catalog in ``acme_catalog_models``; the quirk-absorbing field types in ``acme_types``.

Note that ``GET /v2/b2c/orders/search`` returns orders *without* ``orderItems`` and with the
phone number in another shape than ``GET /v2/b2c/orders/{id}``: the same :class:`Order` model
serves both, and :meth:`Order.has_phone` compares numbers in E.164.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from bot.acme.types import (
    AcmeId,
    AcmeModel,
    EpochMsTime,
    OptCode,
    OptEpochMsTime,
    OptId,
    OptMembershipId,
    OptMoney,
    OptTime,
    same_phone,
    to_e164,
)

#: What ``PUT /v2/b2c/orders/{id}`` carries: the Order Object fields (acme-orders.txt) that
#: describe the customer and the delivery, which a client changes. Left out: ``id`` and the
#: items' ``itemId`` ("read only"), ``visitorId``/``tempVisitorId`` ("Visitor is an internal
#: only field - ACME - do not use"), and what ACME itself records (amounts, payment, check-in,
#: channel, who created or changed the order and when, the membership and coupon used at
#: checkout). Each one the order has is sent with its current value, so none is blanked.
CLIENT_EDITABLE_ORDER_FIELDS = (
    "email",
    "contactFirstName",
    "contactLastName",
    "zipCode",
    "phoneNumber",
    "notes",
    "ticketDelivery",
    "hideEventDate",
)

#: ``ticketStatus`` values that still admit the holder; Refund and Void tickets do not.
ADMITTING_TICKET_STATUSES = frozenset({"Normal", "Rebook"})


class TicketVo(AcmeModel):
    """One ticket of an order item; ``uuid`` is the barcode (QR code model 2, prefix ``at``)."""

    id: OptId = None
    tenant_id: OptId = None
    uuid: str
    check_in_date: OptTime = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone_number: str | None = None
    #: Normal, Rebook, Refund or Void.
    ticket_status: str | None = None
    printed: bool | None = None
    notes: str | None = None

    @property
    def admits(self) -> bool:
        """True when this ticket still lets its holder in (not refunded or voided)."""
        return self.ticket_status is None or self.ticket_status in ADMITTING_TICKET_STATUSES


class OrderItem(AcmeModel):
    """A line of an order: event tickets, an inventory item (add-on, donation) or a membership."""

    item_id: OptId = None
    parent_item_id: OptId = None
    combo_template_id: OptId = None
    combo_template_name: str | None = None
    #: fixedPrice or discountCode.
    combo_template_type: OptCode = None
    event_id: OptId = None
    event_name: str | None = None
    #: Epoch milliseconds in the documented sample (and written back that way).
    event_start_time: OptEpochMsTime = None
    ticketing_type_id: OptId = None
    ticketing_type_name: str | None = None
    item_name: str | None = None
    display_name: str | None = None
    price_point_id: OptId = None
    price_point_name: str | None = None
    item_detail_id: OptId = None
    basic_original_quantity: int | None = None
    original_quantity: int | None = None
    basic_quantity: int | None = None
    quantity: int = 0
    discount_id: OptId = None
    account_category_id: OptId = None
    checked_in_quantity: int | None = None
    unit_price: OptMoney = None
    discounted_unit_price: OptMoney = None
    discounted_original_amount: OptMoney = None
    original_amount: OptMoney = None
    discounted_amount: OptMoney = None
    amount: OptMoney = None
    balance_amount: OptMoney = None
    check_in_date: OptTime = None
    #: Event, Inventory, ComboEvent, ComboInventory, MembershipPurchase... (case varies).
    item_type: OptCode = None
    inventory_id: OptId = None
    inventory_name: str | None = None
    conversion_status: OptCode = None
    rule_set_id: OptId = None
    ticket_vos: list[TicketVo] = Field(default_factory=list)

    @property
    def is_event(self) -> bool:
        """True for admission tickets to an event (not add-ons, donations or memberships)."""
        return (self.item_type or "").lower() in {"event", "comboevent"}

    @property
    def is_inventory(self) -> bool:
        """True for inventory lines: add-ons such as "Audio Guide", donations, parking."""
        return (self.item_type or "").lower() in {"inventory", "comboinventory"}


class Order(AcmeModel):
    """An order as search (without items) or get (with ``orderItems``) returns it."""

    id: AcmeId
    tenant_id: OptId = None
    organization_id: OptId = None
    visitor_id: OptId = None
    temp_visitor_id: OptId = None
    email: str | None = None
    billing_email: str | None = None
    contact_first_name: str | None = None
    contact_last_name: str | None = None
    billing_first_name: str | None = None
    billing_last_name: str | None = None
    billing_address1: str | None = None
    billing_country: str | None = None
    billing_city: str | None = None
    billing_zip_code: str | None = None
    billing_state: str | None = None
    address1: str | None = None
    country: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    #: Raw, as ACME stored it; compare with :meth:`has_phone`.
    phone_number: str | None = None
    billing_phone_number: str | None = None
    order_number: OptId = None
    discounted_original_total_amount: OptMoney = None
    original_total_amount: OptMoney = None
    discounted_total_amount: OptMoney = None
    total_amount: OptMoney = None
    paid_amount: OptMoney = None
    balance_amount: OptMoney = None
    refund_amount: OptMoney = None
    #: online, pointOfSale, reseller... (the sample writes "Online").
    sale_channel: OptCode = None
    #: NotCheckedIn, CheckedIn, PartiallyCheckedIn.
    check_in_status: OptCode = None
    order_exception_code_id: OptId = None
    order_exception_code_name: str | None = None
    notes: str | None = None
    pos_uuid: OptCode = Field(default=None, alias="posUUID")
    creation_date: OptTime = None
    created_on: OptTime = None
    created_by: OptId = None
    updated_on: OptTime = None
    updated_by: OptId = None
    payment_due_date: OptTime = None
    #: print or willCall.
    ticket_delivery: OptCode = None
    ticket_expire_days: int | None = None
    hide_event_date: bool | None = None
    legacy: bool | None = None
    membership_id: OptMembershipId = None
    coupon_id: OptId = None
    cc_last_four_digits: OptCode = None
    payment_id: OptId = None
    account_contact_id: OptId = None
    invoice_after: bool | None = None
    customer_id: OptId = None
    obfuscated: bool | None = None
    order_items: list[OrderItem] = Field(default_factory=list)

    @property
    def dates_hidden(self) -> bool:
        """``hideEventDate``: "hide dates on the tickets" (acme-orders.txt). Usher then shows
        the order's event dates nowhere: not to the fan, not to an agent, not in a reminder."""
        return self.hide_event_date is True

    def update_body(self) -> dict[str, object]:
        """The body of ``PUT /v2/b2c/orders/{id}``: the client-editable fields the order has
        (as read, with any changes), nothing else."""
        body = self.to_json_body()
        return {name: body[name] for name in CLIENT_EDITABLE_ORDER_FIELDS if name in body}

    @property
    def phone_e164(self) -> str | None:
        """The contact phone in E.164 (``+11234567890``), or None when absent or not a number."""
        return to_e164(self.phone_number)

    def has_phone(self, phone: str) -> bool:
        """True when ``phone`` (any spelling) is this order's contact or billing phone."""
        return same_phone(phone, self.phone_number) or same_phone(phone, self.billing_phone_number)

    def has_email(self, email: str) -> bool:
        """True when ``email`` is this order's contact or billing email (case-insensitive)."""
        wanted = email.strip().casefold()
        return any(
            value is not None and value.strip().casefold() == wanted
            for value in (self.email, self.billing_email)
        )

    @property
    def tickets(self) -> list[tuple[OrderItem, TicketVo]]:
        """Every (event item, ticket) pair, in order: what a fan scans at the door."""
        return [(item, ticket) for item in self.order_items for ticket in item.ticket_vos]


class Pagination(AcmeModel):
    """The ``pagination`` block of every paged ACME list."""

    page: int
    page_size: int
    sort_direction: OptCode = None
    sort_field: OptCode = None
    count: int | None = None
    #: Not always present; when absent a short page means the last one.
    has_more: bool | None = None


class OrderPage(AcmeModel):
    """One page of ``GET /v2/b2c/orders/search`` or ``/v2/b2c/orders/event/{eventId}``.

    The search is documented with ``{list, pagination}``. The event list is documented with
    ``eventId`` alone, no paging parameters and no sample answer: it is read in the search's
    shape, or as an object without ``pagination``, or as a bare JSON list; ``pagination`` is
    None in the last two cases, meaning "this is the whole list".
    """

    orders: list[Order] = Field(alias="list")
    pagination: Pagination | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_list(cls, data: object) -> object:
        return {"list": data} if isinstance(data, list) else data


class Session(AcmeModel):
    """``GET /v2/b2b/customer/session``: a temporary key, sent back as ``x-acme-session``."""

    roles: list[object] = Field(default_factory=list)
    session: str
    #: ``expireMs`` (epoch ms) as an aware datetime.
    expires_at: EpochMsTime = Field(alias="expireMs")
    email: str | None = None
    user_name: str | None = None
    tenant_id: OptId = None
    first_name: str | None = None
    last_name: str | None = None
    id: OptId = None
    confirmed: bool | None = None
    on_boarded: bool | None = None
    title: str | None = None
    tenant_time_zone: str | None = None
    company_name: str | None = None


class AcmeErrorBody(AcmeModel):
    """ACME's error body ``{code, message, type}`` (e.g. 16003 DUPLICATE_TRANSACTION_FOUND)."""

    code: int | None = None
    message: str | None = None
    type: str | None = None
