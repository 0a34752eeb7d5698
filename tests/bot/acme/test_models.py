"""The ACME models against every sample of the reference documents, copied verbatim into
tests/data/acme, and against the quirks acme-notes.md lists (string money, ``"null"``, epoch
milliseconds, ids as numbers, phones in two shapes, unknown fields)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from bot.acme.cart_models import (
    Cart,
    CartItem,
    CheckoutRequest,
    EntitlementsResult,
    MembershipExists,
    MembershipValidation,
)
from bot.acme.catalog_models import EventInstance, EventTemplate, EventTime
from bot.acme.models import AcmeErrorBody, Order, OrderPage, Session
from bot.acme.types import (
    AcmeModel,
    OptId,
    OptMoney,
    OptTime,
    email_spellings,
    phone_spellings,
    same_phone,
    to_e164,
)

DATA = Path(__file__).parents[2] / "data" / "acme"
ADULT = "6130fea5bf4aec4ef5db0dc5"
TOUR_EVENT = "61f99cfb62bd1f467c397829"
PDT = timezone(timedelta(hours=-7))


REFERENCE = Path(__file__).parents[2] / "data" / "reference"
#: Copies that had to be repaired to be JSON (tests/data/acme/README.md says how).
REPAIRED = {
    "cart_put_all_in_one_request.json",
    "cart_put_coupon_request.json",
    "cart_put_member_and_retail_request.json",
    "session_response.json",
}


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(DATA.glob("*.json")) if p.name not in REPAIRED],
    ids=lambda path: path.name,
)
def test_sample_is_verbatim_from_its_document(path: Path) -> None:
    text = path.read_text(encoding="utf-8").removesuffix("\n")
    documents = [doc.read_text(encoding="utf-8") for doc in REFERENCE.glob("acme-*.txt")]
    assert any(text in document for document in documents)


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def raw(name: str) -> bytes:
    return (DATA / name).read_bytes()


# -- orders -------------------------------------------------------------------------------


def test_search_response_parses_with_documented_values() -> None:
    page = OrderPage.model_validate_json(raw("orders_search_response.json"))

    assert len(page.orders) == 1
    order = page.orders[0]
    assert order.id == "30263798"
    assert order.tenant_id == "107"
    assert order.order_number == "100148401"
    assert order.total_amount == Decimal("255.00")
    assert order.balance_amount == Decimal("0.00")
    assert order.created_on == datetime(2021, 5, 13, 10, 2, 9, tzinfo=PDT)
    assert order.created_on.utcoffset() == timedelta(hours=-7)
    assert order.created_by == "2258"
    assert order.membership_id == 4600100
    assert order.phone_number == "1234567890"
    assert order.order_items == []
    assert page.pagination is not None
    assert page.pagination.page == 1
    assert page.pagination.page_size == 100
    assert page.pagination.sort_field == "createdOn"
    assert page.pagination.sort_direction == "desc"
    assert page.pagination.count == 1
    assert page.pagination.has_more is False


def test_get_order_parses_items_and_null_strings() -> None:
    order = Order.model_validate_json(raw("order_get_response.json"))

    assert order.total_amount == Decimal("255.00")
    assert order.created_by is None
    assert order.updated_by is None
    assert order.cc_last_four_digits == "4242"
    assert len(order.order_items) == 5
    membership, sailing, add_on, hiking, donation = order.order_items
    assert membership.item_type == "MembershipPurchase"
    assert not membership.is_event
    assert membership.item_detail_id == "4600100"
    assert sailing.is_event
    assert sailing.event_id == "5ff74342210cbe0c44913be2"
    assert sailing.event_start_time == datetime(2021, 5, 15, tzinfo=UTC)
    assert sailing.unit_price == Decimal("100.00")
    assert sailing.amount == Decimal("200.00")
    assert sailing.quantity == 2
    assert sailing.ticketing_type_name == "Adulting"
    assert add_on.is_inventory
    assert add_on.inventory_id == "1800"
    assert add_on.inventory_name == "Event Add-On"
    assert hiking.event_start_time == datetime(2021, 5, 14, 22, 0, tzinfo=UTC)
    assert hiking.rule_set_id == "5b29c42a79e71d616f47693c"
    assert donation.model_extra == {"itemTypeNg": "Donation"}  # unknown fields kept as sent
    assert order.tickets == []


def test_unknown_fields_are_kept_for_a_put() -> None:
    order = Order.model_validate_json(raw("order_get_response.json"))
    body = order.to_json_body()

    first = body["orderItems"][0]
    assert first["itemId2"] == "615a5555659c4a28a355f702ec036108"
    assert first["itemTypeNg"] == "Event"
    assert body["orderItems"][1]["eventStartTime"] == 1621036800000
    assert body["totalAmount"] == "255.00"
    assert body["createdOn"] == "2021-05-13T10:02:09-07:00"
    assert body["createdBy"] is None
    assert body["billingEmail"] == "janedoe@gmail.com"


def test_the_two_phone_shapes_of_one_order_compare_equal() -> None:
    searched = OrderPage.model_validate_json(raw("orders_search_response.json")).orders[0]
    fetched = Order.model_validate_json(raw("order_get_response.json"))

    assert searched.phone_number != fetched.phone_number
    assert searched.phone_e164 == fetched.phone_e164 == "+11234567890"
    assert searched.has_phone("+1 (123) 456-7890")
    assert fetched.has_phone("123.456.7890")
    assert not fetched.has_phone("+1 123 456 7891")
    assert fetched.has_email("JaneDoe@Gmail.com ")
    assert not fetched.has_email("jane@gmail.com")


def test_tickets_pair_items_with_their_barcodes() -> None:
    order = Order.model_validate(
        {
            "id": 1,
            "orderItems": [
                {
                    "itemType": "Event",
                    "quantity": 2,
                    "ticketVos": [
                        {
                            "id": 11,
                            "uuid": "ata6f22a-e79c2b4aa6a2f3204a-0c491203",
                            "ticketStatus": "Normal",
                            "checkInDate": "null",
                        },
                        {
                            "id": 12,
                            "uuid": "ata6f22a-e79c2b4aa6a2f3204a-0c491204",
                            "ticketStatus": "Refund",
                        },
                    ],
                },
                {"itemType": "Inventory", "inventoryId": 1800, "quantity": 1},
            ],
        }
    )

    pairs = order.tickets
    assert [ticket.uuid for _, ticket in pairs] == [
        "ata6f22a-e79c2b4aa6a2f3204a-0c491203",
        "ata6f22a-e79c2b4aa6a2f3204a-0c491204",
    ]
    assert [ticket.admits for _, ticket in pairs] == [True, False]
    assert pairs[0][1].check_in_date is None
    assert pairs[0][1].id == "11"


def test_session_sample_parses() -> None:
    session = Session.model_validate_json(raw("session_response.json"))

    assert session.session == "7nkMkckXxTukVZtIWxUK"
    assert session.expires_at == datetime(2020, 3, 13, 18, 18, 22, 541000, tzinfo=UTC)
    assert session.tenant_id == "999"
    assert session.last_name == "Prince"
    assert session.tenant_time_zone == "America/New_York"


def test_error_body() -> None:
    body = AcmeErrorBody.model_validate(
        {"code": 16003, "message": "Duplicate", "type": "DUPLICATE_TRANSACTION_FOUND"}
    )
    assert (body.code, body.type) == (16003, "DUPLICATE_TRANSACTION_FOUND")


# -- carts and entitlements -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "prices", "retail"),
    [
        ("cart_put_member_pricing", [("24.00", "0.00")], [False]),
        ("cart_put_member_and_retail", [("24.00", "24.00"), ("32.00", "32.00")], [False, True]),
        ("cart_put_coupon", [("32.00", "32.00"), ("27.00", "27.00")], [False, False]),
        (
            "cart_put_all_in_one",
            [("24.00", "24.00"), ("32.00", "32.00"), ("27.00", "27.00")],
            [False, True, False],
        ),
    ],
)
def test_cart_responses_parse(name: str, prices: list[tuple[str, str]], retail: list[bool]) -> None:
    cart = Cart.model_validate_json(raw(f"{name}_response.json"))

    assert cart.id == "643e8cbd9f0baf41144ce26b"
    assert [(i.unit_price, i.amount) for i in cart.items] == [
        (Decimal(unit), Decimal(amount)) for unit, amount in prices
    ]
    assert all(item.retail_unit_price == Decimal("32.00") for item in cart.items)
    assert [item.is_retail for item in cart.items] == retail
    assert all(item.event_name == "Behind-the-Scenes Tour" for item in cart.items)
    assert all(item.ticketing_type_name == "Adult" for item in cart.items)
    assert cart.total == sum((Decimal(amount) for _, amount in prices), Decimal(0))
    assert cart.verify_entitlements is False


def test_member_and_coupon_fields() -> None:
    member = Cart.model_validate_json(raw("cart_put_member_pricing_response.json"))
    coupon = Cart.model_validate_json(raw("cart_put_coupon_response.json"))

    assert member.membership_ids == [5970603]
    assert member.items[0].item_id == "c5e55f44d52e4154af432fb2571c2add"
    assert member.items[0].admission_type == "standard"
    assert coupon.membership_ids is None
    assert coupon.items[0].coupon_codes is None
    assert coupon.items[1].coupon_codes == ["AAA5"]


@pytest.mark.parametrize(
    "name",
    [
        "cart_put_member_pricing_request.json",
        "cart_put_member_and_retail_request.json",
        "cart_put_coupon_request.json",
        "cart_put_all_in_one_request.json",
        "entitlements_validate_request.json",
    ],
)
def test_documented_requests_are_sent_exactly(name: str) -> None:
    """A cart built from the documented request serialises back to that request."""
    assert Cart.model_validate_json(raw(name)).to_json_body() == load(name)


def test_request_builders_send_only_what_the_caller_decides() -> None:
    cart = Cart(
        membership_ids=[5970603],
        items=[
            CartItem.tickets(TOUR_EVENT, ADULT, 1),
            CartItem.tickets(TOUR_EVENT, ADULT, 1, is_retail=True),
            CartItem.tickets(TOUR_EVENT, ADULT, 1, coupon_codes=["AAA5"]),
            CartItem.add_on(TOUR_EVENT, "1901", 2),
        ],
    )
    expected = load("cart_put_all_in_one_request.json")
    del expected["id"]
    expected["items"].append(
        {"itemType": "Inventory", "eventId": TOUR_EVENT, "inventoryId": "1901", "quantity": 2}
    )
    assert cart.to_json_body() == expected


def test_entitlements_result_parses() -> None:
    result = EntitlementsResult.model_validate_json(raw("entitlements_validate_response.json"))

    assert result.valid is False
    assert result.messages == ["Rule failed:Adult_Child_Senior_Student_Youth_1"]
    assert len(result.results) == 4
    failed = result.results[0]
    assert (failed.allowed_quantity, failed.purchased_quantity, failed.requested_quantity) == (
        1,
        0,
        2,
    )
    assert failed.valid is False
    assert failed.membership_id == 5970603
    assert failed.membership_level_id == "6206e59122895a1d99dba320"
    assert failed.rules_applied[0].message_code == "Adult_Child_Senior_Student_Youth_1-ERROR"
    assert failed.items[0].unit_price == Decimal("0.00")
    assert failed.time_frame == "oneDay"
    assert len(failed.pricepoint_ids) == 5
    assert result.results[3].pricepoint_ids == [ADULT, "6130feaa64056f6aa46c4b56"]
    assert result.results[3].rules_applied[0].message is None
    violation = result.violations[0]
    assert violation.allowed_quantity == 1
    assert violation.requested_quantity == 2
    assert violation.remaining == 1
    assert violation.price_point_id == ADULT
    assert violation.price_points == ["Adult", "Child", "Senior", "Student", "Youth"]
    assert violation.time_frame == "day"
    assert result.passed == []


# -- memberships, catalog, checkout (shapes from acme-notes.md) ---------------------------------


def test_membership_validation_results() -> None:
    results = TypeAdapter(list[MembershipValidation]).validate_python(
        [
            {
                "status": "verified",
                "memberListEntry": {
                    "membershipId": "5970603",
                    "membershipNumber": 7700123456,
                    "lastName": "Lee",
                    "expirationDate": "2030-01-01T00:00:00Z",
                },
            },
            {"status": "not_found"},
        ]
    )
    assert results[0].verified
    entry = results[0].member_list_entry
    assert entry is not None
    assert (entry.membership_id, entry.membership_number) == (5970603, "7700123456")
    assert entry.expiration_date == datetime(2030, 1, 1, tzinfo=UTC)
    assert not results[1].verified
    assert MembershipExists.model_validate({"exists": True, "canRenew": False}).can_renew is False


def test_event_instance_prices_as_numbers_or_strings() -> None:
    event = EventInstance.model_validate(
        {
            "id": TOUR_EVENT,
            "startTime": "2031-01-02T14:00:00-07:00",
            "capacity": 12,
            "available": 10,
            "priceList": {
                "prices": [
                    {
                        "personType": {"id": ADULT, "name": "Adult"},
                        "price": 32,
                        "discountedPrice": "24.00",
                    },
                    {
                        "personType": {"id": "c", "name": "Child"},
                        "price": 20.1,
                        "discountedPrice": "null",
                    },
                ]
            },
            "addOns": [{"id": 1901, "name": "Audio Guide", "price": "8.00"}],
        }
    )

    adult = event.price_for(ADULT)
    assert adult is not None
    assert (adult.price, adult.discounted_price) == (Decimal("32"), Decimal("24.00"))
    child = event.price_for("c")
    assert child is not None
    assert child.price == Decimal("20.1")
    assert child.discounted_price is None
    assert event.price_for("nobody") is None
    assert event.add_ons[0].id == "1901"
    assert event.start_time == datetime(2031, 1, 2, 21, 0, tzinfo=UTC)


def test_templates_and_times() -> None:
    template = EventTemplate.model_validate({"id": "t1", "name": "Tour", "addOns": []})
    time = EventTime.model_validate(
        {"id": "e1", "startTime": 1925038800000, "availableSeats": 5, "addOns": []}
    )
    assert template.price_list is None
    assert time.start_time == datetime(2031, 1, 1, 13, 0, tzinfo=UTC)
    assert time.available_seats == 5


def test_checkout_request_sends_set_fields_and_hides_card_data() -> None:
    request = CheckoutRequest(
        shopping_cart_id="abc",
        email="fan@example.com",
        contact_first_name="Fan",
        contact_last_name="Example",
        charge_amount=Decimal("56"),
        manual_entry_card_number="4242424242424242",
    )
    assert request.to_json_body() == {
        "shoppingCartId": "abc",
        "email": "fan@example.com",
        "contactFirstName": "Fan",
        "contactLastName": "Example",
        "chargeAmount": "56.00",
        "manualEntryCardNumber": "4242424242424242",
    }
    assert "4242424242424242" not in repr(request)


# -- the quirk-absorbing types ------------------------------------------------------------------


class Probe(AcmeModel):
    money: OptMoney = None
    at: OptTime = None
    ref: OptId = None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("255.00", Decimal("255.00")),
        (255, Decimal("255")),
        (0.1, Decimal("0.1")),
        (" 7.50 ", Decimal("7.50")),
        ("null", None),
        ("", None),
        (None, None),
    ],
)
def test_money(given: object, expected: Decimal | None) -> None:
    assert Probe.model_validate({"money": given}).money == expected


@pytest.mark.parametrize("given", ["abc", True, [1]])
def test_money_refuses_non_amounts(given: object) -> None:
    with pytest.raises(ValidationError):
        Probe.model_validate({"money": given})


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (1621036800000, datetime(2021, 5, 15, tzinfo=UTC)),
        ("1621036800000", datetime(2021, 5, 15, tzinfo=UTC)),
        ("2021-05-13T10:02:09-07:00", datetime(2021, 5, 13, 17, 2, 9, tzinfo=UTC)),
        ("2021-05-15T00:00:00Z", datetime(2021, 5, 15, tzinfo=UTC)),
        ("2021-05-15T00:00:00", datetime(2021, 5, 15, tzinfo=UTC)),
        ("null", None),
    ],
)
def test_times(given: object, expected: datetime | None) -> None:
    parsed = Probe.model_validate({"at": given}).at
    assert parsed == expected
    assert parsed is None or parsed.tzinfo is not None


@pytest.mark.parametrize("given", ["yesterday", False])
def test_times_refuse_garbage(given: object) -> None:
    with pytest.raises(ValidationError):
        Probe.model_validate({"at": given})


@pytest.mark.parametrize(
    ("given", "expected"), [(30263798, "30263798"), ("30263798", "30263798"), ("null", None)]
)
def test_ids(given: object, expected: str | None) -> None:
    assert Probe.model_validate({"ref": given}).ref == expected


def test_ids_refuse_booleans() -> None:
    with pytest.raises(ValidationError):
        Probe.model_validate({"ref": True})


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1234567890", "+11234567890"),
        ("+11234567890", "+11234567890"),
        ("(415) 555-0134", "+14155550134"),
        ("212.555.0147", "+12125550147"),
        ("+44 20 7946 0958", "+442079460958"),
        ("12", None),
        ("call me", None),
        ("", None),
        (None, None),
    ],
)
def test_to_e164(given: str | None, expected: str | None) -> None:
    assert to_e164(given) == expected


def test_same_phone_needs_two_numbers() -> None:
    assert same_phone("1234567890", "+1 123 456 7890")
    assert not same_phone(None, None)
    assert not same_phone("call me", "call me")


def test_phone_spellings_include_both_shapes_of_the_documented_order() -> None:
    """acme-orders.txt stores one order's phone as ``1234567890`` (search) and
    ``+11234567890`` (get): both are among the spellings searched, most likely first."""
    forms = phone_spellings("+11234567890")
    assert forms[:2] == ["1234567890", "+11234567890"]
    assert len(forms) == len(set(forms))


@pytest.mark.parametrize(
    ("e164", "spellings"),
    [
        (
            "+14155550134",
            ["4155550134", "+14155550134", "(415) 555-0134", "+1 415-555-0134", "14155550134"],
        ),
        (
            "+442079460958",
            ["02079460958", "+442079460958", "020 7946 0958", "+44 20 7946 0958", "442079460958"],
        ),
    ],
)
def test_phone_spellings(e164: str, spellings: list[str]) -> None:
    assert phone_spellings(e164) == spellings
    assert {to_e164(form, "GB" if e164.startswith("+44") else "US") for form in spellings} == {e164}


def test_email_spellings_as_typed_then_lowercased() -> None:
    assert email_spellings(" Alex.Rivera@Example.com ") == [
        "Alex.Rivera@Example.com",
        "alex.rivera@example.com",
    ]
    assert email_spellings("janedoe@gmail.com") == ["janedoe@gmail.com"]
