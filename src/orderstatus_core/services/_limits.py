"""Checking several rate-limit buckets at once, with privacy-preserving keys."""

from __future__ import annotations

import hashlib
from datetime import datetime

from orderstatus_core.policies.limits import Bucket, Quota
from orderstatus_core.ports import RateLimiter
from orderstatus_core.services.results import TryLater

__all__ = ["bucket", "check_limits"]


def bucket(action: str, scope: str, value: str) -> str:
    """A rate-limit bucket's key. The value is hashed: keys stay short, whatever was typed,
    and a shared limiter (Redis) never holds an email address or phone number in clear."""
    digest = hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=12)
    return f"{action}:{scope}:{digest.hexdigest()}"


def check_limits(
    limiter: RateLimiter, now: datetime, action: str, **scopes: tuple[str, Quota]
) -> TryLater | None:
    """Count one attempt at ``action`` in every scope (``client=(client, quota)``, ...)
    with one call of the limiter; ``TryLater`` if any bucket refused.

    All or nothing (:meth:`RateLimiter.hit`): a refused attempt counts in no bucket, so
    a client over its own limit cannot drain a shopper's identifier or order bucket.
    The action is named once for all its buckets, so no bucket of one door is filed under
    another door's name by a slip of the pen.
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
