"""What every service needs: the ports, and the store's policies as one object."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

import attrs

from orderstatus_core.events import DomainEvent
from orderstatus_core.mail import MailRenderer
from orderstatus_core.model import Order
from orderstatus_core.model.requests import Change
from orderstatus_core.policies import LookupPolicy
from orderstatus_core.policies.accounts import AccountPolicy
from orderstatus_core.policies.guest_pass import GuestPassPolicy
from orderstatus_core.policies.passwords import PasswordRules
from orderstatus_core.policies.profile import ProfilePolicy
from orderstatus_core.policies.relay import RelayPolicy
from orderstatus_core.policies.retention import RetentionPolicy
from orderstatus_core.policies.returns import ReturnRules
from orderstatus_core.ports import (
    BreachedPasswords,
    Captcha,
    Clock,
    LabelMaker,
    Mailer,
    PasswordHasher,
    RateLimiter,
    Storage,
    VehicleCatalog,
)

__all__ = ["Closeable", "Policies", "ServiceContext", "close_all"]


class Policies(Protocol):
    """Every question a service asks the store, in one object.

    :class:`~orderstatus_core.plugins.Hooks` implements it by asking the plugins, the
    core's defaults being the built-in plugin, so each rule has one home and a new hook
    changes no service signature. Each method answers what its ``orderstatus_*`` hook
    (``docs/plugins.md``) documents; a plugin's wrong answer raises
    :class:`~orderstatus_core.errors.InvalidFieldError` naming the hook and the plugin.
    """

    def lookup_policy(self) -> LookupPolicy:
        """Rate limits, list and page sizes, phone region and mail language of look-ups."""
        ...

    def guest_pass_policy(self) -> GuestPassPolicy:
        """Lifetimes, tries, link base and rate limits of the guest pass."""
        ...

    def tracking_url(self, carrier: str, tracking_number: str) -> str | None:
        """The public tracking page of a package, or ``None``."""
        ...

    def pass_required(self, action: str) -> bool:
        """Whether a guest needs a verified guest pass for ``action`` (fails closed).

        An action not in ``PASS_ACTIONS`` raises
        :class:`~orderstatus_core.errors.InvalidFieldError`.
        """
        ...

    def cancel_allowed(self, order: Order, now: datetime) -> bool:
        """Whether guests may still cancel units of ``order`` (the cancellation window)."""
        ...

    def change_allowed(self, order: Order, change: Change) -> bool:
        """Whether the store offers this kind of change at all."""
        ...

    def auto_approve_change(self, order: Order, change: Change) -> bool:
        """Whether a possible change is approved at once, without staff."""
        ...

    def publish_event(self, event_id: str, event: DomainEvent) -> None:
        """Hand a domain event to the store's subscribers; raising keeps it pending."""
        ...

    def return_rules(self) -> ReturnRules:
        """The return policy and the store's window, refusal and routing rules."""
        ...

    def retention_policy(self) -> RetentionPolicy:
        """How long a purge keeps what is no longer needed."""
        ...

    def mail_renderer(self) -> MailRenderer:
        """The store's mail templates, catalogs and branding over the core's, ready to render."""
        ...

    def relay_policy(self) -> RelayPolicy:
        """When a failing outbox message becomes a dead letter; a relay worker's lease."""
        ...

    def password_rules(self) -> PasswordRules:
        """What a new password must be: its minimum length."""
        ...

    def account_policy(self) -> AccountPolicy:
        """Lifetimes, limits and the link base of shoppers' accounts."""
        ...

    def profile_policy(self) -> ProfilePolicy:
        """How many saved addresses and vehicles an account keeps."""
        ...


class Closeable(Protocol):
    """Anything the composition root opened and must close: a port adapter."""

    def close(self) -> None:
        """Release what it holds; may be a no-op."""
        ...


def close_all(resources: Iterable[Closeable]) -> None:
    """Close every one of ``resources``, in the order given, even when one fails.

    The first error is raised once all were tried (later ones are attached to it as
    notes), so a storage that fails to close never leaves a Redis pool open behind it.
    """
    first: BaseException | None = None
    for resource in resources:
        try:
            resource.close()
        except BaseException as error:
            if first is None:
                first = error
            else:
                first.add_note(f"also failed to close {type(resource).__name__}: {error!r:.200}")
    if first is not None:
        raise first


@attrs.frozen
class ServiceContext:
    """The ports and policies a service runs with.

    Built by one composition root, :func:`orderstatus_core.bootstrap.bootstrap`, for
    :class:`~orderstatus_core.OrderStatus` and for tests
    (``orderstatus_core.testing.fake_context``) alike.
    """

    storage: Storage
    mailer: Mailer
    rate_limiter: RateLimiter
    clock: Clock
    #: Every store rule a service asks: one object, the plugins' answers.
    policies: Policies
    #: Makes return labels and instructions; ``None`` leaves return papers pending (the
    #: relay reports them failed) until a store configures one.
    label_maker: LabelMaker | None = None
    #: Issues and checks the sign-up captcha; ``None``: sign-up and new captchas raise
    #: :class:`~orderstatus_core.errors.AdapterError` until a store configures one.
    captcha: Captcha | None = None
    #: Hashes and verifies passwords; ``None``: every account command that needs a
    #: password raises :class:`~orderstatus_core.errors.AdapterError`.
    password_hasher: PasswordHasher | None = None
    #: The store's check of new passwords against breaches; ``None``: only the shipped
    #: common-password list is checked.
    breached_passwords: BreachedPasswords | None = None
    #: The store's vehicle catalog for the garage; ``None``: every plausible vehicle is
    #: listed (:class:`~orderstatus_core.policies.vehicles.PlausibleVehicles`).
    vehicle_catalog: VehicleCatalog | None = None
    #: What the composition root opened from URLs, in opening order; :meth:`close` closes
    #: these (and never an object the caller passed in, which the caller owns).
    opened: tuple[Closeable, ...] = ()

    def close(self) -> None:
        """Close what was opened for this context, newest first, even if one close fails
        (the first error is raised after the rest were closed)."""
        close_all(reversed(self.opened))
