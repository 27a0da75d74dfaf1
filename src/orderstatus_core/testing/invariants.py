"""The invariants every stored order keeps, whatever happened to it (DOMAIN.md sections 3, 4).

:func:`check_order_invariants` asserts all of them on one order; the lifecycle machine
(:mod:`orderstatus_core.testing.lifecycle`) runs it on the storage's copy of every order
after every step. Use it in your own tests too, after any command or import, on an order
read back from your storage::

    >>> from orderstatus_core.testing.builders import make_order
    >>> from orderstatus_core.testing.invariants import check_order_invariants
    >>> check_order_invariants(make_order())  # passes silently; a broken order asserts

Each ``check_*`` function asserts one area and says, in its assertion message, which
order, line, request or RMA package broke which rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from decimal import Decimal

from orderstatus_core.model import LineLedger, Money, Order, OrderState
from orderstatus_core.model.requests import (
    CancelState,
    ChangeState,
    ProblemState,
    Refund,
)
from orderstatus_core.model.returns import (
    Fault,
    RefundMethod,
    ReturnKind,
    ReturnRequest,
    RmaPackage,
    RmaState,
    ShipBy,
)
from orderstatus_core.policies import returns as return_policy

__all__ = [
    "RETURN_REFUND_REASONS",
    "check_cancel_requests",
    "check_change_requests_and_reports",
    "check_ledgers",
    "check_order_invariants",
    "check_refunded_units",
    "check_refunds",
    "check_returns",
    "expected_state",
]

#: The refund reasons of returns (``Refund.reason``): one per kind of return.
RETURN_REFUND_REASONS = frozenset(kind.value for kind in ReturnKind)
#: The RMA states of a package that was inspected.
_INSPECTED = frozenset(
    {RmaState.INSPECTED, RmaState.REFUNDED, RmaState.CREDITED, RmaState.REPLACED}
)


def _by_stage(order: Order, line_no: int | None = None) -> tuple[int, int, int]:
    """Units in processing, shipped and delivered, counted from the packages themselves
    (of one line, or of the whole order), apart from the order's own ledger."""
    processing = shipped = delivered = 0
    for package in order.packages:
        if line_no is None:
            units = sum(packed.quantity for packed in package.units)
        else:
            units = package.units_of(line_no)
        if package.shipped_at is None:
            processing += units
        else:
            shipped += units
        if package.delivered_at is not None:
            delivered += units
    return processing, shipped, delivered


def check_ledgers(order: Order) -> None:
    """Per line, ``cancelled + processing + shipped <= ordered``, ``delivered <= shipped``
    and ``returned <= delivered``, counted from the packages, and the order's ledger
    counts the same."""
    for line in order.lines:
        processing, shipped, delivered = _by_stage(order, line.line_no)
        where = f"order {order.number} line {line.line_no}"
        assert line.cancelled + processing + shipped <= line.quantity, (
            f"{where}: cancelled {line.cancelled} + processing {processing} + shipped "
            f"{shipped} > ordered {line.quantity}"
        )
        assert delivered <= shipped, f"{where}: delivered {delivered} > shipped {shipped}"
        assert line.returned <= delivered, f"{where}: returned {line.returned} > {delivered}"
        counted = LineLedger(
            ordered=line.quantity,
            cancelled=line.cancelled,
            processing=processing,
            shipped=shipped,
            delivered=delivered,
            returned=line.returned,
        )
        assert order.ledger(line.line_no) == counted, f"{where}: the ledger miscounts"


def check_refunds(order: Order) -> None:
    """Refunds never pay back more than was paid, per part (parts, cores, shipping, tax)
    and in total, and no part of a refund is negative."""
    paid = {
        "parts": sum((ln.unit_price.amount * ln.quantity for ln in order.lines), Decimal(0)),
        "cores": sum((ln.core_charge.amount * ln.quantity for ln in order.lines), Decimal(0)),
        "shipping": order.shipping.amount,
        "tax": order.tax.amount,
    }
    for part, limit in paid.items():
        amounts = [getattr(refund, part) for refund in order.refunds]
        assert all(isinstance(m, Money) and not m.is_negative for m in amounts), (
            f"order {order.number}: a negative {part} refund"
        )
        refunded = sum((m.amount for m in amounts), Decimal(0))
        assert refunded <= limit, f"order {order.number}: {part} refunded {refunded} > {limit}"
    total = sum((refund.total.amount for refund in order.refunds), Decimal(0))
    assert total <= sum(paid.values()), f"order {order.number}: refunded {total} in total"
    assert total <= order.total.amount


