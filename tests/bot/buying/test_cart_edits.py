"""Cart edits against the discounts document's own payloads: from the cart ACME answered to the
request the document shows next (offline, pure)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.acme.cart_models import Cart, CartItem, EntitlementsResult
from bot.buying.cart_edits import (
    MAX_QUANTITY,
    over_limit,
    request_cart,
    split_for_entitlements,
    with_add_on,
    with_cart_coupon,
    with_coupon_on_one_ticket,
    with_membership,
    with_ticket_quantity,
)
from tests.support.acme_env import load
from tests.support.shop import ADULT, TOUR


def document_request(name: str) -> dict[str, Any]:
    """A request sample as a cart body (without the id the client adds itself)."""
    body: dict[str, Any] = load(name)
    body.pop("id")
    return body


def body(cart: Cart) -> dict[str, Any]:
    sent = cart.to_json_body()
    assert sent.pop("saleChannel") == "online"  # every request keeps the cart sellable online
    return sent


def two_member_tickets() -> Cart:
    """The cart the EntitlementsResult example describes: 2 member-priced adult tickets."""
    return Cart.model_validate(
        {
            "id": "643e8cbd9f0baf41144ce26b",
            "membershipIds": [5970603],
            "items": [
                {
                    "itemId": "9d1629a4a0e14085ab25775651daffb8",
                    "eventId": TOUR,
                    "ticketingTypeId": ADULT,
                    "quantity": 2,
                    "unitPrice": "24.00",
                    "retailUnitPrice": "32.00",
                    "amount": "48.00",
                    "isRetail": False,
                }
            ],
        }
    )


def test_the_entitlement_violation_splits_into_the_documents_member_and_retail_request() -> None:
    result = EntitlementsResult.model_validate(load("entitlements_validate_response.json"))
    cart = two_member_tickets()
    assert over_limit(cart, result.violations) == 1
    split = split_for_entitlements(cart, result.violations)
    assert body(split) == document_request("cart_put_member_and_retail_request.json")


def test_one_ticket_coupon_turns_member_and_retail_into_the_all_in_one_request() -> None:
    three = Cart.model_validate(load("cart_put_member_and_retail_response.json"))
    three.items[1].quantity = 2  # two tickets over the member limit, at full price
    request = with_coupon_on_one_ticket(three, "AAA5")
    assert request is not None
    assert body(request) == document_request("cart_put_all_in_one_request.json")
    all_in_one = Cart.model_validate(load("cart_put_all_in_one_response.json"))
    assert with_coupon_on_one_ticket(all_in_one, "AAA5") is None  # already on a ticket


def test_the_one_ticket_coupon_of_the_coupon_example() -> None:
    two = Cart(items=[CartItem.tickets(TOUR, ADULT, 2)])
    request = with_coupon_on_one_ticket(two, "AAA5")
    assert request is not None
    assert body(request) == document_request("cart_put_coupon_request.json")


def test_a_cart_read_back_is_sent_without_the_servers_fields() -> None:
    answered = Cart.model_validate(load("cart_put_all_in_one_response.json"))
    assert body(request_cart(answered)) == document_request("cart_put_all_in_one_request.json")


def test_membership_and_cart_coupon_sit_on_the_cart() -> None:
    cart = Cart(items=[CartItem.tickets(TOUR, ADULT, 1)])
    assert body(with_membership(cart, 5970603))["membershipIds"] == [5970603]
    coupon = body(with_cart_coupon(with_membership(cart, 5970603), "AAA5"))
    assert coupon["couponCodes"] == ["AAA5"]
    assert coupon["membershipIds"] == [5970603]
    assert "couponCodes" not in coupon["items"][0]


def test_a_new_ticket_count_keeps_coupon_tickets_and_undoes_full_price_splits() -> None:
    answered = Cart.model_validate(load("cart_put_all_in_one_response.json"))
    assert body(with_ticket_quantity(answered, 4))["items"] == [
        {"eventId": TOUR, "ticketingTypeId": ADULT, "quantity": 1, "couponCodes": ["AAA5"]},
        {"eventId": TOUR, "ticketingTypeId": ADULT, "quantity": 3},
    ]
    assert body(with_ticket_quantity(answered, 1))["items"] == [
        {"eventId": TOUR, "ticketingTypeId": ADULT, "quantity": 1, "couponCodes": ["AAA5"]},
    ]


def test_add_on_quantities_are_set_not_added() -> None:
    cart = Cart(items=[CartItem.tickets(TOUR, ADULT, 1)])
    once = with_add_on(cart, TOUR, "1901", 2)
    twice = with_add_on(once, TOUR, "1901", 2)
    assert body(twice) == body(once)
    assert body(once)["items"][1] == {
        "itemType": "Inventory",
        "eventId": TOUR,
        "inventoryId": "1901",
        "quantity": 2,
    }
    assert len(body(with_add_on(once, TOUR, "1901", 0))["items"]) == 1


@pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1])
def test_ticket_counts_out_of_range_are_refused(quantity: int) -> None:
    with pytest.raises(ValueError, match="quantity"):
        with_ticket_quantity(Cart(items=[CartItem.tickets(TOUR, ADULT, 1)]), quantity)
