"""TicketmasterClient against the Ticketmaster sandbox over real HTTP on loopback.

The same client the bot uses, the same simulator ``usher sandbox`` serves: purchase flow, every
seeded order type, rotating tokens, ownership checks, 202 polling and injected faults.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import httpx
import pytest

from adapters.sandbox.config import DEFAULT_TM_API_KEY, SandboxKeys
from adapters.sandbox.faults import Fault, Faults
from adapters.sandbox.ticketmaster.app import TicketmasterSandbox, create_tm_sandbox
from adapters.sandbox.ticketmaster.fulfil import decode_token
from adapters.sandbox.ticketmaster.seed import (
    BARCODE_ORDER_TOKEN,
    DELAY_DAYS,
    DELAYED_ORDER_TOKEN,
    DEMO_ACCOUNT_ID,
    DOC_ACCOUNT_ID,
    DOC_DELAY_OFF_ORDER_TOKEN,
    DOC_ORDER_TOKEN,
    NO_BARCODES_ORDER_TOKEN,
    PAST_EVENT_ID,
    PAYMENT_DOC_EVENT_ID,
    RENDER_DOC_ACCOUNT_ID,
    RESTRICTED_EVENT_ID,
    SAFETIX_EVENT_ID,
    SAFETIX_ORDER_TOKEN,
)
from adapters.ticketmaster.client import TicketmasterClient
from adapters.upstream import RetryPolicy
from adapters.upstream_http import upstream_client
from bot import errors
from bot.ticketmaster.cart_models import Payment, PriceRef, ReserveRequest, ReserveTicket
from bot.ticketmaster.models import (
    OrderManagementResponse,
    RenderTicketRequest,
    SecureRenderResponse,
)
from tests.support.servers import serve_asgi

DATA = Path(__file__).parents[2] / "data" / "tm"


class Device(TypedDict):
    """The device fields of order management and secure render."""

    device_id: str
    device_type: str
    device_os: str


DEVICE = Device(device_id="usher-device-1", device_type="web", device_os="other")


class Clock:
    """The sandbox's clock; tests move it to pass the delay date."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class Env:
    base_url: str
    tm: TicketmasterSandbox
    faults: Faults
    clock: Clock
    http: httpx.AsyncClient
    waits: list[float]

    def client(self, **options: Any) -> TicketmasterClient:
        async def no_wait(seconds: float) -> None:
            self.waits.append(seconds)

        options.setdefault("api_key", DEFAULT_TM_API_KEY)
        return TicketmasterClient(self.http, base_url=self.base_url, sleep=no_wait, **options)


@pytest.fixture
def served() -> Iterator[tuple[str, TicketmasterSandbox, Faults, Clock]]:
    clock, faults = Clock(), Faults()
    app = create_tm_sandbox(SandboxKeys(), faults, clock=clock)
    with serve_asgi(app) as base_url:
        yield base_url, app.state.tm, faults, clock


@pytest.fixture
async def env(served: tuple[str, TicketmasterSandbox, Faults, Clock]) -> AsyncIterator[Env]:
    base_url, tm, faults, clock = served
    async with upstream_client(timeout=5) as http:
        yield Env(base_url, tm, faults, clock, http, [])


async def manage(
    client: TicketmasterClient, token: str, account: str = DEMO_ACCOUNT_ID
) -> OrderManagementResponse:
    return await client.order_management(token, third_party_account_id=account, **DEVICE)


async def render(
    client: TicketmasterClient, tickets: list[RenderTicketRequest], user_id: str = DEMO_ACCOUNT_ID
) -> SecureRenderResponse:
    return await client.secure_render(user_id=user_id, tickets=tickets, **DEVICE)


def entries(order: OrderManagementResponse) -> list[RenderTicketRequest]:
    return [RenderTicketRequest.from_order_ticket(ticket) for ticket in order.tickets]


# --- purchase ----------------------------------------------------------------------------------