def check_refunded_units(order: Order, *, every_deposit_named: bool = False) -> None:
    """Each refund pays back no more price than its units cost and no more deposit than its
    core units carry: money goes back for named units only, so no unit's price or deposit
    can go back twice behind the order-wide caps. Refunds recorded before core units were
    named (version 0.2) carry deposits without them; only refunds of returns, or with
    ``every_deposit_named`` every refund, are held to the deposit rule."""
    for refund in order.refunds:
        where = f"order {order.number} refund {refund.refund_id} ({refund.reason})"
        priced = sum(
            (order.line(u.line_no).unit_price.amount * u.quantity for u in refund.units),
            Decimal(0),
        )
        assert refund.parts.amount <= priced, (
            f"{where}: pays back {refund.parts} of parts for units {refund.units} costing {priced}"
        )
        if every_deposit_named or refund.reason in RETURN_REFUND_REASONS:
            deposits = sum(
                (order.line(u.line_no).core_charge.amount * u.quantity for u in refund.core_units),
                Decimal(0),
            )
            assert refund.cores.amount <= deposits, (
                f"{where}: pays back {refund.cores} of deposits for {refund.core_units} "
                f"carrying {deposits}"
            )


def check_cancel_requests(order: Order) -> None:
    """An open cancel request names a package still being packed that still holds its
    units; a decided one has its decision time, never before it was asked; one shipped
    anyway names a package that shipped."""
    packages = {package.package_id: package for package in order.packages}
    open_units: dict[tuple[int, str], int] = {}
    for request in order.cancel_requests:
        where = f"order {order.number} {request.request_id}"
        if request.open:
            package = packages.get(request.package_id)
            assert package is not None, f"{where}: open, but its package is gone"
            assert package.shipped_at is None, f"{where}: open, but its package has shipped"
            key = (request.line_no, request.package_id)
            open_units[key] = open_units.get(key, 0) + request.quantity
            assert request.decided_at is None, f"{where}: open, but decided"
        else:
            assert request.decided_at is not None, f"{where}: {request.state}, never decided"
            assert request.decided_at >= request.requested_at, f"{where}: decided before asked"
        if request.state is CancelState.SHIPPED_ANYWAY:
            shipped = packages.get(request.package_id)
            assert shipped is not None, f"{where}: shipped anyway, but the package is gone"
            assert shipped.shipped_at is not None, f"{where}: shipped anyway, but not shipped"
    for (line_no, package_id), units in open_units.items():
        inside = packages[package_id].units_of(line_no)
        assert units <= inside, (
            f"order {order.number}: open cancel requests for {units} unit(s) of line {line_no}"
            f" in {package_id}, which holds {inside}"
        )


def check_change_requests_and_reports(order: Order) -> None:
    """Change requests and problem reports carry exactly the timestamps (and resolution)
    their state implies."""
    for change in order.change_requests:
        where = f"order {order.number} {change.request_id}"
        decided = change.state is not ChangeState.REQUESTED
        assert (change.decided_at is not None) == decided, f"{where}: {change.state} decided_at"
        assert (change.applied_at is not None) == (change.state is ChangeState.APPLIED), (
            f"{where}: {change.state} applied_at"
        )
    for report in order.problem_reports:
        where = f"order {order.number} {report.report_id}"
        settled = report.state is not ProblemState.OPEN
        assert (report.resolved_at is not None) == settled, f"{where}: {report.state} resolved_at"
        assert (report.resolution is not None) == (report.state is ProblemState.RESOLVED), (
            f"{where}: {report.state} with resolution {report.resolution}"
        )


