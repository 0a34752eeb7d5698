"""Settings: every ``USHER_*`` environment variable, validated once at start-up.

Why pydantic-settings: it reads the environment (and an optional ``.env``), converts types and
reports every problem with the field name, which we turn into one line naming the variable so
an operator sees at once what to fix. ``config/usher.example.env`` documents each variable.

"Sandbox mode" means no real channel or upstream is configured: the built-in simulators serve
ACME and Ticketmaster, one-time-code mail may be shown in the console, and a random secret key
is fine. Production (any of ACME, Ticketmaster, Telegram or Slack for real) is strict: a secret
key, SMTP (with TLS), the venue's zone, ``https`` upstreams (``USHER_ALLOW_HTTP`` for a local
stand-in only) and ACME's publishable key are required, so nothing quietly falls back to a
sandbox default (codes on stderr, a random key per process, the documents' example key).
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError
from bot.staff_config import StaffConfigError, load_staff_config
from bot.throttle import TurnLimit
from bot.venue import DEFAULT_VENUE_FILE, Venue, VenueFileError, load_venue

ENV_PREFIX = "USHER_"
DEFAULT_SDK_URL = "https://secure-entry.ticketmaster.com/presence-secure-entry.min.js"
MIN_SECRET_KEY_LENGTH = 32
MIN_API_TOKEN_LENGTH = 24
SMTP_SCHEMES = ("smtps://", "smtp://", "smtp+insecure://")
#: The sandbox venue's zone: the simulators' events are at local times there (the documented
#: orders are written at -07:00, Pacific daylight time), and the demo shows them in it.
SANDBOX_TIMEZONE = "America/Los_Angeles"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _split_ids(value: Any) -> Any:
    """Accept ``U1,U2`` (as written in an env file) as well as a list."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """The public configuration contract from docs/architecture.md (change it only on purpose)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=None,
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
        env_ignore_empty=True,
    )

    redis_url: str | None = None

    acme_base_url: AnyHttpUrl | None = None
    acme_api_key: SecretStr | None = None
    acme_tenant_id: int | None = Field(default=None, gt=0)
    acme_pub_api_key: SecretStr | None = None
    #: How long one ACME order search may take ("30s", "1m"): ACME publishes no SLA, and a
    #: search reads up to a thousand orders, so a large tenant may need more.
    acme_search_timeout: timedelta = timedelta(seconds=30)
    #: Google reCAPTCHA (v3) site key for the checkout page; ACME wants a token on checkout.
    recaptcha_site_key: str | None = None

    tm_base_url: AnyHttpUrl | None = None
    tm_api_key: SecretStr | None = None
    tm_preprod: bool = False
    #: Where an Apple Wallet pass id from secure render (``passData.ios.pkPassId``) becomes a
    #: pass: an https URL with ``{pk_pass_id}`` in it, from Ticketmaster (the pattern is not
    #: public). Unset: no wallet button.
    tm_wallet_pass_url: str | None = None
    #: Accept ``http://`` ACME and Ticketmaster URLs outside the sandbox: a local stand-in
    #: only (the APIs require TLS 1.2+). Logged loudly at every start.
    allow_http: bool = False

    telegram_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_url: AnyHttpUrl | None = None
    telegram_bot_username: str | None = None
    #: When a ``usher serve`` dies (or hangs) while handling a webhook update, another process
    #: takes the update over after this long: the lease a handler renews while it works.
    telegram_takeover: timedelta = timedelta(seconds=30)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: AnyHttpUrl | None = None
    slack_agents: Annotated[list[str], NoDecode] = Field(default_factory=list)
    slack_marketers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: Channel id (C...) where fans' requests for a person are posted for agents to take.
    slack_handoff_channel: str | None = None
    #: The staff file (support hours, canned replies); unset: the shipped config/staff.toml.
    staff_config: Path | None = None

    #: Bearer tokens accepted by ``POST /api/tm/orders`` (comma-separated; none: the API is off).
    api_tokens: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)

    #: ``smtps://`` (TLS from the start), ``smtp://`` (STARTTLS, required) or, only by explicit
    #: choice for a relay on the same host, ``smtp+insecure://`` (no TLS at all).
    smtp_url: str | None = None
    mail_from: str = "Usher <tickets@usher.invalid>"

    public_url: AnyHttpUrl = AnyHttpUrl("http://localhost:8000")
    secret_key: SecretStr | None = None
    secure_entry_sdk_url: AnyHttpUrl = AnyHttpUrl(DEFAULT_SDK_URL)
    #: IANA zone of the venue: every time shown to fans, agents and pages is in it. Unset: the
    #: sandbox venue's zone in the sandbox; required otherwise.
    timezone: str | None = None
    #: The venue's facts and policies (doors, parking, refunds...): ``config/venue.toml``.
    venue_file: Path = DEFAULT_VENUE_FILE
    #: Scheduled Ticketmaster calls (refreshes, reloads) per second, across all workers.
    tm_refresh_rate: float = Field(default=20.0, gt=0, le=1000)
    #: How long before an event fans get their reminder: "3h", "90m", "1d" (bare: seconds).
    reminder_before: timedelta = timedelta(hours=3)
    #: A fan's turns: this many a minute on average (``bot.throttle``), ...
    turn_rate: float = Field(default=30.0, gt=0, le=6000)
    #: ... and at most this many in a row.
    turn_burst: int = Field(default=10, ge=1, le=1000)
    #: New carts one purchase link may open a minute from browsers (``GET /l/{code}``).
    link_carts_per_minute: int = Field(default=120, ge=1, le=100_000)
    #: Sites (origins) allowed to embed the chat widget and open its WebSocket. None (unset):
    #: web chat is off outside the sandbox; in the sandbox the public URL's own site.
    webchat_origins: Annotated[list[str] | None, NoDecode] = None

    _split_agents = field_validator(
        "slack_agents", "slack_marketers", "webchat_origins", mode="before"
    )(_split_ids)
    _split_tokens = field_validator("api_tokens", mode="before")(_split_ids)

    @field_validator("api_tokens")
    @classmethod
    def _long_tokens(cls, value: list[SecretStr]) -> list[SecretStr]:
        if any(len(token.get_secret_value()) < MIN_API_TOKEN_LENGTH for token in value):
            raise ValueError(
                f"each token needs at least {MIN_API_TOKEN_LENGTH} characters (usher api-token)"
            )
        return value

    @field_validator("webchat_origins")
    @classmethod
    def _origins(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [web_origin(entry) for entry in value]

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(SMTP_SCHEMES):
            raise ValueError(
                "must be smtps://host:port (TLS), smtp://host:port (STARTTLS, required) "
                "or smtp+insecure://host:port (no TLS, by explicit choice)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as America/New_York") from None
        return value

    @field_validator("venue_file")
    @classmethod
    def _readable_venue(cls, value: Path) -> Path:
        try:
            load_venue(value)
        except VenueFileError as exc:
            raise ValueError(str(exc)) from None
        return value

    def venue(self) -> Venue:
        """The venue's facts and policies, read and checked once."""
        return load_venue(self.venue_file)

    @field_validator("reminder_before", "telegram_takeover", "acme_search_timeout", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        match = _DURATION.fullmatch(value.strip().lower())
        if match is None:
            raise ValueError('must be a duration like "3h", "90m" or "1d"')
        return timedelta(seconds=float(match[1]) * _UNITS[match[2]])

    @field_validator("reminder_before")
    @classmethod
    def _sensible_lead(cls, value: timedelta) -> timedelta:
        if not timedelta(0) < value <= timedelta(days=7):
            raise ValueError("must be more than 0 and at most 7 days")
        return value

    @field_validator("telegram_takeover")
    @classmethod
    def _sensible_takeover(cls, value: timedelta) -> timedelta:
        # Below a second, a busy but healthy process would lose its updates to another one.
        if not timedelta(seconds=1) <= value <= timedelta(minutes=10):
            raise ValueError("must be at least 1 second and at most 10 minutes")
        return value

    @field_validator("acme_search_timeout")
    @classmethod
    def _sensible_search_timeout(cls, value: timedelta) -> timedelta:
        if not timedelta(seconds=1) <= value <= timedelta(minutes=5):
            raise ValueError("must be at least 1 second and at most 5 minutes")
        return value

    def zone(self) -> ZoneInfo:
        """The venue's time zone (the sandbox venue's when none is set, in the sandbox only)."""
        return ZoneInfo(self.timezone or SANDBOX_TIMEZONE)

    @field_validator("slack_handoff_channel")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        # Events name channels by id, and thread replies are matched on it: a name won't do.
        if value is not None and not re.fullmatch(r"[CG][A-Z0-9]{2,}", value):
            raise ValueError("must be a channel id like C0123ABCD (not a #name)")
        return value

    @field_validator("staff_config")
    @classmethod
    def _staff_file(cls, value: Path | None) -> Path | None:
        try:
            load_staff_config(value)  # checked at start-up, read again by bootstrap
        except StaffConfigError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("tm_wallet_pass_url")
    @classmethod
    def _wallet_template(cls, value: str | None) -> str | None:
        if value is not None and (
            not value.startswith("https://") or value.count("{pk_pass_id}") != 1
        ):
            raise ValueError("must be an https URL with {pk_pass_id} in it, once")
        return value

    @field_validator("telegram_bot_username")
    @classmethod
    def _strip_at(cls, value: str | None) -> str | None:
        return value.lstrip("@") if value else value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.acme_base_url is not None:
            if self.acme_api_key is None:
                raise _missing("acme_api_key", "needed when USHER_ACME_BASE_URL is set")
            if self.acme_tenant_id is None:
                raise _missing("acme_tenant_id", "needed when USHER_ACME_BASE_URL is set")
            if self.acme_pub_api_key is None:
                raise _missing(
                    "acme_pub_api_key",
                    "needed when USHER_ACME_BASE_URL is set (the checkout page's browser key)",
                )
        if (
            self.slack_bot_token is not None
            and self.slack_signing_secret is None
            and self.slack_app_token is None
        ):
            raise _missing(
                "slack_signing_secret",
                "needed when USHER_SLACK_BOT_TOKEN is set (or set USHER_SLACK_APP_TOKEN)",
            )
        if self.tm_base_url is not None and self.tm_api_key is None:
            raise _missing("tm_api_key", "needed when USHER_TM_BASE_URL is set")
        if self.secret_key is not None and (
            len(self.secret_key.get_secret_value()) < MIN_SECRET_KEY_LENGTH
        ):
            raise _missing("secret_key", f"must be at least {MIN_SECRET_KEY_LENGTH} characters")
        if self.webchat_origins is not None:
            if not self.webchat_origins:
                raise _missing(
                    "webchat_origins",
                    "names no site: list the origins allowed to embed the chat widget "
                    "(https://venue.example), or leave it unset to turn web chat off",
                )
            if self.production and any(
                not origin.startswith("https://") and not _loopback(origin)
                for origin in self.webchat_origins
            ):
                raise _missing(
                    "webchat_origins",
                    "must be https:// origins outside the sandbox (or http://localhost)",
                )
        real = self.real_parts()
        if real:
            self._strict(f"required outside the sandbox ({real[0]} is set)")
        return self

    def _strict(self, because: str) -> None:
        """Production's rules (design.md): nothing falls back to a sandbox default."""
        if self.secret_key is None:
            raise _missing("secret_key", because)
        if self.smtp_url is None:
            raise _missing("smtp_url", f"{because} (one-time codes go by mail)")
        if self.timezone is None:
            raise _missing("timezone", f"{because}: the venue's IANA zone, e.g. America/New_York")
        for field in ("acme_base_url", "tm_base_url"):
            url = getattr(self, field)
            if url is not None and url.scheme != "https" and not self.allow_http:
                raise _missing(
                    field,
                    "must be an https:// URL (the APIs require TLS); for a local stand-in "
                    "only, set USHER_ALLOW_HTTP=true",
                )

    def real_parts(self) -> list[str]:
        """The variables that make this a real deployment (a channel or an upstream), if any."""
        fields = (
            "acme_base_url",
            "tm_base_url",
            "telegram_token",
            "slack_bot_token",
            "slack_app_token",
        )
        return [env_name(field) for field in fields if getattr(self, field) is not None]

    @property
    def production(self) -> bool:
        """True outside the sandbox: any real channel or upstream is configured."""
        return bool(self.real_parts())

    def plain_http_upstreams(self) -> list[str]:
        """The upstream URL variables allowed to be ``http://`` by ``USHER_ALLOW_HTTP``."""
        return [
            env_name(field)
            for field in ("acme_base_url", "tm_base_url")
            if getattr(self, field) is not None and getattr(self, field).scheme != "https"
        ]

    @property
    def acme_sandbox(self) -> bool:
        """True when ACME is the built-in simulator."""
        return self.acme_base_url is None

    @property
    def tm_sandbox(self) -> bool:
        """True when Ticketmaster is the built-in simulator."""
        return self.tm_base_url is None

    def turn_limit(self) -> TurnLimit:
        """How many turns a fan may take (``USHER_TURN_RATE``, ``USHER_TURN_BURST``)."""
        return TurnLimit(per_minute=self.turn_rate, burst=self.turn_burst)

    @property
    def webchat_enabled(self) -> bool:
        """Web chat runs when sites are allowed to embed it, and always in the sandbox."""
        return self.webchat_origins is not None or not self.production

    def webchat_allowed_origins(self) -> frozenset[str]:
        """The ``Origin`` values the chat's WebSocket accepts (empty when web chat is off).

        In the sandbox with nothing set: the public URL's own site, so ``/chat/demo`` works,
        as ``localhost`` and as ``127.0.0.1`` (a browser names the site as it was typed).
        """
        if self.webchat_origins is not None:
            return frozenset(self.webchat_origins)
        if self.production:
            return frozenset()
        own = web_origin(str(self.public_url))
        twins = {own}
        for one, other in (("//localhost", "//127.0.0.1"), ("//127.0.0.1", "//localhost")):
            if one in own:
                twins.add(own.replace(one, other))
        return frozenset(twins)

    def signing_key(self) -> bytes:
        """The key that signs links and page sessions (random per start in the sandbox)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        return _SANDBOX_SECRET


_SANDBOX_SECRET = secrets.token_bytes(32)


class _SettingProblem(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field


def _missing(field: str, problem: str) -> _SettingProblem:
    return _SettingProblem(field, problem)


def web_origin(value: str) -> str:
    """``https://Venue.example:443/`` -> ``https://venue.example``: an origin as browsers send it.

    ValueError for anything that is not ``http(s)://host[:port]`` (a path, a query, a user or
    a wildcard would mean the operator expects a rule this check does not apply).
    """
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an origin like https://venue.example")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{value!r} is not an origin like https://venue.example (no path)")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{value!r} has a bad port") from None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme}://{host}{suffix}"


def _loopback(origin: str) -> bool:
    """``http://localhost:3000`` and the like: a developer's own machine (browsers treat it as
    a secure context too)."""
    host = urlsplit(origin).hostname
    return host in ("localhost", "127.0.0.1", "::1")


def env_name(field: str) -> str:
    """``acme_api_key`` -> ``USHER_ACME_API_KEY``."""
    return f"{ENV_PREFIX}{field.upper()}"


def load_settings(**overrides: Any) -> Settings:
    """Read the environment; on any problem raise ConfigError with one line naming a variable."""
    try:
        return Settings(**overrides)
    except _SettingProblem as exc:
        raise ConfigError(f"{env_name(exc.field)}: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        ctx_error = (first.get("ctx") or {}).get("error")
        if isinstance(ctx_error, _SettingProblem):
            raise ConfigError(f"{env_name(ctx_error.field)}: {ctx_error}") from None
        field = str(first["loc"][0]) if first["loc"] else "settings"
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{env_name(field)}: {message}") from None
