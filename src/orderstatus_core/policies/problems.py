"""Problem reports: what a guest may report, and how the store settles it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from orderstatus_core.errors import ActionRefusedError
from orderstatus_core.model import Order
from orderstatus_core.model.requests import (
    ProblemKind,
    ProblemReport,
    ProblemState,
    Refund,
    ReportedUnits,
    Resolution,
)
from orderstatus_core.policies.cancellation import next_id
from orderstatus_core.policies.refunds import refund_for_units

__all__ = ["report_problem", "resolve_problem"]

# Reports about what arrived in the box need units that shipped; the others are about a
# package on its way.
_ABOUT_RECEIVED_UNITS = frozenset(
    {
        ProblemKind.MISSING_ITEM,
        ProblemKind.DAMAGED_IN_TRANSIT,
        ProblemKind.WRONG_PART,
        ProblemKind.DEFECTIVE,
    }
)
_ABOUT_A_PACKAGE = frozenset({ProblemKind.NOT_DELIVERED, ProblemKind.TRACKING_NOT_UPDATING})


def report_problem(
    order: Order,
    kind: ProblemKind,
    units: Mapping[int, int],
    text: str,
    at: datetime,
    package_id: str | None = None,
) -> tuple[Order, ProblemReport]:
    """Open a report about ``units`` (line number: quantity) and/or a package.

    Units must have shipped for a report about what arrived; a package must have shipped
    for one about its journey. Raises :class:`ActionRefusedError` with a reason code.
    """
    for line_no, quantity in units.items():
        if line_no not in order.ledgers:
            raise ActionRefusedError("unknown_line", f"order {order.number} has no line {line_no}")
        ledger = order.ledger(line_no)
        live = ledger.ordered - ledger.cancelled
        if quantity > live:
            raise ActionRefusedError(
                "not_that_many", f"line {line_no} has {live} unit(s) not cancelled, not {quantity}"
            )
        shipped = ledger.shipped
        if kind in _ABOUT_RECEIVED_UNITS and quantity > shipped:
            raise ActionRefusedError(
                "not_shipped", f"line {line_no} has {shipped} shipped unit(s), not {quantity}"
            )
    if package_id is not None:
        try:
            package = order.package(package_id)
        except KeyError:
            raise ActionRefusedError(
                "unknown_package", f"order {order.number} has no package {package_id}"
            ) from None
        if package.shipped_at is None:
            raise ActionRefusedError("not_shipped", f"package {package_id} has not shipped")
    if kind in _ABOUT_RECEIVED_UNITS and not units:
        raise ActionRefusedError("no_units", "say which units the report is about")
    if kind in _ABOUT_A_PACKAGE and package_id is None:
        raise ActionRefusedError("no_package", "say which package the report is about")
    report = ProblemReport(
        report_id=next_id("PR", len(order.problem_reports)),
        kind=kind,
        units=tuple(ReportedUnits(n, q) for n, q in sorted(units.items())),
        text=text,
        reported_at=at,
        package_id=package_id,
    )
    return order.changed(problem_reports=(*order.problem_reports, report)), report


def resolve_problem(
    order: Order,
    report_id: str,
    resolution: Resolution | None,
    at: datetime,
    note: str | None = None,
) -> tuple[Order, Refund | None]:
    """Resolve a report (``resolution``) or reject it (``None``).

    A refund resolution refunds the reported units with their share of shipping and tax:
    a problem in the box is the store's fault.
    """
    report = next((r for r in order.problem_reports if r.report_id == report_id), None)
    if report is None:
        raise ActionRefusedError("unknown_report", f"order {order.number} has no {report_id}")
    if report.state is not ProblemState.OPEN:
        raise ActionRefusedError("already_decided", f"{report_id} is {report.state.value}")
    if resolution is Resolution.REFUND and not report.units:
        raise ActionRefusedError(
            "nothing_to_refund",
            f"{report_id} names no units; settle it by reship or carrier claim",
        )
    state = ProblemState.REJECTED if resolution is None else ProblemState.RESOLVED
    decided = attrs.evolve(report, state=state, resolution=resolution, resolved_at=at, note=note)
    reports = tuple(decided if r.report_id == report_id else r for r in order.problem_reports)
    refund: Refund | None = None
    refunds = order.refunds
    if resolution is Resolution.REFUND:
        refund = refund_for_units(
            order,
            {u.line_no: u.quantity for u in report.units},
            include_shipping=True,
            refund_id=next_id("R", len(order.refunds)),
            reason="problem_report",
            source_id=report_id,
            at=at,
        )
        refunds = (*refunds, refund)
    return order.changed(problem_reports=reports, refunds=refunds), refund
