"""Fakes for the ports, and a :class:`~orderstatus_core.ServiceContext` built from them.

>>> clock = FixedClock()
>>> ctx = fake_context(clock=clock)
>>> clock.advance(timedelta(minutes=5))
>>> ctx.clock.now() - FixedClock.START
datetime.timedelta(seconds=300)

The storage and rate limiter of :func:`fake_context` are the reference ``memory://``
adapters, opened through the adapter registry like any other adapter (the core never
imports an adapter by name).
"""

from __future__ import annotations

import functools
import threading
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from orderstatus_core.errors import MailDeliveryError
from orderstatus_core.model.order import utc
from orderstatus_core.plugins import AdapterRegistry, Hooks, get_plugin_manager
from orderstatus_core.policies import LookupPolicy, Quota, RateDecision
from orderstatus_core.ports import Clock, Mailer, OutgoingMail, RateLimiter, Storage
from orderstatus_core.services.context import ServiceContext

__all__ = [
    "CountingRateLimiter",
    "FailingMailer",
    "FixedClock",
    "RecordingMailer",
    "fake_context",
]


class FixedClock:
    """A :class:`~orderstatus_core.Clock` that stands still until a test moves it.

    >>> clock = FixedClock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
    >>> clock.advance(timedelta(hours=1))
    >>> clock.now().hour
    13
    """

    #: Where a clock starts unless told otherwise: a fixed, ordinary moment.
    START: ClassVar[datetime] = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    def __init__(self, start: datetime | None = None) -> None:
        self._now = utc(self.START if start is None else start)

    def now(self) -> datetime:
        """The time the clock shows, in UTC."""
        return self._now

    def set(self, moment: datetime) -> None:
        """Move the clock to ``moment`` (timezone-aware; backwards is allowed)."""
        self._now = utc(moment)

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta`` (a negative ``delta`` moves it back)."""
        self._now = self._now + delta


class RecordingMailer:
    """A :class:`~orderstatus_core.Mailer` that keeps every mail it is given, in order."""

    def __init__(self) -> None:
        #: Every mail sent, oldest first.
        self.sent: list[OutgoingMail] = []

    def send(self, mail: OutgoingMail) -> None:
        """Keep ``mail``."""
        self.sent.append(mail)

    def sent_to(self, address: str) -> list[OutgoingMail]:
        """The mails whose recipient is exactly ``address``."""
        return [mail for mail in self.sent if mail.to == address]


class FailingMailer:
    """A :class:`~orderstatus_core.Mailer` whose server is down: every send raises.

    Counts the attempts so a test can check retries and back-off (SECURITY A3).
    """

    def __init__(self, reason: str = "the mail server is unreachable") -> None:
        self.reason = reason
        #: How many times :meth:`send` was called.
        self.calls = 0
        #: The mails it was asked to send, oldest first.
        self.attempted: list[OutgoingMail] = []

    def send(self, mail: OutgoingMail) -> None:
        """Count the attempt and raise :class:`~orderstatus_core.MailDeliveryError`."""
        self.calls += 1
        self.attempted.append(mail)
        raise MailDeliveryError(self.reason)


class CountingRateLimiter:
    """Wraps a :class:`~orderstatus_core.RateLimiter` and records every ``(key, quota)`` hit.

    The recorded calls are what the enumeration oracle of SECURITY compares: a look-up of
    an existing and of a missing identifier must hit the limiter the same way.
    :meth:`shape` gives that comparison without the parts that *should* differ.
    """

    def __init__(self, inner: RateLimiter) -> None:
        self.inner = inner
        #: Every hit, oldest first, as ``(key, quota)``.
        self.calls: list[tuple[str, Quota]] = []
        self._lock = threading.Lock()

    def hit(self, key: str, quota: Quota, now: datetime) -> RateDecision:
        """Record the hit, then ask the wrapped limiter."""
        with self._lock:
            self.calls.append((key, quota))
        return self.inner.hit(key, quota, now)

    def shape(self) -> tuple[tuple[str, int, Quota], ...]:
        """The calls with each key reduced to its bucket name and first-use position.

        A key written ``action:scope:digest`` (the services' form) becomes
        ``action:scope``; the digest of what was typed is replaced by the position at which
        the key first appeared, so two look-ups with different identifiers give equal shapes
        exactly when they hit the same buckets, in the same order, with the same quotas and
        the same pattern of repeated keys.
        """
        first_use: dict[str, int] = {}
        shape: list[tuple[str, int, Quota]] = []
        for key, quota in self.calls:
            position = first_use.setdefault(key, len(first_use))
            bucket = key.rpartition(":")[0] if ":" in key else ""
            shape.append((bucket, position, quota))
        return tuple(shape)

    def reset(self) -> None:
        """Forget the recorded calls (the wrapped limiter keeps its counts)."""
        with self._lock:
            self.calls.clear()


@functools.cache
def _registry() -> AdapterRegistry:
    # Built once per process: loading the installed plugins is the slow part.
    return Hooks(get_plugin_manager()).adapter_registry()


def fake_context(
    storage: Storage | None = None,
    *,
    mailer: Mailer | None = None,
    rate_limiter: RateLimiter | None = None,
    clock: Clock | None = None,
    policy: LookupPolicy | None = None,
) -> ServiceContext:
    """A :class:`~orderstatus_core.ServiceContext` for tests; give only what matters.

    Defaults: a new, migrated ``memory://`` storage, a :class:`RecordingMailer`, a
    ``memory://`` rate limiter, a :class:`FixedClock` at :attr:`FixedClock.START` and the
    default :class:`~orderstatus_core.LookupPolicy`.

    >>> ctx = fake_context()
    >>> ctx.mailer.sent
    []
    """
    if storage is None:
        storage = _registry().open_storage("memory://")
        storage.migrate()
    return ServiceContext(
        storage=storage,
        mailer=RecordingMailer() if mailer is None else mailer,
        rate_limiter=_registry().open_rate_limiter("memory://")
        if rate_limiter is None
        else rate_limiter,
        clock=FixedClock() if clock is None else clock,
        policy=LookupPolicy() if policy is None else policy,
    )
