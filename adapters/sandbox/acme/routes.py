"""The ACME simulator's endpoints for orders, carts, memberships and the catalog.

Each method turns one request into one answer using :class:`AcmeSandboxState`; credentials
and tenant are checked before any of them runs (``adapters.sandbox.acme.app``); paging and time
windows are read as ``adapters.sandbox.acme.query`` describes.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from adapters.sandbox.acme.entitlements import entitlements
from adapters.sandbox.acme.errors import ApiError
from adapters.sandbox.acme.pricing import price_cart
from adapters.sandbox.acme.query import json_body, object_body, page_of, time_param, within
from adapters.sandbox.acme.records import MemberRecord, OrderRecord, iso
from adapters.sandbox.acme.state import AcmeSandboxState

#: Order fields a ``PUT /v2/b2c/orders/{id}`` may change; the rest are read only.
EDITABLE_ORDER_FIELDS = frozenset(
    {
        "email",
        "billingEmail",
        "contactFirstName",
        "contactLastName",
        "billingFirstName",
        "billingLastName",
        "billingAddress1",
        "billingCountry",
        "billingCity",
        "billingZipCode",
        "billingState",
        "address1",
        "country",
        "city",
        "state",
        "zipCode",
        "phoneNumber",
        "billingPhoneNumber",
        "notes",
        "ticketDelivery",
        "hideEventDate",
    }
)
#: Fields the document reserves to ACME; a client that sends them is refused (stricter than
#: silence, so a client that echoes what it read is caught here).
INTERNAL_ORDER_FIELDS = frozenset({"visitorId", "tempVisitorId"})
TIMES_DEFAULT_WINDOW = timedelta(days=2)
RENEWAL_WINDOW = timedelta(days=60)


class AcmeEndpoints:
    """The endpoint functions of one simulator, bound to its state."""

    def __init__(self, state: AcmeSandboxState) -> None:
        self.state = state

    # -- orders ----------------------------------------------------------------------

    async def search_orders(self, request: Request) -> Response:
        query = request.query_params
        with self.state.lock:  # copies, so a concurrent update cannot change a row mid-answer
            rows = [
                dict(r.summary)
                for r in self.state.search(query.get("email"), query.get("phoneNumber"))
            ]
        return JSONResponse(page_of(rows, request))

    async def orders_for_event(self, request: Request) -> Response:
        with self.state.lock:
            found = self.state.orders_for_event(request.path_params["event_id"])
            rows = [dict(r.summary) for r in found]
        return JSONResponse(page_of(rows, request))

    async def get_order(self, request: Request) -> Response:
        with self.state.lock:
            return JSONResponse(self._order(request).detail)

    async def update_order(self, request: Request) -> Response:
        body = object_body(await json_body(request))
        order_id = request.path_params["order_id"]
        if "id" in body and str(body["id"]) != order_id:
            raise ApiError(400, "ID_MISMATCH", "the body's id is not the order in the path")
        internal = sorted(INTERNAL_ORDER_FIELDS & body.keys())
        if internal:
            # acme-orders.txt: "Visitor is an internal only field - ACME - do not use".
            raise ApiError(400, "INTERNAL_FIELD", f"internal only, do not use: {internal}")
        changes = {
            key: value
            for key, value in body.items()
            if key in EDITABLE_ORDER_FIELDS and isinstance(value, str | bool | None)
        }
        with self.state.lock:
            record = self._order(request)
            changes["updatedOn"] = iso(self.state.now())
            record.detail.update(changes)
            record.summary.update(changes)
            return JSONResponse(record.detail)

    async def delete_order(self, request: Request) -> Response:
        with self.state.lock:
            record = self._order(request)
            del self.state.orders[record.detail["id"]]
        return Response(status_code=204)

    async def resend_confirmation(self, request: Request) -> Response:
        body = object_body(await json_body(request))
        email = body.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise ApiError(400, "INVALID_EMAIL", "email is required")
        record = self.state.order_by_number(request.path_params["order_number"])
        if record is None:
            raise ApiError(404, "ORDER_NOT_FOUND", "no order with that number")
        if body.get("sendEmail", True) is not False:
            with self.state.lock:
                self.state.emails_sent.append((record.detail["orderNumber"], email))
        return Response(status_code=204)

    def _order(self, request: Request) -> OrderRecord:
        record = self.state.orders.get(request.path_params["order_id"])
        if record is None:
            raise ApiError(404, "ORDER_NOT_FOUND", "no such order")
        return record

    # -- carts -----------------------------------------------------------------------

    async def create_cart(self, request: Request) -> Response:
        body = object_body(await json_body(request, empty={}))
        cart_id = secrets.token_hex(12)
        priced = price_cart(body, self.state.catalog, self.state.now(), cart_id)
        with self.state.lock:
            self.state.carts[cart_id] = priced.json
        return JSONResponse(cart_id)

    async def get_cart(self, request: Request) -> Response:
        with self.state.lock:
            return JSONResponse(self._cart(request.path_params["cart_id"]))

    async def update_cart(self, request: Request) -> Response:
        body = object_body(await json_body(request))
        cart_id = request.path_params["cart_id"]
        if body.get("id") != cart_id:
            raise ApiError(400, "ID_MISMATCH", "the body must repeat the cart's id")
        priced = price_cart(body, self.state.catalog, self.state.now(), cart_id)
        with self.state.lock:
            self._cart(cart_id)
            self.state.carts[cart_id] = priced.json
        return JSONResponse(priced.json)

    async def delete_cart(self, request: Request) -> Response:
        with self.state.lock:
            self._cart(request.path_params["cart_id"])
            del self.state.carts[request.path_params["cart_id"]]
        return Response(status_code=204)

    async def validate_entitlements(self, request: Request) -> Response:
        body = object_body(await json_body(request))
        if "items" in body:
            cart_id, cart = str(body.get("id") or ""), body
        else:
            cart_id = str(body.get("id") or "")
            with self.state.lock:
                cart = self._cart(cart_id)
        priced = price_cart(cart, self.state.catalog, self.state.now(), cart_id)
        return JSONResponse(entitlements(priced, self.state.purchased))

    def _cart(self, cart_id: str) -> dict[str, Any]:
        cart = self.state.carts.get(cart_id)
        if cart is None:
            raise ApiError(404, "CART_NOT_FOUND", "no such cart")
        return cart

    # -- memberships -----------------------------------------------------------------

    async def validate_membership(self, request: Request) -> Response:
        card = (request.query_params.get("membershipId") or "").strip()
        if not card:
            raise ApiError(400, "MEMBERSHIP_ID_REQUIRED", "membershipId is required")
        last_name = (request.query_params.get("lastName") or "").strip().casefold()
        now = self.state.now()
        for member in self.state.catalog.members.values():
            if member.card_number == card and last_name in ("", member.last_name.casefold()):
                return JSONResponse(
                    [{"status": "verified", "memberListEntry": member.entry_json(now)}]
                )
        return JSONResponse([{"status": "not_found"}])

    async def membership_exists(self, request: Request) -> Response:
        email = (request.query_params.get("email") or "").strip().casefold()
        if not email:
            raise ApiError(400, "EMAIL_REQUIRED", "email is required")
        now = self.state.now()
        found = [m for m in self.state.catalog.members.values() if m.email.casefold() == email]
        renew = any(m.expires - RENEWAL_WINDOW <= now for m in found)
        return JSONResponse({"exists": bool(found), "canRenew": renew})

    # -- catalog ---------------------------------------------------------------------

    async def list_templates(self, request: Request) -> Response:
        start, end = time_param(request, "startTime"), time_param(request, "endTime")
        member = self._member(request) is not None
        catalog = self.state.catalog
        templates = [
            template.json(member)
            for template in catalog.templates.values()
            if (start is None and end is None)
            or any(within(i.start, start, end) for i in catalog.instances_of(template.id))
        ]
        return JSONResponse(templates)

    async def get_template(self, request: Request) -> Response:
        template = self.state.catalog.templates.get(request.path_params["template_id"])
        if template is None:
            raise ApiError(404, "TEMPLATE_NOT_FOUND", "no such event template")
        return JSONResponse(template.json(self._member(request) is not None))

    async def template_times(self, request: Request) -> Response:
        template_id = request.path_params["template_id"]
        if template_id not in self.state.catalog.templates:
            raise ApiError(404, "TEMPLATE_NOT_FOUND", "no such event template")
        start = time_param(request, "startTime") or self.state.now()
        end = time_param(request, "endTime") or start + TIMES_DEFAULT_WINDOW
        with self.state.lock:
            times = [
                instance.time_json()
                for instance in self.state.catalog.instances_of(template_id)
                if within(instance.start, start, end)
            ]
        return JSONResponse(times)

    async def get_event(self, request: Request) -> Response:
        instance = self.state.catalog.instances.get(request.path_params["event_id"])
        if instance is None:
            raise ApiError(404, "EVENT_NOT_FOUND", "no such event")
        with self.state.lock:
            return JSONResponse(instance.json(self._member(request) is not None))

    def _member(self, request: Request) -> MemberRecord | None:
        """The current member named by ``membershipId``; others simply get full prices."""
        raw = request.query_params.get("membershipId")
        if raw is None:
            return None
        if not raw.strip().isdigit():
            raise ApiError(400, "INVALID_MEMBERSHIP_ID", "membershipId must be a number")
        member = self.state.catalog.members.get(int(raw))
        return member if member is not None and member.active(self.state.now()) else None
