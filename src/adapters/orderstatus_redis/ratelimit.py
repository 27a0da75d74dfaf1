"""A rate limiter shared by every process and server that uses one Redis.

The algorithm is the generic cell rate algorithm (GCRA) of
:class:`orderstatus_memory.MemoryRateLimiter`, step for step: one *theoretical arrival
time* per key, a burst of ``limit`` hits, then one every ``period / limit``; a refused call
changes nothing. Each :meth:`RedisRateLimiter.hit` is one round trip, one ``EVALSHA`` of one
Lua script that reads every bucket's key, decides, and writes them all back only if every
bucket allows the hit. Redis runs a script with nothing else in between, so the buckets of
a call are decided together, and two servers hitting one key at one moment can never both
take its last hit. (A script touching several keys needs them on one server: this adapter
talks to one Redis, not to a Redis Cluster.)

**Exact integer time.** As in the memory limiter, times are whole ticks of ``1 / limit``
microsecond. Lua's numbers are doubles, exact only up to 2**53, and a tick count of today
is already about 2**55 for ``limit = 20``, so the script never turns a time into a number:
Python sends each value as a decimal string, and the script compares and adds such strings
digit by digit (about twenty digits). Only Python does the rest, with its exact integers.

**Whose clock.** The script uses the ``now`` the caller passes (the core's clock), not
Redis's ``TIME``: the same code then runs under a fixed clock in tests. Every app server
sharing a Redis must therefore keep its clock synchronised (NTP); a server whose clock is
behind by ``d`` sees a refused key's retry time ``d`` later, one ahead sees it earlier.

**Keys.** Each key is ``<prefix><key>`` (``prefix`` defaults to ``orderstatus:``) and
holds ``<limit>:<arrival in ticks>``. It lives for the quota's period plus one second
(:data:`CLOCK_SLACK`), after which its whole burst would be back anyway, so idle keys
expire by themselves and Redis needs no cleaning; the second covers clocks a little apart
and the time a burst takes to arrive.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import redis
from redis.exceptions import RedisError

from orderstatus_core import AdapterError, Bucket, RateDecision
from orderstatus_redis._connection import DEFAULT_PREFIX, DEFAULT_TIMEOUT, connect, redacted

__all__ = ["CLOCK_SLACK", "DEFAULT_PREFIX", "DEFAULT_TIMEOUT", "RedisRateLimiter", "redacted"]

#: How much longer than its quota's period a key lives in Redis.
CLOCK_SLACK: Final = timedelta(seconds=1)

_MICROSECOND = timedelta(microseconds=1)
_MILLISECOND = timedelta(milliseconds=1)
# Ticks count from a day before 0001-01-01 UTC, so that every aware datetime (even
# datetime.min with a positive offset) is a positive count: the script adds no signs.
_EPOCH = datetime(1, 1, 1, tzinfo=UTC)
_EPOCH_SHIFT = timedelta(days=1) // _MICROSECOND

# KEYS[i]          bucket i's key; no key twice
# ARGV[5i-4 .. 5i] bucket i's five values:
#   the quota's limit: a tick is 1/limit microsecond
#   now, in ticks
#   the latest stored arrival time that still allows a hit (now + period - interval)
#   the interval between hits (period / limit), in ticks
#   how long the key lives, in milliseconds
# Returns nil when every bucket allows a hit (one counted on each). Otherwise nothing is
# written and it returns, per bucket, the stored arrival time of a refusing bucket or ''.
# Times are non-negative decimal strings without leading zeros, never Lua numbers.
GCRA_SCRIPT: Final = """
local function cmp(a, b)  -- byte by byte: Lua's < on strings follows the locale
  if #a ~= #b then return #a < #b and -1 or 1 end
  for k = 1, #a do
    local x, y = string.byte(a, k), string.byte(b, k)
    if x ~= y then return x < y and -1 or 1 end
  end
  return 0
end

