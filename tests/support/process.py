"""Run ``usher`` as a real process and talk to it line by line."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from tests.support import log_scan

ROOT = Path(__file__).resolve().parents[2]
USHER = [sys.executable, "-m", "bot.app.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any USHER_* setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("USHER_")}
    env.update(extra)
    return env


class Converse:
    """``usher converse`` in a subprocess: send one JSON line, read exactly one back."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [*USHER, "converse"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.stderr_lines: queue.Queue[str] = queue.Queue()
        self.stderr_text: list[str] = []
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_lines.put(line)

    def stderr(self) -> str:
        while not self.stderr_lines.empty():
            self.stderr_text.append(self.stderr_lines.get_nowait())
        return "".join(self.stderr_text)

    def raw(self, line: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        out = self.proc.stdout.readline()
        assert out, f"usher converse ended early: {self.stderr()}"
        result: dict[str, Any] = json.loads(out)
        return result

    def send(self, **event: Any) -> dict[str, Any]:
        return self.raw(json.dumps(event))

    def close(self) -> int:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.close()
        code = self.proc.wait(timeout=20)
        self.proc.stdout.close()
        self._drainer.join(timeout=5)
        log_scan.record_lines(self.stderr())
        assert self.proc.stderr is not None
        self.proc.stderr.close()
        return code


def text_of(answer: dict[str, Any]) -> str:
    return "\n".join(reply["text"] for reply in answer["replies"])


def payloads_of(answer: dict[str, Any]) -> list[str]:
    return [b["payload"] for reply in answer["replies"] for b in reply["buttons"]]


def qr_of(answer: dict[str, Any]) -> list[str]:
    return [i["qr"] for reply in answer["replies"] for i in reply["images"]]
