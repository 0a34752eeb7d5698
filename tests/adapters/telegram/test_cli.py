"""``usher serve --set-webhook`` and ``usher telegram --polling`` as real processes."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from adapters.telegram.webhook import SECRET_HEADER
from bot.app.cli import _parser
from tests.adapters.telegram.conftest import PUBLIC_URL, SECRET, text_update
from tests.adapters.telegram.processes import launched, output_of, telegram_env, until
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.process import ROOT, USHER, clean_env
from tests.support.production import production_env
from tests.support.servers import free_port


async def test_serve_sets_the_webhook_and_answers_updates_posted_to_it(
    fake_api: FakeTelegram, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = telegram_env(fake_api, USHER_TELEGRAM_WEBHOOK_SECRET=SECRET)
    log = tmp_path / "serve.log"
    async with (
        launched(log, "serve", "--port", str(port), "--set-webhook", env=env),
        httpx.AsyncClient(timeout=5) as http,
    ):

        async def up() -> bool:
            return (await http.get(f"{base}/healthz")).status_code == 200

        await until(up, "usher serve start", log)
        assert fake_api.webhook is not None
        assert fake_api.webhook["url"] == f"{PUBLIC_URL}/telegram/webhook"
        assert fake_api.webhook["secret_token"] == SECRET
        assert fake_api.webhook["allowed_updates"] == '["message", "callback_query"]'
        languages = [c.params.get("language_code") for c in fake_api.sent("setMyCommands")]
        assert languages == [None, "es"]
        response = await http.post(
            f"{base}/telegram/webhook",
            json=text_update(41, "help"),
            headers={SECRET_HEADER: SECRET},
        )
        assert response.status_code == 200
        [reply] = await fake_api.wait_for(1, "sendMessage")
        assert reply.params["text"].startswith("Here's what I can do")


async def test_polling_runs_until_told_to_stop(fake_api: FakeTelegram, tmp_path: Path) -> None:
    log = tmp_path / "polling.log"
    async with launched(log, "telegram", "--polling", env=telegram_env(fake_api)) as proc:
        await fake_api.wait_for(1, "getUpdates")
        await fake_api.push_update(text_update(42, "/tickets"))
        await fake_api.wait_for(1, "sendMessage")
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=20) == 0
    output = output_of(log)
    assert "make sure it's you" in fake_api.texts()[0]
    assert "telegram_polling" in output
    # httpx's request lines are off at INFO (Usher logs its own); at DEBUG they are written
    # with the token redacted (tests/bot/test_logs.py). Either way the secret never appears.
    assert TOKEN.split(":")[1] not in output


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (
            ["serve"],
            production_env(USHER_TELEGRAM_TOKEN=TOKEN),
            "usher: USHER_TELEGRAM_WEBHOOK_SECRET: needed for the webhook when "
            "USHER_TELEGRAM_TOKEN is set",
        ),
        (
            ["telegram", "--polling"],
            {},
            "usher: USHER_TELEGRAM_TOKEN: needed for usher telegram",
        ),
    ],
)
def test_a_missing_telegram_setting_stops_with_one_line(
    args: list[str], env: dict[str, str], line: str
) -> None:
    result = subprocess.run(
        [*USHER, *args],
        cwd=ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == line


def test_the_telegram_command_needs_the_polling_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args(["telegram"])
    assert exited.value.code == 2
    assert "--polling" in capsys.readouterr().err
    assert _parser().parse_args(["serve", "--set-webhook"]).set_webhook is True