local function add(a, b)
  local digits, carry = {}, 0
  local i, j = #a, #b
  while i > 0 or j > 0 or carry > 0 do
    local sum = carry
    if i > 0 then sum = sum + string.byte(a, i) - 48; i = i - 1 end
    if j > 0 then sum = sum + string.byte(b, j) - 48; j = j - 1 end
    if sum >= 10 then digits[#digits + 1] = sum - 10; carry = 1
    else digits[#digits + 1] = sum; carry = 0 end
  end
  return string.reverse(table.concat(digits))
end

local arrivals, refusals, refused = {}, {}, false
for i = 1, #KEYS do
  local limit, now, latest = ARGV[5 * i - 4], ARGV[5 * i - 3], ARGV[5 * i - 2]
  local arrival = now
  refusals[i] = ''
  local stored = redis.call('GET', KEYS[i])
  if stored then
    local stored_limit, at = string.match(stored, '^(%d+):(%d+)$')
    -- Another quota's ticks are another unit: a changed quota starts the key afresh.
    if stored_limit == limit and cmp(at, now) > 0 then
      if cmp(at, latest) > 0 then refusals[i] = at; refused = true end
      arrival = at
    end
  end
  arrivals[i] = arrival
end
-- All or nothing: one refusing bucket and no bucket counts the hit.
if refused then return refusals end
for i = 1, #KEYS do
  local limit, interval, ttl = ARGV[5 * i - 4], ARGV[5 * i - 1], ARGV[5 * i]
  redis.call('SET', KEYS[i], limit .. ':' .. add(arrivals[i], interval), 'PX', ttl)
end
return false
"""

_ALLOWED = RateDecision(allowed=True)


class RedisRateLimiter:
    """Rate limits shared through one Redis server, thread-safe and process-safe.

    Opened by :meth:`from_url`; no connection is made until the first :meth:`hit`.
    redis-py's connection pool serves the threads of a process; a dropped connection is
    replaced and the command tried once more, which at worst counts one call twice (a
    refusal too many, never a hit too many). Any Redis failure is an
    :class:`~orderstatus_core.AdapterError` naming the URL (without its password): the
    core then refuses the request rather than serve it unlimited.
    """

    def __init__(self, client: redis.Redis, *, prefix: str = DEFAULT_PREFIX, url: str) -> None:
        self._client = client
        self._script = client.register_script(GCRA_SCRIPT)  # local: only hashes the text
        self._closed = False
        #: The key prefix of every key this limiter writes.
        self.prefix = prefix
        #: The URL it was opened with, any password removed.
        self.url = redacted(url)

    @classmethod
    def from_url(cls, url: str) -> RedisRateLimiter:
        """``redis://[user:password@]host[:port][/db][?prefix=...]``, or ``rediss://`` for TLS.

        Besides ``prefix``, the URL may set redis-py's pool options ``socket_timeout``,
        ``socket_connect_timeout`` (both default to :data:`DEFAULT_TIMEOUT` seconds),
        ``socket_keepalive``, ``health_check_interval``, ``max_connections``,
        ``client_name``, ``protocol`` and, for ``rediss://``, the ``ssl_*`` options; any
        other option raises :class:`~orderstatus_core.InvalidUrlError`.
        """
        client, prefix = connect(url)
        return cls(client, prefix=prefix, url=url)

    def hit(self, buckets: Sequence[Bucket], now: datetime) -> RateDecision:
        """Count one hit on every bucket if all allow it, in one ``EVALSHA`` (see
        :class:`RateLimiter`)."""
        if self._closed:
            raise AdapterError(f"the Redis rate limiter at {self.url} is closed")
        if not buckets:
            return _ALLOWED
        micros = (now - _EPOCH) // _MICROSECOND + _EPOCH_SHIFT
        keys: list[str] = []
        args: list[int] = []
        for bucket in buckets:
            limit = bucket.quota.limit
            interval = bucket.quota.period_micros  # period / limit µs, in ticks
            moment = micros * limit
            ttl = -(-(bucket.quota.period + CLOCK_SLACK) // _MILLISECOND)
            keys.append(self.prefix + bucket.key)
            args += (limit, moment, moment + interval * (limit - 1), interval, ttl)
        if len(set(keys)) != len(keys):
            raise ValueError("a rate-limit key appears twice in one call")
        try:
            refusals: Any = self._script(keys=keys, args=args)
        except RedisError as error:
            raise AdapterError(
                f"Redis rate limiter at {self.url}: {type(error).__name__}: {error}"
            ) from error
        if refusals is None:
            return _ALLOWED
        wait = 0
        for bucket, stored in zip(buckets, refusals, strict=True):
            if stored:
                limit = bucket.quota.limit
                interval = bucket.quota.period_micros
                allowed_from = int(stored) - interval * (limit - 1)
                # ceil: whole µs, never early
                wait = max(wait, -((micros * limit - allowed_from) // limit))
        return RateDecision(allowed=False, retry_at=now + wait * _MICROSECOND)

    def close(self) -> None:
        """Close the connections. The limiter is unusable afterwards."""
        self._closed = True
        self._client.close()
