"""The ACME Ticketing client: one class, :class:`AcmeClient`, for every ACME call Usher makes.

One instance per process, on the one shared ``httpx.AsyncClient`` it is given (it owns no
connection settings: timeouts and pool limits are the shared client's). The calls are grouped by
subject in ``acme_orders`` (orders, checkout) and ``acme_shop`` (carts, memberships, catalog), on
the common transport in ``acme_transport``; the payload models are in ``acme_models``,
``acme_cart_models`` and ``acme_catalog_models``.

Usage::

    acme = AcmeClient(http, base_url=url, tenant_id=107, auth=ApiKeyAuth(key))
    page = await acme.search_orders(email="janedoe@gmail.com")
    order = await acme.get_order(page.orders[0].id)

What may be repeated after a failure is decided per call, because sending twice can cost a fan
money: reads, ``PUT`` and ``DELETE`` are idempotent; creating a cart is repeated only when the
server surely did nothing; a checkout only with the same ``x-acme-request-uuid``.
"""

from __future__ import annotations

from adapters.acme.auth import AcmeAuth, ApiKeyAuth, SessionAuth
from adapters.acme.orders import AcmeOrdersApi
from adapters.acme.shop import AcmeShopApi

__all__ = ["AcmeAuth", "AcmeClient", "ApiKeyAuth", "SessionAuth"]


class AcmeClient(AcmeOrdersApi, AcmeShopApi):
    """Typed calls to ACME's B2C API (and the two B2B calls Usher needs: session, resend)."""
