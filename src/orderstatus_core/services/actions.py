"""What a guest does to an order: cancel units, ask for a change, report a problem.

Every command proves the guest's right to the order first (SECURITY F3): by default with a
guest pass (:mod:`orderstatus_core.services.guest_pass`); where the store's
``orderstatus_pass_required`` hook waives it for an action, the look-up pair (the order's
email or phone) is enough, rate-limited like find-order. Every outcome a page shows is a
value (:data:`CancelResult` ...): a refused proof is :class:`NoValidPass` (or, for a wrong
look-up pair, :class:`OrderNotFound`), the same whether the order exists or not (SECURITY
A1); a refusal by the order's state is :class:`Refused` with a reason code. Only bad input
(:class:`~orderstatus_core.errors.ValidationError`) and failures (``AdapterError``,
``ConflictError`` after retries) raise.

Each command is one write unit of work: read, check the proof, decide, save with
compare-and-set, queue what follows (a refund for the payment system), commit (G1, G2).
Inputs are validated like a stranger's (F4, H3): typed values only, no status, owner,
price or label field is ever taken from the guest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar, get_args

import attrs

from orderstatus_core.errors import ActionRefusedError, InvalidFieldError, ValidationError
from orderstatus_core.model import Order, canonical_order_number
from orderstatus_core.model.requests import (
    Change,
    ChangeRequest,
    ProblemKind,
    ProblemReport,
    Refund,
)
from orderstatus_core.policies import changes, problems
from orderstatus_core.policies.cancellation import LineCancellation, cancel_units
from orderstatus_core.ports import UnitOfWork
from orderstatus_core.services._retry import retrying
from orderstatus_core.services._texts import in_language, shopper_texts
from orderstatus_core.services._unit import Locked, write_unit
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.effects import one_version_on, queue_refund, queue_tracking_mail
from orderstatus_core.services.guest_pass import check_guest_pass, pass_required
from orderstatus_core.services.idempotency import checked_key, once
from orderstatus_core.services.lookup import _contact, _identity, pair_limits
from orderstatus_core.services.proof import GuestProof, checked_proof
from orderstatus_core.services.results import NoValidPass, OrderNotFound, Refused, TryLater

__all__ = [
    "CancelAnswer",
    "CancelResult",
    "ChangeAnswer",
    "ChangeResult",
    "Denied",
    "ProblemAnswer",
    "ProblemResult",
    "cancel_order",
    "guest_command",
    "report_problem",
    "request_change",
]

_MAX_UNITS_TEXT = 40
T = TypeVar("T")


@attrs.frozen
class CancelAnswer:
    """What a cancel did, per line, and the refund due now (units in processing are
    refunded when the warehouse confirms)."""

    order_number: str
    lines: tuple[LineCancellation, ...]
    refund: Refund | None


@attrs.frozen
class ChangeAnswer:
    """The change request as recorded; ``state`` says whether it was approved and applied
    at once by the store's auto-approval policy."""

    order_number: str
    request: ChangeRequest
    refund: Refund | None = None


@attrs.frozen
class ProblemAnswer:
    """The problem report as recorded; staff resolve it."""

    order_number: str
    report: ProblemReport


#: The answers to a guest's cancel; a page ``match``es them all.
CancelResult = CancelAnswer | Refused | NoValidPass | OrderNotFound | TryLater
#: The answers to a guest's change request.
ChangeResult = ChangeAnswer | Refused | NoValidPass | OrderNotFound | TryLater
#: The answers to a guest's problem report.
ProblemResult = ProblemAnswer | Refused | NoValidPass | OrderNotFound | TryLater


def _units(units: Mapping[int, int] | None) -> dict[int, int] | None:
    """A guest's unit selection, checked for shape before anything else looks at it."""
    if units is None:
        return None
    if not isinstance(units, Mapping) or not 1 <= len(units) <= 500:
        raise InvalidFieldError("units", "name 1 to 500 lines as {line number: quantity}")
    checked: dict[int, int] = {}
    for line_no, quantity in units.items():
        for value in (line_no, quantity):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
                raise InvalidFieldError("units", f"{str(value)[:_MAX_UNITS_TEXT]!r} is not a count")
        checked[line_no] = quantity
    return checked


