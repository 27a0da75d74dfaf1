"""A quota's period in microseconds, the unit both rate limiters count in."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import Quota


@given(
    st.integers(min_value=1, max_value=10**6),
    st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=3650)),
)
def test_period_micros_is_the_period_in_whole_microseconds(limit: int, period: timedelta) -> None:
    """Worked out once from the period, exactly (a timedelta's resolution is 1 µs)."""
    quota = Quota(limit, period)
    assert quota.period_micros == period // timedelta(microseconds=1)
    assert timedelta(microseconds=quota.period_micros) == period


def test_period_micros_follows_a_changed_period_and_is_no_argument() -> None:
    """``attrs.evolve`` works it out again; it is not given, compared or shown."""
    quota = Quota(5, timedelta(minutes=1))
    assert attrs.evolve(quota, period=timedelta(seconds=2)).period_micros == 2_000_000
    assert quota == Quota(5, timedelta(seconds=60))
    assert "period_micros" not in repr(quota)
    with pytest.raises(TypeError):
        Quota(5, timedelta(minutes=1), period_micros=1)  # type: ignore[call-arg]


@pytest.mark.parametrize("period", [timedelta(0), timedelta(microseconds=-1)])
def test_a_period_that_is_not_positive_is_still_refused(period: timedelta) -> None:
    with pytest.raises(ValueError, match="period"):
        Quota(5, period)


def test_a_period_that_is_not_a_timedelta_is_still_refused() -> None:
    with pytest.raises(TypeError):
        Quota(5, 60)  # type: ignore[arg-type]


def test_a_bucket_is_an_immutable_key_and_quota() -> None:
    """A bucket cannot be changed once built, and equal buckets are one dictionary key."""
    from orderstatus_core import Bucket

    quota = Quota(5, timedelta(minutes=1))
    bucket = Bucket("find:client:abc", quota)
    assert (bucket.key, bucket.quota) == ("find:client:abc", quota)
    with pytest.raises(AttributeError):
        bucket.key = "other"  # type: ignore[misc]
    assert {bucket: 1}[Bucket("find:client:abc", Quota(5, timedelta(seconds=60)))] == 1
    assert bucket != Bucket("find:client:abc", Quota(6, timedelta(minutes=1)))
