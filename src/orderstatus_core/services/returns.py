"""Returns, end to end: what a guest may send back, the refund preview, the request with
its RMA packages, their papers, and the store's steps up to the refund or store credit.

Guest commands prove the right to the order like every other action (a guest pass by
default; the store's ``orderstatus_pass_required("return")`` may waive it) and answer a
closed union of values (:data:`ReturnResult` ...), refusals included. Staff commands
run through :func:`~orderstatus_core.services.staff.decide`: one write unit, compare-and-set,
idempotency keys. Mail and label work go through the outbox in the command's own
transaction (SECURITY G4); a refund taken as store credit writes its ledger entry in that
same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TypeVar

import attrs

from orderstatus_core.errors import ActionRefusedError, AdapterError, InvalidFieldError
from orderstatus_core.events import ReplacementDue
from orderstatus_core.labels import LabelDocument, ReturnLabelRequest, StoredDocument
from orderstatus_core.messages import (
    ReturnDocumentsJob,
    ReturnLabelMail,
    ReturnReceivedMail,
    ReturnSettledMail,
)
from orderstatus_core.model import EmailAddress, Money, Order
from orderstatus_core.model.display import Texts
from orderstatus_core.model.requests import Refund
from orderstatus_core.model.returns import (
    ReturnDestination,
    ReturnKind,
    ReturnRequest,
    RmaPackage,
    RmaState,
    ShipBy,
)
from orderstatus_core.policies import returns as rules_of
from orderstatus_core.policies.cancellation import next_id
from orderstatus_core.policies.refusals import refusal_text
from orderstatus_core.policies.returns import ReturnDraft, ReturnOptions, ReturnPlan
from orderstatus_core.policies.tracking_numbers import parse_tracking_number
from orderstatus_core.ports import LabelMaker, UnitOfWork
from orderstatus_core.records import CreditEntry
from orderstatus_core.services._retry import retrying
from orderstatus_core.services._texts import shopper_texts
from orderstatus_core.services._unit import write_unit
from orderstatus_core.services.actions import Denied, guest_command
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.effects import queue
from orderstatus_core.services.mail_language import order_mail_language
from orderstatus_core.services.proof import GuestProof, checked_proof
from orderstatus_core.services.staff import Step, decide

__all__ = [
    "OrderReturns",
    "OrderReturnsResult",
    "PapersResult",
    "PreviewResult",
    "ReturnAnswer",
    "ReturnOptionsResult",
    "ReturnPapers",
    "ReturnResult",
    "authorize_return",
    "credit_balance",
    "credit_history",
    "deny_return",
    "enter_return_tracking",
    "inspect_return",
    "make_return_papers",
    "mark_return_in_transit",
    "options_in_language",
    "order_returns",
    "preview_return",
    "receive_return",
    "request_return",
    "return_options",
    "return_papers",
    "settle_return",
    "spend_credit",
]


T = TypeVar("T")
_REFERENCE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@attrs.frozen
class ReturnAnswer:
    """The return as recorded, with an RMA number per package; its papers follow by mail."""

    order_number: str
    request: ReturnRequest


@attrs.frozen
class ReturnPapers:
    """The label and instructions of one RMA package kept for printing (none until the
    relay made them)."""

    order_number: str
    rma_number: str
    documents: tuple[StoredDocument, ...]


def _draft(draft: object) -> ReturnDraft:
    if not isinstance(draft, ReturnDraft):
        raise InvalidFieldError("draft", "must be a ReturnDraft")
    return draft


def _label_request(
    ctx: ServiceContext,
    order: Order,
    rma_number: str,
    destination: ReturnDestination,
    language: str,
    pack_lines: tuple[str, ...] = (),
    formats: tuple[str, ...] = ("pdf",),
) -> ReturnLabelRequest:
    policy = ctx.policies.return_rules().policy
    return ReturnLabelRequest(
        rma_number=rma_number,
        sender=order.shipping_address,
        destination=destination.address,
        carrier=policy.label_carrier,
        service=policy.label_service,
        weight_grams=policy.label_weight_grams,
        language=language,
        pack_lines=pack_lines,
        formats=formats,
    )


def _maker(ctx: ServiceContext) -> LabelMaker:
    if ctx.label_maker is None:
        raise AdapterError("no label maker is configured (OrderStatus.open(labels=...))")
    return ctx.label_maker


def _plan(ctx: ServiceContext, order: Order, draft: ReturnDraft, now: datetime) -> ReturnPlan:
    # Only a label the shopper pays for needs its price now: a carrier that is down
    # never blocks a free return.
    if not draft.pays_for_label:
        return rules_of.plan_return(order, draft, ctx.policies.return_rules(), {}, now)
    routes = rules_of.route_units(order, draft, ctx.policies.return_rules(), now)
    maker = _maker(ctx)
    quotes: dict[str, Money] = {}
    for destination in routes:
        quote = maker.quote(_label_request(ctx, order, "RMA-QUOTE", destination, draft.language))
        if not isinstance(quote, Money) or quote.currency != order.currency:
            raise AdapterError(f"the label maker quoted {quote!r}, not {order.currency}")
        quotes[destination.code] = quote
    return rules_of.plan_return(
        order, draft, ctx.policies.return_rules(), quotes, now, routes=routes
    )


#: The answers to asking what may come back of an order.
ReturnOptionsResult = ReturnOptions | Denied
#: The answers to a refund preview.
PreviewResult = ReturnPlan | Denied


def return_options(
    ctx: ServiceContext,
    proof: GuestProof,
    order_number: str,
    kind: ReturnKind | str = ReturnKind.RETURN,
) -> ReturnOptionsResult:
    """What may come back of each line, for ``kind`` (a return, a core, a warranty
    claim), with a reason code and message for each unit that may not, the message in
    the proof's language."""
    try:
        chosen = ReturnKind(kind)
    except ValueError:
        raise InvalidFieldError("kind", "is return, core or warranty") from None
    texts = shopper_texts(ctx, checked_proof(proof).language)

    def step(_uow: UnitOfWork, order: Order, now: datetime) -> ReturnOptions:
        options = rules_of.return_options(order, chosen, ctx.policies.return_rules(), now)
        return options_in_language(options, texts)

    return _read(ctx, "return_options", order_number, proof, ReturnOptions, step)


