"""The terminal channels: ``usher converse`` (JSON lines) and ``usher demo`` (interactive).

Both are thin: they turn a line into an ``Inbound`` and the core's ``Reply`` list into output.

converse protocol (docs/architecture.md): each input line is ``{"user": "u1", "text": "..."}``, or
``"button": "<payload>"`` instead of text, or ``"contact": {"phone": "+1..."}`` (a shared,
verified phone). Each input line gets exactly one output line, flushed at once:
``{"user": "u1", "replies": [...]}``, or ``{"error": "..."}`` for a line that is not a valid
event; the run goes on either way.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TextIO

import segno

from bot.messages import MAX_TEXT_LENGTH, NUMBER, Inbound, Reply

CHANNEL = "console"
#: A line longer than this is refused before parsing (a fan message is at most 4,000 chars).
MAX_LINE = 64 * 1024

Handle = Callable[[Inbound], Awaitable[list[Reply]]]


class Keyboard(Protocol):
    """Where typed lines come from (standard input, or a test's script)."""

    def readline(self) -> str:
        """The next line with its newline; "" at the end."""
        ...


def parse_event(line: str) -> Inbound:
    """One JSON line to an Inbound; ValueError with a short reason when it is not one."""
    if len(line) > MAX_LINE:
        raise ValueError(f"line longer than {MAX_LINE} characters")
    try:
        data: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    user = data.get("user")
    if not isinstance(user, str | int) or isinstance(user, bool) or str(user) == "":
        raise ValueError('"user" must be a non-empty string')
    user = str(user)
    text, button, contact = data.get("text"), data.get("button"), data.get("contact")
    given = [
        name
        for name, value in (("text", text), ("button", button), ("contact", contact))
        if value is not None
    ]
    if len(given) != 1:
        raise ValueError('give exactly one of "text", "button" or "contact"')
    locale = data.get("locale") if isinstance(data.get("locale"), str) else None
    if text is not None:
        if not isinstance(text, str):
            raise ValueError('"text" must be a string')
        return Inbound(CHANNEL, user, user, text=text[: MAX_TEXT_LENGTH + 1], locale=locale)
    if button is not None:
        if not isinstance(button, str):
            raise ValueError('"button" must be a string')
        return Inbound(CHANNEL, user, user, button=button, locale=locale)
    phone = contact.get("phone") if isinstance(contact, dict) else None
    if not isinstance(phone, str) or not phone.strip():
        raise ValueError('"contact" must be {"phone": "+1..."}')
    return Inbound(CHANNEL, user, user, contact_phone=phone.strip(), locale=locale)


async def converse(handle: Handle, stdin: TextIO, stdout: TextIO) -> None:
    """Run the JSON-lines protocol until standard input ends."""
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            return
        if not line.strip():
            continue
        try:
            inbound = parse_event(line)
        except ValueError as exc:
            out: dict[str, Any] = {"error": str(exc)}
        else:
            replies = await handle(inbound)
            out = {"user": inbound.user_id, "replies": [r.to_json() for r in replies]}
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        stdout.flush()


class Screen:
    """What the person at the demo sees: every button shown so far, each under its own number.

    Numbers keep counting across messages (a checkout confirmation that arrives on its own
    included), so a number on the screen always presses the button printed next to it, never a
    button of another message that happened to be numbered the same. Buttons of a message that
    asks for a number (how many tickets) are not numbered: typing a number there answers it.
    """

    def __init__(self) -> None:
        self._buttons: dict[int, str] = {}
        self.wants_number = False

    def number(self, payload: str) -> int:
        """Give a newly shown button the next number."""
        number = len(self._buttons) + 1
        self._buttons[number] = payload
        return number

    def read(self, text: str) -> str | None:
        """The payload a typed line presses, or None when the line is text for the bot."""
        if not text.isdigit() or self.wants_number:
            return None
        return self._buttons.get(int(text))


def render(replies: Sequence[Reply], out: TextIO, screen: Screen) -> None:
    """Print replies for a person: text, QR codes drawn in the terminal, numbered buttons."""
    shown_buttons = False
    for reply in replies:
        out.write(f"\nusher> {reply.text}\n")
        for image in reply.images:
            out.write(f"\n  {image.alt}\n")
            segno.make_qr(image.qr, error="m").terminal(out=out, compact=True, border=2)
            out.write(f"  (code: {image.qr})\n")
        for link in reply.links:
            out.write(f"  🔗 {link.label}: {link.url}\n")
        if reply.expects == NUMBER and reply.buttons:
            choices = " · ".join(button.label for button in reply.buttons)
            out.write(f"  {choices}   (type the number)\n")
        else:
            for button in reply.buttons:
                out.write(f"  [{screen.number(button.payload)}] {button.label}\n")
        if reply.request_contact:
            out.write("  (to share your phone number, type: /contact +14155550134)\n")
        shown_buttons = shown_buttons or bool(reply.buttons) or reply.expects is not None
    if shown_buttons:
        screen.wants_number = any(reply.expects == NUMBER for reply in replies)
    out.flush()


class ConsoleSender:
    """Proactive messages (a checkout confirmation) printed to the demo's terminal."""

    def __init__(self, out: TextIO, screen: Screen) -> None:
        self.out = out
        self.screen = screen

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
        """Print the replies as the chat would show them, numbered on the same screen."""
        render(replies, self.out, self.screen)


async def demo(
    handle: Handle,
    stdin: Keyboard,
    stdout: TextIO,
    intro: str,
    user: str = "demo",
    screen: Screen | None = None,
) -> None:
    """An interactive chat: type text, a button's number, or ``/contact <phone>``."""
    screen = screen or Screen()
    stdout.write(intro + "\n")
    loop = asyncio.get_running_loop()
    while True:
        stdout.write("\nyou> ")
        stdout.flush()
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            stdout.write("\nbye!\n")
            return
        text = line.strip()
        if not text:
            continue
        if text in ("/quit", "/exit"):
            stdout.write("bye!\n")
            return
        pressed = screen.read(text)
        if pressed is not None:
            inbound = Inbound(CHANNEL, user, user, button=pressed)
        elif text.startswith("/contact "):
            inbound = Inbound(CHANNEL, user, user, contact_phone=text.split(maxsplit=1)[1])
        else:
            inbound = Inbound(CHANNEL, user, user, text=text)
        render(await handle(inbound), stdout, screen)
