"""The web app: the registration API, health and metrics."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from adapters.pages.tm_orders_api import TmOrdersApi
from adapters.sandbox.ticketmaster.seed import DEMO_ACCOUNT_ID, SAFETIX_ORDER_TOKEN
from bot.app.bootstrap import Usher
from bot.app.web import create_app, create_metrics_app
from bot.messages import Fan
from tests.conftest import API_AUTH


@pytest.fixture
async def client(usher: Usher) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(usher, close_on_shutdown=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://usher.test") as http:
        yield http


def body(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "channel": "telegram",
        "user_id": "5550001",
        "order_token": SAFETIX_ORDER_TOKEN,
        "third_party_account_id": DEMO_ACCOUNT_ID,
    }
    base.update(changes)
    return base


def auth(usher: Usher) -> dict[str, str]:
    return API_AUTH


async def test_registration_is_stored_and_idempotent(
    client: httpx.AsyncClient,
    usher: Usher,
) -> None:
    first = await client.post("/api/tm/orders", json=body(), headers=auth(usher))
    again = await client.post("/api/tm/orders", json=body(), headers=auth(usher))
    assert first.status_code == again.status_code == 201
    assert first.json()["ref"] == again.json()["ref"]
    orders = await usher.tm_orders.orders_of(Fan("telegram", "5550001"))
    assert [o.order_token for o in orders] == [SAFETIX_ORDER_TOKEN]


async def test_the_redemption_url_is_kept_with_the_order(
    client: httpx.AsyncClient, usher: Usher
) -> None:
    claim = "https://myorder.ticketmaster.com/redeem?token=x"
    response = await client.post(
        "/api/tm/orders", json=body() | {"redemption_url": claim}, headers=auth(usher)
    )
    assert response.status_code == 201
    [order] = await usher.tm_orders.orders_of(Fan("telegram", "5550001"))
    assert order.redemption_url == claim


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}]
)
async def test_registration_needs_the_bearer_token(
    client: httpx.AsyncClient,
    usher: Usher,
    headers: dict[str, str],
) -> None:
    response = await client.post("/api/tm/orders", json=body(), headers=headers)
    assert response.status_code == 401
    assert await usher.tm_orders.orders_of(Fan("telegram", "5550001")) == []


async def test_any_listed_token_is_accepted_so_tokens_rotate(usher: Usher) -> None:
    old, new = "rotating-out-token-0123456789", "rotating-in-token-0123456789"
    api = TmOrdersApi(usher.tm_orders, [old, new])
    transport = httpx.ASGITransport(app=Starlette(routes=api.routes()))
    async with httpx.AsyncClient(transport=transport, base_url="http://usher.test") as http:
        for token, user in ((old, "1"), (new, "2")):
            answer = await http.post(
                "/api/tm/orders",
                json=body(user_id=user),
                headers={"Authorization": f"Bearer {token}"},
            )
            assert answer.status_code == 201
        for wrong in (old[:-1], new + "x", api_token_of_old_releases(usher)):
            answer = await http.post(
                "/api/tm/orders", json=body(), headers={"Authorization": f"Bearer {wrong}"}
            )
            assert answer.status_code == 401
    assert len(api.digests) == 2
    assert all(old.encode() not in d and new.encode() not in d for d in api.digests)


def api_token_of_old_releases(usher: Usher) -> str:
    """The token earlier releases derived from the signing key: no longer a way in."""
    return hmac.new(usher.settings.signing_key(), b"usher-api:v1", hashlib.sha256).hexdigest()


async def test_without_tokens_the_api_is_not_there(usher: Usher) -> None:
    api = TmOrdersApi(usher.tm_orders, [])
    assert api.routes() == []


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        b'{"channel": "fax", "user_id": "1", "order_token": "t", "third_party_account_id": "a"}',
        b'{"channel": "telegram", "user_id": "", "order_token": "t", '
        b'"third_party_account_id": "a"}',
        b'{"channel": "telegram", "user_id": "1", "third_party_account_id": "a"}',
        b'{"channel": "telegram", "user_id": "1", "order_token": "t", '
        b'"third_party_account_id": "a", "extra": 1}',
        b"{" + b" " * 20_000 + b"}",
        b'{"channel": "telegram", "user_id": "1", "order_token": "t", '
        b'"third_party_account_id": "a", "redemption_url": "javascript:alert(1)"}',
        b'{"channel": "telegram", "user_id": "1", "order_token": "t", '
        b'"third_party_account_id": "a", "redemption_url": "http://myorder.example/x"}',
    ],
)
async def test_bad_registrations_get_a_clear_400_and_change_nothing(
    client: httpx.AsyncClient,
    usher: Usher,
    payload: bytes,
) -> None:
    response = await client.post("/api/tm/orders", content=payload, headers=auth(usher))
    assert response.status_code in (400, 413)
    assert response.json()["error"]
    assert await usher.tm_orders.orders_of(Fan("telegram", "1")) == []


async def test_health_and_metrics(client: httpx.AsyncClient, usher: Usher) -> None:
    health = await client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"ok": True, "redis": True}
    assert (await client.get("/metrics")).status_code == 404  # not on the public app
    transport = httpx.ASGITransport(app=create_metrics_app(usher))
    async with httpx.AsyncClient(transport=transport, base_url="http://usher.test") as http:
        metrics = await http.get("/metrics")
    assert metrics.status_code == 200
    assert "usher_turns_total" in metrics.text
    assert "usher_upstream_seconds" in metrics.text
    assert 'usher_queue_depth{queue="jobs"}' in metrics.text
    assert 'usher_queue_depth{queue="handoff"}' in metrics.text
