"""Settings fail at start-up with one line that names the variable."""

from __future__ import annotations

from datetime import timedelta

import pytest
import structlog

from bot.app.bootstrap import build
from bot.app.settings import load_settings
from bot.errors import ConfigError
from tests.support.chat import Outbox

GOOD_KEY = "k" * 40
ACME = {
    "USHER_ACME_BASE_URL": "https://a.test",
    "USHER_ACME_API_KEY": "k",
    "USHER_ACME_TENANT_ID": "107",
    "USHER_ACME_PUB_API_KEY": "pk",
}
PRODUCTION = {
    **ACME,
    "USHER_SECRET_KEY": GOOD_KEY,
    "USHER_SMTP_URL": "smtps://mail.example.com",
    "USHER_TIMEZONE": "Europe/Madrid",
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)


def test_nothing_set_is_the_sandbox() -> None:
    settings = load_settings()
    assert settings.acme_sandbox
    assert settings.tm_sandbox
    assert settings.redis_url is None
    assert str(settings.public_url) == "http://localhost:8000/"
    assert len(settings.signing_key()) >= 32
    # The sandbox venue's zone: the simulators' 19:30 concert is shown as 19:30.
    assert settings.zone().key == "America/Los_Angeles"


def test_lists_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USHER_SLACK_AGENTS", "U1, U2,,U3")
    assert load_settings().slack_agents == ["U1", "U2", "U3"]


def test_api_tokens_are_a_comma_separated_list_of_long_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("USHER_API_TOKENS", f"{'a' * 24}, {'b' * 30}")
    settings = load_settings()
    assert [t.get_secret_value() for t in settings.api_tokens] == ["a" * 24, "b" * 30]
    assert "a" * 24 not in repr(settings)
    monkeypatch.setenv("USHER_API_TOKENS", f"{'a' * 24},short")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert str(refused.value).startswith("USHER_API_TOKENS: ")
    assert "short" not in str(refused.value)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"USHER_ACME_TENANT_ID": "abc"}, "USHER_ACME_TENANT_ID"),
        ({"USHER_ACME_TENANT_ID": "-3"}, "USHER_ACME_TENANT_ID"),
        ({"USHER_ACME_BASE_URL": "not a url"}, "USHER_ACME_BASE_URL"),
        ({"USHER_ACME_BASE_URL": "https://sand10-api.acmeticketing.net"}, "USHER_ACME_API_KEY"),
        (
            {"USHER_ACME_BASE_URL": "https://a.test", "USHER_ACME_API_KEY": "k"},
            "USHER_ACME_TENANT_ID",
        ),
        (
            {
                "USHER_ACME_BASE_URL": "https://a.test",
                "USHER_ACME_API_KEY": "k",
                "USHER_ACME_TENANT_ID": "107",
            },
            "USHER_ACME_PUB_API_KEY",
        ),
        ({**ACME}, "USHER_SECRET_KEY"),
        ({**ACME, "USHER_SECRET_KEY": GOOD_KEY}, "USHER_SMTP_URL"),
        (
            {**ACME, "USHER_SECRET_KEY": GOOD_KEY, "USHER_SMTP_URL": "smtp://127.0.0.1:2525"},
            "USHER_TIMEZONE",
        ),
        ({**PRODUCTION, "USHER_ACME_BASE_URL": "http://a.test"}, "USHER_ACME_BASE_URL"),
        (
            {**PRODUCTION, "USHER_TM_BASE_URL": "http://tm.test", "USHER_TM_API_KEY": "k"},
            "USHER_TM_BASE_URL",
        ),
        # A real channel with the sandboxes is production too: no codes on stderr, no random key.
        ({"USHER_TELEGRAM_TOKEN": "123:abc"}, "USHER_SECRET_KEY"),
        (
            {"USHER_SLACK_BOT_TOKEN": "xoxb-1", "USHER_SLACK_APP_TOKEN": "xapp-1"},
            "USHER_SECRET_KEY",
        ),
        (
            {"USHER_TM_BASE_URL": "https://app.ticketmaster.com", "USHER_TM_API_KEY": "k"},
            "USHER_SECRET_KEY",
        ),
        ({"USHER_TELEGRAM_TOKEN": "123:abc", "USHER_SECRET_KEY": GOOD_KEY}, "USHER_SMTP_URL"),
        ({"USHER_SMTP_URL": "smtp+tls://mail.example.com"}, "USHER_SMTP_URL"),
        ({"USHER_TM_BASE_URL": "https://app.ticketmaster.com"}, "USHER_TM_API_KEY"),
        ({"USHER_TM_PREPROD": "perhaps"}, "USHER_TM_PREPROD"),
        ({"USHER_REDIS_URL": "localhost:6379"}, "USHER_REDIS_URL"),
        ({"USHER_SMTP_URL": "mail.example.com"}, "USHER_SMTP_URL"),
        ({"USHER_SECRET_KEY": "short"}, "USHER_SECRET_KEY"),
        ({"USHER_PUBLIC_URL": "ftp://x"}, "USHER_PUBLIC_URL"),
        ({"USHER_TIMEZONE": "Mars/Olympus"}, "USHER_TIMEZONE"),
        ({"USHER_ACME_SEARCH_TIMEOUT": "soon"}, "USHER_ACME_SEARCH_TIMEOUT"),
        ({"USHER_ACME_SEARCH_TIMEOUT": "0.5s"}, "USHER_ACME_SEARCH_TIMEOUT"),
        ({"USHER_ACME_SEARCH_TIMEOUT": "1h"}, "USHER_ACME_SEARCH_TIMEOUT"),
    ],
)
def test_a_bad_setting_names_its_variable_in_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], variable: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{variable}: ")
    assert "\n" not in message


