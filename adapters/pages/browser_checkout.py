"""How the checkout page's script reaches ACME: browser-safe values only.

The page calls ACME's CORS checkout from the fan's browser with the *publishable* key
(acme-cors-checkout.txt), so payment data never passes through Usher. This is what the page is
told: ACME's URL as the browser must call it, the publishable key, the tenant and the reCAPTCHA
site key. In the sandbox the simulator is mounted under ``USHER_PUBLIC_URL/sandbox``.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from adapters.pages.common import origin
from adapters.sandbox.config import SandboxKeys
from adapters.sandbox.cors_mount import SANDBOX_PREFIX
from bot.app.settings import Settings

log = structlog.get_logger("usher.pages.checkout")

#: What the page sends as x-acme-captcha-token when no reCAPTCHA site key is configured.
SANDBOX_CAPTCHA_TOKEN = "usher-sandbox-captcha"  # noqa: S105 - a placeholder, not a secret


@dataclass(frozen=True)
class BrowserCheckout:
    """How the page's script reaches ACME: browser-safe values only."""

    #: ACME's base URL as the browser must call it (no trailing slash).
    acme_url: str
    pub_key: str
    tenant_id: str
    captcha_site_key: str | None = None

    @property
    def origin(self) -> str:
        """The one origin CSP lets the page connect to besides Usher."""
        return origin(self.acme_url)

    @classmethod
    def from_settings(cls, settings: Settings, keys: SandboxKeys | None) -> BrowserCheckout:
        """The configured ACME, or the simulator mounted under ``USHER_PUBLIC_URL/sandbox``."""
        keys = keys or SandboxKeys()
        pub = settings.acme_pub_api_key
        if settings.acme_sandbox:
            base = str(settings.public_url).rstrip("/") + SANDBOX_PREFIX
        else:
            base = str(settings.acme_base_url).rstrip("/")
            if pub is None:
                log.warning("acme_pub_key_unset", note="checkout page uses the sandbox key")
            if settings.recaptcha_site_key is None:
                log.warning("recaptcha_unset", note="ACME will refuse the sandbox captcha token")
        return cls(
            acme_url=base,
            pub_key=pub.get_secret_value() if pub is not None else keys.acme_pub_api_key,
            tenant_id=str(settings.acme_tenant_id or keys.acme_tenant_id),
            captcha_site_key=settings.recaptcha_site_key,
        )
