"""Rate limits per token in Redis: a bucket of cost points refilled evenly over a window.

One Lua script reads, refills, spends and writes the bucket, so API processes sharing the Redis
server share the budget without races. The key holds a SHA-256 of the token, never the token.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis

# KEYS[1] bucket; ARGV: limit, window ms, now ms, cost (0 only reads). A bucket holds `points`
# (a float: refill is continuous) at time `at`; it starts full and refills limit/window per ms.
# A cost above the limit is charged as the whole limit: it needs a full bucket.
_SPEND = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = math.min(tonumber(ARGV[4]), limit)
local state = redis.call('HMGET', KEYS[1], 'points', 'at')
local points = tonumber(state[1]) or limit
local at = tonumber(state[2]) or now
if now > at then
  points = math.min(limit, points + (now - at) * limit / window)
  at = now
end
local allowed = 0
if cost <= points then
  allowed = 1
  if cost > 0 then
    points = points - cost
    redis.call('HSET', KEYS[1], 'points', tostring(points), 'at', tostring(at))
    redis.call('PEXPIRE', KEYS[1], window)
  end
end
local reset = math.ceil((limit - points) * window / limit)
local retry = 0
if allowed == 0 then retry = math.ceil((cost - points) * window / limit) end
return {allowed, math.floor(points), reset, retry}
"""


@dataclass(frozen=True, slots=True)
class Verdict:
    """A spend's outcome: whether it was allowed, and the bucket after it (whole points and
    seconds, rounded up, as the RateLimit-* headers carry them)."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: int
    retry_after_s: int


class RateLimiter:
    """`points` per `window_s` seconds for each subject (a token), in Redis under `prefix`."""

    def __init__(self, redis: Redis, *, points: int, window_s: int, prefix: str = "wafi") -> None:
        self.points = points
        self.window_s = window_s
        self._prefix = prefix
        self._script = redis.register_script(_SPEND)

    def key(self, subject: str) -> str:
        digest = hashlib.sha256(subject.encode()).hexdigest()
        return f"{self._prefix}:ratelimit:{digest}"

    async def spend(self, subject: str, cost: int, *, now: datetime) -> Verdict:
        """Take `cost` points from the subject's bucket, or refuse and take none."""
        now_ms = math.floor(now.timestamp() * 1000)
        raw = await self._script(
            keys=[self.key(subject)],
            args=[self.points, self.window_s * 1000, now_ms, max(cost, 0)],
        )
        allowed, remaining, reset_ms, retry_ms = (int(value) for value in raw)
        return Verdict(
            allowed=bool(allowed),
            limit=self.points,
            remaining=remaining,
            reset_s=math.ceil(reset_ms / 1000),
            retry_after_s=math.ceil(retry_ms / 1000),
        )

    async def peek(self, subject: str, *, now: datetime) -> Verdict:
        """The subject's bucket, spending nothing."""
        return await self.spend(subject, 0, now=now)
