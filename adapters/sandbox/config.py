"""Keys and identities the simulators accept, shared by the ACME and Ticketmaster sandboxes.

The defaults are the example values from the reference documents, so a request copied from a
document works against the sandbox as it is. ``usher sandbox`` prints them at start; the
``USHER_ACME_*`` / ``USHER_TM_API_KEY`` settings replace them when set.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.app.settings import Settings

DEFAULT_ACME_API_KEY = "a4c5cfd3-0783-4890-a6e1-e09eb9e11b4d"
DEFAULT_ACME_PUB_API_KEY = "596ba147-beeb-4d28-aa0a-ba3bc574aadb"
DEFAULT_ACME_TENANT_ID = 107
DEFAULT_TM_API_KEY = "GkB8Z037ZfqbLCNtZViAgrEegbsrZ6Ne"
#: The username-only user of acme-api-basics.txt, for ``GET /v2/b2b/customer/session``.
DEFAULT_ACME_USERNAME = "dprince"
DEFAULT_ACME_PASSWORD = "H!pp0Lyt4"  # noqa: S105 - documented sandbox example, not a secret
DEFAULT_ACME_USER_TENANT = 999


@dataclass(frozen=True)
class SandboxKeys:
    """What the simulators accept; anything else is refused like the real services do."""

    acme_api_key: str = DEFAULT_ACME_API_KEY
    acme_tenant_id: int = DEFAULT_ACME_TENANT_ID
    acme_pub_api_key: str = DEFAULT_ACME_PUB_API_KEY
    tm_api_key: str = DEFAULT_TM_API_KEY
    acme_username: str = DEFAULT_ACME_USERNAME
    acme_password: str = DEFAULT_ACME_PASSWORD
    acme_user_tenant: int = DEFAULT_ACME_USER_TENANT
    #: The one browser origin allowed to call the CORS checkout (the hosted checkout page).
    cors_origin: str = "http://localhost:8000"

    @classmethod
    def from_settings(cls, settings: Settings) -> SandboxKeys:
        """Use the configured keys where set, the documented defaults elsewhere."""
        origin = str(settings.public_url).rstrip("/")
        return cls(
            acme_api_key=_secret(settings.acme_api_key) or DEFAULT_ACME_API_KEY,
            acme_tenant_id=settings.acme_tenant_id or DEFAULT_ACME_TENANT_ID,
            acme_pub_api_key=_secret(settings.acme_pub_api_key) or DEFAULT_ACME_PUB_API_KEY,
            tm_api_key=_secret(settings.tm_api_key) or DEFAULT_TM_API_KEY,
            cors_origin=origin,
        )

    def describe(self) -> str:
        """Lines printed by ``usher sandbox`` so a developer can call it by hand."""
        return "\n".join(
            [
                f"ACME x-acme-api-key:      {self.acme_api_key}",
                f"ACME x-b2c-tenant-id:     {self.acme_tenant_id}",
                f"ACME x-acme-pub-api-key:  {self.acme_pub_api_key}",
                f"ACME CORS origin:         {self.cors_origin}",
                f"ACME session user:        {self.acme_username} / tenant {self.acme_user_tenant}",
                f"Ticketmaster apikey:      {self.tm_api_key}",
            ]
        )


def _secret(value: object) -> str | None:
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if getter else None
