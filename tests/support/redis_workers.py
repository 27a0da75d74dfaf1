"""What the cross-process tests run in spawned processes (``spawn`` imports this module by
name, so everything a process needs is defined at module level)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from orderstatus_core import Bucket, Quota
from orderstatus_redis import RedisRateLimiter

#: The moment every process passes as ``now``: one shared budget needs one shared clock.
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
#: The quota every process hits the shared key with.
QUOTA = Quota(10, timedelta(minutes=1))
#: How long a process waits for the others at the start line, in seconds.
PATIENCE = 30.0


def hammer(url: str, key: str, hits: int, start: Any, results: Any) -> None:
    """Wait at ``start`` (a barrier), hit ``key`` ``hits`` times, put ``(pid, allowed)``
    on ``results`` (or ``(pid, repr(error))`` if anything failed)."""
    limiter = RedisRateLimiter.from_url(url)
    try:
        limiter.hit([Bucket("warm-up", QUOTA)], T0)  # connect before the start line, not after it
        start.wait(PATIENCE)
        allowed = sum(limiter.hit([Bucket(key, QUOTA)], T0).allowed for _ in range(hits))
        results.put((os.getpid(), allowed))
    except Exception as error:  # reported to the test, which fails with it
        results.put((os.getpid(), repr(error)))
    finally:
        limiter.close()
