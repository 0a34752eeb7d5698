"""The hosted checkout page ``GET /checkout/{token}``, its script, and ``POST .../done``.

Why a page at all: ACME's checkout needs a reCAPTCHA token made in the buyer's browser and a
card, neither of which belongs in a chat (acme-notes.md). Why this shape:

* **The cart is rendered here, server-side,** from the cart as ACME prices it now (member and
  coupon prices next to full prices, add-ons, total), so the page shows what will be charged.
  Its total goes to ACME as ``chargeAmount``: if the cart changed meanwhile, ACME refuses.
* **The card never reaches Usher.** The page's own script (``checkout.js``, same origin, nonce'd)
  posts the checkout straight to ACME's ``/v2/b2c/cors/checkout`` with exactly
  ``x-acme-pub-api-key``, ``x-b2c-tenant-id``, ``x-acme-request-uuid``,
  ``x-acme-captcha-token`` and ``content-type``. The publishable key is public by design; the
  server key (``x-acme-api-key``) is never in the page. The form has no action and CSP has
  ``form-action 'none'``, so even without the script nothing is ever submitted to Usher.
  CSP ``connect-src`` allows Usher and that one ACME origin, nothing else.
  This sandbox-grade form sends card fields (``manualEntryCardNumber``, ``expDate``, ``cvc``);
  a production deployment should swap them for ACME's tokenised payment fields (``acmeToken``),
  which the checkout body already accepts, so the card is never in this page's DOM either.
* **Where ACME is for the browser:** ``USHER_ACME_BASE_URL``; in sandbox mode the in-process
  simulator's CORS checkout is exposed at ``USHER_PUBLIC_URL/sandbox`` (``cors_mount``).
* **The captcha token:** with ``USHER_RECAPTCHA_SITE_KEY`` the page loads reCAPTCHA v3 and
  sends a fresh token; without it, a fixed sandbox token (only the simulator accepts that).
* **Afterwards** the script reports the order (``POST .../done``: the order id, or on a 409 the
  email) and Usher confirms it with ACME before believing it (``bot.buying.checkout``), then the
  page shows the order number. An anonymous buyer (web purchase link) has no chat to message, so the
  page is where they learn the number; ACME mails the confirmation.
"""

from __future__ import annotations

import html
import json
import secrets
from pathlib import Path
from string import Template
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from adapters.bodies import BodyTooLarge, read_body, too_large
from adapters.pages.browser_checkout import SANDBOX_CAPTCHA_TOKEN, BrowserCheckout
from adapters.pages.common import page_language, secure_headers, short_page
from bot import copy
from bot.acme.cart_models import Cart
from bot.buying.cart_text import LineText, cart_text
from bot.buying.checkout import (
    CONFIRM_GRACE,
    CheckoutExpired,
    CheckoutGone,
    CheckoutInvalid,
    NotConfirmed,
    order_note,
)
from bot.buying.shop import Shop
from bot.errors import BotError, NotFound, UpstreamError
from bot.formatting import money, when

log = structlog.get_logger("usher.pages.checkout")

PAGE_HEADER = "x-usher-page"
SCRIPT_PATH = "/assets/checkout.js"
RECAPTCHA_SCRIPT = "https://www.google.com/recaptcha/api.js"
RECAPTCHA_ORIGINS = "https://www.google.com https://www.gstatic.com"
MAX_DONE_BODY = 2048
_HERE = Path(__file__).parent
TEMPLATE = Template((_HERE / "checkout.html").read_text(encoding="utf-8"))
SCRIPT = (_HERE / "checkout.js").read_bytes()