async def test_full_purchase_flow(env: Env) -> None:
    client = env.client()
    event_id = PAYMENT_DOC_EVENT_ID
    before = await client.availability(event_id)
    assert before.event.event_date_time is not None
    assert before.event.event_date_time > dt.datetime.fromtimestamp(env.clock.now, dt.UTC)
    offer = before.event.tickets[0].offers[0]
    wanted = ReserveTicket(
        id=offer.ticket_type_id, quantity=2, price=PriceRef(id=offer.price_level_id or "")
    )

    cart = await client.reserve_cart(event_id, ReserveRequest(tickets=[wanted]))
    seats = cart.cart.items[0]
    assert seats.num_seats == 2
    assert 0 < cart.cart.hold_time <= 300
    assert sum(item.totals.grand for item in cart.cart.items) == cart.cart.totals.grand
    assert cart.cart.totals.unpaid == cart.cart.totals.grand
    during = await client.availability(event_id)
    assert during.event.tickets[0].available == before.event.tickets[0].available - 2

    doc = json.loads((DATA / "cart_payment_request.json").read_text())["payment"]
    doc.update(third_party_account_id="fan-77", amount=str(cart.cart.totals.grand))
    paid = await client.add_payment(event_id, cart.cart_id, Payment.model_validate(doc))
    assert paid.cart.payments[0].amount == cart.cart.totals.grand
    assert paid.cart.totals.unpaid == 0

    done = await client.commit(event_id, cart.cart_id)
    assert done.grand_total == cart.cart.totals.grand
    order = await manage(client, done.order_token, account="fan-77")
    assert order.third_party_account_id == "fan-77"
    assert [(t.section, t.row, t.seat_name) for t in order.tickets] == [
        (seats.section, seats.row, seats.start_seat_number),
        (seats.section, seats.row, seats.end_seat_number),
    ]
    assert all(t.is_safetix and t.order_number == done.order_number for t in order.tickets)

    refreshed = await render(client, entries(order), user_id="fan-77")
    assert len(refreshed.rendered) == 2
    assert {t.token for t in refreshed.rendered}.isdisjoint({t.token for t in order.tickets})

    with pytest.raises(errors.BadRequest) as stale:
        await client.commit(event_id, cart.cart_id)
    assert stale.value.code == "90003"


async def test_deleted_cart_frees_its_seats(env: Env) -> None:
    client = env.client()
    before = (await client.availability(SAFETIX_EVENT_ID)).event.tickets[0].available
    wanted = ReserveRequest(tickets=[ReserveTicket(id="000000000002", quantity=3)])
    cart = await client.reserve_cart(SAFETIX_EVENT_ID, wanted)
    assert (await client.availability(SAFETIX_EVENT_ID)).event.tickets[0].available == before - 3
    assert await client.delete_cart(SAFETIX_EVENT_ID, cart.cart_id) is True
    assert (await client.availability(SAFETIX_EVENT_ID)).event.tickets[0].available == before
    assert await client.delete_cart(SAFETIX_EVENT_ID, cart.cart_id) is False


async def test_event_flags_and_dates(env: Env) -> None:
    client = env.client()
    restricted = await client.availability(RESTRICTED_EVENT_ID)
    assert restricted.event.loc_row_seat_restrict is True
    assert restricted.safe_tix_enabled is True
    with pytest.raises(errors.AuthError) as closed:
        await client.reserve_cart(
            PAST_EVENT_ID, ReserveRequest(tickets=[ReserveTicket(id="000000000001", quantity=1)])
        )
    assert closed.value.code == "90001"
    with pytest.raises(errors.NotFound):
        await client.availability("0000000000000000")


# --- order management per seeded order ---------------------------------------------------------


def _without_tokens(order: OrderManagementResponse) -> dict[str, Any]:
    dumped = order.model_dump()
    for ticket in dumped["tickets"]:
        ticket["secure_entry_data"]["token"] = None
    return dumped


async def test_documented_order_answers_in_the_documented_shape(env: Env) -> None:
    order = await env.client().order_management(
        DOC_ORDER_TOKEN,
        device_id="12345",
        device_type="web",
        device_os="android",
        third_party_account_id=DOC_ACCOUNT_ID,
    )
    documented = OrderManagementResponse.model_validate_json(
        (DATA / "order_management_delayed_response.json").read_bytes()
    )
    assert _without_tokens(order) == _without_tokens(documented)
    token = order.tickets[0].token
    assert token is not None
    assert decode_token(token)["b"] == "1212121212121212"


async def test_documented_delay_off_order_answers_in_the_documented_shape(env: Env) -> None:
    order = await env.client().order_management(
        DOC_DELAY_OFF_ORDER_TOKEN,
        device_id="12345",
        device_type="NATIVE",
        device_os="IOS",
        third_party_account_id=DOC_ACCOUNT_ID,
    )
    documented = OrderManagementResponse.model_validate_json(
        (DATA / "order_management_response.json").read_bytes()
    )
    assert _without_tokens(order) == _without_tokens(documented)
    (ticket,) = order.tickets
    assert ticket.barcode_id == ""
    assert ticket.token is not None
    assert decode_token(ticket.token)["s"] == "67174428"