def test_secret_values_never_appear_in_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USHER_SECRET_KEY", "tiny-secret")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "tiny-secret" not in str(caught.value)


def test_a_complete_production_configuration_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "USHER_ACME_BASE_URL": "https://sand10-api.acmeticketing.net",
        "USHER_ACME_API_KEY": "k",
        "USHER_ACME_TENANT_ID": "107",
        "USHER_ACME_PUB_API_KEY": "pk",
        "USHER_SECRET_KEY": GOOD_KEY,
        "USHER_SMTP_URL": "smtp://127.0.0.1:2525",
        "USHER_TELEGRAM_BOT_USERNAME": "@usher_bot",
        "USHER_TIMEZONE": "Europe/Madrid",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert not settings.acme_sandbox
    assert settings.telegram_bot_username == "usher_bot"
    assert settings.signing_key() == GOOD_KEY.encode()
    assert settings.zone().key == "Europe/Madrid"


def test_plain_http_upstreams_only_by_explicit_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        **PRODUCTION,
        "USHER_ACME_BASE_URL": "http://127.0.0.1:8100",
        "USHER_TM_BASE_URL": "http://127.0.0.1:8100",
        "USHER_TM_API_KEY": "k",
        "USHER_ALLOW_HTTP": "true",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.production
    assert settings.plain_http_upstreams() == ["USHER_ACME_BASE_URL", "USHER_TM_BASE_URL"]


@pytest.mark.parametrize("url", ["smtps://m.test", "smtp://m.test:587", "smtp+insecure://m.test"])
def test_the_three_ways_to_reach_smtp(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("USHER_SMTP_URL", url)
    assert load_settings().smtp_url == url


def test_the_sandbox_is_not_production() -> None:
    settings = load_settings()
    assert not settings.production
    assert settings.real_parts() == []


def test_empty_values_from_an_env_file_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """config/usher.example.env leaves most values empty; copied as-is it must still load."""
    monkeypatch.setenv("USHER_ACME_BASE_URL", "")
    monkeypatch.setenv("USHER_TM_PREPROD", "")
    settings = load_settings()
    assert settings.acme_sandbox
    assert settings.tm_preprod is False


async def test_the_acme_search_timeout_reaches_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().acme_search_timeout == timedelta(seconds=30)
    monkeypatch.setenv("USHER_ACME_SEARCH_TIMEOUT", "1m")
    settings = load_settings()
    assert settings.acme_search_timeout == timedelta(minutes=1)
    usher = build(settings, mailer=Outbox())
    try:
        assert usher.acme.search_timeout == 60.0
    finally:
        await usher.aclose()


async def test_plain_http_and_plain_smtp_are_logged_loudly_at_every_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {
        **PRODUCTION,
        "USHER_ACME_BASE_URL": "http://127.0.0.1:8100",
        "USHER_ALLOW_HTTP": "true",
        "USHER_SMTP_URL": "smtp+insecure://127.0.0.1:25",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with structlog.testing.capture_logs() as logs:
        usher = build(load_settings())
    await usher.aclose()
    warnings = {line["event"]: line for line in logs if line["log_level"] == "warning"}
    assert warnings["plain_http_upstreams"]["variables"] == ["USHER_ACME_BASE_URL"]
    assert "smtp_without_tls" in warnings
