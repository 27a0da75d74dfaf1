"""Refunds across the order lifecycle: a unit's money goes back at most once, and in full.

DOMAIN.md sections 3 and 4: a refund is never more than was paid *for those units*, and a
cancellation before shipping gives the shipping back too. The lifecycle state machine
(``orderstatus_core.testing.lifecycle``) found the cases below; each pins its fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

from orderstatus_core import ActionRefusedError
from orderstatus_core.model import Order
from orderstatus_core.model.fulfilment import open_package, ship_package
from orderstatus_core.model.requests import AddressChange, ProblemKind, Resolution
from orderstatus_core.policies.cancellation import cancel_units
from orderstatus_core.policies.changes import change_refusal
from orderstatus_core.policies.problems import report_problem, resolve_problem
from orderstatus_core.testing.builders import PLACED_AT, address, line, make_order

T1 = PLACED_AT + timedelta(hours=1)
T2 = PLACED_AT + timedelta(hours=2)


def _order() -> Order:
    """Line 1: one unit at 10.00 USD; line 2: four units at 100.00 USD."""
    return make_order(
        lines=[line(1, quantity=1, price="10.00"), line(2, "RT-77", quantity=4, price="100.00")]
    )


def _shipped(order: Order, units: Mapping[int, int]) -> Order:
    order = open_package(order, "P1", "Columbus, OH", units, T1)
    return ship_package(order, "P1", "UPS", "1Z999AA10123456784", T1)


def _refunded_for_a_report(order: Order, kind: ProblemKind, units: Mapping[int, int]) -> Order:
    """Report ``units`` and settle the report with a refund; a refused report changes nothing."""
    try:
        order, report = report_problem(order, kind, units, "", T2)
    except ActionRefusedError:
        return order
    return resolve_problem(order, report.report_id, Resolution.REFUND, T2)[0]


def _parts_refunded(order: Order) -> Decimal:
    return sum((refund.parts.amount for refund in order.refunds), Decimal(0))


def test_a_problem_refund_is_at_most_the_price_of_the_line_it_names() -> None:
    """Settling a report about line 1 (one unit at 10.00) refunds at most 10.00 of parts."""
    order = _refunded_for_a_report(_order(), ProblemKind.OTHER, {1: 100})
    assert _parts_refunded(order) <= Decimal("10.00")


def test_a_unit_refunded_for_a_problem_is_not_refunded_again_when_cancelled() -> None:
    """Line 1's one unit, refunded for a problem and then cancelled, is refunded once."""
    order = _refunded_for_a_report(_order(), ProblemKind.OTHER, {1: 1})
    order = cancel_units(order, {1: 1}, T2).order
    assert _parts_refunded(order) <= Decimal("10.00")


def test_the_same_shipped_unit_is_refunded_at_most_once() -> None:
    """Two defective reports about line 1's one shipped unit refund 10.00, not 20.00."""
    order = _shipped(_order(), {1: 1})
    order = _refunded_for_a_report(order, ProblemKind.DEFECTIVE, {1: 1})
    order = _refunded_for_a_report(order, ProblemKind.DEFECTIVE, {1: 1})
    assert _parts_refunded(order) <= Decimal("10.00")


def test_cancelling_an_order_of_free_parts_refunds_its_shipping_and_tax() -> None:
    """All units of a 0.00 part cancelled before packing: the 9.99 shipping and 2.00 tax
    come back."""
    order = make_order(lines=[line(1, quantity=2, price="0.00")])
    cancelled = cancel_units(order, None, T1).order
    refunded = sum((refund.total.amount for refund in cancelled.refunds), Decimal(0))
    assert refunded == order.total.amount


def test_a_cancelled_order_takes_no_address_change() -> None:
    """An order with every unit cancelled has nothing left to ship anywhere."""
    cancelled = cancel_units(_order(), None, T1).order
    assert change_refusal(cancelled, AddressChange(address(city="Shelbyville"))) is not None
