"""Cancellations, change requests, problem reports and refunds, as pure decisions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import ActionRefusedError, InvalidFieldError, Money, ValidationError
from orderstatus_core.model import PartNumber
from orderstatus_core.model.fulfilment import open_package, ship_package
from orderstatus_core.model.requests import (
    AddressChange,
    CancelState,
    ChangeState,
    LineRemoval,
    PartSwap,
    ProblemKind,
    ProblemState,
    QuantityChange,
    Resolution,
    ShippingSpeed,
    SpeedChange,
)
from orderstatus_core.policies.cancellation import cancel_units, decide_cancel
from orderstatus_core.policies.changes import apply_change, decide_change, request_change
from orderstatus_core.policies.problems import report_problem, resolve_problem
from orderstatus_core.testing.builders import PLACED_AT, address, line, make_order

T1 = PLACED_AT + timedelta(hours=1)
T2 = PLACED_AT + timedelta(hours=2)


def _order(quantity: int = 3):  # type: ignore[no-untyped-def]
    """Line 1: quantity × 10.00 USD; line 2: one unit of 5.00 with a 2.00 core."""
    return make_order(
        lines=[line(1, quantity=quantity, price="10.00"), line(2, "RT-77", price="5.00", core="2")]
    )


class TestCancel:
    """Units not in processing go at once; units in processing become requests."""

    def test_units_awaiting_processing_are_cancelled_at_once_and_refunded(self) -> None:
        """Two of three units: cancelled now, with their share of shipping and tax."""
        outcome = cancel_units(_order(), {1: 2}, T1)
        (answer,) = outcome.lines
        assert (answer.cancelled, answer.requested, answer.refused, answer.code) == (
            2,
            0,
            0,
            "cancelled",
        )
        assert outcome.order.ledger(1).cancelled == 2
        assert outcome.refund is not None
        assert outcome.refund.parts == Money("20.00", "USD")
        assert outcome.order.version == 2

    def test_units_in_processing_become_a_request(self) -> None:
        """Packed units wait for the warehouse; nothing is refunded yet."""
        order = open_package(_order(), "P1", "Columbus, OH", {1: 3}, T1)
        outcome = cancel_units(order, {1: 1}, T2)
        (answer,) = outcome.lines
        assert (answer.cancelled, answer.requested, answer.code) == (0, 1, "cancel_requested")
        (request,) = outcome.order.cancel_requests
        assert (request.package_id, request.state) == ("P1", CancelState.REQUESTED)
        assert outcome.refund is None

    def test_shipped_units_are_refused_with_a_reason(self) -> None:
        """A shipped unit is a return, not a cancel."""
        order = open_package(_order(), "P1", "Columbus, OH", {1: 3}, T1)
        order = ship_package(order, "P1", "UPS", "1Z1", T2)
        (answer,) = cancel_units(order, {1: 1}, T2).lines
        assert (answer.refused, answer.code) == (1, "already_shipped")

    def test_cancelling_everything_refunds_exactly_what_was_paid(self) -> None:
        """The last refund takes what is left: refunds add up to the total, never more."""
        order = _order()
        first = cancel_units(order, {1: 1}, T1)
        rest = cancel_units(first.order, None, T2)
        refunded = sum((r.total.amount for r in rest.order.refunds), Decimal(0))
        assert refunded == order.total.amount

    def test_confirming_a_request_takes_the_units_out_and_refunds(self) -> None:
        """The warehouse confirms: the package loses the units, the line gains cancelled."""
        order = open_package(_order(), "P1", "Columbus, OH", {1: 3}, T1)
        order = cancel_units(order, {1: 1}, T1).order
        confirmed, refund = decide_cancel(order, "C1", confirm=True, at=T2)
        assert confirmed.package("P1").units_of(1) == 2
        assert confirmed.ledger(1).cancelled == 1
        assert refund is not None
        assert refund.source_id == "C1"

    def test_refusing_a_request_keeps_the_units(self) -> None:
        """The warehouse refuses: nothing changes but the request's state."""
        order = open_package(_order(), "P1", "Columbus, OH", {1: 3}, T1)
        order = cancel_units(order, {1: 3}, T1).order
        refused, refund = decide_cancel(order, "C1", confirm=False, at=T2, note="already packed")
        assert refused.ledger(1).processing == 3
        assert refused.cancel_requests[0].state is CancelState.REFUSED
        assert refund is None

    def test_a_request_is_decided_once(self) -> None:
        """Deciding twice is refused."""
        order = open_package(_order(), "P1", "Columbus, OH", {1: 3}, T1)
        order = cancel_units(order, {1: 1}, T1).order
        order, _ = decide_cancel(order, "C1", confirm=False, at=T2)
        with pytest.raises(ActionRefusedError) as refused:
            decide_cancel(order, "C1", confirm=True, at=T2)
        assert refused.value.code == "already_decided"

    def test_a_package_that_ships_first_marks_the_request_shipped_anyway(self) -> None:
        """Shipping wins the race: the request becomes *shipped anyway* (free return)."""
        order = open_package(_order(), "P1", "Columbus, OH", {1: 3}, T1)
        order = cancel_units(order, {1: 1}, T1).order
        shipped = ship_package(order, "P1", "UPS", "1Z1", T2)
        assert shipped.cancel_requests[0].state is CancelState.SHIPPED_ANYWAY
        with pytest.raises(ActionRefusedError):
            decide_cancel(shipped, "C1", confirm=True, at=T2)

    def test_units_already_requested_are_not_requested_twice(self) -> None:
        """A second cancel of the same packed units is refused, not doubled."""
        order = open_package(_order(), "P1", "Columbus, OH", {1: 3}, T1)
        order = cancel_units(order, {1: 3}, T1).order
        (answer,) = cancel_units(order, {1: 1}, T2).lines
        assert (answer.requested, answer.refused, answer.code) == (0, 1, "nothing_to_cancel")

    @pytest.mark.parametrize("quantity", [0, -1, True])
    def test_a_quantity_below_one_is_an_input_error(self, quantity: int) -> None:
        """Quantities are whole numbers of at least one."""
        with pytest.raises(InvalidFieldError):
            cancel_units(_order(), {1: quantity}, T1)

    def test_an_unknown_line_is_refused(self) -> None:
        """Lines are named by their number."""
        with pytest.raises(ActionRefusedError):
            cancel_units(_order(), {9: 1}, T1)


