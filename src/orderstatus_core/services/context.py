"""What every service needs: the ports and the policies in force."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import attrs

from orderstatus_core.errors import AdapterError
from orderstatus_core.events import DomainEvent
from orderstatus_core.model import Order
from orderstatus_core.model.requests import Change
from orderstatus_core.policies import LookupPolicy, TrackingUrl, carrier_tracking_url
from orderstatus_core.policies.guest_pass import (
    GuestPassPolicy,
    PassRequired,
    pass_always_required,
)
from orderstatus_core.policies.retention import RetentionPolicy
from orderstatus_core.policies.returns import ReturnRules
from orderstatus_core.ports import Clock, LabelMaker, Mailer, RateLimiter, Storage

__all__ = [
    "AutoApprove",
    "CancelAllowed",
    "ChangeAllowed",
    "Publish",
    "ServiceContext",
    "always",
    "no_subscribers",
    "staff_decide",
]

#: ``(order, now) -> may guests cancel?``
CancelAllowed = Callable[[Order, datetime], bool]
#: ``(order, change) -> is this kind of change offered?``
ChangeAllowed = Callable[[Order, Change], bool]
#: ``(order, change) -> approve at once?``
AutoApprove = Callable[[Order, Change], bool]
#: ``(event_id, event) -> None``; raising keeps the event pending.
Publish = Callable[[str, DomainEvent], None]


def always(_order: Order, _subject: object) -> bool:
    """The default of the cancellation-window and offered-change policies: yes."""
    return True


def staff_decide(_order: Order, _change: Change) -> bool:
    """The default: no change is approved without staff."""
    return False


def no_subscribers(_event_id: str, event: DomainEvent) -> None:
    """The default: nobody listens, so the event stays pending (a forgotten payment plugin
    must not lose refunds); the relay retries it with back-off."""
    raise AdapterError(
        f"no orderstatus_domain_event subscriber for {type(event).__name__}; it stays pending"
    )


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
    #: Whether guests may cancel the order now (the cancellation window).
    cancel_allowed: CancelAllowed = always
    #: Whether the store offers a kind of change at all.
    change_allowed: ChangeAllowed = always
    #: Whether a possible change is approved at once; ``OrderStatus`` asks the plugins.
    auto_approve_change: AutoApprove = staff_decide
    #: Hands a domain event and its stable id to the store's subscribers (the relay calls
    #: it); ``OrderStatus`` calls the ``orderstatus_domain_event`` hook.
    publish: Publish = no_subscribers
    #: The return rules: the policy and the store's window, refusal and routing hooks.
    returns: ReturnRules = attrs.field(factory=ReturnRules)
    #: Makes return labels and instructions; ``None`` leaves return papers pending (the
    #: relay reports them failed) until a store configures one.
    label_maker: LabelMaker | None = None
    #: How long a purge keeps what is no longer needed; ``OrderStatus`` asks the plugins.
    retention: RetentionPolicy = attrs.field(factory=RetentionPolicy)