def options_in_language(options: ReturnOptions, texts: Texts) -> ReturnOptions:
    """``options`` with each refusal's message the text of its code in ``texts``' language
    (a store's own code keeps its own words, translated if its catalog has them)."""
    lines = tuple(
        attrs.evolve(
            line,
            refusals=tuple(
                attrs.evolve(r, message=refusal_text(texts, r.code, r.message))
                for r in line.refusals
            ),
        )
        if line.refusals
        else line
        for line in options.lines
    )
    return attrs.evolve(options, lines=lines)


def _read(
    ctx: ServiceContext,
    command: str,
    order_number: str,
    proof: GuestProof,
    answer: type[T],
    step: Callable[[UnitOfWork, Order, datetime], T],
) -> T | Denied:
    """A guest's look at an order's returns: authorized like a return, and never stored
    as an idempotent reply."""
    return guest_command(ctx, command, "return", order_number, proof, None, answer, step)


@attrs.frozen
class OrderReturns:
    """An order's returns, newest first, each with its packages' RMA numbers and states."""

    order_number: str
    returns: tuple[ReturnRequest, ...]


#: The answers to listing an order's returns.
OrderReturnsResult = OrderReturns | Denied
#: The answers to a return request and to a shopper's own tracking number.
ReturnResult = ReturnAnswer | Denied
#: The answers to asking for an RMA package's papers.
PapersResult = ReturnPapers | Denied


def order_returns(ctx: ServiceContext, proof: GuestProof, order_number: str) -> OrderReturnsResult:
    """The returns of an order and where each package stands, for the Order Status page."""

    def step(_uow: UnitOfWork, order: Order, _now: datetime) -> OrderReturns:
        return OrderReturns(order.number, tuple(reversed(order.returns)))

    return _read(ctx, "order_returns", order_number, proof, OrderReturns, step)


def preview_return(
    ctx: ServiceContext, proof: GuestProof, order_number: str, draft: ReturnDraft
) -> PreviewResult:
    """The refund preview of ``draft`` (per package and in total) before the shopper
    commits; changes nothing. :class:`Refused` with a reason code like the request itself."""
    checked = _draft(draft)

    def step(_uow: UnitOfWork, order: Order, now: datetime) -> ReturnPlan:
        return _plan(ctx, order, checked, now)

    return _read(ctx, "preview_return", order_number, proof, ReturnPlan, step)


def _queue_papers(uow: UnitOfWork, order: Order, request: ReturnRequest, now: datetime) -> None:
    for package in request.packages:
        if package.state is RmaState.AWAITING_SHIPMENT:
            job = ReturnDocumentsJob(
                order_number=order.number,
                return_id=request.return_id,
                rma_number=package.rma_number,
                with_label=request.ship_by is ShipBy.LABEL,
            )
            queue(uow, job, now)