async def test_a_ticket_without_barcode_is_refused_by_secure_render(env: Env) -> None:
    client = env.client()
    order = await manage(client, NO_BARCODES_ORDER_TOKEN)
    assert [t.barcode_id for t in order.tickets] == ["", ""]
    assert all(t.is_safetix for t in order.tickets)
    sent = entries(order)
    assert all(entry.barcode is None for entry in sent)
    result = await render(client, sent)
    assert result.rendered == []
    assert [t.error.error for t in result.failed if t.error] == ["missing.barcode.attribute"] * 2
    again = await manage(client, NO_BARCODES_ORDER_TOKEN)
    tokens = [t.token for t in order.tickets + again.tickets]
    assert len(set(tokens)) == 4, "order management mints new tokens on every call"


async def test_safetix_order(env: Env) -> None:
    order = await manage(env.client(), SAFETIX_ORDER_TOKEN)
    assert [t.barcode_id for t in order.tickets] == ["7001000100010001", "7001000100010002"]
    assert all(t.is_safetix and not t.is_barcode_only for t in order.tickets)
    assert not order.is_delayed
    assert order.delivery_delay_date is None
    assert order.tickets[0].event_id == SAFETIX_EVENT_ID


async def test_barcode_only_order(env: Env) -> None:
    client = env.client()
    order = await manage(client, BARCODE_ORDER_TOKEN)
    assert [t.barcode_id for t in order.tickets] == ["8001000100010001", "8001000100010002"]
    assert all(t.is_barcode_only and not t.is_safetix for t in order.tickets)
    assert {t.secure_entry_data.render_type for t in order.tickets if t.secure_entry_data} == {
        "barcode"
    }
    result = await render(client, entries(order))
    assert [t.error.error for t in result.failed if t.error] == ["safetix.not.enabled"] * 2


async def test_delayed_order_gets_tokens_from_its_date(env: Env) -> None:
    client = env.client()
    order = await manage(client, DELAYED_ORDER_TOKEN)
    start = dt.datetime.fromtimestamp(env.clock.now, dt.UTC).date()
    assert order.is_delayed
    assert order.delivery_delay_date == start + dt.timedelta(days=DELAY_DAYS)
    assert not any(t.is_safetix or t.is_barcode_only for t in order.tickets)

    env.clock.now += (DELAY_DAYS + 1) * 86400
    order = await manage(client, DELAYED_ORDER_TOKEN)
    assert not order.is_delayed
    assert all(t.is_safetix for t in order.tickets)
    assert [t.barcode_id for t in order.tickets] == ["9001000100010001", "9001000100010002"]


async def test_order_management_refuses_another_account_and_unknown_tokens(env: Env) -> None:
    client = env.client()
    with pytest.raises(errors.AuthError):
        await manage(client, SAFETIX_ORDER_TOKEN, account=DOC_ACCOUNT_ID)
    with pytest.raises(errors.NotFound):
        await manage(client, "no-such-order")


# --- secure render -----------------------------------------------------------------------------


async def test_secure_render_rotates_the_token_on_every_call(env: Env) -> None:
    client = env.client()
    tickets = entries(await manage(client, SAFETIX_ORDER_TOKEN))
    first = await render(client, tickets)
    second = await render(client, tickets)
    assert len(first.rendered) == len(second.rendered) == 2
    for old, new in zip(first.rendered, second.rendered, strict=True):
        assert old.barcode == new.barcode
        assert old.token != new.token
        assert old.token is not None
        assert new.token is not None
        assert decode_token(new.token)["b"] == new.barcode
        assert decode_token(new.token)["n"] > decode_token(old.token)["n"]


async def test_the_documented_secure_render_request_works_as_written(env: Env) -> None:
    response = await env.http.post(
        f"{env.base_url}/marketplace/v1/securerender",
        params={"apikey": DEFAULT_TM_API_KEY},
        headers={"x-user-id": RENDER_DOC_ACCOUNT_ID},
        content=(DATA / "secure_render_request.json").read_bytes(),
    )
    assert response.status_code == 200
    result = SecureRenderResponse.model_validate_json(response.content)
    assert [t.barcode for t in result.rendered] == ["964537283421", "963267823784"]
    assert result.rendered[0].pk_pass_id == "b5d02b52-4b21-4233-b41a-722f20467535"
    assert result.nfc_capable_device is True


