"""An in-process rate limiter using the generic cell rate algorithm (GCRA).

GCRA keeps one timestamp per key (the *theoretical arrival time*), so memory is one number
per active key; it allows a burst of ``limit`` hits and then one every ``period / limit``.
The Redis adapter runs the same algorithm in a Lua script, which is why both pass the same
conformance suite.

Times are whole *ticks* of ``1 / limit`` microsecond, so that the interval between hits
(``period / limit``) is a whole number and every step is exact integer arithmetic: float
seconds lose the steps of a burst to rounding (at today's timestamps a float resolves only
about 0.2 microseconds), and ``Fraction`` is exact but costs more than the rest of a
find-order's rate limiting together.

**At most ``max_keys`` keys, O(log n) per hit.** A key whose arrival time has passed has
its whole burst back, the same as an absent key, so it can be forgotten. The keys wait in
a heap ordered by the microsecond their burst is back (*expiry*), one entry per key. A hit
moves a key's expiry later without touching the heap (finding its entry would cost a
scan); the entry is corrected lazily when it reaches the top: an entry due whose key was
hit since is pushed back with the key's real expiry, one that is really due is dropped
with its key. Each correction is paid for by a hit made since the entry was pushed, so
every hit costs O(1) heap operations amortised, O(log n) each, and the heap never holds
more entries than the table holds keys. A call looks at no more than a few due entries,
so when a whole flood's keys come due together no one call pays for forgetting them all.
(An ``OrderedDict`` moved to the end on every hit is not enough: with quotas of different
periods the key hit last is not the one that expires last.)

**When the table is full of busy keys** (``max_keys`` keys, none with its burst back), a
new key evicts the key whose burst comes back soonest. That key is the least informative:
it owes the least waiting, it is the closest to being forgotten anyway, and it is
typically one hit once by the flood that filled the table. The price is that an evicted
key gets its whole burst back early. The other choices are worse: refusing every new key
would let a flood of distinct identifiers lock every shopper out of the page, and growing
past the limit lets the flood take the process's memory. Size ``max_keys`` well above the
keys a busy period really holds (each key costs some 300 bytes) and eviction happens only
under a flood of many clients: one client alone is stopped by its own bucket, and a
refused call adds no key.
"""

from __future__ import annotations

import heapq
import operator
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from orderstatus_core import Bucket, RateDecision

__all__ = ["MemoryRateLimiter"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_ALLOWED = RateDecision(allowed=True)
# A bucket's key (Bucket is a named tuple): read in C, where a set comprehension is a
# function call of its own.
_KEY = operator.itemgetter(0)
# How many due entries one call looks at, at most: enough to forget idle keys faster than
# calls add them (three buckets a call), few enough that no call pays for a whole flood
# expiring at once. Whatever is left waits; a full table evicts idle keys first anyway.
_FORGET_PER_CALL = 8


class MemoryRateLimiter:
    """Rate limits for one process, thread-safe. Keys expire by themselves.

    Holds at most ``max_keys`` keys; when every one of them is busy, a new key evicts the
    one whose burst comes back soonest (see the module's documentation).
    """

    def __init__(self, max_keys: int = 100_000) -> None:
        if max_keys < 1:
            raise ValueError(f"max_keys must be at least 1, not {max_keys}")
        # key -> [the quota's limit, arrival time in ticks of 1/limit microsecond]: a list,
        # so that a hit on a known key changes it in place instead of allocating a new pair
        self._arrival: dict[str, list[int]] = {}
        # (expiry in microseconds when pushed, key): exactly one entry per key of _arrival;
        # the key's real expiry may have moved later since (see the module's documentation)
        self._expiry: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._max_keys = max_keys

    @classmethod
    def from_url(cls, url: str) -> MemoryRateLimiter:
        """``memory://``: a new limiter."""
        return cls()

    def close(self) -> None:
        """Nothing to release: the counts live in this object."""

    def __len__(self) -> int:
        """How many keys the limiter holds (at most ``max_keys``)."""
        return len(self._arrival)

    def hit(self, buckets: Sequence[Bucket], now: datetime) -> RateDecision:
        """Count one hit on every bucket if all allow it (see :class:`RateLimiter`).

        Two passes under one lock: the first works out every bucket's new arrival time and
        the longest wait, the second stores them only when no bucket refused. Everything is
        integer arithmetic on microseconds; a known key is updated in place, so a hit
        allocates nothing per bucket but a new key's entries.
        """
        micros = (now - _EPOCH) // _MICROSECOND
        # The new arrival time of each bucket, in the order of ``buckets``.
        arrivals_due: list[int] = []
        wait = -1  # the longest wait of a refusing bucket, in whole µs; -1: none refused
        with self._lock:
            arrivals = self._arrival
            known = arrivals.get
            for key, quota in buckets:
                limit = quota.limit
                interval = quota.period_micros  # period / limit µs, in ticks
                moment = micros * limit
                stored = known(key)
                if stored is None or stored[0] != limit or stored[1] < moment:
                    # Absent, idle or another quota: afresh, with its whole burst (its
                    # allowed_from, moment - interval * (limit - 1), is never later).
                    arrivals_due.append(moment + interval)
                    continue
                arrival = stored[1] + interval
                allowed_from = arrival - interval * limit
                if moment < allowed_from:
                    wait = max(wait, -((moment - allowed_from) // limit))  # ceil: never early
                arrivals_due.append(arrival)
            size = len(arrivals_due)
            if size > 1 and len(set(map(_KEY, buckets))) != size:
                raise ValueError("a rate-limit key appears twice in one call")
            if wait >= 0:
                return RateDecision(allowed=False, retry_at=now + wait * _MICROSECOND)
            expiry = self._expiry
            if expiry and expiry[0][0] <= micros:  # only then is any key idle
                self._forget_idle(micros)
            # zip without strict=: the lengths are equal by construction, and the keyword
            # costs a parse on every call.
            for (key, quota), arrival in zip(buckets, arrivals_due):  # noqa: B905
                limit = quota.limit
                stored = known(key)  # again: _forget_idle may have dropped it
                if stored is not None:
                    stored[0] = limit
                    stored[1] = arrival
                    continue
                if len(arrivals) >= self._max_keys:
                    self._evict_soonest()
                heapq.heappush(expiry, (-(-arrival // limit), key))
                arrivals[key] = [limit, arrival]
        return _ALLOWED

    def _real_expiry(self, key: str) -> int:
        """The microsecond from which ``key`` has its whole burst back."""
        limit, arrival = self._arrival[key]
        return -(-arrival // limit)

    def _forget_idle(self, micros: int) -> None:
        """Drop keys whose burst is back at ``micros``, looking at a few due entries."""
        expiry = self._expiry
        for _ in range(_FORGET_PER_CALL):
            if not expiry or expiry[0][0] > micros:
                return
            key = expiry[0][1]
            real = self._real_expiry(key)
            if real <= micros:
                heapq.heappop(expiry)
                del self._arrival[key]
            else:  # hit since it was queued: back in line at its real expiry
                heapq.heapreplace(expiry, (real, key))

    def _evict_soonest(self) -> None:
        """Forget the key whose burst comes back soonest, to make room for a new key."""
        expiry = self._expiry
        while True:
            queued, key = expiry[0]
            real = self._real_expiry(key)
            if real > queued:  # hit since it was queued: its place is later
                heapq.heapreplace(expiry, (real, key))
                continue
            heapq.heappop(expiry)
            del self._arrival[key]
            return
