"""Checking several rate-limit buckets at once, with privacy-preserving keys."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Final, Generic, TypeVar, cast

from orderstatus_core.policies.limits import Bucket, Quota
from orderstatus_core.ports import RateLimiter
from orderstatus_core.services.results import TryLater

__all__ = ["LimitsPlan", "PlanOf", "bucket", "check_limits"]

P = TypeVar("P")

# A fresh BLAKE2b state with the keys' digest size, copied for every key: copying a state
# costs less than parsing the constructor's keyword arguments and setting up its
# parameter block again (bench/RESULTS.md, issue 11), and gives the same digest.
_FRESH: Final = hashlib.blake2b(digest_size=12)

# Bucket(key, quota) through tuple.__new__ directly: the named tuple's own __new__ is a
# Python function that does the same, one frame more per bucket.
_make_bucket: Final = cast(Callable[[type[Bucket], tuple[str, Quota]], Bucket], tuple.__new__)


def _digest(value: str) -> str:
    digest = _FRESH.copy()
    digest.update(value.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def bucket(action: str, scope: str, value: str) -> str:
    """A rate-limit bucket's key. The value is hashed: keys stay short, whatever was typed,
    and a shared limiter (Redis) never holds an email address or phone number in clear."""
    return f"{action}:{scope}:{_digest(value)}"


class LimitsPlan:
    """The buckets of one door under one policy, worked out once: each scope's key prefix
    (``action:scope:``) and quota, in order.

    :meth:`check` then only hashes the call's values: the same keys as :func:`bucket` and
    :func:`check_limits`, so a door may move from one to the other without its stored
    counts (in Redis, say) starting afresh. A plan is immutable, a pure function of the
    action and the quotas; a caller keeps the plan of the policy it was built from
    (:class:`PlanOf`), never one of another policy.
    """

    __slots__ = ("_scopes",)

    def __init__(self, action: str, scopes: tuple[tuple[str, Quota], ...]) -> None:
        if not scopes:
            raise ValueError("a limits plan needs at least one scope")
        self._scopes: Final = tuple((f"{action}:{scope}:", quota) for scope, quota in scopes)

    def check(self, limiter: RateLimiter, now: datetime, *values: str) -> TryLater | None:
        """Count one attempt with ``values`` (one per scope, in the plan's order) in one
        call of the limiter; ``TryLater`` if any bucket refused (see :func:`check_limits`)."""
        scopes = self._scopes
        if len(values) != len(scopes):
            raise ValueError(f"{len(scopes)} scope values expected, not {len(values)}")
        buckets = []
        for (prefix, quota), value in zip(scopes, values):  # noqa: B905  (lengths checked)
            buckets.append(_make_bucket(Bucket, (prefix + _digest(value), quota)))
        decision = limiter.hit(buckets, now)
        if decision.allowed:
            return None
        return TryLater.at(decision.retry_at or now, now)


class PlanOf(Generic[P]):
    """The :class:`LimitsPlan` of a policy, rebuilt only when the policy object changes.

    ``build`` makes the plan from a policy. The last policy and its plan are kept as one
    pair, replaced whole, so a thread never pairs one policy with another's plan; the
    policy is compared by identity (policies are frozen), and kept, so its identity is
    never another object's. A store whose policy hook answers a new object each time
    only rebuilds the plan each time: the answer is the same.
    """

    __slots__ = ("_build", "_kept")

    def __init__(self, build: Callable[[P], LimitsPlan]) -> None:
        self._build = build
        self._kept: tuple[P | None, LimitsPlan | None] = (None, None)

    def __call__(self, policy: P) -> LimitsPlan:
        kept_policy, plan = self._kept
        if kept_policy is not policy or plan is None:
            plan = self._build(policy)
            self._kept = (policy, plan)
        return plan


def check_limits(
    limiter: RateLimiter, now: datetime, action: str, **scopes: tuple[str, Quota]
) -> TryLater | None:
    """Count one attempt at ``action`` in every scope (``client=(client, quota)``, ...)
    with one call of the limiter; ``TryLater`` if any bucket refused.

    All or nothing (:meth:`RateLimiter.hit`): a refused attempt counts in no bucket, so
    a client over its own limit cannot drain a shopper's identifier or order bucket.
    The action is named once for all its buckets, so no bucket of one door is filed under
    another door's name by a slip of the pen. (A door on a hot path keeps a
    :class:`LimitsPlan` instead: the same keys, without this call's keyword dict.)
    """
    if not scopes:
        return None
    buckets = [
        Bucket(bucket(action, scope, value), quota) for scope, (value, quota) in scopes.items()
    ]
    decision = limiter.hit(buckets, now)
    if decision.allowed:
        return None
    return TryLater.at(decision.retry_at or now, now)