_NO_PASS = NoValidPass()
_NOT_FOUND = OrderNotFound()

#: What every guest command may answer besides its own value (SECURITY A1, C1).
Denied = Refused | NoValidPass | OrderNotFound | TryLater


def _authorize(
    ctx: ServiceContext,
    locked: Locked,
    action: str,
    number: str | None,
    proof: GuestProof,
    contact: str | None,
) -> Order | NoValidPass | OrderNotFound | TryLater:
    """The order ``locked`` holds, if the guest proved their right to ``action`` on it
    (``number`` is ``None`` when what the guest typed is no order number at all;
    ``contact`` is the key of the pair's email or phone when the pair may act).

    The answer depends on what the guest showed, never on whether the order exists: a
    pass that does not open ``number`` is :class:`NoValidPass`, a wrong look-up pair is
    :class:`OrderNotFound`, as find-order answers it (SECURITY A1)."""
    uow, order, now = locked.uow, locked.order, locked.now
    if (
        proof.guest_pass is not None
        and number is not None
        and check_guest_pass(uow, proof.guest_pass, number, now)
    ):
        return _NOT_FOUND if order is None else order
    if pass_required(ctx, action) or not isinstance(proof.identifier, str):
        return _NO_PASS
    if number is None:
        return _NOT_FOUND
    refused = pair_limits(ctx, now, proof.client, _identity(proof.identifier, contact), number)
    if refused is not None:
        return refused
    if contact is not None and proof.guest_pass is not None:
        # The pass failed and the unit read the order by number: ask by the pair.
        order = uow.orders.get_for_contact(number, contact)
    if contact is not None and order is not None:
        return order
    return _NOT_FOUND


def guest_command(
    ctx: ServiceContext,
    command: str,
    action: str,
    order_number: str,
    proof: GuestProof,
    idempotency_key: str | None,
    answer: type[T],
    step: Callable[[UnitOfWork, Order, datetime], T],
    **arguments: object,
) -> T | Denied:
    """Authorize ``proof`` for ``action``, then run ``step`` once per idempotency key, in
    one write unit, at the time read after the order's lock was taken (SECURITY G6).

    Every guest command runs through here, so this is the one place where a refusal
    becomes a value: a policy's :class:`~orderstatus_core.errors.ActionRefusedError`
    rolls the unit back and answers :class:`Refused` with its code and the code's text in
    the proof's language (as every other refusal the command answers). The stored
    idempotent reply is ``command``'s (its one name in the facade and the services);
    only a success is stored, so a replayed refusal is decided again, to the same value.
    """
    proof = checked_proof(proof)
    key = checked_key(idempotency_key)
    texts = shopper_texts(ctx, proof.language)
    try:
        number: str | None = canonical_order_number(order_number)
    except ValidationError:
        number = None
    contact = None
    if isinstance(proof.identifier, str) and not pass_required(ctx, action):
        contact = _contact(proof.identifier, ctx.policies.lookup_policy().phone_region)
    # The unit locks the order by reading it: by number for a guest pass, by the look-up
    # pair otherwise, so that a wrong contact and an unknown number do the same work
    # (SECURITY A6); with neither, nothing is read.
    if proof.guest_pass is not None:
        read_number, read_contact = number, None
    elif contact is not None:
        read_number, read_contact = number, contact
    else:
        read_number, read_contact = None, None

    def attempt() -> T | Denied:
        with write_unit(ctx, read_number, contact=read_contact) as locked:
            order = _authorize(ctx, locked, action, number, proof, contact)
            if not isinstance(order, Order):
                return order
            found: Order = order  # narrowed, for the closure below
            uow, now = locked.uow, locked.now
            result = once(
                uow,
                key,
                now,
                answer,
                lambda: step(uow, found, now),
                command,
                order=found.number,
                **arguments,
            )
            uow.commit()
        return result

    try:
        return in_language(retrying(attempt), texts)
    except ActionRefusedError as refusal:
        return in_language(Refused(refusal.code, refusal.message), texts)


