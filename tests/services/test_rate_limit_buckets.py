"""The buckets a guest door hits: one action names them all, each scope's value hashed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from orderstatus_core import AdapterError, Bucket, OrderFound, OrderNotFound, Quota, RateDecision
from orderstatus_core.policies.lookup import LookupPolicy
from orderstatus_core.services import find_order
from orderstatus_core.services._limits import LimitsPlan, PlanOf, bucket, check_limits
from orderstatus_core.services.lookup import pair_limits
from orderstatus_core.services.results import TryLater
from orderstatus_core.testing import fake_context
from orderstatus_core.testing.builders import make_order

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ONE = Quota(1, timedelta(minutes=1))
TWO = Quota(2, timedelta(minutes=1))
ALLOWED = RateDecision(True)


class _Scripted:
    """A limiter that answers every call as told (allowed when not told) and records calls."""

    def __init__(self, answer: RateDecision = ALLOWED) -> None:
        self.answer = answer
        self.calls: list[tuple[list[Bucket], datetime]] = []

    def hit(self, buckets: Sequence[Bucket], now: datetime) -> RateDecision:
        self.calls.append((list(buckets), now))
        return self.answer

    def close(self) -> None:
        """Nothing to release."""


class _Down:
    """A limiter whose backing store (Redis, say) is unreachable."""

    def hit(self, buckets: Sequence[Bucket], now: datetime) -> RateDecision:
        raise AdapterError("rate limiter unreachable")

    def close(self) -> None:
        """Nothing to release."""


def _digest(value: str) -> str:
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def test_every_scope_is_one_bucket_of_one_call_under_the_one_action_in_the_order_given() -> None:
    limiter = _Scripted()
    assert check_limits(limiter, NOW, "find", client=("c1", ONE), order=("123", TWO)) is None
    assert limiter.calls == [
        (
            [
                Bucket(f"find:client:{_digest('c1')}", ONE),
                Bucket(f"find:order:{_digest('123')}", TWO),
            ],
            NOW,
        )
    ]
    assert [b.key for b in limiter.calls[0][0]] == [
        bucket("find", "client", "c1"),
        bucket("find", "order", "123"),
    ]


def test_a_refused_call_answers_try_later_at_the_limiters_retry_time() -> None:
    limiter = _Scripted(RateDecision(False, NOW + timedelta(seconds=90)))
    refused = check_limits(
        limiter, NOW, "pass-verify", client=("c1", ONE), order=("123", ONE), id=("x", ONE)
    )
    assert refused == TryLater(retry_at=NOW + timedelta(seconds=90), retry_after_seconds=90)
    assert len(limiter.calls) == 1


def test_a_refusal_without_a_time_waits_a_second() -> None:
    limiter = _Scripted(RateDecision(False))
    refused = check_limits(limiter, NOW, "order-list", email=("a@b.c", ONE))
    assert refused == TryLater(retry_at=NOW, retry_after_seconds=1)


@pytest.mark.parametrize(
    "typed",
    ["x" * 10_000, "a@b.c'; DROP TABLE orders; --", "\ud800lone surrogate", "é\u0301\x00\n"],
)
def test_any_typed_text_becomes_a_short_key_that_never_holds_it_in_clear(typed: str) -> None:
    limiter = _Scripted()
    assert check_limits(limiter, NOW, "find", id=(typed, ONE)) is None
    [([only], _)] = limiter.calls
    key = only.key
    assert key == f"find:id:{_digest(typed)}"
    assert len(key) == len("find:id:") + 24
    assert typed not in key


def test_no_scope_calls_nothing_and_allows() -> None:
    limiter = _Scripted()
    assert check_limits(limiter, NOW, "find") is None
    assert limiter.calls == []


def test_a_failing_limiter_is_not_taken_for_an_allowed_hit() -> None:
    with pytest.raises(AdapterError, match="unreachable"):
        check_limits(_Down(), NOW, "find", client=("c1", ONE))


def test_a_scope_value_that_is_not_a_pair_is_refused_loudly() -> None:
    with pytest.raises(ValueError, match="unpack"):
        check_limits(_Scripted(), NOW, "find", client=("c1",))  # type: ignore[arg-type]


def test_a_client_over_its_limit_does_not_use_up_a_shoppers_identifier() -> None:
    """Refused attempts count in no bucket (SECURITY C1): a client that spent its budget on
    other pairs and keeps trying Jane's email leaves her the whole per-identifier budget."""
    ctx = fake_context()
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order(number="123456789"))
        uow.commit()
    per_client = ctx.policies.lookup_policy().find_per_client.limit
    for n in range(per_client):
        find_order(ctx, f"guess{n}@example.com", f"{100000000 + n}", client="flood")
    tries = [find_order(ctx, "jane.doe@example.com", "9", client="flood") for _ in range(50)]
    assert {type(answer) for answer in tries} == {TryLater}
    per_identifier = ctx.policies.lookup_policy().find_per_identifier.limit
    others = [
        find_order(ctx, "jane.doe@example.com", "1", client=f"c{n}")
        for n in range(per_identifier - 1)
    ]
    assert {type(answer) for answer in others} == {OrderNotFound}
    found = find_order(ctx, "jane.doe@example.com", "123456789", client="jane")
    assert isinstance(found, OrderFound)


