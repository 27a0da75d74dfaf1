"""An in-process rate limiter using the generic cell rate algorithm (GCRA).

GCRA keeps one timestamp per key (the *theoretical arrival time*), so memory is one number
per active key and each hit is O(1); it allows a burst of ``limit`` hits and then one every
``period / limit``. The Redis adapter runs the same algorithm in a Lua script, which is
why both pass the same conformance suite.

Times are exact fractions of microseconds since 1970: float seconds lose the steps of a
burst to rounding (at today's timestamps a float resolves only about 0.2 microseconds),
which refused the last hits of a burst and answered a ``retry_at`` equal to ``now``.
"""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from orderstatus_core import Quota, RateDecision

__all__ = ["MemoryRateLimiter"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class MemoryRateLimiter:
    """Rate limits for one process, thread-safe. Keys expire by themselves."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._arrival: dict[str, Fraction] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    @classmethod
    def from_url(cls, url: str) -> MemoryRateLimiter:
        """``memory://``: a new limiter."""
        return cls()

    def hit(self, key: str, quota: Quota, now: datetime) -> RateDecision:
        """Count a hit on ``key`` if ``quota`` allows it (see :class:`RateLimiter`)."""
        period = quota.period // _MICROSECOND
        interval = Fraction(period, quota.limit)
        moment = Fraction((now - _EPOCH) // _MICROSECOND)
        with self._lock:
            arrival = max(self._arrival.get(key, moment), moment) + interval
            allowed_from = arrival - period
            if moment < allowed_from:
                wait = math.ceil(allowed_from - moment)  # whole microseconds, never early
                return RateDecision(allowed=False, retry_at=now + wait * _MICROSECOND)
            if len(self._arrival) >= self._max_keys:
                self._forget_idle(moment)
            self._arrival[key] = arrival
        return RateDecision(allowed=True)

    def _forget_idle(self, moment: Fraction) -> None:
        # A key whose arrival time has passed has its whole burst back: same as absent.
        for key in [k for k, at in self._arrival.items() if at <= moment]:
            del self._arrival[key]
