"""An in-process rate limiter using the generic cell rate algorithm (GCRA).

GCRA keeps one timestamp per key (the *theoretical arrival time*), so memory is one number
per active key and each hit is O(1); it allows a burst of ``limit`` hits and then one every
``period / limit``. The Redis adapter runs the same algorithm in a Lua script, which is
why both pass the same conformance suite.

Times are whole *ticks* of ``1 / limit`` microsecond, so that the interval between hits
(``period / limit``) is a whole number and every step is exact integer arithmetic: float
seconds lose the steps of a burst to rounding (at today's timestamps a float resolves only
about 0.2 microseconds), and ``Fraction`` is exact but costs more than the rest of a
find-order's rate limiting together.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from orderstatus_core import Quota, RateDecision

__all__ = ["MemoryRateLimiter"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class MemoryRateLimiter:
    """Rate limits for one process, thread-safe. Keys expire by themselves."""

    def __init__(self, max_keys: int = 100_000) -> None:
        # key -> (the quota's limit, arrival time in ticks of 1/limit microsecond)
        self._arrival: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    @classmethod
    def from_url(cls, url: str) -> MemoryRateLimiter:
        """``memory://``: a new limiter."""
        return cls()

    def close(self) -> None:
        """Nothing to release: the counts live in this object."""

    def hit(self, key: str, quota: Quota, now: datetime) -> RateDecision:
        """Count a hit on ``key`` if ``quota`` allows it (see :class:`RateLimiter`)."""
        limit = quota.limit
        interval = quota.period // _MICROSECOND  # period / limit µs, in ticks
        period = interval * limit
        moment = ((now - _EPOCH) // _MICROSECOND) * limit
        with self._lock:
            stored_limit, arrival = self._arrival.get(key, (limit, moment))
            if stored_limit != limit:  # the quota changed: start the key afresh
                arrival = moment
            arrival = max(arrival, moment) + interval
            allowed_from = arrival - period
            if moment < allowed_from:
                wait = -((moment - allowed_from) // limit)  # ceil: whole µs, never early
                return RateDecision(allowed=False, retry_at=now + wait * _MICROSECOND)
            if len(self._arrival) >= self._max_keys:
                self._forget_idle(now)
            self._arrival[key] = (limit, arrival)
        return RateDecision(allowed=True)

    def _forget_idle(self, now: datetime) -> None:
        # A key whose arrival time has passed has its whole burst back: same as absent.
        micros = (now - _EPOCH) // _MICROSECOND
        idle = [k for k, (limit, at) in self._arrival.items() if at <= micros * limit]
        for key in idle:
            del self._arrival[key]
