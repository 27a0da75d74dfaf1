"""The memory rate limiter holds at most ``max_keys`` keys and does O(1) heap work per hit.

Work is counted, never timed: a profile hook counts the calls of :mod:`heapq` functions
(each O(log n)) while the limiter runs, and ``len(limiter)`` is the number of keys held.
"""

from __future__ import annotations

import heapq
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import FrameType

import pytest

from orderstatus_core import Bucket, Quota
from orderstatus_memory import MemoryRateLimiter

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
MINUTE = Quota(1, timedelta(minutes=1))
FIND_PER_CLIENT = Quota(20, timedelta(minutes=1))
FIND_PER_IDENTIFIER = Quota(10, timedelta(minutes=5))
_HEAP_FUNCTIONS = {
    heapq.heappush: "push",
    heapq.heappop: "pop",
    heapq.heapreplace: "replace",
    heapq.heappushpop: "pushpop",
    heapq.heapify: "heapify",
}


@contextmanager
def heap_operations() -> Iterator[Counter[str]]:
    """Count the heapq calls made on this thread inside the block, by kind."""
    counted: Counter[str] = Counter()

    def profile(_frame: FrameType, event: str, arg: object) -> None:
        if event == "c_call" and arg in _HEAP_FUNCTIONS:
            counted[_HEAP_FUNCTIONS[arg]] += 1

    sys.setprofile(profile)
    try:
        yield counted
    finally:
        sys.setprofile(None)


def _full(max_keys: int) -> MemoryRateLimiter:
    """A limiter holding ``max_keys`` busy keys (each hit once under a one-minute quota)."""
    limiter = MemoryRateLimiter(max_keys=max_keys)
    for n in range(max_keys):
        limiter.hit([Bucket(f"busy{n}", MINUTE)], T0)
    return limiter


def _flood(limiter: MemoryRateLimiter, calls: int) -> list[int]:
    """Find-order calls, each with a client, an identifier and an order nobody used before;
    the number of keys held after each call."""
    held = []
    for n in range(calls):
        buckets = [
            Bucket(f"find:client:{n}", FIND_PER_CLIENT),
            Bucket(f"find:id:{n}", FIND_PER_IDENTIFIER),
            Bucket(f"find:order:{n}", FIND_PER_IDENTIFIER),
        ]
        assert limiter.hit(buckets, T0 + timedelta(seconds=1)).allowed
        held.append(len(limiter))
    return held


def _allowed_in_a_row(limiter: MemoryRateLimiter, key: str, quota: Quota, now: datetime) -> int:
    allowed = 0
    while limiter.hit([Bucket(key, quota)], now).allowed:
        allowed += 1
    return allowed


@pytest.mark.parametrize("max_keys", [1_000, 100_000])
def test_a_flood_of_new_keys_at_the_limit_costs_the_same_few_heap_operations_per_key(
    max_keys: int,
) -> None:
    """At its key limit, with every key busy, each new key costs at most one eviction and
    one insertion, whether the table holds a thousand keys or a hundred thousand."""
    limiter = _full(max_keys)
    with heap_operations() as operations:
        held = _flood(limiter, 1_000)
    assert max(held) == max_keys
    assert operations.total() <= 2 * 3 * 1_000
    assert operations["push"] == operations["pop"] == 3 * 1_000


def test_a_hot_key_hit_between_evictions_costs_o1_heap_operations_amortised() -> None:
    """A key hit again after it was queued is corrected lazily when it reaches the top of
    the heap: over a flood mixed with a hot client, the heap work stays within a few
    operations per bucket hit, and the hot key is never evicted for its stale place."""
    limiter = _full(1_000)
    hot = Quota(10_000, timedelta(hours=10))  # each hit moves its expiry 3.6 s later
    for _ in range(20):
        limiter.hit([Bucket("hot", hot)], T0)  # queued at T0 + 72 s, after the busy keys
    with heap_operations() as operations:
        for n in range(3_000):
            now = T0 + timedelta(milliseconds=10 * n)
            assert limiter.hit([Bucket("hot", hot), Bucket(f"new{n}", MINUTE)], now).allowed
            assert len(limiter) == 1_000
    assert operations["replace"] >= 1
    assert operations.total() <= 3 * 2 * 3_000
    back = 8  # the 30 s the flood took give 8 hits of 3.6 s back
    assert _allowed_in_a_row(limiter, "hot", hot, now) == hot.limit - 20 - 3_000 + back


def test_a_full_table_evicts_the_key_whose_burst_comes_back_soonest() -> None:
    """Not the least recently used key: the one closest to being forgotten anyway."""
    limiter = MemoryRateLimiter(max_keys=3)
    day, minute, hour = (Quota(1, timedelta(days=1)), MINUTE, Quota(1, timedelta(hours=1)))
    for key, quota in [("day", day), ("minute", minute), ("hour", hour)]:
        assert limiter.hit([Bucket(key, quota)], T0).allowed
    assert limiter.hit([Bucket("new", minute)], T0 + timedelta(seconds=1)).allowed
    assert len(limiter) == 3
    assert limiter.hit([Bucket("minute", minute)], T0 + timedelta(seconds=2)).allowed
    assert not limiter.hit([Bucket("day", day)], T0 + timedelta(seconds=2)).allowed
    assert not limiter.hit([Bucket("hour", hour)], T0 + timedelta(seconds=2)).allowed


def test_a_key_hit_since_it_was_queued_is_evicted_by_its_real_expiry() -> None:
    """A key queued early but hit since is not taken for the soonest to come back."""
    limiter = MemoryRateLimiter(max_keys=2)
    five = Quota(5, timedelta(minutes=1))  # one hit is back after 12 s, five after 60 s
    half = Quota(1, timedelta(seconds=30))
    limiter.hit([Bucket("often", five)], T0)
    limiter.hit([Bucket("once", half)], T0)
    assert all(limiter.hit([Bucket("often", five)], T0).allowed for _ in range(4))
    assert limiter.hit([Bucket("new", half)], T0).allowed
    assert not limiter.hit([Bucket("often", five)], T0).allowed  # kept, with its five hits
    assert limiter.hit([Bucket("once", half)], T0).allowed  # evicted: its burst came back


def test_idle_keys_are_forgotten_a_few_at_a_time_by_later_calls() -> None:
    """Keys whose burst is back are dropped by later calls, a few per call, so no one call
    pays for a whole flood coming due at once."""
    limiter = MemoryRateLimiter()
    for n in range(100):
        limiter.hit([Bucket(f"old{n}", MINUTE)], T0)
    later = T0 + timedelta(minutes=2)
    with heap_operations() as operations:
        limiter.hit([Bucket("now", MINUTE)], later)
    assert operations.total() <= 9
    assert 90 <= len(limiter) < 100
    for _ in range(20):
        limiter.hit([Bucket("now", Quota(100, timedelta(minutes=1)))], later)
    assert len(limiter) == 1


def test_a_refused_call_adds_no_key() -> None:
    """A call refused by one bucket leaves no trace of its other, new buckets."""
    limiter = MemoryRateLimiter()
    limiter.hit([Bucket("client", MINUTE)], T0)
    assert not limiter.hit([Bucket("client", MINUTE), Bucket("new", MINUTE)], T0).allowed
    assert len(limiter) == 1


@pytest.mark.parametrize("max_keys", [0, -1])
def test_a_limit_below_one_key_is_refused(max_keys: int) -> None:
    """A limiter must be able to hold at least one key."""
    with pytest.raises(ValueError, match="max_keys"):
        MemoryRateLimiter(max_keys=max_keys)
