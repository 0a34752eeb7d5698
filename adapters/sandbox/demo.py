"""What ``usher demo`` sets up so every journey can be tried from the terminal.

The Ticketmaster sandbox's demo orders (SafeTix, barcode-only, delayed) are registered to the
demo fan, as the partner's purchase flow would do through ``POST /api/tm/orders``; and a
purchase link for two tickets to the documented Behind-the-Scenes Tour is made, as marketing
would in Slack, so the buying journey can be tried with ``/start <code>``.
"""

from __future__ import annotations

from adapters.pages.tm_orders_api import order_ref
from adapters.sandbox.acme.catalog_data import ADULT, DOCUMENTED_TOUR_INSTANCE
from adapters.sandbox.ticketmaster.seed import (
    BARCODE_ORDER_TOKEN,
    DELAYED_ORDER_TOKEN,
    DEMO_ACCOUNT_ID,
    SAFETIX_ORDER_TOKEN,
)
from bot.buying.purchase_links import PurchaseLink, PurchaseLinks
from bot.messages import Fan
from bot.ticketmaster.ports import TmOrderRef, TmOrderStore

DEMO_TM_ORDERS = (
    (SAFETIX_ORDER_TOKEN, "Skyline Live (SafeTix)"),
    (BARCODE_ORDER_TOKEN, "Harbour Lights (barcode)"),
    (DELAYED_ORDER_TOKEN, "Winter Gala (delayed delivery)"),
)


async def register_demo_orders(store: TmOrderStore, fan: Fan) -> None:
    """Give the demo fan the sandbox's three Ticketmaster orders."""
    for token, name in DEMO_TM_ORDERS:
        await store.register(
            TmOrderRef(
                ref=order_ref(fan, token),
                fan=fan,
                order_token=token,
                third_party_account_id=DEMO_ACCOUNT_ID,
                event_name=name,
            )
        )


async def create_demo_purchase_link(links: PurchaseLinks) -> PurchaseLink:
    """Two adult tickets to the tour of acme-discounts-carts.txt (32.00, 24.00 for members)."""
    return await links.create(
        event_id=DOCUMENTED_TOUR_INSTANCE,
        ticketing_type_id=ADULT,
        quantity=2,
        created_by="usher-demo",
    )
