"""The buckets a guest door hits: one action names them all, each scope's value hashed."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from orderstatus_core import AdapterError, Quota, RateDecision
from orderstatus_core.services._limits import bucket, check_limits
from orderstatus_core.services.results import TryLater

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ONE = Quota(1, timedelta(minutes=1))
TWO = Quota(2, timedelta(minutes=1))


class _Scripted:
    """A limiter that answers each key as told (allowed when not told) and records hits."""

    def __init__(self, answers: dict[str, RateDecision] | None = None) -> None:
        self.answers = answers or {}
        self.hits: list[tuple[str, Quota, datetime]] = []

    def hit(self, key: str, quota: Quota, now: datetime) -> RateDecision:
        self.hits.append((key, quota, now))
        return self.answers.get(key, RateDecision(True))

    def close(self) -> None:
        """Nothing to release."""


class _Down:
    """A limiter whose backing store (Redis, say) is unreachable."""

    def hit(self, key: str, quota: Quota, now: datetime) -> RateDecision:
        raise AdapterError("rate limiter unreachable")

    def close(self) -> None:
        """Nothing to release."""


def _digest(value: str) -> str:
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def test_every_scope_is_hit_once_under_the_one_action_in_the_order_given() -> None:
    limiter = _Scripted()
    assert check_limits(limiter, NOW, "find", client=("c1", ONE), order=("123", TWO)) is None
    assert limiter.hits == [
        (f"find:client:{_digest('c1')}", ONE, NOW),
        (f"find:order:{_digest('123')}", TWO, NOW),
    ]
    assert [key for key, _, _ in limiter.hits] == [
        bucket("find", "client", "c1"),
        bucket("find", "order", "123"),
    ]


def test_a_refused_scope_answers_try_later_at_the_latest_retry_and_the_others_still_count() -> None:
    late, early = NOW + timedelta(seconds=90), NOW + timedelta(seconds=5)
    limiter = _Scripted(
        {
            bucket("pass-verify", "client", "c1"): RateDecision(False, early),
            bucket("pass-verify", "order", "123"): RateDecision(False, late),
        }
    )
    refused = check_limits(
        limiter, NOW, "pass-verify", client=("c1", ONE), order=("123", ONE), id=("x", ONE)
    )
    assert refused == TryLater(retry_at=late, retry_after_seconds=90)
    assert len(limiter.hits) == 3


def test_a_refusal_without_a_time_waits_a_second() -> None:
    limiter = _Scripted({bucket("order-list", "email", "a@b.c"): RateDecision(False)})
    refused = check_limits(limiter, NOW, "order-list", email=("a@b.c", ONE))
    assert refused == TryLater(retry_at=NOW, retry_after_seconds=1)


@pytest.mark.parametrize(
    "typed",
    ["x" * 10_000, "a@b.c'; DROP TABLE orders; --", "\ud800lone surrogate", "é\u0301\x00\n"],
)
def test_any_typed_text_becomes_a_short_key_that_never_holds_it_in_clear(typed: str) -> None:
    limiter = _Scripted()
    assert check_limits(limiter, NOW, "find", id=(typed, ONE)) is None
    (key, _, _), *_ = limiter.hits
    assert key == f"find:id:{_digest(typed)}"
    assert len(key) == len("find:id:") + 24
    assert typed not in key


def test_no_scope_hits_nothing_and_allows() -> None:
    limiter = _Scripted()
    assert check_limits(limiter, NOW, "find") is None
    assert limiter.hits == []


def test_a_failing_limiter_is_not_taken_for_an_allowed_hit() -> None:
    with pytest.raises(AdapterError, match="unreachable"):
        check_limits(_Down(), NOW, "find", client=("c1", ONE))


def test_a_scope_value_that_is_not_a_pair_is_refused_loudly() -> None:
    with pytest.raises(ValueError, match="unpack"):
        check_limits(_Scripted(), NOW, "find", client=("c1",))  # type: ignore[arg-type]
