"""The core's default policies, registered like any other plugin."""

from __future__ import annotations

from datetime import datetime

from orderstatus_core.mail import MailTemplates
from orderstatus_core.model import Order
from orderstatus_core.model.requests import Change
from orderstatus_core.plugins.hookspecs import hookimpl
from orderstatus_core.policies.accounts import AccountPolicy
from orderstatus_core.policies.guest_pass import GuestPassPolicy
from orderstatus_core.policies.lookup import LookupPolicy
from orderstatus_core.policies.passwords import PasswordRules
from orderstatus_core.policies.profile import ProfilePolicy
from orderstatus_core.policies.relay import RelayPolicy
from orderstatus_core.policies.retention import RetentionPolicy
from orderstatus_core.policies.returns import ReturnPolicy
from orderstatus_core.policies.tracking import carrier_tracking_url

__all__ = [
    "orderstatus_account_policy",
    "orderstatus_auto_approve_change",
    "orderstatus_cancel_allowed",
    "orderstatus_change_allowed",
    "orderstatus_guest_pass_policy",
    "orderstatus_lookup_policy",
    "orderstatus_mail_templates",
    "orderstatus_pass_required",
    "orderstatus_password_rules",
    "orderstatus_profile_policy",
    "orderstatus_relay_policy",
    "orderstatus_retention_policy",
    "orderstatus_return_policy",
    "orderstatus_tracking_url",
]


@hookimpl(trylast=True)
def orderstatus_lookup_policy() -> LookupPolicy:
    """The documented defaults."""
    return LookupPolicy()


@hookimpl(trylast=True)
def orderstatus_account_policy() -> AccountPolicy:
    """The documented defaults."""
    return AccountPolicy()


@hookimpl(trylast=True)
def orderstatus_profile_policy() -> ProfilePolicy:
    """The documented defaults."""
    return ProfilePolicy()


@hookimpl(trylast=True)
def orderstatus_password_rules() -> PasswordRules:
    """The documented defaults: at least 15 code points."""
    return PasswordRules()


@hookimpl(trylast=True)
def orderstatus_tracking_url(carrier: str, tracking_number: str) -> str | None:
    """Tracking pages of the big carriers."""
    return carrier_tracking_url(carrier, tracking_number)


@hookimpl(trylast=True)
def orderstatus_guest_pass_policy() -> GuestPassPolicy:
    """The documented defaults."""
    return GuestPassPolicy()


@hookimpl(trylast=True)
def orderstatus_pass_required(action: str) -> bool:
    """Strict: every guest action needs a guest pass."""
    return True


@hookimpl(trylast=True)
def orderstatus_auto_approve_change(order: Order, change: Change) -> bool:
    """Staff decide every change."""
    return False


@hookimpl(trylast=True)
def orderstatus_cancel_allowed(order: Order, now: datetime) -> bool:
    """No window: the units' own state decides."""
    return True


@hookimpl(trylast=True)
def orderstatus_change_allowed(order: Order, change: Change) -> bool:
    """Every typed change is offered."""
    return True


@hookimpl(trylast=True)
def orderstatus_relay_policy() -> RelayPolicy:
    """The documented defaults."""
    return RelayPolicy()


@hookimpl(trylast=True)
def orderstatus_retention_policy() -> RetentionPolicy:
    """The documented defaults."""
    return RetentionPolicy()


@hookimpl(trylast=True)
def orderstatus_return_policy() -> ReturnPolicy:
    """The documented defaults."""
    return ReturnPolicy()


@hookimpl(trylast=True)
def orderstatus_mail_templates() -> MailTemplates:
    """The core's templates, English and Finnish catalogs and default branding."""
    return MailTemplates.builtin()
