"""How much money goes back for some units of an order.

A refund is the units' price and core deposits, plus a fair share of the order's tax and,
when the store pays for it, of its shipping: the share in proportion to the units' part of
the order's price. Shares are rounded to cents (half even) and capped by what is left to
refund, and the refund that takes the last units takes exactly what is left, so that the
refunds of an order never add up to more than was paid (DOMAIN.md section 4), whatever the
rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from orderstatus_core.model import Money, Order
from orderstatus_core.model.requests import Refund, ReportedUnits
from orderstatus_core.model.returns import ReturnKind, RmaPackage, RmaState

__all__ = ["CENT", "cores_claimed", "refund_for_units"]

#: Amounts are rounded to this step (two decimals, as every currency the store uses).
CENT = Decimal("0.01")


def _refunded(order: Order) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    parts = cores = shipping = tax = Decimal(0)
    for refund in order.refunds:
        parts += refund.parts.amount
        cores += refund.cores.amount
        shipping += refund.shipping.amount
        tax += refund.tax.amount
    return parts, cores, shipping, tax


def _share(total: Decimal, fraction: Decimal, already: Decimal, last: bool) -> Decimal:
    left = total - already
    if last:
        return left
    return max(Decimal(0), min(left, (total * fraction).quantize(CENT, ROUND_HALF_EVEN)))


def _claims(package: RmaPackage, kind: ReturnKind, line_no: int) -> int:
    """Deposits of a line an unsettled package holds: a core return all its old parts, any
    other return the deposits its preview paid back; after inspection, only the accepted."""
    if not package.state.open or package.state is RmaState.REJECTED:
        return 0  # settled: its refund's core_units say what it took
    for units in package.units:
        if units.line_no != line_no:
            continue
        held = units.quantity if kind is ReturnKind.CORE else (units.deposits or 0)
        if package.state is RmaState.INSPECTED:
            return min(held, units.accepted or 0)
        return held
    return 0


def cores_claimed(order: Order, line_no: int) -> int:
    """Core deposits of a line paid back, or claimed by a return not settled yet.

    A deposit belongs to the return that claimed it first: a core return claims its old
    parts' deposits, any other return the deposits its preview paid back with the parts
    (:attr:`~orderstatus_core.model.returns.ReturnUnits.deposits`), from the request until
    the refund, inspection included (then only the units it accepted). A deposit goes back
    once, so no other return or refund may claim these.
    """
    held = sum(
        _claims(package, request.kind, line_no)
        for request in order.returns
        for package in request.packages
    )
    return order.refunded_cores.get(line_no, 0) + held


def refund_for_units(
    order: Order,
    units: Mapping[int, int],
    *,
    include_shipping: bool,
    refund_id: str,
    reason: str,
    source_id: str,
    at: datetime,
    claimed_deposits: Mapping[int, int] | None = None,
) -> Refund:
    """The refund for ``units`` (line number: quantity) of ``order``.

    ``include_shipping`` is the store's fault or a cancellation before shipping: the
    original shipping is shared back too. ``order`` is the order *before* the refund is
    added to it; its earlier refunds count against what is left. ``claimed_deposits``
    (line number: deposits) is what a return claimed when it was requested: its refund
    pays those deposits, up to ``units`` (even where another refund paid their price
    meanwhile), instead of the ones no one claimed.
    """
    currency = order.currency
    already = order.refunded_units
    # A unit's price goes back once, whichever way (cancel, change, problem report).
    paying = {
        line_no: min(quantity, order.line(line_no).quantity - already.get(line_no, 0))
        for line_no, quantity in units.items()
    }
    paying = {line_no: quantity for line_no, quantity in paying.items() if quantity > 0}
    parts = cores = Decimal(0)
    for line_no, quantity in paying.items():
        parts += order.line(line_no).unit_price.amount * quantity
    if claimed_deposits is None:
        # A deposit paid back already, or claimed by a return not settled yet (the old
        # part on its way back, or the new one with its deposit), is not paid again.
        free = {n: order.line(n).quantity - cores_claimed(order, n) for n in paying}
        with_deposit = paying
    else:
        # The return's own claim: no one else could pay these deposits since it was
        # requested, not even a refund that paid the same units' price meanwhile.
        free = dict(claimed_deposits)
        with_deposit = dict(units)
    deposits: dict[int, int] = {}
    for line_no, quantity in with_deposit.items():
        line = order.line(line_no)
        core_units = max(0, min(quantity, free.get(line_no, 0)))
        if core_units and line.core_charge.amount:
            deposits[line_no] = core_units
            cores += line.core_charge.amount * core_units
    paid_parts = order.subtotal.amount
    done_parts, done_cores, done_shipping, done_tax = _refunded(order)
    parts = min(parts, paid_parts - done_parts)
    cores = min(cores, order.core_charges.amount - done_cores)
    ordered_units = sum(line.quantity for line in order.lines)
    paying_units = sum(paying.values())
    # Shares follow the price; an order of free parts shares by units instead.
    fraction = parts / paid_parts if paid_parts else Decimal(paying_units) / Decimal(ordered_units)
    # The refund that pays back the order's last unit settles the shares exactly.
    last = paying_units > 0 and sum(already.values()) + paying_units == ordered_units
    tax = _share(order.tax.amount, fraction, done_tax, last)
    shipping = (
        _share(order.shipping.amount, fraction, done_shipping, last)
        if include_shipping
        else Decimal(0)
    )
    return Refund(
        refund_id=refund_id,
        at=at,
        reason=reason,
        source_id=source_id,
        parts=Money(parts, currency),
        cores=Money(cores, currency),
        shipping=Money(shipping, currency),
        tax=Money(tax, currency),
        units=tuple(ReportedUnits(n, q) for n, q in sorted(paying.items())),
        core_units=tuple(ReportedUnits(n, q) for n, q in sorted(deposits.items())),
    )