@given(
    quantity=st.integers(1, 6),
    steps=st.lists(st.integers(1, 3), min_size=1, max_size=6),
)
def test_refunds_never_exceed_what_was_paid(quantity: int, steps: list[int]) -> None:
    """Any sequence of cancels refunds at most the order's total (DOMAIN.md section 4)."""
    order = _order(quantity)
    for step in steps:
        live = order.ledger(1).ordered - order.ledger(1).cancelled
        if live == 0:
            break
        order = cancel_units(order, {1: min(step, live)}, T1).order
    refunded = sum((r.total.amount for r in order.refunds), Decimal(0))
    assert refunded <= order.total.amount
    assert all(r.total.amount >= 0 for r in order.refunds)


class TestChanges:
    """Typed changes only touch units not yet in processing."""

    def test_an_address_change_is_requested_decided_and_applied(self) -> None:
        """requested → approved → applied; the new address is the order's."""
        new = address(line1="1 New Street")
        order, request = request_change(_order(), AddressChange(new), T1)
        order = decide_change(order, request.request_id, approve=True, at=T1)
        order, refund = apply_change(order, request.request_id, T2)
        assert order.shipping_address == new
        assert order.change_requests[0].state is ChangeState.APPLIED
        assert refund is None

    def test_an_address_change_is_refused_once_a_package_is_open(self) -> None:
        """The warehouse has started: the address stays."""
        order = open_package(_order(), "P1", "Columbus, OH", {1: 1}, T1)
        with pytest.raises(ActionRefusedError) as refused:
            request_change(order, AddressChange(address(city="Elsewhere")), T2)
        assert refused.value.code == "in_processing"

    def test_a_change_approved_before_processing_is_not_applied_after(self) -> None:
        """Checked again when applied: the warehouse may have started in between."""
        order, request = request_change(_order(), SpeedChange(ShippingSpeed.OVERNIGHT), T1)
        order = decide_change(order, request.request_id, approve=True, at=T1)
        order = open_package(order, "P1", "Columbus, OH", {1: 1}, T1)
        with pytest.raises(ActionRefusedError):
            apply_change(order, request.request_id, T2)

    def test_fewer_units_are_refunded(self) -> None:
        """Quantity 3 → 1: two units cancelled and refunded."""
        order, request = request_change(_order(), QuantityChange(1, 1), T1)
        order = decide_change(order, request.request_id, approve=True, at=T1)
        order, refund = apply_change(order, request.request_id, T2)
        assert order.ledger(1).cancelled == 2
        assert refund is not None
        assert refund.parts == Money("20.00", "USD")

    @pytest.mark.parametrize(
        ("change", "code"),
        [
            (QuantityChange(1, 3), "not_a_reduction"),
            (QuantityChange(9, 1), "unknown_line"),
            (PartSwap(1, PartNumber("bp 12.34")), "same_part"),
        ],
    )
    def test_impossible_changes_are_refused(self, change: object, code: str) -> None:
        """Each refusal has a reason code."""
        with pytest.raises(ActionRefusedError) as refused:
            request_change(_order(), change, T1)  # type: ignore[arg-type]
        assert refused.value.code == code

    def test_a_removed_line_is_cancelled_whole(self) -> None:
        """Removing line 2 cancels its unit and refunds its core too."""
        order, request = request_change(_order(), LineRemoval(2), T1)
        order = decide_change(order, request.request_id, approve=True, at=T1)
        order, refund = apply_change(order, request.request_id, T2)
        assert order.ledger(2).cancelled == 1
        assert refund is not None
        assert refund.cores == Money("2", "USD")

    def test_a_declined_change_is_never_applied(self) -> None:
        """Only approved changes apply."""
        order, request = request_change(_order(), LineRemoval(2), T1)
        order = decide_change(order, request.request_id, approve=False, at=T1)
        with pytest.raises(ActionRefusedError) as refused:
            apply_change(order, request.request_id, T2)
        assert refused.value.code == "not_approved"


