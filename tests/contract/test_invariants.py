"""The public order invariants: they pass a sound order and name what breaks in a broken one."""

from __future__ import annotations

import re
from datetime import timedelta

import attrs
import pytest

from orderstatus_core.model import Money, Order, OrderState
from orderstatus_core.model.fulfilment import deliver_package, open_package, ship_package
from orderstatus_core.model.requests import Refund
from orderstatus_core.policies import returns
from orderstatus_core.policies.cancellation import cancel_units
from orderstatus_core.testing.builders import PLACED_AT, line, make_order
from orderstatus_core.testing.invariants import (
    check_ledgers,
    check_order_invariants,
    check_refunds,
    check_returns,
    expected_state,
)
from orderstatus_core.testing.lifecycle import check_order

_T = PLACED_AT + timedelta(hours=1)


def _broken(order: Order, **fields: object) -> Order:
    """``order`` with fields its own constructor would refuse, as a buggy adapter might
    hand back by skipping it."""
    broken = attrs.evolve(order)
    for name, value in fields.items():
        object.__setattr__(broken, name, value)
    return broken


def _delivered() -> Order:
    order = make_order("100000001", lines=[line(1, quantity=2, price="50.00")])
    order = open_package(order, "P1", "Columbus, OH", {1: 2}, _T)
    order = ship_package(order, "P1", "UPS", "1Z999AA10123456784", _T)
    return deliver_package(order, "P1", _T + timedelta(days=1))


@pytest.mark.parametrize("order", [make_order(), _delivered()], ids=["placed", "delivered"])
def test_a_sound_order_keeps_every_invariant(order: Order) -> None:
    """Orders as the builders and the fulfilment steps make them pass silently."""
    check_order_invariants(order)
    check_order_invariants(order, every_deposit_named=True)


def test_the_lifecycle_machines_check_is_the_public_one() -> None:
    """``lifecycle.check_order`` stays importable and is the public check."""
    assert check_order is check_order_invariants


def test_a_line_returned_beyond_delivery_breaks_the_ledger() -> None:
    """A line that says a unit came back which was never delivered fails, naming the order
    and the line."""
    order = make_order("100000002")
    broken = _broken(order, lines=(attrs.evolve(order.lines[0], returned=1), *order.lines[1:]))
    for check in (check_ledgers, check_order_invariants):
        with pytest.raises(AssertionError, match="order 100000002 line 1: returned 1 > 0"):
            check(broken)


def test_a_refund_above_what_was_paid_breaks_the_refunds() -> None:
    """Paying back more parts than the order cost fails, naming the part."""
    order = _delivered()
    usd = Money.zero("USD")
    refund = Refund("R1", _T, "problem_report", "P-1", Money("100.01", "USD"), usd, usd, usd)
    with pytest.raises(AssertionError, match=re.escape("parts refunded 100.01 > 100")):
        check_refunds(_broken(order, refunds=(refund,)))


def test_a_return_refunded_without_the_deposits_it_claimed_breaks_the_returns() -> None:
    """A return's preview claimed both deposits; its refund must pay them back for the
    units accepted, or the check names the package and both counts."""
    order = make_order("100000003", lines=[line(1, quantity=2, price="50.00", core="10")])
    order = open_package(order, "P1", "Columbus, OH", {1: 2}, _T)
    order = ship_package(order, "P1", "UPS", "1Z999AA10123456784", _T)
    order = deliver_package(order, "P1", _T + timedelta(days=1))
    at = _T + timedelta(days=2)
    draft = returns.ReturnDraft("return", "defective", {1: 2}, "own_tracking")
    plan = returns.plan_return(order, draft, returns.ReturnRules(), {}, at)
    order, request = returns.request_return(order, plan, "A", returns.ReturnPolicy(), at)
    rma = request.packages[0].rma_number
    order = returns.receive_package(order, rma, at)
    order = returns.inspect_package(order, rma, {1: 2}, at)
    order, refund = returns.settle_package(order, rma, "R1", at, returns.ReturnPolicy())
    assert refund is not None
    check_returns(order)
    zero = Money.zero("USD")
    short = attrs.evolve(refund, cores=zero, core_units=())
    with pytest.raises(AssertionError, match=re.escape("deposits {} paid back, {1: 2} claimed")):
        check_returns(_broken(order, refunds=(short,)))


@pytest.mark.parametrize(
    ("steps", "state"),
    [
        (0, OrderState.PLACED),
        (1, OrderState.PROCESSING),
        (2, OrderState.SHIPPED),
        (3, OrderState.DELIVERED),
    ],
)
def test_the_expected_state_follows_the_packages(steps: int, state: OrderState) -> None:
    """Packed, shipped and delivered units decide the state, as the order's own does."""
    order = make_order("100000003", lines=[line(1, quantity=2)])
    moves = [
        lambda o: open_package(o, "P1", "Reno, NV", {1: 2}, _T),
        lambda o: ship_package(o, "P1", "UPS", "1Z999AA10123456784", _T),
        lambda o: deliver_package(o, "P1", _T),
    ]
    for move in moves[:steps]:
        order = move(order)
    assert expected_state(order) is state is order.status


def test_a_fully_cancelled_order_is_expected_cancelled() -> None:
    """Every unit cancelled: the state is cancelled."""
    order = cancel_units(make_order("100000004", lines=[line(1, quantity=2)]), {1: 2}, _T).order
    assert expected_state(order) is OrderState.CANCELLED is order.status


def test_a_status_the_ledger_contradicts_breaks_the_order() -> None:
    """An order whose packages say delivered but whose lines were all cancelled fails the
    state check."""
    delivered = _delivered()
    cancelled = attrs.evolve(delivered.lines[0], cancelled=2)
    with pytest.raises(AssertionError, match="order 100000001"):
        check_order_invariants(_broken(delivered, lines=(cancelled,)))
