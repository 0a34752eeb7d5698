"""What Ticketmaster says about an order besides its tickets, told to the fan plainly: the
order-level ``voided``, ``options`` ("ACCOUNT MODIFIED" in the document's sample), and the
redemption claim it mails (``tm_sends_redemption_claim_email``, the commit's
``redemption_url``)."""

from __future__ import annotations

from adapters.pages.tm_orders_api import order_ref
from adapters.sandbox.ticketmaster.seed import (
    DEMO_ACCOUNT_ID,
    DOC_ACCOUNT_ID,
    DOC_ORDER_TOKEN,
    RENDER_DOC_ACCOUNT_ID,
    RENDER_DOC_ORDER_TOKEN,
    SAFETIX_ORDER_TOKEN,
    VOIDED_ORDER_TOKEN,
)
from bot.app.bootstrap import Usher
from bot.messages import Fan
from bot.ticketmaster.ports import TmOrderRef
from tests.support.chat import Chat

CLAIM = "https://myorder.ticketmaster.com/redeem?token=x"


async def give(
    usher: Usher, user: str, token: str, account: str, redemption_url: str | None = None
) -> None:
    fan = Fan("console", user)
    ref = order_ref(fan, token)
    await usher.tm_orders.register(
        TmOrderRef(
            ref, fan, token, account, event_name="Skyline Live", redemption_url=redemption_url
        )
    )


async def test_the_documents_account_modified_option_is_told(usher: Usher) -> None:
    await give(usher, "n1", DOC_ORDER_TOKEN, DOC_ACCOUNT_ID)
    chat = Chat(usher, "n1")
    await chat.say("my tickets")
    assert "Ticketmaster's note on this order: ACCOUNT MODIFIED." in chat.text
    assert "claim" not in chat.text.lower(), "the sample says Ticketmaster sends no claim email"


async def test_a_redemption_claim_is_told_with_its_link(usher: Usher) -> None:
    await give(usher, "n2", RENDER_DOC_ORDER_TOKEN, RENDER_DOC_ACCOUNT_ID, CLAIM)
    chat = Chat(usher, "n2")
    await chat.say("my tickets")
    assert "Ticketmaster will also email you a link to claim these tickets" in chat.text
    assert CLAIM in chat.urls


async def test_a_voided_order_says_so_and_offers_no_ticket(usher: Usher) -> None:
    await give(usher, "n3", VOIDED_ORDER_TOKEN, DEMO_ACCOUNT_ID)
    chat = Chat(usher, "n3", locale="es")
    await chat.say("mis entradas")
    assert "Ticketmaster ha anulado este pedido" in chat.text
    assert chat.urls == []
    assert chat.qr_values == []


async def test_an_ordinary_order_has_no_notes(usher: Usher) -> None:
    await give(usher, "n4", SAFETIX_ORDER_TOKEN, DEMO_ACCOUNT_ID)
    chat = Chat(usher, "n4")
    await chat.say("my tickets")
    assert "note on this order" not in chat.text
    assert "claim" not in chat.text.lower()
