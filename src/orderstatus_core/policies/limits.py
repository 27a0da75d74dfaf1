"""Rate-limit values shared by the lookup policy and the :class:`RateLimiter` port."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

import attrs

__all__ = ["Bucket", "Quota", "RateDecision"]


_MICROSECOND = timedelta(microseconds=1)


def _micros(quota: Quota) -> int:
    # Worked out before the validators run: they refuse a period that is not a timedelta.
    period = quota.period
    return period // _MICROSECOND if isinstance(period, timedelta) else 0


@attrs.frozen
class Quota:
    """At most ``limit`` hits per ``period`` for one key (a burst of ``limit`` allowed)."""

    limit: int = attrs.field(validator=attrs.validators.ge(1))
    period: timedelta = attrs.field(validator=attrs.validators.gt(timedelta(0)))
    #: ``period`` in whole microseconds (its resolution), worked out once: the limiters
    #: count in microseconds, and dividing a ``timedelta`` on every hit of every bucket
    #: cost a tenth of a find-order's rate limiting.
    period_micros: int = attrs.field(
        init=False, eq=False, repr=False, default=attrs.Factory(_micros, takes_self=True)
    )


class Bucket(NamedTuple):
    """One rate-limit bucket that a call counts against: a ``key`` and its ``quota``.

    A guest's attempt is counted in several buckets at once (per client, per identifier,
    per order number); :meth:`~orderstatus_core.RateLimiter.hit` takes them together.

    A named tuple, immutable like the model's values: every look-up builds three, and a
    tuple is built at a fraction of what a frozen attrs class's ``__init__`` costs
    (``bench/RESULTS.md``, issue 11).
    """

    key: str
    quota: Quota


@attrs.frozen
class RateDecision:
    """The answer of a rate limiter: allowed, or refused until ``retry_at``."""

    allowed: bool
    retry_at: datetime | None = None
