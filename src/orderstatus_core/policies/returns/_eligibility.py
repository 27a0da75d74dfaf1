"""What may come back of an order: per line and kind of return, the units a shopper may
still send, until when, and a :class:`ReturnRefusal` with a code for each unit that may not.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from orderstatus_core.model import Order, OrderLine
from orderstatus_core.model.order import utc
from orderstatus_core.model.requests import CancelState
from orderstatus_core.model.returns import ReturnKind, ReturnReason, RmaState
from orderstatus_core.policies.refunds import cores_claimed
from orderstatus_core.policies.returns._rules import (
    ReturnRefusal,
    ReturnRules,
    WindowStart,
    add_months,
)

__all__ = [
    "ReturnOptions",
    "ReturnableLine",
    "cancelled_but_shipped",
    "cores_claimed",
    "return_options",
]


@attrs.frozen
class ReturnableLine:
    """One line's answer: how many units may come back, until when, and why not the rest."""

    line_no: int
    part_number: str
    description: str
    returnable: int
    #: The last moment the returnable units may be requested (``None`` if none may).
    until: datetime | None
    refusals: tuple[ReturnRefusal, ...]


@attrs.frozen
class ReturnOptions:
    """What a shopper may return of an order, per line, for one kind of return."""

    order_number: str
    kind: ReturnKind
    lines: tuple[ReturnableLine, ...]

    def returnable(self, line_no: int) -> int:
        """Units of ``line_no`` that may come back (0 for an unknown line)."""
        return next((line.returnable for line in self.lines if line.line_no == line_no), 0)

    def line(self, line_no: int) -> ReturnableLine | None:
        """The answer for ``line_no``, if the order has that line."""
        return next((line for line in self.lines if line.line_no == line_no), None)


def _start(
    order: Order, start: WindowStart, shipped_at: datetime, delivered_at: datetime
) -> datetime:
    if start is WindowStart.ORDER:
        return order.placed_at
    return shipped_at if start is WindowStart.SHIP else delivered_at


def _delivered_batches(order: Order, line_no: int) -> list[tuple[int, datetime, datetime, str]]:
    """``(units, shipped_at, delivered_at, warehouse)`` per delivered package of a line."""
    batches = []
    for package in order.packages:
        units = package.units_of(line_no)
        if units and package.delivered_at is not None and package.shipped_at is not None:
            batches.append((units, package.shipped_at, package.delivered_at, package.warehouse))
    return batches


def _line_options(
    order: Order, line: OrderLine, kind: ReturnKind, rules: ReturnRules, now: datetime
) -> ReturnableLine:
    ledger = order.ledger(line.line_no)
    refusals: list[ReturnRefusal] = []
    live = ledger.ordered - ledger.cancelled
    if live > ledger.delivered:
        refusals.append(
            ReturnRefusal(
                "not_delivered",
                "these units have not been delivered yet (cancel them instead, if possible)",
                live - ledger.delivered,
            )
        )
    batches = _delivered_batches(order, line.line_no)
    delivered = ledger.delivered

    def answer(returnable: int, until: datetime | None) -> ReturnableLine:
        return ReturnableLine(
            line.line_no,
            str(line.part_number),
            line.description,
            returnable,
            until if returnable else None,
            tuple(r for r in refusals if r.quantity > 0),
        )

    store_refusal = rules.refusal_for(order, line, kind)
    if store_refusal is not None and delivered:
        refusals.append(attrs.evolve(store_refusal, quantity=delivered))
        return answer(0, None)

    policy = rules.policy
    in_window = 0
    deadlines: list[datetime] = []
    if kind is ReturnKind.RETURN:
        if not line.returnable:
            refusals.append(
                ReturnRefusal(
                    "no_return_item", "this part cannot be returned (No Return)", delivered
                )
            )
            return answer(0, None)
        days = timedelta(days=rules.days_for(order, line))
        for units, shipped, arrived, _ in batches:
            deadline = _start(order, policy.window_start, shipped, arrived) + days
            if now <= deadline:
                in_window += units
                deadlines.append(deadline)
        closed = ("window_closed", "the return window has closed for these units")
        used = ledger.returned + order.units_in_open_returns(line.line_no)
        used_refusals = [
            ReturnRefusal("already_returned", "these units were returned", ledger.returned),
        ]
    elif kind is ReturnKind.CORE:
        if line.core_charge.amount == 0:
            refusals.append(
                ReturnRefusal("no_core_charge", "this part has no core charge", delivered)
            )
            return answer(0, None)
        for units, shipped, _, _ in batches:
            deadline = add_months(shipped, policy.core_window_months)
            if now <= deadline:
                in_window += units
                deadlines.append(deadline)
        closed = ("core_window_closed", "the core return window has closed for these units")
        refunded = order.refunded_cores.get(line.line_no, 0)
        used = cores_claimed(order, line.line_no)
        used_refusals = [
            ReturnRefusal("core_already_refunded", "these core deposits were refunded", refunded)
        ]
    else:
        if line.warranty_months == 0:
            refusals.append(ReturnRefusal("no_warranty", "this part has no warranty", delivered))
            return answer(0, None)
        days = timedelta(days=rules.days_for(order, line))
        returnable_now = 0
        for units, shipped, arrived, _ in batches:
            if (
                line.returnable
                and now <= _start(order, policy.window_start, shipped, arrived) + days
            ):
                returnable_now += units
                continue
            deadline = add_months(arrived, line.warranty_months)
            if now <= deadline:
                in_window += units
                deadlines.append(deadline)
        refusals.append(
            ReturnRefusal(
                "within_return_window",
                "these units are still within the return window: return them instead",
                returnable_now,
            )
        )
        delivered -= returnable_now
        closed = ("warranty_expired", "the warranty has ended for these units")
        used = ledger.returned + order.units_in_open_returns(line.line_no)
        used_refusals = [
            ReturnRefusal("already_returned", "these units were returned", ledger.returned),
        ]
    refusals.append(ReturnRefusal(*closed, delivered - in_window))
    refusals.extend(used_refusals)
    open_units = used - used_refusals[0].quantity
    refusals.append(
        ReturnRefusal("in_open_return", "these units are in a return already", open_units)
    )
    # Earlier returns are counted against the oldest units first: what is left in the
    # window is what the shopper may still send.
    returnable = max(0, min(in_window, delivered - used))
    return answer(returnable, min(deadlines) if deadlines else None)


def return_options(
    order: Order, kind: ReturnKind, rules: ReturnRules, now: datetime
) -> ReturnOptions:
    """What may come back of each line of ``order`` at ``now`` for ``kind``.

    Units count when delivered; a return counts its window from the policy's start date
    (ship date by default) per package, so units of one line delivered in two packages may
    have two deadlines. Valid at the deadline, closed one microsecond later.
    """
    at = utc(now)
    return ReturnOptions(
        order.number,
        ReturnKind(kind),
        tuple(_line_options(order, line, ReturnKind(kind), rules, at) for line in order.lines),
    )


def cancelled_but_shipped(order: Order, line_no: int) -> int:
    """Units of a line cancelled while packed but shipped anyway, less those already sent
    back for that reason (in a return not rejected): each such unit ships back free once."""
    shipped_anyway = sum(
        r.quantity
        for r in order.cancel_requests
        if r.line_no == line_no and r.state is CancelState.SHIPPED_ANYWAY
    )
    claimed = sum(
        package.units_of(line_no)
        for request in order.returns
        if request.reason is ReturnReason.CANCELLED_BUT_SHIPPED
        for package in request.packages
        if package.state is not RmaState.REJECTED
    )
    return shipped_anyway - claimed