def test_a_plan_names_the_same_buckets_as_check_limits_in_one_call() -> None:
    """A door moved to a plan keeps its keys, so its stored counts go on counting."""
    by_keywords, by_plan = _Scripted(), _Scripted()
    check_limits(by_keywords, NOW, "find", client=("c1", ONE), id=("\ud800x", TWO))
    plan = LimitsPlan("find", (("client", ONE), ("id", TWO)))
    assert plan.check(by_plan, NOW, "c1", "\ud800x") is None
    assert by_plan.calls == by_keywords.calls
    assert all(type(b) is Bucket for b in by_plan.calls[0][0])


def test_a_plan_answers_try_later_and_passes_a_limiter_failure_on() -> None:
    plan = LimitsPlan("find", (("client", ONE),))
    limiter = _Scripted(RateDecision(False, NOW + timedelta(seconds=90)))
    assert plan.check(limiter, NOW, "c1") == TryLater(
        retry_at=NOW + timedelta(seconds=90), retry_after_seconds=90
    )
    assert plan.check(_Scripted(RateDecision(False)), NOW, "c1") == TryLater(
        retry_at=NOW, retry_after_seconds=1
    )
    with pytest.raises(AdapterError, match="unreachable"):
        plan.check(_Down(), NOW, "c1")


@pytest.mark.parametrize("values", [(), ("c1",), ("c1", "x", "y")])
def test_a_plan_refuses_a_wrong_number_of_values_before_calling_the_limiter(
    values: tuple[str, ...],
) -> None:
    limiter = _Scripted()
    with pytest.raises(ValueError, match="2 scope values expected"):
        LimitsPlan("find", (("client", ONE), ("id", ONE))).check(limiter, NOW, *values)
    assert limiter.calls == []


def test_a_plan_without_scopes_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one scope"):
        LimitsPlan("find", ())


def test_the_plan_of_a_policy_is_built_again_only_for_another_policy_object() -> None:
    built: list[object] = []

    def build(policy: object) -> LimitsPlan:
        built.append(policy)
        return LimitsPlan("find", (("client", ONE),))

    plan_of: PlanOf[object] = PlanOf(build)
    first, second = object(), object()
    kept = plan_of(first)
    assert plan_of(first) is kept
    assert plan_of(second) is not kept
    assert plan_of(first) is not kept  # one pair kept: the answer is still first's plan
    assert built == [first, second, first]


def test_the_pair_counts_its_buckets_under_the_quotas_of_the_policy_in_force() -> None:
    """find-order's plan follows the lookup policy: a store with another policy counts
    under its quotas, under the keys check_limits would name."""
    for policy in (LookupPolicy(), LookupPolicy(find_per_client=ONE, find_per_order_number=TWO)):
        limiter = _Scripted()
        ctx = fake_context(rate_limiter=limiter, policy=policy)
        assert pair_limits(ctx, NOW, "c1", "jane@example.com", "123456789") is None
        assert limiter.calls == [
            (
                [
                    Bucket(bucket("find", "client", "c1"), policy.find_per_client),
                    Bucket(bucket("find", "id", "jane@example.com"), policy.find_per_identifier),
                    Bucket(bucket("find", "order", "123456789"), policy.find_per_order_number),
                ],
                NOW,
            )
        ]
