"""Change requests: which typed changes are possible, and applying an approved one.

A change touches only units not yet in warehouse processing (DOMAIN.md section 1): the
shipping address and speed only while no package is open, a line's quantity or part only
while all its remaining units await processing. The same check runs when the request is
made and again when it is applied, because the warehouse may have started in between.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from orderstatus_core.errors import ActionRefusedError
from orderstatus_core.model import Order
from orderstatus_core.model.requests import (
    AddressChange,
    Change,
    ChangeRequest,
    ChangeState,
    PartSwap,
    QuantityChange,
    Refund,
    SpeedChange,
)
from orderstatus_core.policies.cancellation import cancel_refunded, next_id

__all__ = ["apply_change", "change_refusal", "decide_change", "request_change"]


def change_refusal(order: Order, change: Change) -> tuple[str, str] | None:
    """Why ``change`` is not possible now, as ``(code, message)``; ``None`` if it is."""
    if isinstance(change, AddressChange | SpeedChange):
        if all(line.cancelled == line.quantity for line in order.lines):
            return "nothing_to_change", f"order {order.number} is cancelled"
        if order.packages:
            return "in_processing", "the warehouse has started on this order"
        return None
    if change.line_no not in order.ledgers:
        return "unknown_line", f"order {order.number} has no line {change.line_no}"
    ledger = order.ledger(change.line_no)
    live = ledger.ordered - ledger.cancelled
    if live == 0:
        return "nothing_to_change", f"line {change.line_no} is cancelled"
    if isinstance(change, QuantityChange):
        if change.quantity >= live:
            return "not_a_reduction", f"line {change.line_no} has {live} unit(s); ask for fewer"
        if live - change.quantity > ledger.awaiting:
            return "in_processing", f"units of line {change.line_no} are in processing"
        return None
    if ledger.awaiting < live:
        return "in_processing", f"units of line {change.line_no} are in processing"
    if (
        isinstance(change, PartSwap)
        and change.part_number == order.line(change.line_no).part_number
    ):
        return "same_part", "that is the part already ordered"
    return None


def _refuse_if_impossible(order: Order, change: Change) -> None:
    refusal = change_refusal(order, change)
    if refusal is not None:
        raise ActionRefusedError(*refusal)


def request_change(order: Order, change: Change, at: datetime) -> tuple[Order, ChangeRequest]:
    """Record a guest's change request, or raise :class:`ActionRefusedError` with why not."""
    _refuse_if_impossible(order, change)
    request = ChangeRequest(
        request_id=next_id("CH", len(order.change_requests)), change=change, requested_at=at
    )
    return order.changed(change_requests=(*order.change_requests, request)), request


def _request(order: Order, request_id: str) -> ChangeRequest:
    for request in order.change_requests:
        if request.request_id == request_id:
            return request
    raise ActionRefusedError("unknown_request", f"order {order.number} has no {request_id}")


def _replace(order: Order, request: ChangeRequest) -> tuple[ChangeRequest, ...]:
    return tuple(
        request if r.request_id == request.request_id else r for r in order.change_requests
    )


def decide_change(
    order: Order, request_id: str, *, approve: bool, at: datetime, note: str | None = None
) -> Order:
    """Staff (or an auto-approval policy) approve or decline a requested change."""
    request = _request(order, request_id)
    if request.state is not ChangeState.REQUESTED:
        raise ActionRefusedError("already_decided", f"{request_id} is {request.state.value}")
    state = ChangeState.APPROVED if approve else ChangeState.DECLINED
    decided = attrs.evolve(request, state=state, decided_at=at, note=note)
    return order.changed(change_requests=_replace(order, decided))


def apply_change(order: Order, request_id: str, at: datetime) -> tuple[Order, Refund | None]:
    """Carry out an approved change. Fewer units or a removed line are refunded."""
    request = _request(order, request_id)
    if request.state is not ChangeState.APPROVED:
        raise ActionRefusedError("not_approved", f"{request_id} is {request.state.value}")
    change = request.change
    _refuse_if_impossible(order, change)
    applied = attrs.evolve(request, state=ChangeState.APPLIED, applied_at=at)
    fields: dict[str, object] = {"change_requests": _replace(order, applied)}
    refund: Refund | None = None
    if isinstance(change, AddressChange):
        fields["shipping_address"] = change.address
    elif isinstance(change, SpeedChange):
        fields["shipping_speed"] = change.speed
    elif isinstance(change, PartSwap):
        fields["lines"] = tuple(
            attrs.evolve(line, part_number=change.part_number)
            if line.line_no == change.line_no
            else line
            for line in order.lines
        )
    else:  # QuantityChange or LineRemoval: fewer units, refunded
        ledger = order.ledger(change.line_no)
        live = ledger.ordered - ledger.cancelled
        fewer = live - change.quantity if isinstance(change, QuantityChange) else live
        fields["lines"], refund = cancel_refunded(
            order, {change.line_no: fewer}, "change", request_id, at
        )
        fields["refunds"] = (*order.refunds, refund)
    return order.changed(**fields), refund
