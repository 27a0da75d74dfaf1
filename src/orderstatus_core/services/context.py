"""What every service needs: the ports and the policies in force."""

from __future__ import annotations

import attrs

from orderstatus_core.policies import LookupPolicy, TrackingUrl, carrier_tracking_url
from orderstatus_core.policies.guest_pass import (
    GuestPassPolicy,
    PassRequired,
    pass_always_required,
)
from orderstatus_core.ports import Clock, Mailer, RateLimiter, Storage

__all__ = ["ServiceContext"]


@attrs.frozen
class ServiceContext:
    """The ports and policies a service runs with. Built once by :class:`OrderStatus`.

    Tests build one directly with fakes (``orderstatus_core.testing.fake_context``).
    """

    storage: Storage
    mailer: Mailer
    rate_limiter: RateLimiter
    clock: Clock
    policy: LookupPolicy = attrs.field(factory=LookupPolicy)
    tracking_url: TrackingUrl = carrier_tracking_url
    #: Lifetimes, tries, link base and limits of the guest pass.
    guest_pass_policy: GuestPassPolicy = attrs.field(factory=GuestPassPolicy)
    #: Whether an action needs a guest pass; ``OrderStatus`` asks the plugins.
    pass_required: PassRequired = pass_always_required
