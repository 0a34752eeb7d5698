"""The per-fan turn bucket (``bot.throttle``) in Redis: one Lua script, one round trip a turn.

The bucket is GCRA, as the outbound pacer's (``adapters.store.pacing``): one *theoretical
arrival time* (TAT) per fan, moved on by one interval per admitted turn; a turn is admitted
while ``TAT - (burst - 1) * interval <= now``. Next to it a ``warned`` flag remembers that the
fan has been told to slow down since their last admitted turn, so the warning goes once.
Redis' own clock (``TIME``) is used, so the clocks of the serving machines do not matter.
The key (``throttle:turn:{fan}``) expires once the bucket is full again.
"""

from __future__ import annotations

from adapters.store.store import Store
from bot.messages import Fan
from bot.throttle import Admission, TurnLimit

#: The bucket as a Lua function, shared with the turn's first script (``adapters.store.turns``):
#: ``admit(key, interval_ms, burst)`` returns 1 (admit), 0 (refuse, warn: the first refusal
#: since the last admitted turn) or -1 (refuse silently).
ADMIT_FUNCTION = """
local function admit(key, interval, burst)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
  local held = redis.call('HMGET', key, 'tat', 'warned')
  local tat = math.max(tonumber(held[1]) or now, now)
  if tat - (burst - 1) * interval <= now then
    tat = tat + interval
    redis.call('HSET', key, 'tat', string.format('%.3f', tat), 'warned', '0')
    redis.call('PEXPIRE', key, math.ceil(tat - now) + 1)
    return 1
  end
  if held[2] == '1' then return -1 end
  redis.call('HSET', key, 'warned', '1')
  return 0
end
"""
#: KEYS[1]: the fan's bucket. ARGV: interval (ms), burst.
_ADMIT = ADMIT_FUNCTION + "return admit(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))"
ANSWERS = {1: Admission.ADMIT, 0: Admission.SLOW_DOWN, -1: Admission.SILENT}


class RedisTurnGate:
    """``bot.throttle.TurnGate`` on Redis."""

    def __init__(self, store: Store, limit: TurnLimit) -> None:
        self.store = store
        self.limit = limit
        self.interval_ms = 60_000.0 / limit.per_minute
        self._script = store.redis.register_script(_ADMIT)

    def key(self, fan: Fan) -> str:
        """The fan's bucket."""
        return self.store.key("throttle", "turn", self.store.tag(fan))

    def args(self) -> list[str | int]:
        """The bucket's interval (ms) and burst, as the Lua function takes them."""
        return [f"{self.interval_ms:.3f}", self.limit.burst]

    async def admit(self, fan: Fan) -> Admission:
        """One EVALSHA: take a turn from the fan's bucket, or refuse it."""
        answer = await self._script(keys=[self.key(fan)], args=self.args())
        return ANSWERS[int(answer)]
