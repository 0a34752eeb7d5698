"""What every real deployment must set (design.md: production is strict), for tests that
configure a real channel or upstream against the local fakes and simulators.

A real Telegram or Slack, or a real ACME or Ticketmaster URL, makes Usher refuse to start
without a secret key, SMTP and the venue's zone; the simulators served over loopback HTTP also
need ``USHER_ALLOW_HTTP``. Nothing here sends mail: the SMTP URL points nowhere.
"""

from __future__ import annotations

SECRET_KEY = "usher-test-production-secret-key-0123456789"
#: The sandbox venue's zone, so times read as in the sandbox tests.
TIMEZONE = "America/Los_Angeles"
NO_MAIL = "smtps://127.0.0.1:9"

#: Settings (``load_settings(**PRODUCTION)``).
PRODUCTION: dict[str, str] = {
    "secret_key": SECRET_KEY,
    "smtp_url": NO_MAIL,
    "timezone": TIMEZONE,
}


def production_env(**extra: str) -> dict[str, str]:
    """The same as ``USHER_*`` variables, plus ``extra``."""
    env = {f"USHER_{name.upper()}": value for name, value in PRODUCTION.items()}
    env.update(extra)
    return env
