"""The conformance suite of rate limiters; see :mod:`orderstatus_core.testing.contracts`."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given

from orderstatus_core.policies import Quota, RateDecision
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


def _refusal(rate_limiter: RateLimiter, key: str, quota: Quota, now: datetime) -> RateDecision:
    """The first refused hit on ``key``: the one after a whole burst at ``now``."""
    for _ in range(quota.limit):
        rate_limiter.hit(key, quota, now)
    return rate_limiter.hit(key, quota, now)


class RateLimiterContract:
    """The :class:`~orderstatus_core.RateLimiter` contract: bursts, refusals, recovery.

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
        burst = [rate_limiter.hit(key, quota, now).allowed for _ in range(quota.limit)]
        assert burst == [True] * quota.limit
        assert not rate_limiter.hit(key, quota, now).allowed

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
        assert rate_limiter.hit(key, quota, retry_at).allowed

    @_PROPERTY
    @given(quota=_QUOTAS, now=strategies.timestamps())
    def test_a_full_burst_is_allowed_again_one_period_later(
        self, rate_limiter: RateLimiter, quota: Quota, now: datetime
    ) -> None:
        """After a whole period without hits the whole burst is back."""
        key = _fresh("key")
        for _ in range(quota.limit + 1):
            rate_limiter.hit(key, quota, now)
        later = now + quota.period
        again = [rate_limiter.hit(key, quota, later).allowed for _ in range(quota.limit)]
        assert again == [True] * quota.limit

    def test_refused_hits_are_not_counted(self, rate_limiter: RateLimiter) -> None:
        """Hammering a refused key does not push its retry time later."""
        quota = Quota(3, timedelta(minutes=1))
        first = _refusal(rate_limiter, "key", quota, T0).retry_at
        refusals = [rate_limiter.hit("key", quota, T0) for _ in range(50)]
        assert first is not None
        assert {decision.retry_at for decision in refusals} == {first}
        assert rate_limiter.hit("key", quota, first).allowed

    def test_keys_are_independent(self, rate_limiter: RateLimiter) -> None:
        """Using up one key's quota leaves every other key's untouched."""
        quota = Quota(2, timedelta(minutes=1))
        for _ in range(3):
            rate_limiter.hit("find:client:a", quota, T0)
        assert rate_limiter.hit("find:client:b", quota, T0).allowed
        assert rate_limiter.hit("find:client:a:", quota, T0).allowed

    def test_an_allowed_hit_has_no_retry_time(self, rate_limiter: RateLimiter) -> None:
        """An allowed decision carries no ``retry_at``."""
        decision = rate_limiter.hit("key", Quota(1, timedelta(minutes=1)), T0)
        assert (decision.allowed, decision.retry_at) == (True, None)

    def test_threads_hitting_one_key_get_exactly_limit_allowed(
        self, rate_limiter: RateLimiter
    ) -> None:
        """Sixteen threads hitting one key at one moment get exactly ``limit`` hits allowed."""
        quota = Quota(5, timedelta(minutes=1))

        def hammer(_index: int) -> int:
            return sum(rate_limiter.hit("shared", quota, T0).allowed for _ in range(8))

        assert sum(_together(16, hammer)) == quota.limit
