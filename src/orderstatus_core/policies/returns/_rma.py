"""The RMA package's steps, from the shopper's request to the refund: which step is allowed
from which state is one table, :data:`RMA_TRANSITIONS`, that every step consults (and
docs/returns.md shows), so a state's refusal reads the same whichever step was tried.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs

from orderstatus_core.errors import ActionRefusedError, InvalidFieldError
from orderstatus_core.model import Money, Order
from orderstatus_core.model.requests import Refund
from orderstatus_core.model.returns import (
    RefundMethod,
    RefundPreview,
    ReturnKind,
    ReturnRequest,
    RmaPackage,
    RmaState,
    ShipBy,
)
from orderstatus_core.policies.returns._plan import ReturnPlan, _base_refund, _preview
from orderstatus_core.policies.returns._rules import ReturnPolicy

__all__ = [
    "RMA_TRANSITIONS",
    "RmaStep",
    "RmaTransition",
    "authorize_return",
    "deny_return",
    "enter_own_tracking",
    "inspect_package",
    "mark_in_transit",
    "receive_package",
    "record_label",
    "request_return",
    "rma_number",
    "settle_package",
]


# --- the table of steps ------------------------------------------------------------------------


class RmaStep(enum.StrEnum):
    """A step that moves an RMA package on, named after the function that takes it."""

    AUTHORIZE = "authorize_return"
    DENY = "deny_return"
    ENTER_OWN_TRACKING = "enter_own_tracking"
    MARK_IN_TRANSIT = "mark_in_transit"
    RECEIVE = "receive_package"
    INSPECT = "inspect_package"
    SETTLE = "settle_package"


@attrs.frozen
class RmaTransition:
    """The states a step may start from, and the states it may leave the package in (the
    step's own arguments pick one: inspection that accepts nothing rejects, a settlement
    refunds, credits or replaces)."""

    from_states: frozenset[RmaState]
    to_states: frozenset[RmaState]


_S = RmaState

#: Every step's allowed states: a step tried from any other state is refused with the code
#: ``rma_<state>``. Recording a label is not a step: it leaves the state as it is.
RMA_TRANSITIONS: Mapping[RmaStep, RmaTransition] = MappingProxyType(
    {
        RmaStep.AUTHORIZE: RmaTransition(
            frozenset({_S.REQUESTED}), frozenset({_S.AWAITING_SHIPMENT})
        ),
        RmaStep.DENY: RmaTransition(frozenset({_S.REQUESTED}), frozenset({_S.REJECTED})),
        RmaStep.ENTER_OWN_TRACKING: RmaTransition(
            frozenset({_S.AWAITING_SHIPMENT}), frozenset({_S.IN_TRANSIT})
        ),
        RmaStep.MARK_IN_TRANSIT: RmaTransition(
            frozenset({_S.AWAITING_SHIPMENT}), frozenset({_S.IN_TRANSIT})
        ),
        RmaStep.RECEIVE: RmaTransition(
            frozenset({_S.AWAITING_SHIPMENT, _S.IN_TRANSIT}), frozenset({_S.RECEIVED})
        ),
        RmaStep.INSPECT: RmaTransition(
            frozenset({_S.RECEIVED}), frozenset({_S.INSPECTED, _S.REJECTED})
        ),
        RmaStep.SETTLE: RmaTransition(
            frozenset({_S.INSPECTED}), frozenset({_S.REFUNDED, _S.CREDITED, _S.REPLACED})
        ),
    }
)


# --- the shopper's request -------------------------------------------------------------------


def rma_number(order: Order, sequence: int) -> str:
    """The RMA number of an order's ``sequence``-th return package: ``R<order>-<n>``.

    Order numbers are unique, so RMA numbers are too, without a counter in storage.
    """
    return f"R{order.number}-{sequence}"


def request_return(
    order: Order, plan: ReturnPlan, return_id: str, policy: ReturnPolicy, now: datetime
) -> tuple[Order, ReturnRequest]:
    """Record ``plan`` as a return on the order, each package with its RMA number.

    Kinds the policy leaves to staff start ``requested``; the others may ship at once.
    """
    if any(r.return_id == return_id for r in order.returns):
        raise ActionRefusedError("duplicate_return", f"return {return_id} exists")
    taken = sum(len(r.packages) for r in order.returns)
    state = (
        RmaState.REQUESTED
        if plan.draft.kind in policy.staff_authorize
        else RmaState.AWAITING_SHIPMENT
    )
    packages = tuple(
        RmaPackage(
            rma_number=rma_number(order, taken + index + 1),
            destination=p.destination,
            units=p.units,
            preview=p.preview,
            state=state,
            label_quote=p.label_quote,
        )
        for index, p in enumerate(plan.packages)
    )
    draft = plan.draft
    request = ReturnRequest(
        return_id=return_id,
        kind=draft.kind,
        reason=draft.reason,
        ship_by=draft.ship_by,
        refund_method=draft.refund_method,
        requested_at=now,
        packages=packages,
        language=draft.language,
        comment=draft.comment,
    )
    return order.changed(returns=(*order.returns, request)), request


# --- the store's steps ------------------------------------------------------------------------


def _find(order: Order, rma: str) -> tuple[ReturnRequest, int, RmaPackage]:
    try:
        request, index = order.rma(rma)
    except KeyError:
        raise ActionRefusedError(
            "unknown_rma", f"order {order.number} has no RMA {str(rma)[:40]}"
        ) from None
    return request, index, request.packages[index]


def _put(
    order: Order, request: ReturnRequest, index: int, package: RmaPackage, **fields: Any
) -> Order:
    packages = list(request.packages)
    packages[index] = attrs.evolve(package, **fields)
    changed = attrs.evolve(request, packages=tuple(packages))
    returns = tuple(changed if r.return_id == request.return_id else r for r in order.returns)
    return order.changed(returns=returns)


def _allow(step: RmaStep, package: RmaPackage) -> None:
    """Refuse ``step`` unless :data:`RMA_TRANSITIONS` allows it from the package's state."""
    if package.state not in RMA_TRANSITIONS[step].from_states:
        raise ActionRefusedError(
            f"rma_{package.state.value}",
            f"RMA {package.rma_number} is {package.state.value.replace('_', ' ')}",
        )


