"""The conformance suite of rate limiters; see :mod:`orderstatus_core.testing.contracts`."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core.policies import Bucket, Quota, RateDecision
from orderstatus_core.ports import RateLimiter
from orderstatus_core.testing import strategies
from orderstatus_core.testing.contracts._support import (
    _PROPERTY,
    _QUOTAS,
    T0,
    _fresh,
    _together,
    declared_fixture,
)

__all__ = ["RateLimiterContract"]

_RATE_LIMITER = (
    "a fresh RateLimiter for each test (keys of one test never meet another's). Define it\n"
    "in your test class, e.g.\n"
    "    @pytest.fixture\n"
    "    def rate_limiter(self):\n"
    "        return MyRateLimiter.from_url('mine://')"
)


def _hit(rate_limiter: RateLimiter, key: str, quota: Quota, now: datetime) -> RateDecision:
    """One call on one bucket."""
    return rate_limiter.hit([Bucket(key, quota)], now)


def _refusal(rate_limiter: RateLimiter, key: str, quota: Quota, now: datetime) -> RateDecision:
    """The first refused hit on ``key``: the one after a whole burst at ``now``."""
    for _ in range(quota.limit):
        _hit(rate_limiter, key, quota, now)
    return _hit(rate_limiter, key, quota, now)


def _allowed_in_a_row(rate_limiter: RateLimiter, key: str, quota: Quota, now: datetime) -> int:
    """How many hits on ``key`` are allowed at ``now`` before the first refusal."""
    allowed = 0
    while _hit(rate_limiter, key, quota, now).allowed:
        allowed += 1
    return allowed


class RateLimiterContract:
    """The :class:`~orderstatus_core.RateLimiter` contract: bursts, refusals, recovery, and
    several buckets decided together, all or nothing.

    Needs a fixture ``rate_limiter``: a fresh limiter for each test. Time is passed in
    explicitly; nothing sleeps.
    """

    @pytest.fixture
    def rate_limiter(self, request: pytest.FixtureRequest) -> RateLimiter:
        """Declared here so that a suite without one fails with how to write it."""
        limiter: RateLimiter = declared_fixture(request, "rate_limiter", _RATE_LIMITER)
        return limiter

    @_PROPERTY
    @given(quota=_QUOTAS, now=strategies.timestamps())
    def test_a_burst_of_limit_hits_is_allowed_then_refused(
        self, rate_limiter: RateLimiter, quota: Quota, now: datetime
    ) -> None:
        """``limit`` hits at one moment are allowed; the next one is refused."""
        key = _fresh("key")
        burst = [_hit(rate_limiter, key, quota, now).allowed for _ in range(quota.limit)]
        assert burst == [True] * quota.limit
        assert not _hit(rate_limiter, key, quota, now).allowed

    @_PROPERTY
    @given(quota=_QUOTAS, now=strategies.timestamps())
    def test_a_refusal_says_when_to_retry_within_one_period(
        self, rate_limiter: RateLimiter, quota: Quota, now: datetime
    ) -> None:
        """A refused hit's ``retry_at`` is after ``now`` and at most one period later."""
        decision = _refusal(rate_limiter, _fresh("key"), quota, now)
        assert decision.retry_at is not None
        assert now < decision.retry_at <= now + quota.period

    @_PROPERTY
    @given(quota=_QUOTAS, now=strategies.timestamps())
    def test_a_hit_at_the_retry_time_is_allowed(
        self, rate_limiter: RateLimiter, quota: Quota, now: datetime
    ) -> None:
        """At the moment a refusal names in ``retry_at``, a hit is allowed again."""
        key = _fresh("key")
        retry_at = _refusal(rate_limiter, key, quota, now).retry_at
        assert retry_at is not None
        assert _hit(rate_limiter, key, quota, retry_at).allowed

    @_PROPERTY
    @given(quota=_QUOTAS, now=strategies.timestamps())
    def test_a_full_burst_is_allowed_again_one_period_later(
        self, rate_limiter: RateLimiter, quota: Quota, now: datetime
    ) -> None:
        """After a whole period without hits the whole burst is back."""
        key = _fresh("key")
        for _ in range(quota.limit + 1):
            _hit(rate_limiter, key, quota, now)
        later = now + quota.period
        again = [_hit(rate_limiter, key, quota, later).allowed for _ in range(quota.limit)]
        assert again == [True] * quota.limit

    def test_refused_hits_are_not_counted(self, rate_limiter: RateLimiter) -> None:
        """Hammering a refused key does not push its retry time later."""
        quota = Quota(3, timedelta(minutes=1))
        first = _refusal(rate_limiter, "key", quota, T0).retry_at
        refusals = [_hit(rate_limiter, "key", quota, T0) for _ in range(50)]
        assert first is not None
        assert {decision.retry_at for decision in refusals} == {first}
        assert _hit(rate_limiter, "key", quota, first).allowed

    def test_keys_are_independent(self, rate_limiter: RateLimiter) -> None:
        """Using up one key's quota leaves every other key's untouched."""
        quota = Quota(2, timedelta(minutes=1))
        for _ in range(3):
            _hit(rate_limiter, "find:client:a", quota, T0)
        assert _hit(rate_limiter, "find:client:b", quota, T0).allowed
        assert _hit(rate_limiter, "find:client:a:", quota, T0).allowed

    def test_an_allowed_hit_has_no_retry_time(self, rate_limiter: RateLimiter) -> None:
        """An allowed decision carries no ``retry_at``."""
        decision = _hit(rate_limiter, "key", Quota(1, timedelta(minutes=1)), T0)
        assert (decision.allowed, decision.retry_at) == (True, None)

    def test_threads_hitting_one_key_get_exactly_limit_allowed(
        self, rate_limiter: RateLimiter
    ) -> None:
        """Sixteen threads hitting one key at one moment get exactly ``limit`` hits allowed."""
        quota = Quota(5, timedelta(minutes=1))

        def hammer(_index: int) -> int:
            return sum(_hit(rate_limiter, "shared", quota, T0).allowed for _ in range(8))

        assert sum(_together(16, hammer)) == quota.limit

    # --- several buckets in one call ----------------------------------------------------

    def test_a_call_is_allowed_while_every_bucket_allows_it(
        self, rate_limiter: RateLimiter
    ) -> None:
        """Calls on two buckets are allowed until the smaller quota is used up, each counted
        in both buckets."""
        small, large = Quota(2, timedelta(minutes=1)), Quota(5, timedelta(minutes=1))
        both = [Bucket("client", small), Bucket("order", large)]
        assert [rate_limiter.hit(both, T0).allowed for _ in range(3)] == [True, True, False]
        assert _allowed_in_a_row(rate_limiter, "order", large, T0) == 3

    def test_a_refused_call_counts_in_no_bucket(self, rate_limiter: RateLimiter) -> None:
        """A call refused by one bucket leaves every other bucket of the call untouched, so
        a caller over its own limit cannot drain a shopper's bucket."""
        quota = Quota(3, timedelta(minutes=1))
        _refusal(rate_limiter, "client", quota, T0)
        calls = [Bucket("client", quota), Bucket("email", quota), Bucket("order", quota)]
        assert not any(rate_limiter.hit(calls, T0).allowed for _ in range(20))
        assert _allowed_in_a_row(rate_limiter, "email", quota, T0) == quota.limit
        assert _allowed_in_a_row(rate_limiter, "order", quota, T0) == quota.limit

    @_PROPERTY
    @given(quotas=st.lists(_QUOTAS, min_size=2, max_size=4), data=st.data())
    def test_a_refusal_says_the_latest_retry_time_of_the_refusing_buckets(
        self, rate_limiter: RateLimiter, quotas: list[Quota], data: st.DataObject
    ) -> None:
        """A refused call's ``retry_at`` is the latest of its refusing buckets' own, and at
        that moment the whole call is allowed."""
        now = data.draw(strategies.timestamps(), label="now")
        buckets = [Bucket(_fresh("key"), quota) for quota in quotas]
        refusing = data.draw(st.sets(st.sampled_from(buckets), min_size=1), label="refusing")
        retry_times = [_refusal(rate_limiter, b.key, b.quota, now).retry_at for b in refusing]
        latest = max(at for at in retry_times if at is not None)
        decision = rate_limiter.hit(buckets, now)
        assert (decision.allowed, decision.retry_at) == (False, latest)
        assert rate_limiter.hit(buckets, latest).allowed

    def test_no_buckets_is_an_allowed_call(self, rate_limiter: RateLimiter) -> None:
        """A call with no buckets is allowed and has no retry time."""
        assert rate_limiter.hit([], T0) == RateDecision(allowed=True)

    def test_a_key_twice_in_one_call_is_refused_loudly_and_counts_nothing(
        self, rate_limiter: RateLimiter
    ) -> None:
        """A key given twice in one call raises ``ValueError``; no bucket counts it."""
        quota = Quota(2, timedelta(minutes=1))
        twice = [Bucket("other", quota), Bucket("key", quota), Bucket("key", quota)]
        with pytest.raises(ValueError, match="twice"):
            rate_limiter.hit(twice, T0)
        assert _allowed_in_a_row(rate_limiter, "key", quota, T0) == quota.limit
        assert _allowed_in_a_row(rate_limiter, "other", quota, T0) == quota.limit

    def test_a_changed_quota_starts_its_bucket_afresh_within_a_call(
        self, rate_limiter: RateLimiter
    ) -> None:
        """A key last counted under another quota has the new quota's whole burst."""
        old, new = Quota(1, timedelta(minutes=1)), Quota(3, timedelta(minutes=1))
        _refusal(rate_limiter, "key", old, T0)
        call = [Bucket("other", new), Bucket("key", new)]
        assert [rate_limiter.hit(call, T0).allowed for _ in range(4)] == [True] * 3 + [False]

    def test_threads_calling_on_shared_buckets_count_whole_calls(
        self, rate_limiter: RateLimiter
    ) -> None:
        """Sixteen threads calling on the same two buckets get exactly the smaller quota's
        calls allowed, and the larger bucket counts only those."""
        small, large = Quota(5, timedelta(minutes=1)), Quota(9, timedelta(minutes=1))
        both = [Bucket("small", small), Bucket("large", large)]

        def hammer(index: int) -> int:
            order = both if index % 2 else both[::-1]
            return sum(rate_limiter.hit(order, T0).allowed for _ in range(8))

        assert sum(_together(16, hammer)) == small.limit
        assert _allowed_in_a_row(rate_limiter, "large", large, T0) == large.limit - small.limit
