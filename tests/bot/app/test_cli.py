"""The ``usher`` command as a user runs it: real processes, real ports."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from adapters.sandbox.config import DEFAULT_ACME_API_KEY, DEFAULT_ACME_TENANT_ID, DEFAULT_TM_API_KEY
from tests.support.process import ROOT, USHER, clean_env
from tests.support.servers import free_port


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*USHER, *args],
        cwd=ROOT,
        env=clean_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def background() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def start(
    procs: list[subprocess.Popen[str]], *args: str, env: dict[str, str] | None = None
) -> None:
    proc = subprocess.Popen(
        [*USHER, *args],
        cwd=ROOT,
        env=env or clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    procs.append(proc)


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never came up")


def test_intent_with_text_and_from_stdin() -> None:
    one = run("intent", "wheres my qr")
    assert json.loads(one.stdout) == {"intent": "show_tickets", "slots": {}}
    many = run("intent", stdin="entradas por favor\nmy email is Jane@Example.com\n")
    lines = [json.loads(line) for line in many.stdout.splitlines()]
    assert [line["intent"] for line in lines] == ["show_tickets", "find_order"]
    assert lines[1]["slots"] == {"email": "jane@example.com"}


def test_sandbox_serves_both_simulators(background: list[subprocess.Popen[str]]) -> None:
    port = free_port()
    start(background, "sandbox", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    wait_until_up(f"{base}/__sandbox__/faults")
    acme = httpx.get(
        f"{base}/v2/b2c/orders/search",
        params={"email": "janedoe@gmail.com"},
        headers={
            "x-acme-api-key": DEFAULT_ACME_API_KEY,
            "x-b2c-tenant-id": str(DEFAULT_ACME_TENANT_ID),
        },
    )
    assert acme.status_code == 200
    assert acme.json()["list"][0]["id"] == "30263798"
    assert httpx.get(f"{base}/v2/b2c/orders/30263798").status_code == 401
    tm = httpx.get(
        f"{base}/partners/v1/events/3F005105D843DFA3/availability",
        params={"apikey": DEFAULT_TM_API_KEY},
    )
    assert tm.status_code == 200
    assert tm.json()["event"]["id"] == "3F005105D843DFA3"
    assert httpx.get(f"{base}/partners/v1/events/3F005105D843DFA3/availability").status_code == 401


def test_serve_answers_health_and_metrics_on_their_own_port(
    background: list[subprocess.Popen[str]],
) -> None:
    port, metrics_port = free_port(), free_port()
    start(background, "serve", "--port", str(port), "--metrics-port", str(metrics_port))
    base = f"http://127.0.0.1:{port}"
    wait_until_up(f"{base}/healthz")
    assert httpx.get(f"{base}/healthz").json()["ok"] is True
    assert httpx.get(f"{base}/metrics").status_code == 404  # never on the public app
    metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics")
    assert "usher_turns_total" in metrics.text
    assert httpx.get(f"http://127.0.0.1:{metrics_port}/healthz").status_code == 404


def test_serve_without_a_metrics_port_serves_no_metrics(
    background: list[subprocess.Popen[str]],
) -> None:
    port = free_port()
    start(background, "serve", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    wait_until_up(f"{base}/healthz")
    assert httpx.get(f"{base}/metrics").status_code == 404


def test_a_bad_setting_stops_serve_with_one_line() -> None:
    result = subprocess.run(
        [*USHER, "serve"],
        cwd=ROOT,
        env=clean_env(USHER_REDIS_URL="localhost:6379"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "usher: USHER_REDIS_URL: must start with redis://, rediss:// or unix://"
    )


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another program is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_a_second_demo_says_its_port_is_taken_before_the_prompt(taken_port: int) -> None:
    result = subprocess.run(
        [*USHER, "demo"],
        cwd=ROOT,
        env=clean_env(USHER_PUBLIC_URL=f"http://127.0.0.1:{taken_port}"),
        input="where are my tickets?\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert result.stdout == ""  # no intro, no prompt
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"port {taken_port}" in lines[0]
    assert f"USHER_PUBLIC_URL=http://localhost:{taken_port + 1}" in lines[0]


@pytest.mark.parametrize("command", ["serve", "sandbox"])
def test_serve_and_sandbox_say_their_port_is_taken(taken_port: int, command: str) -> None:
    result = run(command, "--port", str(taken_port))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"port {taken_port}" in lines[0]
    assert "--port" in lines[0]


def test_the_demo_chats_on_its_own_port_and_numbers_never_repeat() -> None:
    port = free_port()
    result = subprocess.run(
        [*USHER, "demo"],
        cwd=ROOT,
        env=clean_env(USHER_PUBLIC_URL=f"http://127.0.0.1:{port}"),
        input="help\nfind my order\n/contact +14155550134\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    numbers = re.findall(r"^  \[(\d+)\]", result.stdout, flags=re.MULTILINE)
    assert len(numbers) > 5
    assert numbers == [str(n) for n in range(1, len(numbers) + 1)]
    assert "bye!" in result.stdout


def test_api_token_prints_a_new_random_token_each_time() -> None:
    first, second = run("api-token"), run("api-token")
    assert first.returncode == second.returncode == 0
    tokens = [first.stdout.strip(), second.stdout.strip()]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token) for token in tokens)
    assert tokens[0] != tokens[1]
