"""Units cancelled before they ship: one rule for the money, whichever door cancelled them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orderstatus_core import Money, Order, ValidationError
from orderstatus_core.model.fulfilment import open_package
from orderstatus_core.model.requests import QuantityChange, Refund
from orderstatus_core.policies.cancellation import cancel_refunded, cancel_units, decide_cancel
from orderstatus_core.policies.changes import apply_change, decide_change, request_change
from orderstatus_core.testing.builders import PLACED_AT, line, make_order

T1 = PLACED_AT + timedelta(hours=1)
T2 = PLACED_AT + timedelta(hours=2)


def _order() -> Order:
    """Line 1: three units of 10.00 USD; line 2: one unit of 5.00 with a 2.00 core."""
    return make_order(
        lines=[line(1, quantity=3, price="10.00"), line(2, "RT-77", price="5.00", core="2")]
    )


def _money(refund: Refund | None) -> tuple[Money, ...]:
    assert refund is not None
    return (refund.parts, refund.cores, refund.shipping, refund.tax, refund.total)


def test_the_three_doors_refund_two_units_alike() -> None:
    """A guest's cancel, a confirmed cancel request and a change to one unit: same money."""
    at_once = cancel_units(_order(), {1: 2}, T1)

    packed = open_package(_order(), "P1", "Columbus, OH", {1: 3}, T1)
    asked = cancel_units(packed, {1: 2}, T1).order
    (request,) = asked.cancel_requests
    confirmed, by_request = decide_cancel(asked, request.request_id, confirm=True, at=T2)

    wanted, change = request_change(_order(), QuantityChange(1, 1), T1)
    approved = decide_change(wanted, change.request_id, approve=True, at=T1)
    changed, by_change = apply_change(approved, change.request_id, T2)

    assert at_once.refund is not None
    assert by_request is not None
    assert by_change is not None
    assert _money(at_once.refund) == _money(by_request) == _money(by_change)
    assert _money(at_once.refund)[0] == Money("20.00", "USD")
    for order in (at_once.order, confirmed, changed):
        assert (order.ledger(1).cancelled, order.ledger(2).cancelled) == (2, 0)
    assert (at_once.refund.reason, by_request.reason, by_change.reason) == (
        "cancellation",
        "cancellation",
        "change",
    )
    assert by_request.source_id == request.request_id
    assert by_change.source_id == change.request_id


def test_a_refund_without_a_request_answers_to_itself_and_other_lines_stay() -> None:
    order = _order()
    lines, refund = cancel_refunded(order, {2: 1}, "cancellation", None, T1)
    assert (refund.refund_id, refund.source_id, refund.at) == ("R1", "R1", T1)
    assert lines[0] is order.lines[0]
    assert (lines[1].cancelled, lines[1].quantity) == (1, 1)
    assert order.lines[1].cancelled == 0  # the order given is not changed


def test_the_next_refund_gets_the_next_id_and_counts_what_went_back_before() -> None:
    first = cancel_units(_order(), {1: 1}, T1).order
    _, refund = cancel_refunded(first, {1: 5}, "cancellation", "C1", T2)
    assert (refund.refund_id, refund.source_id) == ("R2", "C1")
    assert refund.parts == Money("20.00", "USD")  # a unit's price goes back once


def test_cancelling_more_than_is_left_is_caught_by_the_order() -> None:
    lines, _ = cancel_refunded(_order(), {1: 4}, "cancellation", None, T1)
    with pytest.raises(ValidationError):
        _order().changed(lines=lines)


def test_a_line_the_order_does_not_have_is_an_error_not_a_refund() -> None:
    with pytest.raises(KeyError):
        cancel_refunded(_order(), {9: 1}, "cancellation", None, T1)


@pytest.mark.parametrize(
    ("reason", "source_id"),
    [
        ("x" * 33, None),  # a reason longer than a refund keeps
        ("cancellation", "C1'; DROP TABLE orders; --"),
        ("cancellation", "C\ud8001"),  # a lone surrogate
        ("cancel\x00lation", None),
    ],
)
def test_a_bad_reason_or_source_never_makes_a_refund(reason: str, source_id: str | None) -> None:
    with pytest.raises(ValidationError):
        cancel_refunded(_order(), {1: 1}, reason, source_id, T1)
