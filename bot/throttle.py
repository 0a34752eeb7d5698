"""Fair turns: a per-fan token bucket in front of the conversation core, whatever the channel.

Why: every turn costs Redis work, often an upstream call and outgoing messages, and one fan
who floods (a script, a stuck key, a hostile user) must not slow every other fan down or spend
the venue's upstream quota. So each fan may take :attr:`TurnLimit.burst` turns in a row and
then :attr:`TurnLimit.per_minute` a minute on average. Past that, the fan's first refused
message gets one polite "slow down" and the rest get silence until the bucket has room again;
nothing is saved and no handler runs, so a refused turn costs no upstream call. Other fans
are untouched: the bucket is the fan's own.

The bucket lives in Redis (``adapters.store.turn_gate``), shared by every process and every
channel, and costs one round trip per turn (one Lua script), so it can later be folded into
the turn's other Redis work.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from bot.messages import Fan


class Admission(enum.Enum):
    """What the gate says about one turn."""

    #: Under the limit: run the turn.
    ADMIT = "admit"
    #: The first refusal since the fan was last admitted: say "slow down" once.
    SLOW_DOWN = "slow_down"
    #: Refused again: answer nothing.
    SILENT = "silent"


@dataclass(frozen=True)
class TurnLimit:
    """How many turns a fan may take: ``burst`` in a row, ``per_minute`` on average."""

    per_minute: float = 30.0
    burst: int = 10

    def __post_init__(self) -> None:
        if self.per_minute <= 0 or self.burst < 1:
            raise ValueError("a turn limit needs per_minute > 0 and burst >= 1")


class TurnGate(Protocol):
    """Admits or refuses a fan's turn (one shared bucket per fan)."""

    async def admit(self, fan: Fan) -> Admission:
        """Take one turn from the fan's bucket, or say how to refuse it."""
        ...
