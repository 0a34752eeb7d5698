"""The staff console's pure parts: reading lookups, checking contact edits, masking."""

from __future__ import annotations

import pytest

from adapters.slack.blocks import as_typed
from adapters.slack.handoff import plain
from bot.acme.models import Order, OrderPage
from bot.formatting import mask_name, mask_text
from bot.staff import StaffError
from handlers.support import Lookup, SupportDesk, parse_lookup
from handlers.support_contact import Contact, ContactInvalid, changes


@pytest.mark.parametrize(
    ("typed", "lookup"),
    [
        ("janedoe@gmail.com", Lookup("email", "janedoe@gmail.com")),
        # As typed: ACME matches as stored, so the search tries this spelling first.
        ("  JaneDoe@Gmail.COM ", Lookup("email", "JaneDoe@Gmail.COM")),
        ("janedoe@gmail.com 100148401", Lookup("email", "janedoe@gmail.com", "100148401")),
        ("#100148401 janedoe@gmail.com", Lookup("email", "janedoe@gmail.com", "100148401")),
        ("+1 (123) 456-7890", Lookup("phone", "+11234567890")),
        ("1234567890", Lookup("phone", "+11234567890")),
        ("415.555.0134 #100148401", Lookup("phone", "+14155550134", "100148401")),
        ("+44 20 7946 0958", Lookup("phone", "+442079460958")),
        ("30263798", Lookup("id", "30263798")),
        ("#1234567890", Lookup("id", "1234567890")),  # '#': an id, though digits could dial
    ],
)
def test_lookups_are_read_by_their_shape(typed: str, lookup: Lookup) -> None:
    assert parse_lookup(typed) == lookup


@pytest.mark.parametrize(
    "typed", ["", "jane", "jane doe", "a@b.co x y", "30263798 1", "#1 #2 1234567890", "@"]
)
def test_anything_else_asks_for_a_known_shape(typed: str) -> None:
    with pytest.raises(StaffError) as raised:
        parse_lookup(typed)
    assert raised.value.key == "find_usage"


WAS = Contact("Jane", "Doe", "janedoe@gmail.com", "+11234567890")


def test_only_changed_contact_fields_are_checked_and_written() -> None:
    assert changes(WAS, WAS) == {}
    # The stored sample phone (area code 123) is not valid, but unchanged it is not checked.
    assert changes(WAS, Contact("Janet", "Doe", "janedoe@gmail.com", "+11234567890")) == {
        "contact_first_name": "Janet"
    }
    assert changes(WAS, Contact("Jane", "Doe", "Jane@Example.COM", "(650) 253-0000")) == {
        "email": "Jane@example.com",
        "phone_number": "+16502530000",
    }
    assert changes(WAS, Contact("Jane", "", "janedoe@gmail.com", "")) == {
        "contact_last_name": None,
        "phone_number": None,
    }


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(ContactInvalid) as raised:
        changes(WAS, Contact("J\x00ne", "Doe", "jane@", "+1 123"))
    assert set(raised.value.errors) == {"first_name", "email", "phone"}
    with pytest.raises(ContactInvalid) as raised:
        changes(WAS, Contact("Jane", "Doe", "", "+11234567890"))
    assert set(raised.value.errors) == {"email"}


def test_free_text_is_masked_but_amounts_and_order_numbers_stay() -> None:
    said = "I'm jane.doe+tix@mail.example.com, +1 (415) 555-0134, order 100148401, paid $255.00"
    assert mask_text(said) == ("I'm j***x@mail.example.com, ***0134, order 100148401, paid $255.00")
    assert mask_name("jane", "Doe") == "J. D."
    assert mask_name(None, " ") == "***"


def test_ids_made_of_letters_and_digits_are_not_taken_for_phone_numbers() -> None:
    line = "plan:090e54121350469a8b2388844:tm_plan try=2 fan=telegram:14155550134 call 4155550134."
    assert (
        mask_text(line)
        == "plan:090e54121350469a8b2388844:tm_plan try=2 fan=telegram:***0134 call ***0134."
    )


def test_slack_markup_becomes_plain_text_for_the_fan() -> None:
    assert plain("Hi &lt;3 &amp; see <https://x.example/a?b=1|the page>") == (
        "Hi <3 & see the page (https://x.example/a?b=1)"
    )
    assert plain("<https://x.example> <@U123|maria> <!here> ok") == "https://x.example @maria  ok"
    assert plain("write <mailto:help@x.example|help@x.example>") == "write help@x.example"


def test_command_text_is_read_as_typed() -> None:
    assert as_typed("find <mailto:a@b.example|a@b.example> &amp; <tel:+1555|+1 555>") == (
        "find a@b.example & +1 555"
    )


class UnpagedEvents:
    """An ACME whose event list ignores paging: every call answers every order (as a bare
    list, or an object without ``pagination``: the document shows neither nor forbids them)."""

    def __init__(self, shape: str, count: int) -> None:
        self.orders = [{"id": str(30000000 + n), "orderNumber": str(n)} for n in range(count)]
        self.shape = shape
        self.calls = 0

    async def orders_for_event(self, event_id: str, *, page: int, page_size: int) -> OrderPage:
        self.calls += 1
        body = self.orders if self.shape == "bare" else {"list": self.orders}
        return OrderPage.model_validate(body)

    async def get_order(self, order_id: str) -> Order:
        return Order.model_validate({"id": order_id})


class NoIndex:
    async def order_id(self, number: str) -> str | None:
        return None


class NoAudit:
    async def record(self, who: str, action: str, *, order: str = "", detail: str = "") -> None:
        return None


@pytest.mark.parametrize("shape", ["bare", "no-pagination"])
async def test_an_unpaged_event_list_is_paged_here(shape: str) -> None:
    acme = UnpagedEvents(shape, 7)
    desk = SupportDesk(acme, NoAudit(), NoIndex())  # type: ignore[arg-type]
    first = await desk.event("agent", "e1")
    assert (first.total, first.pages, len(first.orders)) == (7, 2, 5)
    second = await desk.event("agent", "e1", page=2)
    assert [o.id for o in second.orders] == ["30000005", "30000006"]
    assert not {o.id for o in first.orders} & {o.id for o in second.orders}
