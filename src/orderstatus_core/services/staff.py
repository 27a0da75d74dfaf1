"""The store's decisions on what guests asked: cancel requests, changes, problem reports.

Staff commands, like :mod:`orderstatus_core.services.warehouse`: an order number, one write
unit with compare-and-set, :class:`~orderstatus_core.errors.ActionRefusedError` for a step
the state does not allow. A decision that refunds queues a
:class:`~orderstatus_core.events.RefundDue` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from orderstatus_core.errors import InvalidFieldError, OrderNotFoundError, ValidationError
from orderstatus_core.model import Order, canonical_order_number
from orderstatus_core.model.requests import Refund, Resolution
from orderstatus_core.policies import problems
from orderstatus_core.policies.cancellation import decide_cancel
from orderstatus_core.policies.changes import apply_change, decide_change
from orderstatus_core.ports import UnitOfWork
from orderstatus_core.services._retry import retrying
from orderstatus_core.services._unit import write_unit
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.effects import one_version_on, queue_refund, queue_tracking_mail
from orderstatus_core.services.idempotency import checked_key, once

__all__ = [
    "Effects",
    "Step",
    "apply_approved_change",
    "approve_change",
    "confirm_cancel",
    "decide",
    "decline_change",
    "refuse_cancel",
    "reject_problem",
    "resolve_problem",
]

Step = Callable[[Order, datetime], tuple[Order, Refund | None]]
#: ``(uow, before, after, now)``: what else a step writes in its transaction (mail ...).
Effects = Callable[[UnitOfWork, Order, Order, datetime], None]


def decide(
    ctx: ServiceContext,
    order_number: str,
    step: Step,
    *,
    command: str,
    idempotency_key: str | None = None,
    effects: Effects | None = None,
    **arguments: object,
) -> Order:
    """Run one staff ``step`` on an order in one write unit; queue its refund, if any, and
    the tracking mail when the step leaves every remaining unit shipped.

    With an ``idempotency_key`` a repeat of the same ``command`` and ``arguments`` answers
    the order as the first run left it (SECURITY G5). ``step`` gets the time read after the
    order's lock was taken, so it never records a time before a command it waited for
    (SECURITY G6).
    """
    try:
        number = canonical_order_number(order_number)
    except ValidationError:
        raise OrderNotFoundError(str(order_number)[:40]) from None
    key = checked_key(idempotency_key)

    def attempt() -> Order:
        with write_unit(ctx, number) as locked:
            uow, now = locked.uow, locked.now
            if locked.order is None:
                raise OrderNotFoundError(number)
            found: Order = locked.order

            def run() -> Order:
                changed, refund = step(found, now)
                changed = one_version_on(found, changed)
                uow.orders.save(changed)
                queue_refund(uow, changed, refund, now)
                queue_tracking_mail(ctx, uow, found, changed, now)
                if effects is not None:
                    effects(uow, found, changed, now)
                return changed

            answer = once(uow, key, now, Order, run, command, order=number, **arguments)
            uow.commit()
        return answer

    return retrying(attempt)


def confirm_cancel(
    ctx: ServiceContext, order_number: str, request_id: str, *, idempotency_key: str | None = None
) -> Order:
    """The warehouse took the units out of the package: cancelled and refunded."""
    return decide(
        ctx,
        order_number,
        lambda o, now: decide_cancel(o, request_id, confirm=True, at=now),
        command="confirm_cancel",
        idempotency_key=idempotency_key,
        request=request_id,
    )


def refuse_cancel(
    ctx: ServiceContext,
    order_number: str,
    request_id: str,
    note: str | None = None,
    *,
    idempotency_key: str | None = None,
) -> Order:
    """The units stay in the package (``note`` says why, for the guest)."""
    return decide(
        ctx,
        order_number,
        lambda o, now: decide_cancel(o, request_id, confirm=False, at=now, note=note),
        command="refuse_cancel",
        idempotency_key=idempotency_key,
        request=request_id,
        note=note,
    )


def approve_change(
    ctx: ServiceContext,
    order_number: str,
    request_id: str,
    *,
    apply: bool = True,
    idempotency_key: str | None = None,
) -> Order:
    """Approve a change request and, unless ``apply`` is false, carry it out at once."""

    def step(order: Order, now: datetime) -> tuple[Order, Refund | None]:
        approved = decide_change(order, request_id, approve=True, at=now)
        return apply_change(approved, request_id, now) if apply else (approved, None)

    return decide(
        ctx,
        order_number,
        step,
        command="approve_change",
        idempotency_key=idempotency_key,
        request=request_id,
        apply=apply,
    )


def apply_approved_change(
    ctx: ServiceContext, order_number: str, request_id: str, *, idempotency_key: str | None = None
) -> Order:
    """Carry out a change approved earlier (checked again against the order's state)."""
    return decide(
        ctx,
        order_number,
        lambda o, now: apply_change(o, request_id, now),
        command="apply_approved_change",
        idempotency_key=idempotency_key,
        request=request_id,
    )


def decline_change(
    ctx: ServiceContext,
    order_number: str,
    request_id: str,
    note: str | None = None,
    *,
    idempotency_key: str | None = None,
) -> Order:
    """Decline a change request (``note`` says why)."""
    return decide(
        ctx,
        order_number,
        lambda o, now: (decide_change(o, request_id, approve=False, at=now, note=note), None),
        command="decline_change",
        idempotency_key=idempotency_key,
        request=request_id,
        note=note,
    )


def resolve_problem(
    ctx: ServiceContext,
    order_number: str,
    report_id: str,
    resolution: Resolution | str,
    note: str | None = None,
    *,
    idempotency_key: str | None = None,
) -> Order:
    """Settle a report: refund (queued for payment), replacement, reship or carrier claim."""
    try:
        chosen = Resolution(resolution)
    except ValueError:
        raise InvalidFieldError("resolution", "is not a resolution") from None
    return decide(
        ctx,
        order_number,
        lambda o, now: problems.resolve_problem(o, report_id, chosen, now, note),
        command="resolve_problem",
        idempotency_key=idempotency_key,
        report=report_id,
        resolution=chosen.value,
        note=note,
    )


def reject_problem(
    ctx: ServiceContext,
    order_number: str,
    report_id: str,
    note: str | None = None,
    *,
    idempotency_key: str | None = None,
) -> Order:
    """Reject a report (``note`` says why)."""
    return decide(
        ctx,
        order_number,
        lambda o, now: problems.resolve_problem(o, report_id, None, now, note),
        command="reject_problem",
        idempotency_key=idempotency_key,
        report=report_id,
        note=note,
    )
