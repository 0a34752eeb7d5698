"""Slack settings: checked at start-up, and what they switch on."""

from __future__ import annotations

import os

import pytest

from bot.app.bootstrap import build
from bot.app.channels import slack_channel
from bot.app.settings import load_settings
from bot.errors import ConfigError
from tests.support.production import PRODUCTION


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("USHER_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize(
    ("settings", "line"),
    [
        (
            {"USHER_SLACK_BOT_TOKEN": "xoxb-1"},
            "USHER_SLACK_SIGNING_SECRET: needed when USHER_SLACK_BOT_TOKEN is set "
            "(or set USHER_SLACK_APP_TOKEN)",
        ),
        (
            {"USHER_SLACK_HANDOFF_CHANNEL": "#support"},
            "USHER_SLACK_HANDOFF_CHANNEL: must be a channel id like C0123ABCD (not a #name)",
        ),
    ],
)
def test_a_wrong_slack_setting_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], line: str
) -> None:
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert str(raised.value) == line


async def test_slack_is_off_without_a_token_and_http_needs_the_signing_secret() -> None:
    off = build(load_settings())
    try:
        assert slack_channel(off) is None
    finally:
        await off.aclose()
    socket_only = build(
        load_settings(
            slack_bot_token="xoxb-1", slack_app_token="xapp-1", slack_agents="U1, U2", **PRODUCTION
        )
    )
    try:
        channel = slack_channel(socket_only)
        assert channel is not None
        assert channel.routes() == []  # Socket Mode only: no public endpoint to attack
        assert channel.consumer is None  # no handoff channel: requests wait in Redis
        assert channel.roles.agents == frozenset({"U1", "U2"})
    finally:
        await socket_only.aclose()
    http = build(load_settings(slack_bot_token="xoxb-1", slack_signing_secret="s", **PRODUCTION))
    try:
        channel = slack_channel(http)
        assert channel is not None
        assert [getattr(route, "path", None) for route in channel.routes()] == ["/slack/events"]
    finally:
        await http.aclose()
