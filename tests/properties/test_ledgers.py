"""Ledger invariants: every generated order keeps them, and no change can break them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import (
    CurrencyMismatchError,
    LedgerError,
    Money,
    Order,
    OrderState,
    Package,
    PackedUnits,
)
from orderstatus_core.testing import strategies as ost


def _replace_line(order: Order, line_no: int, **changes: Any) -> Order:
    lines = [attrs.evolve(ln, **changes) if ln.line_no == line_no else ln for ln in order.lines]
    return attrs.evolve(order, lines=lines)


def _first_line_no(order: Order) -> int:
    return order.lines[0].line_no


@given(ost.orders())
def test_every_generated_order_has_consistent_ledgers(order: Order) -> None:
    """No line of a generated order reports a ledger problem."""
    assert [p for line in order.lines for p in order.ledger(line.line_no).problems()] == []


@given(ost.orders())
def test_every_generated_order_has_a_status_and_a_total_that_add_up(order: Order) -> None:
    """The derived status exists and the total is the sum of its parts, never negative."""
    assert order.status in set(OrderState)
    assert order.total == order.subtotal + order.core_charges + order.shipping + order.tax
    assert not order.total.is_negative


@given(ost.orders())
def test_a_package_with_more_units_than_are_left_is_refused(order: Order) -> None:
    """Packing one unit more than a line has left raises ``LedgerError``."""
    line_no = _first_line_no(order)
    extra = Package(
        package_id="EXTRA",
        warehouse="Reno, NV",
        units=[PackedUnits(line_no, order.ledger(line_no).awaiting + 1)],
    )
    with pytest.raises(LedgerError):
        attrs.evolve(order, packages=(*order.packages, extra))


@given(ost.orders())
def test_returning_more_than_was_delivered_is_refused(order: Order) -> None:
    """A line whose returned count exceeds its delivered count raises ``LedgerError``."""
    line_no = _first_line_no(order)
    with pytest.raises(LedgerError):
        _replace_line(order, line_no, returned=order.ledger(line_no).delivered + 1)


@given(ost.orders())
def test_cancelling_more_than_is_awaiting_is_refused(order: Order) -> None:
    """Cancelling units that are already packed or shipped raises ``LedgerError``."""
    line_no = _first_line_no(order)
    ledger = order.ledger(line_no)
    with pytest.raises(LedgerError):
        _replace_line(order, line_no, cancelled=ledger.cancelled + ledger.awaiting + 1)


@given(ost.orders(), st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(1)))
def test_shipping_before_the_order_was_placed_is_refused(order: Order, early: timedelta) -> None:
    """A package shipped before ``placed_at`` raises ``LedgerError``."""
    line_no = _first_line_no(order)
    extra = Package(
        package_id="EARLY",
        warehouse="Reno, NV",
        units=[PackedUnits(line_no, 1)],
        shipped_at=order.placed_at - early,
    )
    with pytest.raises(LedgerError):
        attrs.evolve(order, packages=(extra,))


def test_delivery_before_shipping_is_refused() -> None:
    """A package delivered before it ships, or never shipped, raises ``LedgerError``."""
    from orderstatus_core.testing.builders import PLACED_AT

    with pytest.raises(LedgerError):
        Package("P1", "Reno, NV", [PackedUnits(1, 1)], delivered_at=PLACED_AT)
    with pytest.raises(LedgerError):
        Package(
            "P1",
            "Reno, NV",
            [PackedUnits(1, 1)],
            shipped_at=PLACED_AT,
            delivered_at=PLACED_AT - timedelta(seconds=1),
        )


@given(ost.orders(currency="USD"))
def test_a_line_in_another_currency_is_refused(order: Order) -> None:
    """One line priced in EUR in a USD order raises ``CurrencyMismatchError``."""
    with pytest.raises(CurrencyMismatchError):
        _replace_line(order, _first_line_no(order), unit_price=Money("1.00", "EUR"))
