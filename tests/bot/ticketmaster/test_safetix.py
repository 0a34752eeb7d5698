"""SafeTix keys each ticket by its own identity, on the document's Delay-OFF sample verbatim.

That sample (``tests/data/tm/order_management_response.json``) has ``"barcode_id": ""`` next
to a token. Secure render requires the barcode (the document's FAQ 2), so such a ticket is never
sent there with a blank one; its tokens come from order management and are cached under the
ticket's seat, so two tickets of one order never overwrite each other.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis_asyncio

from adapters.store.store import Store
from adapters.store.tm_orders import RedisTmOrderStore
from bot.errors import ServerError
from bot.messages import Fan
from bot.ticketmaster.cart_models import Availability
from bot.ticketmaster.models import (
    OrderManagementResponse,
    RenderTicketRequest,
    SecureRenderResponse,
)
from bot.ticketmaster.ports import TmOrderRef
from bot.ticketmaster.safetix import SafeTix
from tests.conftest import TEST_REDIS_URL

DATA = Path(__file__).parents[2] / "data" / "tm"
SAMPLE_KEY = "seat:3F005105D843DFA3:67174428"


def delay_off_sample() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / "order_management_response.json").read_text())
    return loaded


class FakeTicketmaster:
    """Answers order management with a given body (a new token per call) and records calls."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.managed = 0
        self.rendered: list[list[dict[str, Any]]] = []
        self.fail_management = False

    async def order_management(
        self,
        order_token: str,
        *,
        device_id: str,
        device_type: str,
        device_os: str,
        third_party_account_id: str,
    ) -> OrderManagementResponse:
        if self.fail_management:
            raise ServerError("down", service="tm", endpoint="order_management", status=503)
        self.managed += 1
        body = copy.deepcopy(self.body)
        for ticket in body["tickets"]:
            ticket["secure_entry_data"]["token"] += f"-{self.managed}"
        return OrderManagementResponse.model_validate(body)

    async def secure_render(
        self,
        *,
        user_id: str,
        device_id: str,
        device_type: str,
        device_os: str,
        tickets: Sequence[RenderTicketRequest],
        user_agent: str | None = None,
        retry: bool = True,
    ) -> SecureRenderResponse:
        self.rendered.append([t.model_dump(mode="json", exclude_none=True) for t in tickets])
        return SecureRenderResponse(tickets=[])

    async def availability(self, event_id: str) -> Availability:
        return Availability.model_validate({"event": {"id": event_id}})


@pytest.fixture
async def store(real_redis: redis_asyncio.Redis) -> AsyncIterator[RedisTmOrderStore]:
    client = redis_asyncio.Redis.from_url(TEST_REDIS_URL)
    yield RedisTmOrderStore(Store(client, prefix="t:"))
    await client.aclose()


async def registered(store: RedisTmOrderStore) -> TmOrderRef:
    order = TmOrderRef("ref1", Fan("console", "raine"), "order-token", "12313131", "ECAPI1")
    await store.register(order)
    return order


async def test_the_delay_off_sample_is_cached_under_its_seat_never_under_blank(
    store: RedisTmOrderStore,
) -> None:
    api = FakeTicketmaster(delay_off_sample())
    safetix = SafeTix(api, store)
    order = await registered(store)
    await safetix.load(order)
    cached = await store.tokens(order.ref)
    assert list(cached) == [SAMPLE_KEY]
    assert cached[SAMPLE_KEY].token.startswith("eyJiIjoiMDExODg1NjY5ODg2NTM5NiIs")


async def test_a_page_view_renews_blank_barcode_tickets_through_order_management(
    store: RedisTmOrderStore,
) -> None:
    api = FakeTicketmaster(delay_off_sample())
    safetix = SafeTix(api, store)
    order = await registered(store)
    await safetix.load(order)
    [ticket] = await safetix.refresh(order)
    assert api.rendered == [], "secure render requires a barcode: never sent a blank one"
    assert api.managed == 2
    assert ticket.key == SAMPLE_KEY
    assert ticket.fresh
    assert ticket.token.endswith("-2")
    assert ticket.seat == ("BALC2L", "B", "9")


async def test_two_blank_barcode_tickets_keep_their_own_tokens(
    store: RedisTmOrderStore,
) -> None:
    body = delay_off_sample()
    second = copy.deepcopy(body["tickets"][0]) | {"seat_id": "67174429", "seat_name": "10"}
    second["secure_entry_data"]["token"] = "SECOND-TICKET-TOKEN"
    body["tickets"].append(second)
    api = FakeTicketmaster(body)
    safetix = SafeTix(api, store)
    order = await registered(store)
    await safetix.load(order)
    cached = await store.tokens(order.ref)
    assert sorted(cached) == [SAMPLE_KEY, "seat:3F005105D843DFA3:67174429"]
    assert cached["seat:3F005105D843DFA3:67174429"].token == "SECOND-TICKET-TOKEN-1"
    shown = await safetix.refresh(order)
    assert [t.seat for t in shown] == [("BALC2L", "B", "9"), ("BALC2L", "B", "10")]
    assert len({t.token for t in shown}) == 2


async def test_when_order_management_is_down_the_cached_seat_token_is_shown(
    store: RedisTmOrderStore,
) -> None:
    api = FakeTicketmaster(delay_off_sample())
    safetix = SafeTix(api, store)
    order = await registered(store)
    await safetix.load(order)
    api.fail_management = True
    [ticket] = await safetix.refresh(order)
    assert (ticket.key, ticket.fresh) == (SAMPLE_KEY, False)
    assert ticket.token.endswith("-1")
