"""The return rules: what may come back, where it goes, what it pays back, and each step
of an RMA package from request to refund (DOMAIN.md section 3).

Pure functions over the :class:`~orderstatus_core.model.Order` aggregate: time, the
store's rules (:class:`ReturnRules`, built from the ``orderstatus_return_*`` hooks) and
label quotes arrive as arguments. A step that is not possible raises
:class:`~orderstatus_core.errors.ActionRefusedError` with a stable code; what a shopper
cannot return is not an error but a :class:`ReturnRefusal` in :class:`ReturnOptions`, so a
front-end can show *why* next to each part.

The refund of a return is computed once, for the preview, by the same rule as every other
refund (:func:`~orderstatus_core.policies.refunds.refund_for_units`, so it never exceeds
what was paid); the refund finally issued for a fully accepted package is that preview,
capped by what is left to refund and with the label deducted at no more than its quote.

The rules live in four private modules, one per question: ``_rules`` (the store's policy,
windows and the hooks it wraps), ``_eligibility`` (what may come back), ``_plan`` (the
shopper's draft, routing and the refund preview) and ``_rma`` (the RMA package's steps,
which all consult one table, :data:`RMA_TRANSITIONS`). Import from here.
"""

from orderstatus_core.policies.returns._eligibility import (
    ReturnableLine,
    ReturnOptions,
    cancelled_but_shipped,
    cores_claimed,
    return_options,
)
from orderstatus_core.policies.returns._plan import (
    PlannedPackage,
    ReturnDraft,
    ReturnPlan,
    plan_return,
    route_units,
)
from orderstatus_core.policies.returns._rma import (
    RMA_TRANSITIONS,
    RmaStep,
    RmaTransition,
    authorize_return,
    deny_return,
    enter_own_tracking,
    inspect_package,
    mark_in_transit,
    receive_package,
    record_label,
    request_return,
    rma_number,
    settle_package,
)
from orderstatus_core.policies.returns._rules import (
    EXAMPLE_RETURNS_CENTER,
    ReturnPolicy,
    ReturnRefusal,
    ReturnRules,
    WindowStart,
    add_months,
    default_route,
)

__all__ = [
    "EXAMPLE_RETURNS_CENTER",
    "RMA_TRANSITIONS",
    "PlannedPackage",
    "ReturnDraft",
    "ReturnOptions",
    "ReturnPlan",
    "ReturnPolicy",
    "ReturnRefusal",
    "ReturnRules",
    "ReturnableLine",
    "RmaStep",
    "RmaTransition",
    "WindowStart",
    "add_months",
    "authorize_return",
    "cancelled_but_shipped",
    "cores_claimed",
    "default_route",
    "deny_return",
    "enter_own_tracking",
    "inspect_package",
    "mark_in_transit",
    "plan_return",
    "receive_package",
    "record_label",
    "request_return",
    "return_options",
    "rma_number",
    "route_units",
    "settle_package",
]