def authorize_return(order: Order, rma: str, at: datetime) -> Order:
    """Staff let a package wait for shipment (a warranty claim, by default)."""
    request, index, package = _find(order, rma)
    _allow(RmaStep.AUTHORIZE, package)
    return _put(order, request, index, package, state=RmaState.AWAITING_SHIPMENT)


def deny_return(order: Order, rma: str, at: datetime, note: str | None = None) -> Order:
    """Staff refuse a package still waiting for authorisation; nothing comes back."""
    request, index, package = _find(order, rma)
    _allow(RmaStep.DENY, package)
    return _put(order, request, index, package, state=RmaState.REJECTED, settled_at=at, note=note)


def record_label(
    order: Order,
    rma: str,
    carrier: str,
    tracking_number: str | None,
    cost: Money,
    at: datetime,
) -> Order:
    """Record a generated label on its package. A second label (a retried job) keeps the
    first one's record: the order does not change."""
    request, index, package = _find(order, rma)
    if package.label_made_at is not None:
        return order
    return _put(
        order,
        request,
        index,
        package,
        label_cost=cost,
        label_made_at=at,
        carrier=carrier,
        tracking_number=tracking_number,
    )


def enter_own_tracking(
    order: Order, rma: str, carrier: str, tracking_number: str, at: datetime
) -> Order:
    """The shopper shipped the package themselves: it is in transit under their tracking
    number (already parsed and check-digit validated by the caller)."""
    request, index, package = _find(order, rma)
    if request.ship_by is not ShipBy.OWN_TRACKING:
        raise ActionRefusedError("label_provided", f"RMA {rma} travels on the store's label")
    _allow(RmaStep.ENTER_OWN_TRACKING, package)
    return _put(
        order,
        request,
        index,
        package,
        state=RmaState.IN_TRANSIT,
        carrier=carrier,
        tracking_number=tracking_number,
        shipped_at=at,
    )


def mark_in_transit(order: Order, rma: str, at: datetime) -> Order:
    """The carrier scanned the package's label."""
    request, index, package = _find(order, rma)
    _allow(RmaStep.MARK_IN_TRANSIT, package)
    return _put(order, request, index, package, state=RmaState.IN_TRANSIT, shipped_at=at)


def receive_package(order: Order, rma: str, at: datetime) -> Order:
    """The destination received the package. Nothing is refunded yet."""
    request, index, package = _find(order, rma)
    _allow(RmaStep.RECEIVE, package)
    return _put(order, request, index, package, state=RmaState.RECEIVED, received_at=at)