def request_return(
    ctx: ServiceContext,
    proof: GuestProof,
    order_number: str,
    draft: ReturnDraft,
    *,
    idempotency_key: str | None = None,
) -> ReturnResult:
    """Record a return: routed into one RMA package per destination, each previewed.

    Packages that may ship at once get their papers (label and instructions, or the
    instructions alone when the shopper ships on their own) made by the relay, which then
    mails the shopper; kinds the store authorises first wait for staff.
    """
    checked = _draft(draft)

    def step(uow: UnitOfWork, order: Order, now: datetime) -> ReturnAnswer:
        plan = _plan(ctx, order, checked, now)
        return_id = next_id("RET", len(order.returns))
        changed, request = rules_of.request_return(
            order, plan, return_id, ctx.policies.return_rules().policy, now
        )
        uow.orders.save(changed)
        _queue_papers(uow, changed, request, now)
        return ReturnAnswer(order.number, request)

    return guest_command(
        ctx,
        "request_return",
        "return",
        order_number,
        proof,
        idempotency_key,
        ReturnAnswer,
        step,
        draft=attrs.asdict(checked),
    )


def enter_return_tracking(
    ctx: ServiceContext,
    proof: GuestProof,
    order_number: str,
    rma_number: str,
    tracking_number: str,
    *,
    carrier: str | None = None,
    idempotency_key: str | None = None,
) -> ReturnResult:
    """The shopper shipped an RMA package themselves: record their tracking number.

    The carrier is detected (or checked against ``carrier``) and the check digit
    validated first; a bad number raises
    :class:`~orderstatus_core.errors.InvalidTrackingNumberError` with a clear reason.
    """
    parsed = parse_tracking_number(tracking_number, carrier)

    def step(uow: UnitOfWork, order: Order, now: datetime) -> ReturnAnswer:
        changed = rules_of.enter_own_tracking(order, rma_number, parsed.carrier, parsed.number, now)
        uow.orders.save(changed)
        request, _ = changed.rma(rma_number)
        return ReturnAnswer(order.number, request)

    return guest_command(
        ctx,
        "enter_return_tracking",
        "return",
        order_number,
        proof,
        idempotency_key,
        ReturnAnswer,
        step,
        rma=str(rma_number)[:40],
        tracking=parsed.number,
    )


def return_papers(
    ctx: ServiceContext, proof: GuestProof, order_number: str, rma_number: str
) -> PapersResult:
    """The label and instructions of an RMA package, to print again."""

    def step(uow: UnitOfWork, order: Order, _now: datetime) -> ReturnPapers:
        try:
            order.rma(rma_number)
        except KeyError:
            raise ActionRefusedError("unknown_rma", "this order has no such RMA") from None
        kept = tuple(d for d in uow.documents.for_rma(rma_number) if d.order_number == order.number)
        return ReturnPapers(order.number, rma_number, kept)

    return _read(ctx, "return_papers", order_number, proof, ReturnPapers, step)


# --- the relay's work ------------------------------------------------------------------------


def _pack_lines(order: Order, package: RmaPackage) -> tuple[str, ...]:
    rows = []
    for units in package.units[:20]:
        line = order.line(units.line_no)
        rows.append(f"{units.quantity} x {line.part_number} {line.description}"[:120])
    return tuple(rows)


def make_return_papers(ctx: ServiceContext, job: ReturnDocumentsJob) -> None:
    """Carry out a :class:`ReturnDocumentsJob` (the relay calls this): make the label and
    instructions, keep them, record the label's cost on the package and mail the shopper,
    the last three in one transaction.

    Safe to run again (delivery is at least once): a job whose papers are already kept does
    nothing, so the label is bought and the shopper mailed once. Only a crash between
    making the label and keeping it makes a second one; a carrier adapter should pass the
    RMA number to its carrier as the idempotency key for that case.

    The papers and the mail are in the language of the account the order's address or the
    order belongs to, else the return's (:func:`order_mail_language`), each read in the
    unit that reads the order for them.
    """
    maker = _maker(ctx)
    with ctx.storage.unit_of_work() as uow:
        order = uow.orders.get(job.order_number)
        done = bool(uow.documents.for_rma(job.rma_number))
        if order is None:
            raise AdapterError(f"order {job.order_number} of {job.rma_number} is gone")
        if done:
            return
        request, index = order.rma(job.rma_number)
        language = order_mail_language(uow, order.email, order.number, request.language)
    package = request.packages[index]
    label_request = _label_request(
        ctx,
        order,
        package.rma_number,
        package.destination,
        language,
        _pack_lines(order, package),
        ("pdf", "zpl"),
    )
    documents: list[LabelDocument] = []
    label = None
    if job.with_label:
        label = maker.make_label(label_request)
        if not isinstance(label.cost, Money) or label.cost.currency != order.currency:
            raise AdapterError(f"the label maker priced {label.cost!r:.60}, not {order.currency}")
        documents.extend(label.documents)
    documents.append(maker.make_instructions(label_request, label))

    def record() -> None:
        with write_unit(ctx, job.order_number) as locked:
            uow, current, now = locked.uow, locked.order, locked.now
            if current is None:
                raise AdapterError(f"order {job.order_number} is gone")
            if uow.documents.for_rma(job.rma_number):
                return  # another relay finished the same job first
            for document in documents:
                uow.documents.put(StoredDocument(current.number, package.rma_number, document))
            changed = current
            if label is not None:
                changed = rules_of.record_label(
                    current,
                    package.rma_number,
                    label.carrier,
                    label.tracking_number,
                    label.cost,
                    now,
                )
                if changed is not current:
                    uow.orders.save(changed)
            fresh, _ = changed.rma(job.rma_number)
            ship_by = fresh.requested_at + timedelta(
                days=ctx.policies.return_rules().policy.ship_within_days
            )
            mail = ReturnLabelMail(
                to=current.email,
                order_number=current.number,
                rma_numbers=(package.rma_number,),
                with_label=label is not None,
                ship_by=ship_by,
                language=order_mail_language(uow, current.email, current.number, fresh.language),
            )
            queue(uow, mail, now)
            uow.commit()

    retrying(record)


