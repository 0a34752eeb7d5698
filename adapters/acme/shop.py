"""ACME calls for buying: carts, member entitlements, membership look-ups and the catalog.

Carts are priced by the server on every create and update (member price, coupons, ``isRetail``;
acme-discounts-carts.txt), so Usher never computes a price itself: it sends what the fan asked
for and shows what comes back. Creating a cart is repeated only when the server surely did
nothing (``Retry.IF_NOT_PROCESSED``): a second cart would be an orphan; everything else here is
a read or a whole replacement and safe to repeat.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import TypeAdapter

from adapters.acme.transport import AcmeTransport, segment, time_window
from adapters.upstream import Retry
from bot.acme.cart_models import (
    Cart,
    EntitlementsResult,
    MembershipExists,
    MembershipValidation,
)
from bot.acme.catalog_models import EventInstance, EventTemplate, EventTime

_CART_ID = TypeAdapter(str)
_VALIDATIONS = TypeAdapter(list[MembershipValidation])
_TEMPLATES = TypeAdapter(list[EventTemplate])
_TIMES = TypeAdapter(list[EventTime])


class AcmeShopApi(AcmeTransport):
    """Carts, memberships and catalog (mixed into :class:`adapters.acme.client.AcmeClient`)."""

    async def create_cart(self, cart: Cart | None = None, *, browser_ip: str | None = None) -> str:
        """Create a cart (empty, or with items) and return its id (ACME answers a bare string)."""
        response = await self._send(
            "POST",
            "/v2/b2c/carts",
            endpoint="carts.create",
            retry=Retry.IF_NOT_PROCESSED,
            json_body=cart.to_json_body() if cart is not None else {},
            browser_ip=browser_ip,
        )
        return self._upstream.parse(response, _CART_ID, endpoint="carts.create")

    async def get_cart(self, cart_id: str) -> Cart:
        """A cart, priced."""
        return await self._get(Cart, f"/v2/b2c/carts/{segment(cart_id)}", endpoint="carts.get")

    async def update_cart(self, cart_id: str, cart: Cart, *, browser_ip: str | None = None) -> Cart:
        """Replace a cart's contents and get it back repriced.

        ACME requires the body to repeat the id, so it is set here from ``cart_id``.
        """
        if cart.id is not None and cart.id != cart_id:
            raise ValueError(f"cart id {cart.id!r} does not match {cart_id!r}")
        return await self._json(
            Cart,
            "PUT",
            f"/v2/b2c/carts/{segment(cart_id)}",
            endpoint="carts.update",
            retry=Retry.IDEMPOTENT,
            json_body={**cart.to_json_body(), "id": cart_id},
            browser_ip=browser_ip,
        )

    async def delete_cart(self, cart_id: str) -> bool:
        """Delete a cart; False when it did not exist."""
        return await self._delete(f"/v2/b2c/carts/{segment(cart_id)}", endpoint="carts.delete")

    async def validate_entitlements(
        self, cart: str | Cart, *, browser_ip: str | None = None
    ) -> EntitlementsResult:
        """Check member rules (e.g. one member ticket a day) for a cart id or an inline cart."""
        return await self._json(
            EntitlementsResult,
            "POST",
            "/v2/b2c/entitlements/validate",
            endpoint="entitlements.validate",
            # A validation changes nothing on the server, so repeating it is safe.
            retry=Retry.IDEMPOTENT,
            json_body={"id": cart} if isinstance(cart, str) else cart.to_json_body(),
            browser_ip=browser_ip,
        )

    async def validate_membership(
        self, card_number: str, last_name: str | None = None
    ) -> list[MembershipValidation]:
        """Look a membership card up; the entry's ``membershipId`` is what carts take."""
        return await self._get(
            _VALIDATIONS,
            "/v2/b2c/membership/validate",
            endpoint="membership.validate",
            params={"membershipId": card_number, "lastName": last_name},
        )

    async def membership_exists(self, email: str) -> MembershipExists:
        """Whether someone with this email is a member (and may renew)."""
        return await self._get(
            MembershipExists,
            "/v2/b2c/membership/exists",
            endpoint="membership.exists",
            params={"email": email},
        )

    async def get_event(self, instance_id: str, membership_id: int | None = None) -> EventInstance:
        """An event instance with its prices (member prices when a membership id is given)."""
        return await self._get(
            EventInstance,
            f"/v2/b2c/events/{segment(instance_id)}",
            endpoint="events.get",
            params={"membershipId": membership_id},
        )

    async def list_event_templates(
        self,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        membership_id: int | None = None,
    ) -> list[EventTemplate]:
        """The events for sale."""
        return await self._get(
            _TEMPLATES,
            "/v2/b2c/event/templates",
            endpoint="templates.list",
            params=time_window(start_time, end_time, membership_id),
        )

    async def get_event_template(
        self, template_id: str, membership_id: int | None = None
    ) -> EventTemplate:
        """One event template."""
        return await self._get(
            EventTemplate,
            f"/v2/b2c/event/templates/{segment(template_id)}",
            endpoint="templates.get",
            params={"membershipId": membership_id},
        )

    async def event_times(
        self,
        template_id: str,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        membership_id: int | None = None,
    ) -> list[EventTime]:
        """The time slots (event instances) of a template in a window (ACME's default: 2 days)."""
        return await self._get(
            _TIMES,
            f"/v2/b2c/event/templates/{segment(template_id)}/times",
            endpoint="templates.times",
            params=time_window(start_time, end_time, membership_id),
        )