def _check_rma_package(
    order: Order, request: ReturnRequest, package: RmaPackage, refunds: Mapping[str, Refund]
) -> None:
    """One RMA package: the timestamps and inspection its state implies, and its refund."""
    where = f"order {order.number} {package.rma_number} ({package.state})"
    state = package.state
    inspected = state in _INSPECTED or (
        state is RmaState.REJECTED and package.inspected_at is not None
    )
    assert (package.inspected_at is not None) == inspected, f"{where}: inspected_at"
    assert all((u.accepted is not None) == inspected for u in package.units), f"{where}: accepted"
    assert (package.received_at is not None) == (inspected or state is RmaState.RECEIVED), (
        f"{where}: received_at"
    )
    assert (package.settled_at is not None) == (not state.open), f"{where}: settled_at"
    if state in (RmaState.REQUESTED, RmaState.AWAITING_SHIPMENT):
        assert package.shipped_at is None, f"{where}: shipped_at"
    if state is RmaState.IN_TRANSIT:
        assert package.shipped_at is not None, f"{where}: in transit, never shipped"
    if state is RmaState.INSPECTED:
        assert any(u.accepted for u in package.units), f"{where}: nothing accepted"
    if state is RmaState.REJECTED and inspected:
        assert not any(u.accepted for u in package.units), f"{where}: rejected, units accepted"
    moments = [
        moment
        for moment in (
            request.requested_at,
            package.shipped_at,
            package.received_at,
            package.inspected_at,
            package.settled_at,
        )
        if moment is not None
    ]
    assert moments == sorted(moments), f"{where}: its steps are out of order: {moments}"
    shopper_pays = request.reason.fault is Fault.SHOPPER
    if package.label_quote is not None:
        assert request.ship_by is ShipBy.LABEL, f"{where}: a label deducted, own tracking"
        assert shopper_pays, f"{where}: a label deducted, the store's fault"
    if package.label_made_at is not None:
        assert request.ship_by is ShipBy.LABEL, f"{where}: a label made for own tracking"
        assert package.label_cost is not None, f"{where}: a label made at no cost"
    if request.ship_by is ShipBy.OWN_TRACKING and package.shipped_at is not None:
        assert package.tracking_number, f"{where}: shipped on their own, no tracking number"
    if state is RmaState.REPLACED:
        assert request.kind is ReturnKind.WARRANTY, f"{where}: replaced, not a warranty claim"
    if state not in (RmaState.REFUNDED, RmaState.CREDITED):
        assert package.refund_id is None, f"{where}: a refund id, but no refund"
        return
    refund = refunds.get(package.refund_id or "")
    assert refund is not None, f"{where}: refund {package.refund_id} is not on the order"
    assert refund.source_id == package.rma_number, f"{where}: {refund.source_id} refunded"
    assert refund.reason == request.kind.value, f"{where}: refunded for {refund.reason}"
    credit = request.refund_method is RefundMethod.STORE_CREDIT
    assert refund.to_store_credit == credit == (state is RmaState.CREDITED), (
        f"{where}: to store credit {refund.to_store_credit}, chosen {request.refund_method}"
    )
    zero = Money.zero(order.currency)
    if request.kind is ReturnKind.CORE:
        assert (refund.parts, refund.shipping, refund.tax) == (zero, zero, zero), where
        assert not refund.units, f"{where}: a core refund paid back parts"
    elif all(u.deposits is not None for u in package.units):
        # The deposits a return claimed go back with it, for the units inspection accepted.
        claimed = {
            u.line_no: min(u.deposits or 0, u.accepted or 0)
            for u in package.units
            if u.deposits and u.accepted and order.line(u.line_no).core_charge.amount
        }
        paid = {u.line_no: u.quantity for u in refund.core_units}
        assert paid == claimed, f"{where}: deposits {paid} paid back, {claimed} claimed"
    if request.kind is ReturnKind.WARRANTY or shopper_pays:
        assert refund.shipping == zero, f"{where}: the original shipping refunded"
    if refund.label_fee is not None:
        assert package.label_quote is not None, f"{where}: a label fee, never quoted"
        assert refund.label_fee <= package.label_quote, f"{where}: label fee above the quote"
    if refund.restocking_fee is not None:
        assert request.kind is ReturnKind.RETURN, f"{where}: a restocking fee on a {request.kind}"
        assert shopper_pays, f"{where}: a restocking fee, the store's fault"