class TestProblems:
    """Reports are typed, bounded and resolved or rejected."""

    def _shipped(self):  # type: ignore[no-untyped-def]
        order = open_package(_order(), "P1", "Columbus, OH", {1: 3, 2: 1}, T1)
        return ship_package(order, "P1", "UPS", "1Z1", T1)

    def test_a_damaged_part_is_reported_and_refunded(self) -> None:
        """open → resolved with a refund of the reported units."""
        order, report = report_problem(
            self._shipped(), ProblemKind.DAMAGED_IN_TRANSIT, {1: 1}, "Crushed box", T2
        )
        assert report.state is ProblemState.OPEN
        order, refund = resolve_problem(order, report.report_id, Resolution.REFUND, T2)
        assert order.problem_reports[0].state is ProblemState.RESOLVED
        assert refund is not None
        assert refund.parts == Money("10.00", "USD")

    def test_a_rejected_report_refunds_nothing(self) -> None:
        """Rejecting is resolving with no resolution."""
        order, report = report_problem(self._shipped(), ProblemKind.OTHER, {}, "Hm", T2)
        order, refund = resolve_problem(order, report.report_id, None, T2, note="no fault")
        assert order.problem_reports[0].state is ProblemState.REJECTED
        assert refund is None

    def test_units_that_never_shipped_cannot_arrive_damaged(self) -> None:
        """A report about the box needs shipped units."""
        with pytest.raises(ActionRefusedError) as refused:
            report_problem(_order(), ProblemKind.DAMAGED_IN_TRANSIT, {1: 1}, "x", T1)
        assert refused.value.code == "not_shipped"

    def test_a_lost_package_report_names_the_package(self) -> None:
        """*Not delivered* is about a package."""
        with pytest.raises(ActionRefusedError) as refused:
            report_problem(self._shipped(), ProblemKind.NOT_DELIVERED, {}, "", T2)
        assert refused.value.code == "no_package"
        _order, report = report_problem(
            self._shipped(), ProblemKind.NOT_DELIVERED, {}, "", T2, package_id="P1"
        )
        assert report.package_id == "P1"

    @pytest.mark.parametrize("text", ["x" * 2001, "bad\x00text", "a\x1b[2J"])
    def test_report_text_is_bounded_and_clean(self, text: str) -> None:
        """Free text has a bound and no control characters (SECURITY H3)."""
        with pytest.raises(ValidationError):
            report_problem(self._shipped(), ProblemKind.OTHER, {}, text, T2)

    def test_report_text_may_span_lines(self) -> None:
        """A description has paragraphs; only other control characters are refused."""
        _order, report = report_problem(
            self._shipped(), ProblemKind.OTHER, {}, "Line one.\n\nLine two.", T2
        )
        assert report.text == "Line one.\n\nLine two."
