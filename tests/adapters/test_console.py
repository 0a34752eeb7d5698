"""The terminal demo as a person uses it: numbers on the screen press what they are printed by.

The demo reads lines from a scripted keyboard that may look at what is on the screen so far
(a person types the number they see), and the bot is either a scripted stand-in or the real
core on the sandbox and real Redis.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from adapters import console
from bot.app.bootstrap import Usher
from bot.messages import Button, Inbound, Reply
from tests.handlers.test_addons import verified_priya
from tests.support.chat import Outbox

Typed = str | Callable[[str], str]


class Keyboard:
    """Lines typed one by one; a callable line is given the screen so far."""

    def __init__(self, screen: io.StringIO, lines: list[Typed]) -> None:
        self.screen = screen
        self.lines = list(lines)

    def readline(self) -> str:
        if not self.lines:
            return ""
        line = self.lines.pop(0)
        return (line(self.screen.getvalue()) if callable(line) else line) + "\n"


def number_of(label: str) -> Callable[[str], str]:
    """What a person types to press the button whose label starts with ``label`` (latest)."""

    def read(screen: str) -> str:
        found = re.findall(rf"\[(\d+)\] {re.escape(label)}", screen)
        assert found, f"no button {label!r} on the screen:\n{screen}"
        return str(found[-1])

    return read


async def test_a_number_presses_the_button_it_is_printed_by_across_messages() -> None:
    out = io.StringIO()
    screen = console.Screen()
    sender = console.ConsoleSender(out, screen)
    received: list[Inbound] = []

    async def bot(inbound: Inbound) -> list[Reply]:
        received.append(inbound)
        if inbound.button == "cart:pay":
            # The payment's confirmation arrives on its own while the fan is on the page.
            await sender.send("demo", [Reply("Paid!", (Button("Show my tickets", "tickets"),))])
            return [Reply("Opening the checkout page.")]
        return [Reply("Your cart", (Button("My cart", "cart"), Button("Pay", "cart:pay")))]

    keys = Keyboard(out, ["my cart", number_of("Pay"), number_of("Show my tickets"), "1"])
    await console.demo(bot, keys, out, "intro", screen=screen)

    presses = [event.button for event in received if event.button]
    assert presses == ["cart:pay", "tickets", "cart"]
    numbers = re.findall(r"\[(\d+)\]", out.getvalue())
    assert len(numbers) == len(set(numbers)), "a number was shown twice"


async def test_a_number_typed_at_a_quantity_question_is_the_quantity(
    usher: Usher, outbox: Outbox
) -> None:
    await verified_priya(usher, outbox, "demo-qty")
    out = io.StringIO()

    keys = Keyboard(
        out, ["audio guide please", number_of("Museum General Admission"), number_of("Audio"), "3"]
    )
    await console.demo(usher.conversation.handle, keys, out, "intro", user="demo-qty")

    screen = out.getvalue()
    assert "How many Audio Guide" in screen
    assert "(type the number)" in screen
    assert "Audio Guide × 3 · $8.00 each — $24.00" in screen


async def test_plain_text_after_a_quantity_question_is_still_text() -> None:
    out = io.StringIO()
    received: list[Inbound] = []

    async def bot(inbound: Inbound) -> list[Reply]:
        received.append(inbound)
        if inbound.text == "tickets":
            return [
                Reply("How many?", (Button("1", "qty:1"), Button("2", "qty:2")), expects="number")
            ]
        return [Reply("Done", (Button("Menu", "help"),))]

    keys = Keyboard(out, ["tickets", "2", number_of("Menu")])
    await console.demo(bot, keys, out, "intro")

    assert [(e.text, e.button) for e in received] == [
        ("tickets", None),
        ("2", None),
        (None, "help"),
    ]
    assert "1 · 2   (type the number)" in out.getvalue()