def check_returns(order: Order) -> None:
    """Returns: per line, returned plus units in open returns never exceed what was
    delivered, and returned is what inspection accepted; core deposits paid back or claimed
    by an unsettled return never exceed the units ordered, and a settled return paid back
    the deposits it claimed for the units accepted; every package's state
    matches its timestamps; every settled package has its refund exactly once (or was
    replaced or rejected), and every refund of a return belongs to exactly one package."""
    for line in order.lines:
        where = f"order {order.number} line {line.line_no}"
        ledger = order.ledger(line.line_no)
        on_the_way = order.units_in_open_returns(line.line_no)
        assert line.returned + on_the_way <= ledger.delivered, (
            f"{where}: returned {line.returned} + in open returns {on_the_way} > delivered "
            f"{ledger.delivered}"
        )
        accepted = sum(
            u.accepted or 0
            for request in order.returns
            if request.kind is not ReturnKind.CORE
            for package in request.packages
            for u in package.units
            if u.line_no == line.line_no
        )
        assert line.returned == accepted, f"{where}: returned {line.returned}, accepted {accepted}"
        cores = return_policy.cores_claimed(order, line.line_no)
        assert cores <= line.quantity, f"{where}: {cores} core deposits back or claimed"
    refunds = {refund.refund_id: refund for refund in order.refunds}
    holders = Counter(
        package.refund_id
        for request in order.returns
        for package in request.packages
        if package.refund_id is not None
    )
    for request in order.returns:
        for package in request.packages:
            _check_rma_package(order, request, package, refunds)
    for refund in order.refunds:
        if refund.reason in RETURN_REFUND_REASONS:
            assert holders[refund.refund_id] == 1, (
                f"order {order.number}: refund {refund.refund_id} settles "
                f"{holders[refund.refund_id]} RMA packages"
            )
    assert all(count == 1 for count in holders.values()), f"order {order.number}: {holders}"


def expected_state(order: Order) -> OrderState:
    """The status the ledger implies, worked out apart from :attr:`Order.status`."""
    live = sum(line.quantity - line.cancelled for line in order.lines)
    processing, shipped, delivered = _by_stage(order)
    if live == 0:
        return OrderState.CANCELLED  # every unit cancelled
    if shipped == 0:
        return OrderState.PROCESSING if processing else OrderState.PLACED
    if shipped < live:
        return OrderState.PARTIALLY_SHIPPED
    return OrderState.DELIVERED if delivered == live else OrderState.SHIPPED


def check_order_invariants(order: Order, *, every_deposit_named: bool = False) -> None:
    """Assert the lifecycle invariants of one stored order (DOMAIN.md sections 3 and 4).

    For every line ``cancelled + processing + shipped <= ordered``, ``delivered <=
    shipped`` and ``returned + units in open returns <= delivered``, counted from the
    packages, with ``returned`` what inspection accepted; refunds never exceed what was
    paid, per part (parts, cores, shipping, tax) and in total, and each pays back the price
    and deposits of the units it names, no more; an open cancel request names
    a package that is still being packed and that still holds its units; a decided one has
    its decision time; change requests and problem reports carry the timestamps of their
    state; every RMA package carries the timestamps of its state and every settled one its
    one refund (a core refund pays deposits only, a warranty or the shopper's own choice no
    shipping, a label fee no more than was quoted); and the status is the one the ledger
    implies.
    """
    check_ledgers(order)
    check_refunds(order)
    check_refunded_units(order, every_deposit_named=every_deposit_named)
    check_cancel_requests(order)
    check_change_requests_and_reports(order)
    check_returns(order)
    assert order.status is expected_state(order), (
        f"order {order.number}: status {order.status}, the ledger says {expected_state(order)}"
    )
