"""``USHER_WEBCHAT_ORIGINS``: which sites may embed the chat, and web chat on or off."""

from __future__ import annotations

import os
import subprocess

import httpx
import pytest

from adapters.store.store import connect
from bot.app.bootstrap import build
from bot.app.channels import webchat_channel
from bot.app.settings import load_settings
from bot.app.web import create_app
from bot.errors import ConfigError
from tests.support.process import ROOT, USHER, clean_env

GOOD_KEY = "k" * 40
PRODUCTION = {
    "acme_base_url": "https://api.acme.test",
    "acme_api_key": "key",
    "acme_tenant_id": 107,
    "acme_pub_api_key": "pub-key",
    "secret_key": GOOD_KEY,
    "smtp_url": "smtps://mail.test:465",
    "timezone": "America/New_York",
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)


def test_origins_are_read_as_browsers_send_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "USHER_WEBCHAT_ORIGINS", "https://Venue.example:443/, https://shop.venue.example:8443"
    )
    settings = load_settings()
    assert settings.webchat_allowed_origins() == {
        "https://venue.example",
        "https://shop.venue.example:8443",
    }


def test_in_the_sandbox_the_public_sites_own_origin_is_allowed() -> None:
    settings = load_settings()
    assert settings.webchat_enabled
    assert settings.webchat_allowed_origins() == {"http://localhost:8000", "http://127.0.0.1:8000"}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (" , ", "names no site"),
        ("https://venue.example/chat", "no path"),
        ("*", "is not an origin"),
        ("venue.example", "is not an origin"),
        ("https://venue.example:99999", "bad port"),
    ],
)
def test_a_list_that_names_no_usable_site_stops_start_up(value: str, problem: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(webchat_origins=value)
    message = str(error.value)
    assert message.startswith("USHER_WEBCHAT_ORIGINS: ")
    assert problem in message
    assert "\n" not in message


def test_outside_the_sandbox_web_chat_is_off_until_sites_are_named() -> None:
    settings = load_settings(**PRODUCTION)
    assert not settings.webchat_enabled
    assert settings.webchat_allowed_origins() == frozenset()
    with pytest.raises(ConfigError, match="USHER_WEBCHAT_ORIGINS: must be https://"):
        load_settings(**PRODUCTION, webchat_origins="http://venue.example")
    local = load_settings(**PRODUCTION, webchat_origins="http://localhost:3000")
    assert local.webchat_allowed_origins() == {"http://localhost:3000"}


async def test_with_web_chat_off_its_routes_are_not_served() -> None:
    usher = build(load_settings(**PRODUCTION), store=connect(None))
    try:
        assert webchat_channel(usher) is None
        app = create_app(usher, close_on_shutdown=False)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://usher.test"
        ) as http:
            assert (await http.get("/chat/widget.js")).status_code == 404
    finally:
        await usher.aclose()


async def test_outside_the_sandbox_the_widget_is_served_but_not_the_demo() -> None:
    usher = build(
        load_settings(**PRODUCTION, webchat_origins="https://venue.example"), store=connect(None)
    )
    try:
        webchat = webchat_channel(usher)
        assert webchat is not None
        app = create_app(usher, channels=[webchat], close_on_shutdown=False)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://usher.test"
        ) as http:
            assert (await http.get("/chat/widget.js")).status_code == 302
            assert (await http.get("/chat/demo")).status_code == 404
    finally:
        await usher.aclose()


def test_usher_serve_stops_with_one_line_naming_the_variable() -> None:
    done = subprocess.run(
        [*USHER, "serve", "--port", "1"],
        cwd=ROOT,
        env=clean_env(USHER_WEBCHAT_ORIGINS=" , "),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("usher: USHER_WEBCHAT_ORIGINS: names no site")


async def test_the_sandbox_lets_any_page_on_this_machine_chat_until_sites_are_named() -> None:
    named = {"webchat_origins": "http://venue.test"}
    for values, local_page_allowed in (({}, True), (named, False)):
        usher = build(load_settings(**values), store=connect(None))
        try:
            webchat = webchat_channel(usher)
            assert webchat is not None
            origins = webchat.endpoint.origins
            assert origins.allow("http://localhost:5173") is local_page_allowed
            assert origins.allow("http://127.0.0.1:8742") is local_page_allowed
            assert not origins.allow("http://venue.example")
            assert not origins.allow("https://localhost.evil.example")
            assert not origins.allow("null")
        finally:
            await usher.aclose()


def test_a_real_channel_with_the_simulated_upstreams_is_outside_the_sandbox_too() -> None:
    slack = {
        "slack_bot_token": "xoxb-real",
        "slack_signing_secret": "s" * 32,
        "secret_key": GOOD_KEY,
        "smtp_url": "smtps://mail.test:465",
        "timezone": "America/New_York",
    }
    settings = load_settings(**slack)
    assert settings.acme_sandbox
    assert not settings.webchat_enabled
    with pytest.raises(ConfigError, match="USHER_WEBCHAT_ORIGINS: must be https://"):
        load_settings(**slack, webchat_origins="http://venue.example")
