"""The web chat's limits, and the in-memory frame budget of one socket.

Layered from cheap to shared:

* every socket has a frame budget kept in memory (:class:`FrameBudget`): a burst, then a
  steady rate; a socket that floods past it is closed (1008) without a Redis call per frame;
* each process admits a bounded number of open sockets per client address and per session;
* new connections per address, and messages per address, are counted in Redis, so they hold
  across every ``usher serve``; a message over them is not handled and the widget is told to
  slow down.

A session's own message rate is the conversation core's per-fan turn bucket
(``bot.throttle``, ``USHER_TURN_RATE`` / ``USHER_TURN_BURST``), the same for every channel:
the fan is ``web:<session id>``.

The per-address numbers are generous on purpose: a stadium's Wi-Fi or a mobile carrier puts
thousands of fans behind one address, and refusing them would hurt the fans it should
protect. The address is the socket's peer, or the client a trusted proxy names (uvicorn's
``--forwarded-allow-ips``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Every number behind the web chat's limits (tests make them small)."""

    #: Frames one socket may send at once, then per second (the widget sends one per message).
    frame_burst: int = 20
    frame_rate: float = 2.0
    #: Open sockets per client address, and per session (tabs), in one process.
    sockets_per_address: int = 500
    sockets_per_session: int = 10
    #: New connections per client address per window, all processes together.
    connections_per_address: int = 600
    #: Messages handled per client address per window (however many sessions it opens).
    messages_per_address: int = 1200
    window: float = 60.0
    #: How long a new socket may take to say hello before it is closed.
    hello_timeout: float = 10.0


class FrameBudget:
    """A token bucket: ``burst`` frames at once, refilled at ``rate`` a second."""

    def __init__(self, burst: int, rate: float) -> None:
        self.burst = float(burst)
        self.rate = rate
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self) -> bool:
        """Spend one frame; False when the budget is spent."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True
