"""How the outbox relay treats a message that keeps failing, and how long a worker holds one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs

__all__ = ["RelayPolicy"]


def _attempts(_instance: object, attribute: attrs.Attribute[int], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise ValueError(f"{attribute.name} must be a whole number from 1 to 1000")


def _lease(_instance: object, attribute: attrs.Attribute[timedelta], value: Any) -> None:
    # Under a second, a worker's lease could end while it still sends the first message.
    if not isinstance(value, timedelta) or not timedelta(seconds=1) <= value <= timedelta(days=1):
        raise ValueError(f"{attribute.name} must be a timedelta from 1 second to 1 day")


@attrs.frozen
class RelayPolicy:
    """What the outbox relay (``orderstatus relay``, :meth:`OrderStatus.relay_outbox
    <orderstatus_core.OrderStatus.relay_outbox>`) does with failures, and its lease.

    A message that failed ``max_attempts`` times, or failed for good at once (a mail server's
    5xx, a mail that cannot be rendered, return papers whose input is invalid), becomes a
    dead letter: it is never tried again until staff retry it (``orderstatus outbox
    --retry``). Between failures the relay waits 1 minute, doubling up to 6 hours.

    >>> RelayPolicy().max_attempts, RelayPolicy().lease.seconds
    (10, 300)
    """

    #: Failed attempts after which a message becomes a dead letter.
    max_attempts: int = attrs.field(default=10, validator=_attempts)
    #: How long a worker holds the messages it took: a worker that dies leaves them to the
    #: others when it ends. Longer than any batch takes to send, or a slow batch is sent
    #: twice; short enough that mail waits no longer than that after a crash.
    lease: timedelta = attrs.field(default=timedelta(minutes=5), validator=_lease)
