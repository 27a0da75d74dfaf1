"""Checking several rate-limit buckets at once, with privacy-preserving keys."""

from __future__ import annotations

import hashlib
from datetime import datetime

from orderstatus_core.policies.limits import Quota
from orderstatus_core.ports import RateLimiter
from orderstatus_core.services.results import TryLater

__all__ = ["bucket", "check_limits"]


def bucket(action: str, scope: str, value: str) -> str:
    """A rate-limit key. The value is hashed: keys stay short, whatever was typed, and a
    shared limiter (Redis) never holds an email address or phone number in clear."""
    digest = hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=12)
    return f"{action}:{scope}:{digest.hexdigest()}"


def check_limits(
    limiter: RateLimiter, now: datetime, action: str, **scopes: tuple[str, Quota]
) -> TryLater | None:
    """Hit ``action``'s bucket in every scope (``client=(client, quota)``, ...); ``TryLater``
    with the latest retry time if any refused.

    The action is named once for all its buckets, so no bucket of one door is filed under
    another door's name by a slip of the pen.
    """
    retry_at: datetime | None = None
    for scope, (value, quota) in scopes.items():
        decision = limiter.hit(bucket(action, scope, value), quota, now)
        if not decision.allowed:
            at = decision.retry_at or now
            retry_at = at if retry_at is None else max(retry_at, at)
    return None if retry_at is None else TryLater.at(retry_at, now)