# --- the store's steps -------------------------------------------------------------------------


def _mail_settled(uow: UnitOfWork, before: Order, after: Order, now: datetime) -> None:
    """Queue mail and events for every package a step moved on; each mail in the language
    of the order's account, else the return's (:func:`order_mail_language`)."""
    seen = {p.rma_number: p.state for r in before.returns for p in r.packages}
    for request in after.returns:
        for package in request.packages:
            was = seen.get(package.rma_number)
            if was is package.state:
                continue
            currency = after.currency
            if package.state is RmaState.RECEIVED:
                language = order_mail_language(uow, after.email, after.number, request.language)
                queue(
                    uow,
                    ReturnReceivedMail(after.email, after.number, package.rma_number, language),
                    now,
                )
            elif package.state is RmaState.AWAITING_SHIPMENT and was is RmaState.REQUESTED:
                queue(
                    uow,
                    ReturnDocumentsJob(
                        after.number,
                        request.return_id,
                        package.rma_number,
                        request.ship_by is ShipBy.LABEL,
                    ),
                    now,
                )
            elif not package.state.open:
                amount = Money.zero(currency)
                refund = _refund(after, package.refund_id)
                if refund is not None:
                    amount = refund.total
                if package.state is RmaState.REPLACED:
                    units = tuple(sorted(package.accepted.items()))
                    queue(uow, ReplacementDue(after.number, package.rma_number, units), now)
                queue(
                    uow,
                    ReturnSettledMail(
                        after.email,
                        after.number,
                        package.rma_number,
                        package.state.value,
                        amount,
                        order_mail_language(uow, after.email, after.number, request.language),
                    ),
                    now,
                )


def _refund(order: Order, refund_id: str | None) -> Refund | None:
    return next((r for r in order.refunds if r.refund_id == refund_id), None)


def _staff(
    ctx: ServiceContext,
    order_number: str,
    command: str,
    step: Step,
    idempotency_key: str | None,
    **arguments: object,
) -> Order:
    return decide(
        ctx,
        order_number,
        step,
        command=command,
        idempotency_key=idempotency_key,
        effects=_mail_settled,
        **arguments,
    )


#: An RMA step as the policy takes it: the order, the RMA number and the time.
_Move = Callable[[Order, str, datetime], Order]


def _rma_step(
    ctx: ServiceContext,
    order_number: str,
    rma_number: str,
    command: str,
    move: _Move,
    idempotency_key: str | None,
    **arguments: object,
) -> Order:
    """Run ``move`` on one RMA package as a staff command; ``arguments`` join the RMA number
    in the command's idempotency fingerprint."""
    return _staff(
        ctx,
        order_number,
        command,
        lambda o, now: (move(o, rma_number, now), None),
        idempotency_key,
        rma=rma_number,
        **arguments,
    )


def authorize_return(
    ctx: ServiceContext, order_number: str, rma_number: str, *, idempotency_key: str | None = None
) -> Order:
    """Let a package that waits for staff (a warranty claim) ship; its papers follow."""
    move = rules_of.authorize_return
    return _rma_step(ctx, order_number, rma_number, "authorize_return", move, idempotency_key)


