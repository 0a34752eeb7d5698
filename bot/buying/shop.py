"""Buying, as one object: carts, checkout links and confirmations, purchase links.

The chat handlers (``handlers.buying``) and the web pages (``adapters.pages.checkout``,
``adapters.pages.purchase_link``) share these, so a cart opened in one process is paid for
and confirmed in another: all of their state is in ACME and Redis.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.buying.carts import CartApi, CartRecordStore, Carts
from bot.buying.checkout import CheckoutLinks, Checkouts, Notifier, OrderLookup, Verifier
from bot.buying.purchase_links import LinkStore, PurchaseLinks


@dataclass(frozen=True)
class Shop:
    """What buying needs; built once at start-up (``bot.app.bootstrap``)."""

    carts: Carts
    checkouts: Checkouts
    links: PurchaseLinks

    @classmethod
    def build(
        cls,
        *,
        acme: CartApi,
        orders: OrderLookup,
        records: CartRecordStore,
        link_store: LinkStore,
        verifier: Verifier,
        notifier: Notifier,
        secret: bytes,
        public_url: str,
        clock: Callable[[], float] = time.time,
    ) -> Shop:
        """Wire the parts to the given adapters."""
        links = PurchaseLinks(link_store, clock)
        checkouts = Checkouts(
            CheckoutLinks(secret, public_url), records, orders, verifier, links, notifier
        )
        return cls(carts=Carts(acme, records, clock), checkouts=checkouts, links=links)
