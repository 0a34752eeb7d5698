"""``usher intent``: the recogniser on the command line, for people and for scripts.

With TEXT it prints one JSON line, ``{"intent": "...", "slots": {...}}``. Without TEXT it reads
standard input one text per line and prints exactly one such line per input line, flushing after
each, so a script can hold the pipe open and ask one question at a time (as with
``usher converse``). The wiring to argparse lives in ``bot.app.cli``; this module only runs it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Final, TextIO

from bot.intents.recognise import recognise

MAX_LINE_CHARS: Final = 16_384
"""Read at most this much of one stdin line; the rest of an overlong line is skipped, so one
input line is still one output line and memory stays bounded (only 2000 characters count)."""


def run_intent_command(text: str | None, stdin: TextIO, stdout: TextIO) -> int:
    """Recognise TEXT, or every line of ``stdin`` when TEXT is None; return the exit status."""
    if text is not None:
        _emit(text, stdout)
        return 0
    if isinstance(stdin, io.TextIOWrapper):
        # Undecodable bytes become U+FFFD for that line instead of ending the whole run.
        stdin.reconfigure(errors="replace")
    for line in _lines(stdin):
        _emit(line, stdout)
    return 0


def _emit(text: str, stdout: TextIO) -> None:
    stdout.write(recognise(text).to_json() + "\n")
    stdout.flush()


def _lines(stdin: TextIO) -> Iterator[str]:
    """Input lines without their line ending, each cut to ``MAX_LINE_CHARS``."""
    while line := stdin.readline(MAX_LINE_CHARS):
        if not line.endswith("\n"):
            rest = line
            while rest and not rest.endswith("\n"):
                rest = stdin.readline(MAX_LINE_CHARS)
        yield line.rstrip("\r\n")
