"""Cancelling units: at once, as a request to the warehouse, or not at all.

Units not yet in a package are cancelled at once and refunded. Units in a package being
picked become a :class:`~orderstatus_core.model.requests.CancelRequest` that the warehouse
confirms (cancelled and refunded then) or refuses; if the package ships first, the request
becomes *shipped anyway* and a later return of those units is the store's fault. Shipped
units cannot be cancelled: that is a return. The answer says, per line, what happened and
why (DOMAIN.md section 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from orderstatus_core.errors import ActionRefusedError, InvalidFieldError
from orderstatus_core.model import Order, OrderLine, Package, PackedUnits
from orderstatus_core.model.requests import CancelRequest, CancelState, Refund
from orderstatus_core.policies.refunds import refund_for_units

__all__ = [
    "CancelOutcome",
    "LineCancellation",
    "cancel_refunded",
    "cancel_units",
    "decide_cancel",
    "next_id",
    "open_cancel_units",
]


@attrs.frozen
class LineCancellation:
    """What a cancel did to one line.

    ``code`` says why, for a front-end to translate: ``cancelled`` (all at once),
    ``cancel_requested`` (some or all in processing, the warehouse decides),
    ``already_shipped`` or ``nothing_to_cancel`` for the units that were refused.
    """

    line_no: int
    cancelled: int
    requested: int
    refused: int
    code: str
    #: The cancel requests made for this line's units in processing (for the warehouse).
    request_ids: tuple[str, ...] = ()


@attrs.frozen
class CancelOutcome:
    """The changed order, the answer per line, and the refund due now (if any)."""

    order: Order
    lines: tuple[LineCancellation, ...]
    refund: Refund | None


def next_id(prefix: str, taken: int) -> str:
    """The id of the next request of a kind: ``C1``, ``C2`` ... per order."""
    return f"{prefix}{taken + 1}"


def cancel_refunded(
    order: Order, units: Mapping[int, int], reason: str, source_id: str | None, at: datetime
) -> tuple[tuple[OrderLine, ...], Refund]:
    """The order's lines with ``units`` (line number: quantity) cancelled, and their refund.

    Units cancelled before they ship go back with their share of shipping whichever door
    cancelled them (a guest's cancel, a confirmed request, a change to fewer units): one
    rule, so the three cannot drift apart. ``source_id`` is the request the refund answers
    to, or ``None`` for the refund's own id. ``order`` is the order before the cancel.
    """
    refund_id = next_id("R", len(order.refunds))
    lines = tuple(
        attrs.evolve(line, cancelled=line.cancelled + units[line.line_no])
        if line.line_no in units
        else line
        for line in order.lines
    )
    refund = refund_for_units(
        order,
        units,
        include_shipping=True,
        refund_id=refund_id,
        reason=reason,
        source_id=refund_id if source_id is None else source_id,
        at=at,
    )
    return lines, refund


def open_cancel_units(order: Order, line_no: int, package_id: str) -> int:
    """Units of a line in a package that an undecided cancel request already covers."""
    return sum(
        r.quantity
        for r in order.cancel_requests
        if r.open and r.line_no == line_no and r.package_id == package_id
    )


def _live(order: Order, line_no: int) -> int:
    """Units a guest could still ask to cancel: not cancelled, not already requested."""
    ledger = order.ledger(line_no)
    requested = sum(r.quantity for r in order.cancel_requests if r.open and r.line_no == line_no)
    return ledger.ordered - ledger.cancelled - requested


def cancel_units(order: Order, wanted: Mapping[int, int] | None, at: datetime) -> CancelOutcome:
    """Cancel ``wanted`` units (line number: quantity), or everything left when ``None``.

    Raises :class:`ActionRefusedError` (``unknown_line``) for a line the order does not
    have and :class:`InvalidFieldError` for a quantity below one; every other limit is an
    answer per line, not an error.
    """
    if wanted is None:
        wanted = {line.line_no: _live(order, line.line_no) for line in order.lines}
        wanted = {line_no: n for line_no, n in wanted.items() if n > 0}
    for line_no, quantity in wanted.items():
        if line_no not in order.ledgers:
            raise ActionRefusedError("unknown_line", f"order {order.number} has no line {line_no}")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise InvalidFieldError(f"units[{line_no}]", "must be a whole number of at least 1")
    requests = list(order.cancel_requests)
    answers: list[LineCancellation] = []
    cancelled_now: dict[int, int] = {}
    for line_no, quantity in sorted(wanted.items()):
        ledger = order.ledger(line_no)
        now = min(quantity, ledger.awaiting)
        rest = quantity - now
        requested = 0
        request_ids: list[str] = []
        for package in order.packages:
            if rest == 0 or package.shipped_at is not None:
                continue
            free = package.units_of(line_no) - open_cancel_units(order, line_no, package.package_id)
            take = min(rest, free)
            if take > 0:
                requests.append(
                    CancelRequest(
                        request_id=next_id("C", len(requests)),
                        line_no=line_no,
                        quantity=take,
                        package_id=package.package_id,
                        requested_at=at,
                    )
                )
                request_ids.append(requests[-1].request_id)
                requested += take
                rest -= take
        code = "cancelled" if now == quantity else "cancel_requested"
        if rest:
            code = "already_shipped" if ledger.shipped else "nothing_to_cancel"
        answers.append(LineCancellation(line_no, now, requested, rest, code, tuple(request_ids)))
        if now:
            cancelled_now[line_no] = now
    lines: tuple[OrderLine, ...] = order.lines
    refund: Refund | None = None
    if cancelled_now:
        # An immediate cancel has no request of its own: the refund answers to itself.
        lines, refund = cancel_refunded(order, cancelled_now, "cancellation", None, at)
    changed = order.changed(
        lines=lines,
        cancel_requests=tuple(requests),
        refunds=(*order.refunds, refund) if refund else order.refunds,
    )
    return CancelOutcome(order=changed, lines=tuple(answers), refund=refund)


def _without_units(package: Package, line_no: int, quantity: int) -> Package | None:
    units = []
    for packed in package.units:
        if packed.line_no == line_no:
            left = packed.quantity - quantity
            if left > 0:
                units.append(PackedUnits(line_no, left))
        else:
            units.append(packed)
    return attrs.evolve(package, units=tuple(units)) if units else None


def decide_cancel(
    order: Order, request_id: str, *, confirm: bool, at: datetime, note: str | None = None
) -> tuple[Order, Refund | None]:
    """The warehouse confirms (units taken out of the package, cancelled, refunded) or
    refuses a cancel request. Deciding one twice is ``already_decided``."""
    request = next((r for r in order.cancel_requests if r.request_id == request_id), None)
    if request is None:
        raise ActionRefusedError("unknown_request", f"order {order.number} has no {request_id}")
    if not request.open:
        raise ActionRefusedError("already_decided", f"{request_id} is {request.state.value}")
    state = CancelState.CONFIRMED if confirm else CancelState.REFUSED
    decided = attrs.evolve(request, state=state, decided_at=at, note=note)
    requests = tuple(decided if r.request_id == request_id else r for r in order.cancel_requests)
    if not confirm:
        return order.changed(cancel_requests=requests), None
    packages = []
    for package in order.packages:
        if package.package_id == request.package_id:
            remaining = _without_units(package, request.line_no, request.quantity)
            if remaining is not None:
                packages.append(remaining)
        else:
            packages.append(package)
    units = {request.line_no: request.quantity}
    lines, refund = cancel_refunded(order, units, "cancellation", request_id, at)
    changed = order.changed(
        lines=lines,
        packages=tuple(packages),
        cancel_requests=requests,
        refunds=(*order.refunds, refund),
    )
    return changed, refund
