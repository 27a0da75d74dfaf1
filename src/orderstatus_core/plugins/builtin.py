"""The core's default policies, registered like any other plugin."""

from __future__ import annotations

from orderstatus_core.plugins.hookspecs import hookimpl
from orderstatus_core.policies.lookup import LookupPolicy
from orderstatus_core.policies.tracking import carrier_tracking_url

__all__ = ["orderstatus_lookup_policy", "orderstatus_tracking_url"]


@hookimpl(trylast=True)
def orderstatus_lookup_policy() -> LookupPolicy:
    """The documented defaults."""
    return LookupPolicy()


@hookimpl(trylast=True)
def orderstatus_tracking_url(carrier: str, tracking_number: str) -> str | None:
    """Tracking pages of the big carriers."""
    return carrier_tracking_url(carrier, tracking_number)
