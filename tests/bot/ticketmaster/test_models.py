"""The Ticketmaster models parse every sample of tm-safetix-partner-api.txt as it really is."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.ticketmaster.cart_models import (
    Availability,
    CartResponse,
    CommitResponse,
    PaymentRequest,
)
from bot.ticketmaster.models import (
    OrderManagementRequest,
    OrderManagementResponse,
    OrderTicket,
    PollingJob,
    RenderTicketRequest,
    SecureRenderRequest,
    SecureRenderResponse,
    TMErrorBody,
    keyed_tickets,
)

DATA = Path(__file__).parents[2] / "data" / "tm"
#: The document itself, copied verbatim into the repository (a clone has no ../shared).
REFERENCE = Path(__file__).parents[2] / "data" / "reference" / "tm-safetix-partner-api.txt"
SAMPLES = sorted(DATA.glob("*.json"))


def raw(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(raw(name))
    return loaded


def test_every_sample_is_stored() -> None:
    assert [path.name for path in SAMPLES] == [
        "cart_payment_request.json",
        "cart_response.json",
        "order_management_delayed_response.json",
        "order_management_request.json",
        "order_management_response.json",
        "secure_render_200_response.json",
        "secure_render_400_response.json",
        "secure_render_request.json",
    ]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name)
def test_sample_is_verbatim_from_the_document(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text.removesuffix("\n") in REFERENCE.read_text(encoding="utf-8")


def test_payment_request_parses_and_serialises_back_to_the_documented_body() -> None:
    body = sample("cart_payment_request.json")
    parsed = PaymentRequest.model_validate(body)
    payment = parsed.payment
    assert parsed.cart_id == "4f215dbf-e911-498a-a51e-ca9b584c2731"
    assert payment.amount == Decimal("54.41")
    assert payment.third_party_account_id == "12313131"
    assert payment.type == "BRAINTREE"
    assert payment.address is not None
    assert payment.address.country.code == "US"
    assert payment.address.country.id == "840"
    assert payment.address.region.abbrev == "CA"
    assert payment.card is not None
    assert (payment.card.expire_month, payment.card.expire_year) == (0, 0)
    assert "fake-valid-visa-nonce" not in repr(parsed)
    assert "123" not in repr(payment.card)
    assert parsed.model_dump(mode="json", exclude_none=True) == body


def test_cart_response() -> None:
    cart = CartResponse.model_validate_json(raw("cart_response.json"))
    assert cart.cart_id == "beec42c9-f456-4270-bba9-4c62528bef00"
    seats, processing, delivery = cart.cart.items
    assert seats.type == "ticket"
    assert seats.x_num == 28
    assert [area.id for area in seats.areas] == [8, 9, 11, 16]
    assert seats.areas[0].description == "Second Balcony"
    assert (seats.section, seats.row, seats.start_seat_number) == ("BALC2L", "B", "13")
    assert seats.event_id == "3F005105D843DFA3"
    assert seats.ga is False
    assert seats.is_ga is False
    ticket = seats.tickets[0]
    assert (ticket.id, ticket.quantity, ticket.inventory_type) == ("000000000001", 1, "PRIMARY")
    face = next(charge for charge in ticket.charges if charge.type == "face_value")
    assert (face.price, face.tax) == (Decimal("57.00"), Decimal("4.13"))
    assert seats.totals.grand == Decimal("97.90")
    assert processing.totals.fee == Decimal("3.76")
    assert delivery.carrier == "TICKETMASTER"
    assert delivery.service_level == "ETICKET"
    assert delivery.description is not None
    assert delivery.description.long == "Get in with:"
    assert delivery.requires_address is False
    totals = cart.cart.totals
    assert totals.grand == Decimal("101.66")
    assert sum(item.totals.grand for item in cart.cart.items) == totals.grand
    assert (totals.unpaid, totals.upsell, totals.delivery) == (Decimal(0),) * 3
    payment = cart.cart.payments[0]
    assert (payment.id, payment.payment_id, payment.type) == (1, "1", "CC")
    assert payment.amount == Decimal("101.66")
    assert payment.card is not None
    assert payment.card.issuer == "VISA"
    assert payment.card.number == "******************2474"
    assert cart.cart.hold_time == 444


def test_order_management_request_round_trips() -> None:
    body = sample("order_management_request.json")
    parsed = OrderManagementRequest.model_validate(body)
    assert parsed.device_os == "android"
    assert parsed.model_dump(mode="json") == body


def test_order_management_request_enforces_the_documented_limits() -> None:
    with pytest.raises(ValueError, match="device_type"):
        OrderManagementRequest(
            device_id="1", device_os="ios", device_type="x" * 21, third_party_account_id="1"
        )


def test_delayed_order_management_response() -> None:
    order = OrderManagementResponse.model_validate_json(
        raw("order_management_delayed_response.json")
    )
    assert order.delivery_delay_date == date(2020, 4, 5)
    assert order.third_party_source == "abc.com"
    assert order.options[0].option_number == 11
    assert order.options[0].description == "ACCOUNT MODIFIED"
    assert order.delivery is not None
    assert (order.delivery.carrier, order.delivery.service_level) == ("USPS", "SAFETIX")
    assert (order.device_type, order.device_os, order.nfc_capable_device) == (
        "web",
        "android",
        False,
    )
    assert order.third_party_account_id == "12313131"
    assert order.tm_sends_redemption_claim_email is False
    assert order.customer_email is None
    ticket = order.tickets[0]
    assert ticket.barcode_id == "1212121212121212"
    assert ticket.display_id == ticket.order_number == "39-20827/PHX"
    assert (ticket.event_id, ticket.event_code, ticket.event_host) == (
        "3F005105D843DFA3",
        "ECAPI1",
        "PHX",
    )
    assert (ticket.section, ticket.row, ticket.seat_name, ticket.seat_id) == (
        "BALC2",
        "K",
        "104",
        "50528288",
    )
    assert ticket.order_date == date(2019, 12, 5)
    assert ticket.portal == "SECOND BALCONY"
    assert [charge.amount.amount for charge in ticket.charges] == [
        Decimal("37.00"),
        0,
        0,
        0,
        Decimal("5.26"),
    ]
    assert ticket.charges[-1].sub_type == "tax"
    data = ticket.secure_entry_data
    assert data is not None
    assert (data.render_type, data.segment_type) == ("rotating_symbology", "ROTATING_SYMBOLOGY")
    assert data.token is not None
    assert data.token.startswith("xxxxxBVRyt")
    assert ticket.is_safetix
    assert not ticket.is_barcode_only
    # The sample has both a date and a token: the token wins, the tickets can be shown.
    assert not order.is_delayed


def test_order_management_response_without_delay() -> None:
    order = OrderManagementResponse.model_validate_json(raw("order_management_response.json"))
    assert order.customer_email == "raine.cabal@ticketmaster.com"
    assert order.third_party_source == "BiT (QA)"
    assert order.options == []
    assert order.nfc_capable_device is True
    assert (order.device_type, order.device_os) == ("NATIVE", "IOS")
    ticket = order.tickets[0]
    assert ticket.barcode_id == ""
    assert (ticket.section, ticket.row, ticket.seat_name) == ("BALC2L", "B", "9")
    assert ticket.secure_entry_data is not None
    assert ticket.secure_entry_data.segment_type == "NFC_ROTATING_SYMBOLOGY"
    assert ticket.token is not None
    assert ticket.token.startswith("eyJiIjoiMDExODg1NjY5ODg2NTM5NiIs")
    assert ticket.is_safetix
    assert not ticket.is_barcode_only
    assert sum(charge.amount.amount for charge in ticket.charges) == Decimal("97.90")
    assert not order.is_delayed
    assert "eyJiIjoi" not in repr(order)


def _delayed_variant(**entry: Any) -> OrderManagementResponse:
    body = copy.deepcopy(sample("order_management_delayed_response.json"))
    body["tickets"][0]["secure_entry_data"] = entry
    return OrderManagementResponse.model_validate(body)


def test_delay_date_without_tokens_means_delayed() -> None:
    order = _delayed_variant(render_type="rotating_symbology", segment_type="ROTATING_SYMBOLOGY")
    assert order.is_delayed
    assert order.delivery_delay_date == date(2020, 4, 5)
    assert not order.tickets[0].is_safetix


def test_barcode_without_token_is_barcode_only() -> None:
    order = _delayed_variant(render_type="barcode", segment_type="BARCODE")
    ticket = order.tickets[0]
    assert ticket.is_barcode_only
    assert not ticket.is_safetix
    assert ticket.token is None


def test_secure_entry_error_is_parsed() -> None:
    order = _delayed_variant(
        render_type="rotating_symbology",
        segment_type="ROTATING_SYMBOLOGY",
        token="",
        error={"code": 409, "message": "Token not available"},
    )
    data = order.tickets[0].secure_entry_data
    assert data is not None
    assert data.error is not None
    assert (data.error.code, data.error.message) == (409, "Token not available")
    assert not order.tickets[0].is_safetix


def test_unknown_fields_do_not_fail() -> None:
    body = copy.deepcopy(sample("order_management_delayed_response.json"))
    body["brand_new_top_level"] = {"x": 1}
    body["tickets"][0]["hologram"] = True
    body["tickets"][0]["secure_entry_data"]["nfc"] = {"enabled": True}
    body["additional_info"]["something_else"] = "2030-01-01"
    order = OrderManagementResponse.model_validate(body)
    assert order.tickets[0].barcode_id == "1212121212121212"
    assert order.delivery_delay_date == date(2020, 4, 5)


def test_delay_off_tickets_are_keyed_by_their_seat_not_the_empty_barcode() -> None:
    order = OrderManagementResponse.model_validate_json(raw("order_management_response.json"))
    (ticket,) = order.tickets
    assert ticket.barcode_id == ""
    assert ticket.identity == "seat:3F005105D843DFA3:67174428"
    assert keyed_tickets(order.tickets) == [("seat:3F005105D843DFA3:67174428", ticket)]


def test_two_tickets_without_barcode_get_two_keys() -> None:
    body = sample("order_management_response.json")
    second = copy.deepcopy(body["tickets"][0]) | {"seat_id": "67174429", "seat_name": "10"}
    body["tickets"].append(second)
    order = OrderManagementResponse.model_validate(body)
    keys = [key for key, _ in keyed_tickets(order.tickets)]
    assert keys == ["seat:3F005105D843DFA3:67174428", "seat:3F005105D843DFA3:67174429"]


def test_tickets_with_neither_barcode_nor_seat_are_told_apart_by_position() -> None:
    body = sample("order_management_response.json")
    ga = {key: value for key, value in body["tickets"][0].items() if key not in ("seat_id",)}
    ga |= {"row": None, "seat_name": None, "section": None, "is_ga": True}
    body["tickets"] = [ga, copy.deepcopy(ga)]
    order = OrderManagementResponse.model_validate(body)
    keys = [key for key, _ in keyed_tickets(order.tickets)]
    assert keys == ["place:3F005105D843DFA3:-/-/-", "place:3F005105D843DFA3:-/-/-#2"]
    assert "" not in keys


def test_a_ticket_with_a_barcode_is_keyed_by_it() -> None:
    order = OrderManagementResponse.model_validate_json(
        raw("order_management_delayed_response.json")
    )
    assert order.tickets[0].identity == "1212121212121212"


def test_render_entry_leaves_out_an_empty_barcode_instead_of_sending_blank() -> None:
    order = OrderManagementResponse.model_validate_json(raw("order_management_response.json"))
    entry = RenderTicketRequest.from_order_ticket(order.tickets[0])
    assert entry.model_dump(mode="json", exclude_none=True) == {
        "eventId": "3F005105D843DFA3",
        "section": "BALC2L",
        "row": "B",
        "seat": "9",
    }


def test_render_answers_are_matched_by_barcode_or_by_seat() -> None:
    answer = SecureRenderResponse.model_validate_json(raw("secure_render_400_response.json"))
    (failed,) = answer.tickets
    by_barcode = RenderTicketRequest(
        event_id="3F005237E5CB39EA", section="G", row="17", seat="1", barcode="964537283421"
    )
    assert by_barcode.answered_by(failed)
    other = by_barcode.model_copy(update={"barcode": "963267823784"})
    assert not other.answered_by(failed)
    seatless = RenderTicketRequest(event_id="3F005237E5CB39EA", section="G", seat="1")
    # No barcode: the row is part of the match, and the 400 sample's ticket has none either.
    assert seatless.answered_by(failed)
    assert not seatless.model_copy(update={"seat": "2"}).answered_by(failed)


def test_secure_render_request_round_trips_in_camel_case() -> None:
    body = sample("secure_render_request.json")
    parsed = SecureRenderRequest.model_validate(body)
    assert parsed.device_id == "68753A11-1234-1226-9D60-0050E4C000000"
    assert parsed.user_agent == "Mozilla/5.0"
    assert [ticket.barcode for ticket in parsed.tickets] == ["964537283421", "963267823784"]
    assert parsed.tickets[1].seat == "2"
    assert parsed.model_dump(mode="json", exclude_none=True) == body


def test_render_request_from_order_ticket_uses_seat_name() -> None:
    order = OrderManagementResponse.model_validate_json(
        raw("order_management_delayed_response.json")
    )
    entry = RenderTicketRequest.from_order_ticket(order.tickets[0])
    assert entry.model_dump(mode="json") == {
        "eventId": "3F005105D843DFA3",
        "section": "BALC2",
        "row": "K",
        "seat": "104",
        "barcode": "1212121212121212",
    }


def test_secure_render_200() -> None:
    result = SecureRenderResponse.model_validate_json(raw("secure_render_200_response.json"))
    assert result.nfc_capable_device is True
    (ticket,) = result.tickets
    assert ticket.ok
    assert ticket.render_type == "rotating_symbology"
    assert ticket.token is not None
    assert ticket.token.startswith("eyJiIjoiMDg2NzM0")
    assert ticket.pk_pass_id == "b5d02b52-4b21-4233-b41a-722f20467535"
    assert (ticket.event_id, ticket.section, ticket.row, ticket.seat) == (
        "3F005237E5CB39EA",
        "G",
        "17",
        "1",
    )
    assert result.rendered == [ticket]
    assert result.failed == []
    assert ticket.token not in repr(result)


def test_secure_render_400_carries_the_per_ticket_error() -> None:
    result = SecureRenderResponse.model_validate_json(raw("secure_render_400_response.json"))
    assert result.nfc_capable_device is False
    (ticket,) = result.tickets
    assert ticket.row is None
    assert ticket.error is not None
    assert (ticket.error.code, ticket.error.error) == (400, "missing.row.attribute")
    assert not ticket.ok
    assert ticket.pk_pass_id is None
    assert result.failed == [ticket]
    assert result.rendered == []


def test_availability_in_the_shape_of_tm_notes() -> None:
    """No JSON sample exists for availability; this follows the shape tm-notes.md lists."""
    body = {
        "event": {
            "id": "0B004D43F86C478F",
            "onsale": "2019-10-01T17:00:00Z",
            "offsale": "2020-03-01T02:00:00Z",
            "eventDateTime": "2020-03-01T03:30:00Z",
            "eventTicketLimit": 10,
            "locRowSeatRestrict": True,
            "restrictSingle": True,
            "tickets": [
                {
                    "available": 43,
                    "total": 108,
                    "seating": "reserved",
                    "currentTicketLimit": 6,
                    "offers": [
                        {
                            "ticketTypeId": "00000405000C",
                            "priceLevelId": 1,
                            "currency": "USD",
                            "faceValue": 25.0,
                            "charges": [{"amount": 3.0, "reason": "facility", "type": "fee"}],
                            "offerName": "GPAS1",
                        }
                    ],
                    "inventory": [
                        {"section": "209", "row": "B", "seats": [2, 4, 6], "hasEvenOddMix": False}
                    ],
                }
            ],
        },
        "safeTixEnabled": True,
    }
    parsed = Availability.model_validate(body)
    event = parsed.event
    assert event.event_date_time == datetime(2020, 3, 1, 3, 30, tzinfo=UTC)
    assert event.onsale is not None
    assert event.onsale.tzinfo is not None
    assert event.loc_row_seat_restrict is True
    assert event.event_ticket_limit == 10
    assert parsed.safe_tix_enabled is True
    block = event.tickets[0]
    assert (block.available, block.current_ticket_limit, block.seating) == (43, 6, "reserved")
    offer = block.offers[0]
    assert (offer.ticket_type_id, offer.price_level_id) == ("00000405000C", "1")
    assert offer.face_value == Decimal("25.0")
    assert offer.charges[0].amount == Decimal("3.0")
    assert block.inventory[0].seats == [2, 4, 6]


def test_availability_defaults_when_flags_are_absent() -> None:
    parsed = Availability.model_validate({"event": {"id": "X"}})
    assert parsed.event.loc_row_seat_restrict is False
    assert parsed.safe_tix_enabled is None
    assert parsed.event.tickets == []


def test_commit_response() -> None:
    body = {
        "order_token": "28a67e13-7233-45a5lsGPQy0MZ3J7ZOQRjcW52NHhG083D",
        "order_number": "39-20827/PHX",
        "grand_total": 57.39,
        "redemption_url": "https://myorder.ticketmaster.com/redeem?token=x",
    }
    parsed = CommitResponse.model_validate(body)
    assert parsed.grand_total == Decimal("57.39")
    assert parsed.order_token.startswith("28a67e13")


def test_polling_body() -> None:
    job = PollingJob.model_validate_json('{"polling_url": "/partners/v1/polling/x", "wait": 4}')
    assert (job.polling_url, job.wait) == ("/partners/v1/polling/x", 4.0)
    with pytest.raises(ValueError, match="polling_url"):
        PollingJob.model_validate({"wait": 4})


@pytest.mark.parametrize(
    ("body", "code", "http_code"),
    [
        (
            '{"error": {"message": "Invalid input data type", "code": 10002, '
            '"http_code": 400, "severity": "ERROR"}}',
            10002,
            400,
        ),
        (
            '{"error": {"message": "No inventory found to match request", "code": 20052}}',
            20052,
            None,
        ),
    ],
)
def test_error_body(body: str, code: int, http_code: int | None) -> None:
    parsed = TMErrorBody.model_validate_json(body)
    assert parsed.error.code == code
    assert parsed.error.http_code == http_code


def test_ticket_repr_hides_the_token() -> None:
    ticket = OrderTicket.model_validate(
        {
            "event_id": "E",
            "order_number": "1",
            "barcode_id": "123",
            "secure_entry_data": {"render_type": "rotating_symbology", "token": "SECRET-TOKEN"},
        }
    )
    assert ticket.token == "SECRET-TOKEN"
    assert "SECRET-TOKEN" not in repr(ticket)