def _json_for_script(value: Any) -> str:
    """JSON that cannot close its ``<script>`` element or open a comment."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class CheckoutPages:
    """Route handlers for the checkout page, bound to the running Usher."""

    def __init__(self, shop: Shop, browser: BrowserCheckout, tz: ZoneInfo) -> None:
        self.shop = shop
        self.browser = browser
        self.tz = tz

    def routes(self) -> list[Route]:
        """The page, its script and its confirmation call."""
        return [
            Route(SCRIPT_PATH, self.script, methods=["GET"]),
            Route("/checkout/{token}", self.page, methods=["GET"]),
            Route("/checkout/{token}/done", self.done, methods=["POST"]),
        ]

    async def script(self, _: Request) -> Response:
        """The page's script, a static file."""
        headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        return Response(SCRIPT, media_type="text/javascript", headers=headers)

    async def page(self, request: Request) -> Response:
        """The cart and the payment form, or a refusal page."""
        token = request.path_params["token"]
        lang = page_language(request)
        try:
            data, record = await self.shop.checkouts.record_for(token)
            lang = data.lang
            if record.order_id is not None:
                order = await self.shop.checkouts.orders.get_order(record.order_id)
                number = order.order_number or order.id
                return checkout_short_page(
                    lang, copy.text("page_paid_already", lang, number=number), 200
                )
            cart = await self.shop.carts.api.get_cart(record.cart_id)
            if not any(item.quantity > 0 for item in cart.items):
                raise CheckoutGone("empty cart")
            event = await self.shop.carts.api.get_event(record.event_id)
        except (CheckoutInvalid, CheckoutExpired, CheckoutGone, NotFound) as exc:
            return self._refused(lang, exc)
        except UpstreamError as exc:
            log.warning("checkout_page_upstream", error=type(exc).__name__)
            return checkout_short_page(lang, copy.text("upstream_down", lang), 503)
        heading = " · ".join(
            part for part in (event.name, when(event.start_time, self.tz, lang)) if part
        )
        nonce = secrets.token_urlsafe(16)
        config = self._config(token, record.cart_id, order_note(record), cart, lang)
        return HTMLResponse(
            self._html(lang, nonce, heading, cart, config), headers=self._headers(nonce)
        )

    async def done(self, request: Request) -> Response:
        """The page reports its order; Usher confirms it with ACME (see ``bot.buying.checkout``)."""
        no_store = {"Cache-Control": "no-store"}
        lang = page_language(request)
        site = request.headers.get("sec-fetch-site")
        if request.headers.get(PAGE_HEADER) != "1" or site not in (None, "same-origin"):
            return JSONResponse(
                {"error": copy.text("checkout_invalid", lang)}, 403, headers=no_store
            )
        token = request.path_params["token"]
        try:
            # The link's signature first: a forged one gets 403 before a byte of body is read.
            self.shop.checkouts.links.read(token, grace=CONFIRM_GRACE)
            report = _report(await read_body(request, MAX_DONE_BODY))
        except (CheckoutInvalid, CheckoutExpired) as exc:
            status = 403 if isinstance(exc, CheckoutInvalid) else 410
            return JSONResponse(
                {"error": copy.text(exc.message_key, lang)}, status, headers=no_store
            )
        except BodyTooLarge:
            return too_large(MAX_DONE_BODY)
        if report is None:
            return JSONResponse(
                {"error": copy.text("checkout_invalid", lang)}, 400, headers=no_store
            )
        try:
            confirmed = await self.shop.checkouts.confirm(
                token, order_id=report.get("orderId"), email=report.get("email")
            )
        except (CheckoutInvalid, CheckoutExpired, CheckoutGone, NotConfirmed) as exc:
            status = {CheckoutInvalid: 403, NotConfirmed: 404}.get(type(exc), 410)
            return JSONResponse(
                {"error": copy.text(exc.message_key, lang)}, status, headers=no_store
            )
        except UpstreamError as exc:
            log.warning("checkout_confirm_upstream", error=type(exc).__name__)
            return JSONResponse({"error": copy.text("upstream_down", lang)}, 503, headers=no_store)
        order = confirmed.order
        body = {
            "orderId": order.id,
            "orderNumber": order.order_number or order.id,
            "chat": confirmed.chat,
        }
        return JSONResponse(body, headers=no_store)

    def _config(self, token: str, cart_id: str, note: str, cart: Cart, lang: str) -> dict[str, Any]:
        """What the script needs: where ACME is, the browser-safe key, the texts."""

        def say(key: str, **values: object) -> str:
            return copy.text(key, lang, **values)

        amount = money(cart.total)
        return {
            "acmeUrl": self.browser.acme_url,
            "pubKey": self.browser.pub_key,
            "tenantId": self.browser.tenant_id,
            "captchaSiteKey": self.browser.captcha_site_key,
            "sandboxCaptcha": SANDBOX_CAPTCHA_TOKEN,
            "cartId": cart_id,
            "amount": f"{cart.total:.2f}",
            "note": note,
            "donePath": f"/checkout/{token}/done",
            "texts": {
                "pay": say("page_checkout_pay", amount=amount),
                "paying": say("page_checkout_paying"),
                "declined": say("page_checkout_declined"),
                "invalidCard": say("page_checkout_invalid_card"),
                "changed": say("page_checkout_changed"),
                "failed": say("page_checkout_failed"),
                "missing": say("page_checkout_missing"),
                "done": say("page_checkout_done", number="{number}"),
                "doneChat": say("page_checkout_done_chat"),
                "doneMail": say("page_checkout_done_mail"),
            },
        }

    def _html(self, lang: str, nonce: str, heading: str, cart: Cart, config: dict[str, Any]) -> str:
        def say(key: str, **values: object) -> str:
            return html.escape(copy.text(key, lang, **values))

        rows = "\n    ".join(_row(line) for line in cart_text(cart, lang))
        captcha = ""
        if self.browser.captcha_site_key:
            src = f"{RECAPTCHA_SCRIPT}?render={self.browser.captcha_site_key}"
            captcha = f'<script nonce="{nonce}" src="{html.escape(src)}"></script>'
        return TEMPLATE.substitute(
            lang=lang,
            nonce=nonce,
            title=say("page_checkout_title"),
            items_title=say("page_checkout_items"),
            event=html.escape(heading),
            rows=rows,
            total_label=say("page_checkout_total"),
            total=html.escape(money(cart.total)),
            contact_title=say("page_checkout_contact"),
            email_label=say("page_checkout_email"),
            first_name_label=say("page_checkout_first_name"),
            last_name_label=say("page_checkout_last_name"),
            phone_label=say("page_checkout_phone"),
            payment_title=say("page_checkout_payment"),
            card_label=say("page_checkout_card"),
            expiry_label=say("page_checkout_expiry"),
            cvc_label=say("page_checkout_cvc"),
            pay_label=say("page_checkout_pay", amount=money(cart.total)),
            secure_note=say("page_checkout_secure"),
            config=_json_for_script(config),
            captcha_script=captcha,
            script_path=SCRIPT_PATH,
        )

    def _headers(self, nonce: str) -> dict[str, str]:
        google = f" {RECAPTCHA_ORIGINS}" if self.browser.captcha_site_key else ""
        frames = RECAPTCHA_ORIGINS if self.browser.captcha_site_key else "'none'"
        csp = (
            f"default-src 'none'; script-src 'nonce-{nonce}'{google}; "
            f"style-src 'nonce-{nonce}'; connect-src 'self' {self.browser.origin}{google}; "
            f"frame-src {frames}; img-src 'self' data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
        return secure_headers(csp)

    def _refused(self, lang: str, exc: Exception) -> Response:
        if isinstance(exc, CheckoutInvalid):
            return checkout_short_page(lang, copy.text(exc.message_key, lang), 403)
        key = exc.message_key if isinstance(exc, BotError) else "checkout_gone"
        return checkout_short_page(lang, copy.text(key, lang), 410)


def _row(line: LineText) -> str:
    """One cart line as a table row (every value escaped)."""
    name, unit, note = html.escape(line.name), html.escape(line.unit), html.escape(line.note)
    return (
        f'<tr><td>{name} × {line.quantity}<br><span class="note">{unit}{note}</span></td>'
        f'<td class="amount">{html.escape(line.amount)}</td></tr>'
    )


def _report(raw: bytes) -> dict[str, str] | None:
    """The page's report: ``{"orderId": ...}`` or ``{"email": ...}``, short strings only."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    report = {k: v for k, v in data.items() if k in ("orderId", "email") and isinstance(v, str)}
    return report or None


def checkout_short_page(lang: str, text: str, status: int) -> Response:
    """A one-line page under the checkout's title."""
    return short_page(lang, copy.text("page_checkout_title", lang), text, status)
