"""Jane Doe's documented order (id 30263798, number #100148401, janedoe@gmail.com) with tickets.

The document's order lists its two events' items with no ``ticketVos``, so "the tickets appear"
needs some: this gives each admission line of the sandbox's copy valid tickets (as ACME shows
them on an order that has them), leaving the rest of the documented order as it is.
"""

from __future__ import annotations

from adapters.sandbox.acme.state import AcmeSandboxState

JANE_EMAIL = "janedoe@gmail.com"
JANE_ORDER_ID = "30263798"
JANE_ORDER_NUMBER = "100148401"


def give_jane_tickets(state: AcmeSandboxState) -> list[str]:
    """Valid tickets on every admission line of Jane's order; returns their uuids."""
    uuids: list[str] = []
    with state.lock:
        detail = state.orders[JANE_ORDER_ID].detail
        for line, item in enumerate(detail["orderItems"]):
            if item.get("itemType") != "Event":
                continue
            tickets = []
            for n in range(int(item["quantity"])):
                uuid = f"at{line:02d}{n:02d}d0e1a2b3c4d5e6f7a8b9c0d1e2f3a4b5"
                uuids.append(uuid)
                tickets.append(
                    {
                        "id": f"9{line}{n}",
                        "uuid": uuid,
                        "ticketStatus": "Normal",
                        "firstName": "Jane",
                        "lastName": "Doe",
                        "email": JANE_EMAIL,
                    }
                )
            item["ticketVos"] = tickets
    return uuids
