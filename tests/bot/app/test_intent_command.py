"""``usher intent``: one JSON line for TEXT, or one per stdin line, flushed as it goes."""

from __future__ import annotations

import io
import json

from bot.app.intent_command import MAX_LINE_CHARS, run_intent_command


class RecordingStdout(io.StringIO):
    """A stdout that remembers what had been written at each flush."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed: list[str] = []

    def flush(self) -> None:
        super().flush()
        self.flushed.append(self.getvalue())


def lines(stdout: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.getvalue().splitlines()]


def test_text_prints_one_json_line_and_ignores_stdin() -> None:
    stdin, stdout = io.StringIO("tickets\n"), RecordingStdout()
    assert run_intent_command("/coupon AAA5", stdin, stdout) == 0
    expected = '{"intent": "apply_coupon", "slots": {"coupon_code": "AAA5"}}\n'
    assert stdout.getvalue() == expected
    assert stdout.flushed == [stdout.getvalue()]
    assert stdin.read() == "tickets\n"  # untouched


def test_empty_text_is_a_text_not_a_request_to_read_stdin() -> None:
    stdin, stdout = io.StringIO("tickets\n"), RecordingStdout()
    assert run_intent_command("", stdin, stdout) == 0
    assert lines(stdout) == [{"intent": "unknown", "slots": {}}]
    assert stdin.read() == "tickets\n"


def test_stdin_gives_one_line_per_input_line_flushed_after_each() -> None:
    stdin = io.StringIO("where r my tix 😭\n\nadd parking for 2\r\njane@x.com")
    stdout = RecordingStdout()
    assert run_intent_command(None, stdin, stdout) == 0
    assert lines(stdout) == [
        {"intent": "show_tickets", "slots": {}},
        {"intent": "unknown", "slots": {}},
        {"intent": "buy_addon", "slots": {"quantity": 2}},
        {"intent": "find_order", "slots": {"email": "jane@x.com"}},
    ]
    assert [flushed.count("\n") for flushed in stdout.flushed] == [1, 2, 3, 4]


def test_an_overlong_line_is_still_one_line() -> None:
    stdin = io.StringIO("tickets " + "x" * (3 * MAX_LINE_CHARS) + "\nnvm\n")
    stdout = RecordingStdout()
    run_intent_command(None, stdin, stdout)
    assert [line["intent"] for line in lines(stdout)] == ["show_tickets", "cancel"]


def test_undecodable_bytes_do_not_end_the_run() -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"tickets \xff\xfe\nnvm\n"), encoding="utf-8")
    stdout = RecordingStdout()
    assert run_intent_command(None, stdin, stdout) == 0
    assert [line["intent"] for line in lines(stdout)] == ["show_tickets", "cancel"]


def test_no_input_no_output() -> None:
    stdout = RecordingStdout()
    assert run_intent_command(None, io.StringIO(""), stdout) == 0
    assert stdout.getvalue() == ""