def deny_return(
    ctx: ServiceContext,
    order_number: str,
    rma_number: str,
    note: str | None = None,
    *,
    idempotency_key: str | None = None,
) -> Order:
    """Refuse a package that waits for staff (``note`` tells the shopper why)."""

    def move(order: Order, rma: str, now: datetime) -> Order:
        return rules_of.deny_return(order, rma, now, note)

    return _rma_step(ctx, order_number, rma_number, "deny_return", move, idempotency_key, note=note)


def mark_return_in_transit(
    ctx: ServiceContext, order_number: str, rma_number: str, *, idempotency_key: str | None = None
) -> Order:
    """The carrier scanned a return label."""
    move = rules_of.mark_in_transit
    return _rma_step(ctx, order_number, rma_number, "mark_return_in_transit", move, idempotency_key)


def receive_return(
    ctx: ServiceContext, order_number: str, rma_number: str, *, idempotency_key: str | None = None
) -> Order:
    """The destination received a package; the shopper is mailed. No refund yet."""
    move = rules_of.receive_package
    return _rma_step(ctx, order_number, rma_number, "receive_return", move, idempotency_key)


def inspect_return(
    ctx: ServiceContext,
    order_number: str,
    rma_number: str,
    accepted: Mapping[int, int],
    note: str | None = None,
    *,
    idempotency_key: str | None = None,
) -> Order:
    """Record inspection: the units accepted per line (the rest rejected)."""
    if not isinstance(accepted, Mapping):
        raise InvalidFieldError("accepted", "must map line numbers to quantities")
    wanted = dict(accepted)

    def move(order: Order, rma: str, now: datetime) -> Order:
        return rules_of.inspect_package(order, rma, wanted, now, note)

    return _rma_step(
        ctx,
        order_number,
        rma_number,
        "inspect_return",
        move,
        idempotency_key,
        accepted=sorted(wanted.items()),
        note=note,
    )


def settle_return(
    ctx: ServiceContext,
    order_number: str,
    rma_number: str,
    *,
    replace: bool = False,
    idempotency_key: str | None = None,
) -> Order:
    """Refund an inspected package (to the payment, or to store credit as the shopper
    chose, in this same transaction), or replace a warranty claim's parts."""
    policy = ctx.policies.return_rules().policy

    def step(order: Order, now: datetime) -> tuple[Order, Refund | None]:
        refund_id = next_id("R", len(order.refunds))
        return rules_of.settle_package(order, rma_number, refund_id, now, policy, replace=replace)

    return _staff(
        ctx,
        order_number,
        "settle_return",
        step,
        idempotency_key,
        rma=rma_number,
        replace=replace,
    )


def credit_balance(ctx: ServiceContext, email: EmailAddress, currency: str) -> Money:
    """The store-credit balance of a verified ``email`` in ``currency``."""
    with ctx.storage.unit_of_work() as uow:
        return uow.credit.balance(_holder(email), currency)


def credit_history(
    ctx: ServiceContext, email: EmailAddress, limit: int = 50
) -> tuple[CreditEntry, ...]:
    """The newest ``limit`` (1 to 500) entries of a verified ``email``'s store credit."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 500:
        raise InvalidFieldError("limit", "must be 1 to 500")
    with ctx.storage.unit_of_work() as uow:
        return tuple(uow.credit.entries(_holder(email), limit))


def spend_credit(ctx: ServiceContext, email: EmailAddress, amount: Money, reference: str) -> bool:
    """Take ``amount`` of a verified ``email``'s store credit for ``reference`` (the store's
    checkout or payment id). Idempotent by ``reference``: a repeat answers ``False`` and
    takes nothing. Raises :class:`~orderstatus_core.errors.InsufficientCreditError` when
    the balance is short; two checkouts racing for the same credit never both succeed.
    """
    if not isinstance(amount, Money) or amount.amount <= 0:
        raise InvalidFieldError("amount", "must be positive Money")
    if not isinstance(reference, str) or not _REFERENCE.fullmatch(reference):
        raise InvalidFieldError("reference", "must be 1 to 64 letters, digits, - or _")
    holder = _holder(email)

    def attempt() -> bool:
        with write_unit(ctx, balance=(holder, amount.currency)) as locked:
            entry = CreditEntry(
                entry_id=f"spend:{reference}",
                holder=holder,
                amount=Money.zero(amount.currency) - amount,
                at=locked.now,
                reference=reference,
            )
            added = locked.uow.credit.append(entry)
            locked.uow.commit()
        return added

    return retrying(attempt)


def _holder(email: EmailAddress) -> str:
    if not isinstance(email, EmailAddress):
        raise InvalidFieldError("email", "must be a verified EmailAddress")
    return email.canonical
