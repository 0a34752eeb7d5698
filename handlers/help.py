"""Help, welcome, cancel and "didn't get that": the answers that keep a fan oriented."""

from __future__ import annotations

from bot.messages import Button, Reply
from bot.turn import Turn


def menu(turn: Turn) -> tuple[Button, ...]:
    """The main choices, offered after help and whenever the bot is lost."""
    return (
        turn.button("button_orders", "orders"),
        turn.button("button_tickets", "tickets"),
        turn.button("button_human", "human"),
    )


async def help_(turn: Turn) -> list[Reply]:
    """What the bot can do (``/start`` greets first)."""
    text = turn.say("help")
    if (turn.inbound.text or "").strip().lower().startswith("/start"):
        text = turn.say("welcome") + "\n\n" + text
    return [Reply(text, buttons=menu(turn))]


async def cancel(turn: Turn) -> list[Reply]:
    """Stop whatever was going on; say so either way."""
    had_something = turn.awaiting is not None
    turn.reset()
    return [
        Reply(turn.say("cancelled" if had_something else "nothing_to_cancel"), buttons=menu(turn))
    ]


async def unknown(turn: Turn) -> list[Reply]:
    """Text we could not place: say so and offer the menu."""
    return [Reply(turn.say("unknown"), buttons=menu(turn))]


async def not_yet(turn: Turn) -> list[Reply]:
    """Intents whose journeys are not built yet answer honestly."""
    return [Reply(turn.say("not_yet"), buttons=menu(turn))]


async def help_button(turn: Turn, argument: str) -> list[Reply]:
    """The "Help" button."""
    return await help_(turn)


async def cancel_button(turn: Turn, argument: str) -> list[Reply]:
    """The "Cancel" button."""
    return await cancel(turn)
