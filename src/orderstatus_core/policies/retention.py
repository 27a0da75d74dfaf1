"""How long records that are no longer needed are kept before a purge deletes them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs

__all__ = ["REPLY_LIFETIME", "RetentionPolicy"]

#: How long a reply is replayed for its idempotency key (SECURITY G5: 24 h).
REPLY_LIFETIME = timedelta(hours=24)


def _not_negative(_instance: object, attribute: attrs.Attribute[timedelta], value: Any) -> None:
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise ValueError(f"{attribute.name} must be a timedelta of zero or more")


def _replay_window(_instance: object, attribute: attrs.Attribute[timedelta], value: Any) -> None:
    # A shorter retention would delete replies a retried command still needs to replay.
    if not isinstance(value, timedelta) or value < REPLY_LIFETIME:
        raise ValueError(f"{attribute.name} must be a timedelta of at least {REPLY_LIFETIME}")


@attrs.frozen
class RetentionPolicy:
    """What :meth:`OrderStatus.purge <orderstatus_core.OrderStatus.purge>` keeps (SECURITY D5).

    Each period counts back from the moment of the purge. A purge never deletes a message
    not yet delivered, a challenge or pass before it expires, or an idempotent reply its
    key may still replay; the validators refuse periods that would.

    >>> RetentionPolicy().sent_messages.days
    30
    """

    #: How long a delivered message is kept (its secrets are gone already) for its audit:
    #: kind, recipient, times, message id. Counted from its delivery.
    sent_messages: timedelta = attrs.field(default=timedelta(days=30), validator=_not_negative)
    #: How long an expired guest-pass challenge or pass, account token, session or captcha
    #: challenge is kept, counted from its expiry (a plain session's: its idle time-out).
    expired_passes: timedelta = attrs.field(default=timedelta(days=1), validator=_not_negative)
    #: How long an idempotent reply is kept, counted from when it was stored; at least
    #: :data:`REPLY_LIFETIME`.
    idempotent_replies: timedelta = attrs.field(default=REPLY_LIFETIME, validator=_replay_window)