def inspect_package(
    order: Order, rma: str, accepted: Mapping[int, int], at: datetime, note: str | None = None
) -> Order:
    """Accept some units of a received package (line number: quantity; a line left out is
    rejected). Accepted parts count as returned on their lines; nothing accepted rejects
    the package."""
    request, index, package = _find(order, rma)
    _allow(RmaStep.INSPECT, package)
    if not isinstance(accepted, Mapping):
        raise InvalidFieldError("accepted", "must map line numbers to quantities")
    unknown = set(accepted) - {u.line_no for u in package.units}
    if unknown:
        raise ActionRefusedError("unknown_line", f"RMA {rma} holds no line {min(unknown)}")
    units = []
    for u in package.units:
        count = accepted.get(u.line_no, 0)
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= u.quantity:
            raise ActionRefusedError(
                "bad_quantity", f"line {u.line_no}: accept 0 to {u.quantity} units"
            )
        units.append(attrs.evolve(u, accepted=count))
    nothing = not any(u.accepted for u in units)
    state = RmaState.REJECTED if nothing else RmaState.INSPECTED
    changed = _put(
        order,
        request,
        index,
        package,
        units=tuple(units),
        state=state,
        inspected_at=at,
        settled_at=at if nothing else None,
        note=note,
    )
    if request.kind is ReturnKind.CORE:
        return changed
    # The old version is the base: _put bumped the version once, keep it one step.
    lines = tuple(
        attrs.evolve(line, returned=line.returned + accepted.get(line.line_no, 0))
        for line in changed.lines
    )
    return attrs.evolve(changed, lines=lines)


def _capped(order: Order, preview: RefundPreview) -> RefundPreview:
    """``preview`` with each part capped by what is left to refund of it."""
    done = {
        name: sum((getattr(r, name).amount for r in order.refunds), Decimal(0))
        for name in ("parts", "cores", "shipping", "tax")
    }
    paid = {
        "parts": order.subtotal.amount,
        "cores": order.core_charges.amount,
        "shipping": order.shipping.amount,
        "tax": order.tax.amount,
    }
    left = {name: max(Decimal(0), paid[name] - done[name]) for name in paid}
    amounts = {name: min(getattr(preview, name).amount, left[name]) for name in paid}
    gross = sum(amounts.values(), Decimal(0))
    restocking = min(preview.restocking_fee.amount, gross)
    label = min(preview.label_deduction.amount, gross - restocking)
    currency = order.currency
    return RefundPreview(
        Money(amounts["parts"], currency),
        Money(amounts["cores"], currency),
        Money(amounts["shipping"], currency),
        Money(amounts["tax"], currency),
        Money(label, currency),
        Money(restocking, currency),
    )


def settle_package(
    order: Order,
    rma: str,
    refund_id: str,
    at: datetime,
    policy: ReturnPolicy,
    *,
    replace: bool = False,
) -> tuple[Order, Refund | None]:
    """Settle an inspected package: refund (to the payment or to store credit, as the
    shopper chose) or, for a warranty claim with ``replace``, send new parts instead.

    A fully accepted package refunds its preview; a partly accepted one is previewed again
    for the accepted units, and so is one some of whose units' price or deposit went back
    (or was claimed by a core return) since it was requested. The label deduction is never
    more than the quote, nor more than the label finally cost.
    """
    request, index, package = _find(order, rma)
    _allow(RmaStep.SETTLE, package)
    if replace:
        if request.kind is not ReturnKind.WARRANTY:
            raise ActionRefusedError(
                "not_warranty", "only a warranty claim is settled by replacement"
            )
        return _put(order, request, index, package, state=RmaState.REPLACED, settled_at=at), None
    accepted = package.accepted
    quote = package.label_quote
    if quote is not None and package.label_cost is not None:
        quote = min(quote, package.label_cost)
    # The package pays the deposits it claimed when requested (no later return could
    # take them); one recorded before returns kept their claims is reckoned as it stands.
    claimed = {u.line_no: u.deposits for u in package.units if u.deposits is not None}
    base = _base_refund(
        order,
        request.kind,
        request.reason,
        accepted,
        at,
        refund_id,
        rma,
        claimed if len(claimed) == len(package.units) else None,
    )
    # The preview was reckoned when the return was requested. Since then another refund
    # may have paid back some of these units' price, or (for a return recorded before
    # claims were kept) an open core return claimed their deposit: the preview would pay
    # those again (behind the order-wide caps), so the units are reckoned again as they
    # stand now.
    stale = base.parts < package.preview.parts or base.cores < package.preview.cores
    if package.fully_accepted and quote == package.label_quote and not stale:
        preview = package.preview
    else:
        preview = _preview(base, request.kind, request.reason, quote, policy)
    preview = _capped(order, preview)
    refund = attrs.evolve(
        base,
        parts=preview.parts,
        cores=preview.cores,
        shipping=preview.shipping,
        tax=preview.tax,
        core_units=base.core_units if preview.cores.amount else (),
        label_fee=preview.label_deduction if preview.label_deduction.amount else None,
        restocking_fee=preview.restocking_fee if preview.restocking_fee.amount else None,
        to_store_credit=request.refund_method is RefundMethod.STORE_CREDIT,
    )
    state = RmaState.CREDITED if refund.to_store_credit else RmaState.REFUNDED
    changed = _put(order, request, index, package, state=state, settled_at=at, refund_id=refund_id)
    return attrs.evolve(changed, refunds=(*changed.refunds, refund)), refund