async def test_wrong_user_id_is_refused_per_ticket(env: Env) -> None:
    client = env.client()
    tickets = entries(await manage(client, SAFETIX_ORDER_TOKEN))
    refused = await render(client, tickets, user_id=DOC_ACCOUNT_ID)
    assert refused.rendered == []
    assert [(t.error.code, t.error.error) for t in refused.failed if t.error] == [
        (403, "user.mismatch")
    ] * 2


async def test_partial_success_and_missing_fields(env: Env) -> None:
    client = env.client()
    good, other = entries(await manage(client, SAFETIX_ORDER_TOKEN))
    broken = other.model_copy(update={"row": ""})
    foreign = RenderTicketRequest(
        event_id="3F005105D843DFA3",
        section="BALC2",
        row="K",
        seat="104",
        barcode="1212121212121212",
    )
    result = await render(client, [good, broken, foreign])
    assert [t.barcode for t in result.rendered] == [good.barcode]
    assert [t.error.error for t in result.failed if t.error] == [
        "missing.row.attribute",
        "user.mismatch",
    ]


async def test_missing_user_id_fails_the_whole_call(env: Env) -> None:
    response = await env.http.post(
        f"{env.base_url}/marketplace/v1/securerender",
        headers={"x-api-key": DEFAULT_TM_API_KEY},
        content=(DATA / "secure_render_request.json").read_bytes(),
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 10002


# --- auth, preprod, polling, faults ------------------------------------------------------------


async def test_wrong_key_is_refused(env: Env) -> None:
    with pytest.raises(errors.AuthError) as caught:
        await env.client(api_key="not-the-key").availability(SAFETIX_EVENT_ID)
    assert caught.value.status == 401


async def test_preprod_paths_reach_the_same_sandbox(env: Env) -> None:
    client = env.client(preprod=True)
    order = await manage(client, SAFETIX_ORDER_TOKEN)
    assert len((await render(client, entries(order))).rendered) == 2


async def test_forced_polling(env: Env) -> None:
    client = env.client(force_polling=True)
    order = await manage(client, SAFETIX_ORDER_TOKEN)
    assert len(order.tickets) == 2
    assert env.waits == [1]


async def test_fault_poll_rounds(env: Env) -> None:
    env.faults.add(Fault(path_prefix="/partners/v1/events/", method="POST", poll_rounds=3))
    wanted = ReserveRequest(tickets=[ReserveTicket(id="000000000001", quantity=1)])
    cart = await env.client().reserve_cart(SAFETIX_EVENT_ID, wanted)
    assert cart.cart.items[0].num_seats == 1
    assert env.waits == [1, 1, 1]


async def test_two_503s_then_success(env: Env) -> None:
    rule = env.faults.add(Fault(path_prefix="/partners/v1/orders", status=503, times=2))
    order = await manage(env.client(), SAFETIX_ORDER_TOKEN)
    assert len(order.tickets) == 2
    assert rule.hits == 2


async def test_maintenance_503_carries_code_20001(env: Env) -> None:
    env.faults.add(Fault(path_prefix="/partners/v1/events/", status=503))
    with pytest.raises(errors.ServerError) as caught:
        await env.client().availability(SAFETIX_EVENT_ID)
    assert caught.value.code == "20001"


async def test_a_hang_is_cut_at_the_sla_then_retried(env: Env) -> None:
    """The shared client waits 5 s here (10 s in production); secure render's own timeout,
    from its 500 ms SLA, gives a hung attempt up after 1.25 s and retries within the budget."""
    client = env.client(retry_policy=RetryPolicy(attempts=2, budget_seconds=2))
    stuck = env.faults.add(Fault(path_prefix="/marketplace/v1/securerender", hang=True))
    tickets = entries(await manage(client, SAFETIX_ORDER_TOKEN))
    with pytest.raises(errors.UpstreamTimeout):
        await render(client, tickets)
    assert stuck.hits == 2
    env.faults.clear()
    env.faults.add(Fault(path_prefix="/marketplace/v1/securerender", hang=True, times=1))
    assert len((await render(client, tickets)).rendered) == 2


async def test_a_slow_order_management_answer_is_given_up_at_its_sla(env: Env) -> None:
    """3 s is within the shared client's timeout but well past "800ms +/-"."""
    client = env.client(retry_policy=RetryPolicy(attempts=1))
    env.faults.add(Fault(path_prefix="/partners/v1/orders", latency=3.0, times=1))
    with pytest.raises(errors.UpstreamTimeout):
        await manage(client, SAFETIX_ORDER_TOKEN)