def cancel_order(
    ctx: ServiceContext,
    proof: GuestProof,
    order_number: str,
    units: Mapping[int, int] | None = None,
    *,
    idempotency_key: str | None = None,
) -> CancelResult:
    """Cancel ``units`` (line number: quantity) of an order, or all that is left (``None``).

    Units not yet in warehouse processing are cancelled at once and refunded (a
    :class:`RefundDue` goes to the payment system through the outbox); units in processing
    become cancel requests the warehouse decides; shipped units are refused (that is a
    return). The answer says per line what happened and why.
    """
    wanted = _units(units)

    def step(uow: UnitOfWork, order: Order, now: datetime) -> CancelAnswer:
        if not ctx.policies.cancel_allowed(order, now):
            raise ActionRefusedError(
                "cancel_window_closed", "this order can no longer be cancelled online"
            )
        outcome = cancel_units(order, wanted, now)
        uow.orders.save(outcome.order)
        queue_refund(uow, outcome.order, outcome.refund, now)
        queue_tracking_mail(ctx, uow, order, outcome.order, now)
        return CancelAnswer(order.number, outcome.lines, outcome.refund)

    return guest_command(
        ctx,
        "cancel_order",
        "cancel",
        order_number,
        proof,
        idempotency_key,
        CancelAnswer,
        step,
        units=wanted,
    )


def request_change(
    ctx: ServiceContext,
    proof: GuestProof,
    order_number: str,
    change: Change,
    *,
    idempotency_key: str | None = None,
) -> ChangeResult:
    """Ask for a typed change; :class:`Refused` with a reason code when not possible now.

    When the store's auto-approval policy approves it, it is applied in the same
    transaction (and fewer units are refunded at once).
    """
    if not isinstance(change, get_args(Change)):
        raise InvalidFieldError("change", "must be one of the typed changes")

    def step(uow: UnitOfWork, order: Order, now: datetime) -> ChangeAnswer:
        if not ctx.policies.change_allowed(order, change):
            raise ActionRefusedError("change_not_offered", "this store does not offer that change")
        changed, request = changes.request_change(order, change, now)
        refund: Refund | None = None
        if ctx.policies.auto_approve_change(order, change):
            changed = changes.decide_change(changed, request.request_id, approve=True, at=now)
            changed, refund = changes.apply_change(changed, request.request_id, now)
            request = next(r for r in changed.change_requests if r.request_id == request.request_id)
        changed = one_version_on(order, changed)
        uow.orders.save(changed)
        queue_refund(uow, changed, refund, now)
        queue_tracking_mail(ctx, uow, order, changed, now)
        return ChangeAnswer(order.number, request, refund)

    return guest_command(
        ctx,
        "request_change",
        "change",
        order_number,
        proof,
        idempotency_key,
        ChangeAnswer,
        step,
        change=change,
    )


def report_problem(
    ctx: ServiceContext,
    proof: GuestProof,
    order_number: str,
    kind: ProblemKind | str,
    units: Mapping[int, int] | None = None,
    text: str = "",
    *,
    package_id: str | None = None,
    idempotency_key: str | None = None,
) -> ProblemResult:
    """Report a problem with ``units`` (or a whole package, ``package_id``); staff resolve
    it."""
    try:
        problem = ProblemKind(kind)
    except ValueError:
        raise InvalidFieldError("kind", "is not a kind of problem") from None
    reported = _units(units) or {}

    def step(uow: UnitOfWork, order: Order, now: datetime) -> ProblemAnswer:
        changed, report = problems.report_problem(order, problem, reported, text, now, package_id)
        uow.orders.save(changed)
        return ProblemAnswer(order.number, report)

    return guest_command(
        ctx,
        "report_problem",
        "report",
        order_number,
        proof,
        idempotency_key,
        ProblemAnswer,
        step,
        kind=problem.value,
        units=reported,
        text=text,
        package=package_id,
    )
