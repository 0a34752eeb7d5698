"""``usher serve`` with Slack configured, as an operator runs it: a real process, real ports."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest

from tests.support.fake_slack import BOT_TOKEN, FakeSlack
from tests.support.process import ROOT, USHER, clean_env
from tests.support.production import production_env
from tests.support.servers import free_port, serve_asgi
from tests.support.slack_requests import SIGNING_SECRET, signature


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack()
    with serve_asgi(slack.app) as url:
        slack.base_url = url
        yield slack


def test_serve_mounts_the_slack_app(fake: FakeSlack) -> None:
    port = free_port()
    env = clean_env(
        **production_env(),
        USHER_SLACK_BOT_TOKEN=BOT_TOKEN,
        USHER_SLACK_SIGNING_SECRET=SIGNING_SECRET,
        USHER_SLACK_API_URL=f"{fake.base_url}/api/",
        USHER_SLACK_AGENTS="U0AGENT",
        USHER_SLACK_HANDOFF_CHANNEL="C0HANDOFF",
    )
    proc = subprocess.Popen(
        [*USHER, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/slack/events"
        body = urlencode(
            {
                "command": "/usher",
                "text": "find janedoe@gmail.com",
                "user_id": "U0AGENT",
                "team_id": "T0TEST",
                "response_url": fake.response_url(),
            }
        ).encode()
        deadline = time.monotonic() + 20
        while True:
            now = int(time.time())
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": str(now),
                "X-Slack-Signature": signature(body, now),
            }
            try:
                response = httpx.post(url, content=body, headers=headers, timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve never came up"
                assert proc.poll() is None, "serve stopped"
                time.sleep(0.1)
        assert response.status_code == 200
        while not fake.responses:
            assert time.monotonic() < deadline, "no answer from the Slack app"
            time.sleep(0.05)
        assert "#100148401" in str(fake.responses[0]["blocks"])
        assert httpx.post(url, content=body, timeout=5).status_code == 401  # unsigned
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        assert proc.stderr is not None
        proc.stderr.close()
