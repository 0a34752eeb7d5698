"""A Redis connection that counts what it sends: round trips and commands, by name.

redis-py writes each command, or each whole pipeline, with one ``send_packed_command``: that is
one round trip. Every command it packs (a pipeline's included, MULTI and EXEC too) goes through
``pack_command``. Commands run inside a Lua script are Redis' own and not counted here.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import redis.asyncio as redis_asyncio
from redis.asyncio.connection import Connection
from redis.typing import EncodableT


class Tally:
    """What the counted connections sent since the last :meth:`reset`."""

    def __init__(self) -> None:
        self.round_trips = 0
        self.commands: Counter[str] = Counter()
        #: Each round trip as the commands it carried, in order ("EVALSHA", "SET+EVALSHA").
        self.trips: list[str] = []

    def reset(self) -> None:
        self.round_trips = 0
        self.commands.clear()
        self.trips.clear()

    def trips_without(self, *names: str) -> Counter[str]:
        """The round trips, leaving out those that carried only ``names``."""
        return Counter(t for t in self.trips if not set(t.split("+")) <= set(names))

    def without(self, *names: str) -> Counter[str]:
        """The commands, leaving out ``names`` (another task's polling, say)."""
        return Counter({k: v for k, v in self.commands.items() if k not in names})


def counting_redis(url: str, tally: Tally) -> redis_asyncio.Redis:
    """A client on ``url`` whose connections count into ``tally``."""

    class CountingConnection(Connection):
        packed: list[str] | None = None

        async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
            tally.round_trips += 1
            tally.trips.append("+".join(self.packed or ()))
            self.packed = []
            await super().send_packed_command(command, check_health)

        def pack_command(self, *args: EncodableT) -> list[bytes]:
            name = args[0]
            command = (name.decode() if isinstance(name, bytes) else str(name)).upper()
            tally.commands[command] += 1
            if self.packed is None:
                self.packed = []
            self.packed.append(command)
            return super().pack_command(*args)

    client: redis_asyncio.Redis = redis_asyncio.Redis.from_url(
        url, connection_class=CountingConnection
    )
    return client
