"""ACME shopping cart, entitlements, membership and checkout payloads.

Sources: acme-discounts-carts.txt (every cart and EntitlementsResult sample parses verbatim, see
tests/data/acme) and acme-notes.md for the shapes the primary documents leave out (membership
validate/exists, checkout). The checkout body follows the public community client
(BarnesFoundation/acme-ticketing-client, ``CheckoutInputObject``): a cart id *or* an inline cart,
the contact, and either a payment token or card fields.

Request models are the same classes as response models: build one with only the fields you mean
and :meth:`~bot.acme.types.AcmeModel.to_json_body` sends exactly those, so the server adds
its own (``itemId``, ``unitPrice``...) and a ``PUT`` of a cart read back keeps unknown fields.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field

from bot.acme.types import (
    AcmeModel,
    OptCode,
    OptId,
    OptMembershipId,
    OptMoney,
    OptTime,
)

#: ``saleChannel`` of every B2C cart; ACME requires it for checkout.
ONLINE = "online"


class CartItem(AcmeModel):
    """One cart line: tickets for an event instance, or an add-on (``itemType: Inventory``)."""

    item_id: OptId = None
    item_type: OptCode = None
    event_id: OptId = None
    #: The price point, i.e. the event's ``personType.id`` ("Adult", "Child"...).
    ticketing_type_id: OptId = None
    event_name: str | None = None
    ticketing_type_name: str | None = None
    inventory_id: OptId = None
    inventory_name: str | None = None
    quantity: int = 0
    unit_price: OptMoney = None
    retail_unit_price: OptMoney = None
    amount: OptMoney = None
    admission_type: OptCode = None
    #: True forces full price even with a membership in the cart.
    is_retail: bool | None = None
    #: True leaves this line out of the member-entitlement count.
    ignore_entitlements: bool | None = None
    #: Item-level coupons apply to this line only; cart-level ones to every eligible line.
    coupon_codes: list[str] | None = None

    @classmethod
    def tickets(
        cls,
        event_id: str,
        ticketing_type_id: str,
        quantity: int,
        *,
        is_retail: bool | None = None,
        coupon_codes: list[str] | None = None,
    ) -> CartItem:
        """A ticket line as a request (only the fields the caller decides)."""
        fields: dict[str, Any] = {
            "event_id": event_id,
            "ticketing_type_id": ticketing_type_id,
            "quantity": quantity,
        }
        if is_retail is not None:
            fields["is_retail"] = is_retail
        if coupon_codes is not None:
            fields["coupon_codes"] = coupon_codes
        return cls(**fields)

    @classmethod
    def add_on(cls, event_id: str, inventory_id: str, quantity: int) -> CartItem:
        """An add-on line (inferred shape, acme-notes.md): an inventory item tied to the event."""
        return cls(
            item_type="Inventory", event_id=event_id, inventory_id=inventory_id, quantity=quantity
        )


class Cart(AcmeModel):
    """The B2C shopping cart; the server answers every create/update with it repriced."""

    id: OptId = None
    items: list[CartItem] = Field(default_factory=list)
    combo_items: list[dict[str, Any]] = Field(default_factory=list)
    forms: list[dict[str, Any]] = Field(default_factory=list)
    #: Plural on purpose: the singular ``couponCode`` is internal and stops coupons applying.
    coupon_codes: list[str] | None = None
    #: ACME's internal membership ids (``memberListEntry.membershipId``), not card numbers.
    membership_ids: list[int] | None = None
    membership_category_id: OptId = None
    customer_id: OptId = None
    sale_channel: OptCode = None
    verify_entitlements: bool | None = None

    @property
    def total(self) -> Decimal:
        """Sum of the priced lines (lines the server has not priced count as zero)."""
        return sum((item.amount or Decimal(0) for item in self.items), Decimal(0))


class RuleApplied(AcmeModel):
    """One member rule checked for an entitlement result."""

    id: str
    valid: bool
    message: str | None = None
    message_code: str | None = None


class EntitlementRuleResult(AcmeModel):
    """How one member rule came out for the cart (``results[]``)."""

    allowed_quantity: int
    purchased_quantity: int
    requested_quantity: int
    valid: bool
    rule_set_id: OptId = None
    rules_applied: list[RuleApplied] = Field(default_factory=list)
    items: list[CartItem] = Field(default_factory=list)
    membership_id: OptMembershipId = None
    membership_level_id: OptId = None
    #: e.g. ``oneDay``.
    time_frame: OptCode = None
    pricepoint_ids: list[str] = Field(default_factory=list)
    rule_type: OptCode = None
    validated_price_point_ids: list[str] = Field(default_factory=list)
    reason: OptCode = None


class EntitlementViolation(AcmeModel):
    """A broken member rule, in words a fan can be told (``violations[]``)."""

    event_id: OptId = None
    price_point_id: OptId = None
    allowed_quantity: int
    purchased_quantity: int
    requested_quantity: int
    #: e.g. ``day``.
    time_frame: OptCode = None
    #: Price point *names* ("Adult", "Child"...) the limit covers.
    price_points: list[str] = Field(default_factory=list)
    rule_type: OptCode = None
    validated_price_point_ids: list[str] = Field(default_factory=list)
    validated_price_points: list[str] = Field(default_factory=list)
    reason: OptCode = None
    price_point_ids: list[str] = Field(default_factory=list)

    @property
    def remaining(self) -> int:
        """How many member-priced tickets may still be bought under this rule."""
        return max(0, self.allowed_quantity - self.purchased_quantity)


class EntitlementsResult(AcmeModel):
    """``POST /v2/b2c/entitlements/validate``: may this member buy these member tickets?"""

    valid: bool
    messages: list[str] = Field(default_factory=list)
    results: list[EntitlementRuleResult] = Field(default_factory=list)
    violations: list[EntitlementViolation] = Field(default_factory=list)
    passed: list[Any] = Field(default_factory=list)


class MemberListEntry(AcmeModel):
    """The member behind a card. Personal data: never echo it to a chat."""

    #: Internal id: what goes in ``Cart.membership_ids``.
    membership_id: int
    #: The number printed on the card (what the fan types).
    membership_number: OptId = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone_number: str | None = None
    address1: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    country: str | None = None
    membership_level_id: OptId = None
    membership_level_name: str | None = None
    start_date: OptTime = None
    expiration_date: OptTime = None
    #: e.g. ``active`` or ``expired``.
    membership_standing: OptCode = None


class MembershipValidation(AcmeModel):
    """One result of ``GET /v2/b2c/membership/validate``: ``verified`` or ``not_found``."""

    status: str
    member_list_entry: MemberListEntry | None = None

    @property
    def verified(self) -> bool:
        """True when the card number (and last name, when given) matched a member."""
        return self.status == "verified" and self.member_list_entry is not None


class MembershipExists(AcmeModel):
    """``GET /v2/b2c/membership/exists?email=``."""

    exists: bool
    can_renew: bool | None = None


class CheckoutRequest(AcmeModel):
    """The body of ``POST /v2/b2c/checkout`` and ``/v2/b2c/cors/checkout``.

    Give ``shopping_cart_id`` or ``shopping_cart``, not both. Card fields are here because the
    browser page builds the same body; Usher's server never fills them (payment data never
    passes through Usher), hence ``repr=False``.
    """

    shopping_cart_id: OptId = None
    shopping_cart: Cart | None = None
    email: str | None = None
    contact_first_name: str | None = None
    contact_last_name: str | None = None
    phone_number: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    zip_code: str | None = None
    billing_first_name: str | None = None
    billing_last_name: str | None = None
    billing_email: str | None = None
    billing_phone_number: str | None = None
    billing_zip_code: str | None = None
    #: Visa, MasterCard, AmericanExpress, Discover or Jcb.
    credit_card_brand: OptCode = None
    cc_last_four_digits: OptCode = None
    manual_entry_card_number: str | None = Field(default=None, repr=False)
    #: MMyy.
    exp_date: str | None = Field(default=None, repr=False)
    cvc: str | None = Field(default=None, repr=False)
    #: A tokenised card from ACME's payment page, instead of the card fields.
    acme_token: str | None = Field(default=None, repr=False)
    #: When given, ACME refuses the checkout unless it equals the cart total.
    charge_amount: OptMoney = None
    notes: str | None = None
