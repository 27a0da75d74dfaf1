"""The Redis limiter keeps the rate-limiter contract, and decides exactly as the memory one.

Both run the same GCRA in whole ticks of ``1 / limit`` microsecond; the Redis script does
its arithmetic on decimal strings, since Lua's numbers are doubles. The comparison below
drives both with the same calls (one to three buckets each), including times and limits
whose tick counts are far past 2**53, where doubles would have rounded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderstatus_core import Bucket, Quota, RateDecision
from orderstatus_core.testing import strategies
from orderstatus_core.testing.contract import RateLimiterContract
from orderstatus_memory import MemoryRateLimiter
from orderstatus_redis import RedisRateLimiter


class TestRedisRateLimiter(RateLimiterContract):
    """``redis://`` rate limiting keeps every rate-limiter contract."""

    @pytest.fixture
    def rate_limiter(self, redis_limiter: RedisRateLimiter) -> RedisRateLimiter:
        """A limiter with a key prefix no other test uses."""
        return redis_limiter


_QUOTAS = st.builds(
    Quota,
    limit=st.one_of(st.integers(1, 30), st.sampled_from([1000, 10**6, 10**9])),
    period=st.one_of(
        st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=2)),
        st.sampled_from([timedelta(seconds=1), timedelta(minutes=1), timedelta(days=400)]),
    ),
)
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
_STARTS = st.one_of(
    strategies.timestamps(),
    st.sampled_from(
        [
            _EARLIEST,
            datetime(1970, 1, 1, tzinfo=UTC),
            datetime(9998, 1, 1, tzinfo=UTC),
        ]
    ),
)
# (the call's buckets as {key: which quota}, how far the clock moves first): mostly
# forward, sometimes back.
_CALLS = st.lists(
    st.tuples(
        st.dictionaries(st.integers(0, 2), st.integers(0, 1), min_size=1, max_size=3),
        st.one_of(
            st.just(timedelta(0)),
            st.timedeltas(min_value=timedelta(0), max_value=timedelta(minutes=2)),
            st.timedeltas(min_value=-timedelta(seconds=5), max_value=timedelta(0)),
        ),
    ),
    min_size=1,
    max_size=40,
)


def _one(
    limiter: RedisRateLimiter | MemoryRateLimiter, key: str, quota: Quota, now: datetime
) -> RateDecision:
    return limiter.hit([Bucket(key, quota)], now)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(quotas=st.lists(_QUOTAS, min_size=2, max_size=2), start=_STARTS, calls=_CALLS)
def test_redis_decides_exactly_as_the_memory_limiter(
    redis_limiter: RedisRateLimiter,
    quotas: list[Quota],
    start: datetime,
    calls: list[tuple[dict[int, int], timedelta]],
) -> None:
    """Every decision and every retry time is the memory limiter's, to the microsecond, for
    calls on several buckets too, also when a key's quota changes and the clock goes back."""
    memory = MemoryRateLimiter()
    scope = _fresh_scope()
    now = start
    for buckets, step in calls:
        if now + step >= _EARLIEST:  # the clock stays within what datetime can hold
            now += step
        call = [Bucket(f"{scope}:{key}", quotas[which]) for key, which in buckets.items()]
        assert redis_limiter.hit(call, now) == memory.hit(call, now)


@pytest.mark.parametrize("limit", [3, 7, 10**9])
def test_ticks_far_past_two_to_the_53_stay_exact(
    redis_limiter: RedisRateLimiter, limit: int
) -> None:
    """Near the end of year 9999 a tick count has up to 27 digits (2**53 has 16): bursts,
    refusals and retry times still match the memory limiter's to the microsecond."""
    quota = Quota(limit, timedelta(days=1, microseconds=1))  # not a whole µs per hit
    now = datetime(9998, 12, 30, 23, 59, 59, 999_999, tzinfo=UTC)
    memory = MemoryRateLimiter()
    for moment in (now, now + timedelta(microseconds=1), now + timedelta(hours=9)):
        for _ in range(min(limit + 1, 12)):
            assert _one(redis_limiter, "far", quota, moment) == _one(memory, "far", quota, moment)


def test_a_refusal_rounds_the_retry_time_up_to_a_whole_microsecond(
    redis_limiter: RedisRateLimiter,
) -> None:
    """One day and 1 µs over 3 hits is 28,800,000,000 1/3 µs per hit: retry after ...001."""
    quota = Quota(3, timedelta(days=1, microseconds=1))
    now = datetime(9998, 12, 30, tzinfo=UTC)
    assert [_one(redis_limiter, "k", quota, now).allowed for _ in range(3)] == [True] * 3
    refused = _one(redis_limiter, "k", quota, now)
    assert refused.retry_at == now + timedelta(microseconds=28_800_000_001)
    assert not _one(redis_limiter, "k", quota, refused.retry_at - timedelta(microseconds=1)).allowed
    assert _one(redis_limiter, "k", quota, refused.retry_at).allowed


_scopes = iter(range(10**9))


def _fresh_scope() -> str:
    return f"scope{next(_scopes)}"
