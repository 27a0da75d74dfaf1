"""A state machine over the order lifecycle, run against a storage and the memory reference.

:class:`LifecycleMachine` keeps a few small orders and moves them through their life the way
the services do: read the order in a write unit, take one step through the pure policies
(open, ship and deliver packages; cancel units and decide cancel requests; request, decide
and apply changes; report and settle problems), save the next version with compare-and-set
and commit. Every step runs on the storage under test *and* on a fresh ``memory://``
reference storage (Hypothesis's own Redis tests do the same); both must answer alike and
read back equal orders.

Returns, cores and warranty claims go through the services themselves, on a
:class:`~orderstatus_core.ServiceContext` per storage sharing one clock, so that the order
repository, the outbox, the store-credit ledger, the return papers and the guest passes of
the storage are all exercised: a guest asks what may come back (``return_options``),
previews and requests a return of some of those units (label or own tracking, refund to
the payment or to store credit); staff authorise or deny warranty claims, see packages in
transit, receive, inspect (some units accepted) and settle them (refund, or replacement of
a warranty claim); the outbox relay makes the papers through a
:class:`~orderstatus_core.testing.RecordingLabelMaker` (or fails on a
:class:`~orderstatus_core.testing.FailingLabelMaker`), mails the shopper and publishes the
refunds; the shopper spends store credit; and days pass, so that windows close. The store's
rules are :data:`RETURN_RULES`.

Most steps are drawn so that they are legal. Some are illegal on purpose (ship a shipped
package, deliver one that has not shipped, pack more units than are awaiting, decide a
request twice, apply a change nobody approved, save a stale version, lose a race between a
cancel and a shipment, return more than may come back, take an RMA step out of turn, enter
a bad tracking number, spend more credit than there is); both storages must refuse them
with the same reason code, or with :class:`~orderstatus_core.errors.ConflictError` for the
saves, and keep what they had.

After every step the adapter's copy of every order is checked against the invariants of
DOMAIN.md sections 3 and 4 (see :meth:`LifecycleMachine.orders_keep_their_invariants`), and
its outbox, ledger and papers against the orders' returns and refunds (see
:meth:`LifecycleMachine.the_books_balance`).

An adapter author gets this for free from
:class:`~orderstatus_core.testing.contract.StorageContract`; to run it longer::

    from hypothesis import settings
    from hypothesis.stateful import run_state_machine_as_test
    from orderstatus_core.testing.lifecycle import lifecycle_of

    run_state_machine_as_test(
        lifecycle_of(storage),
        settings=settings(max_examples=300, stateful_step_count=40, deadline=None),
    )

Each run works under its own order numbers, shopper, guest passes and credit references,
and marks its outbox messages sent when it ends, so runs can share the one storage a test
fixture gives.
"""

from __future__ import annotations

import itertools
import string
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import ClassVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from hypothesis.strategies import DrawFn, SearchStrategy

from orderstatus_core.contacts import parse_email
from orderstatus_core.errors import (
    ActionRefusedError,
    AdapterError,
    ConflictError,
    IdempotencyKeyReusedError,
    InvalidTrackingNumberError,
)
from orderstatus_core.events import DomainEvent, RefundDue, ReplacementDue
from orderstatus_core.labels import StoredDocument
from orderstatus_core.messages import OutboxItem, OutboxMessage, ReturnDocumentsJob
from orderstatus_core.model import Address, LineLedger, Money, Order, OrderLine, OrderState
from orderstatus_core.model.fulfilment import deliver_package, open_package, ship_package
from orderstatus_core.model.guest_pass import GuestPass
from orderstatus_core.model.requests import (
    AddressChange,
    CancelState,
    Change,
    ChangeState,
    LineRemoval,
    PartSwap,
    ProblemKind,
    ProblemState,
    QuantityChange,
    Refund,
    Resolution,
    ShippingSpeed,
    SpeedChange,
)
from orderstatus_core.model.returns import (
    Fault,
    RefundMethod,
    ReturnDestination,
    ReturnKind,
    ReturnReason,
    ReturnRequest,
    RmaPackage,
    RmaState,
    ShipBy,
)
from orderstatus_core.policies import returns as return_policy
from orderstatus_core.policies.cancellation import cancel_units, decide_cancel
from orderstatus_core.policies.changes import (
    apply_change,
    change_refusal,
    decide_change,
    request_change,
)
from orderstatus_core.policies.problems import report_problem, resolve_problem
from orderstatus_core.policies.returns import (
    EXAMPLE_RETURNS_CENTER,
    ReturnDraft,
    ReturnOptions,
    ReturnPlan,
    ReturnPolicy,
    ReturnRules,
    cancelled_but_shipped,
)
from orderstatus_core.policies.tracking_numbers import parse_tracking_number
from orderstatus_core.ports import Storage
from orderstatus_core.records import CreditEntry
from orderstatus_core.services import (
    GuestProof,
    OrderReturns,
    Refused,
    ReturnAnswer,
    ReturnPapers,
    ServiceContext,
    authorize_return,
    credit_balance,
    credit_history,
    deny_return,
    enter_return_tracking,
    inspect_return,
    mark_return_in_transit,
    order_returns,
    preview_return,
    receive_return,
    relay_outbox,
    request_return,
    return_options,
    return_papers,
    settle_return,
    spend_credit,
)
from orderstatus_core.testing import strategies
from orderstatus_core.testing.builders import PLACED_AT, make_order
from orderstatus_core.testing.fakes import (
    FailingLabelMaker,
    FixedClock,
    RecordingLabelMaker,
    RecordingMailer,
    fake_context,
)

__all__ = ["RETURN_RULES", "LifecycleMachine", "StepOutcome", "check_order", "lifecycle_of"]

#: One lifecycle step: the next version of an order, or ActionRefusedError.
Step = Callable[[Order], Order]
#: One service command on one storage's context.
Command = Callable[[ServiceContext], object]

_MAX_ORDERS = 3
_MAX_LINES = 3
_MAX_QUANTITY = 4
_runs = itertools.count(1)
# Steps happen a few minutes apart, from an hour after the orders were placed.
_FIRST_STEP = PLACED_AT + timedelta(hours=1)
_TICK = timedelta(minutes=7)
_REPORT_TEXT = string.ascii_letters + string.digits + " .,!?-'\näöåéü€"
_NOTE_TEXT = string.ascii_letters + string.digits + " .,-äöå"
# Problems about what arrived in the box need shipped units; those about a package's
# journey need a shipped package (policies/problems.py).
_ABOUT_RECEIVED_UNITS = (
    ProblemKind.MISSING_ITEM,
    ProblemKind.DAMAGED_IN_TRANSIT,
    ProblemKind.WRONG_PART,
    ProblemKind.DEFECTIVE,
)
_ABOUT_A_PACKAGE = (ProblemKind.NOT_DELIVERED, ProblemKind.TRACKING_NOT_UPDATING)
_CARRIERS = ("UPS", "FedEx", "USPS", "DHL")
_WAREHOUSES = ("Columbus, OH", "Reno, NV")

# --- returns: the store's rules, the guest's proof, the fakes' settings ----------------------

_END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)
_CLIENT = "lifecycle-machine"
_VALIDATOR = "v" * 43
_PASS_LIFETIME = timedelta(days=200 * 366)  # days pass by the hundred
_LABEL_COST = Money("6.25", "USD")
_CURRENCY = "USD"
#: The refund reasons of returns (``Refund.reason``): one per kind of return.
_RETURN_REFUNDS = frozenset(kind.value for kind in ReturnKind)
_REASONS: Mapping[ReturnKind, tuple[ReturnReason, ...]] = {
    ReturnKind.RETURN: tuple(r for r in ReturnReason if r is not ReturnReason.CORE),
    ReturnKind.CORE: (ReturnReason.CORE,),
    ReturnKind.WARRANTY: (ReturnReason.DEFECTIVE,),
}
#: Tracking numbers a shopper may type (check digits valid), as typed.
_GOOD_TRACKING = (
    "1Z999AA10123456784",
    "1z 999 aa1 01 2345 6784",
    "9400 1112 0108 0805 4830 16",
    "986578788855",
)
#: And some that are refused before anything is read.
_BAD_TRACKING = ("1Z999AA10123456785", "", "^XA^FDhi^FS^XZ", "1Z999AA10123456784'--")
_WEST = ReturnDestination(
    code="reno-returns",
    name="Reno Returns",
    address=Address(
        name="Example Parts West",
        line1="9 Dock Road",
        city="Reno",
        region="NV",
        postal_code="89502",
        country="US",
    ),
)
_SUPPLIER = ReturnDestination(
    code="supplier-acme",
    name="Acme Warranty Center",
    address=Address(
        name="Acme Auto Parts",
        line1="100 Industrial Pkwy",
        city="Toledo",
        region="OH",
        postal_code="43604",
        country="US",
    ),
)


def _route(
    _order: Order, line: OrderLine, reason: ReturnReason, shipped_from: str
) -> ReturnDestination:
    """Defective parts under warranty go to their supplier; the rest to the warehouse
    that shipped them (Reno has its own returns dock), so one return may need several
    packages."""
    if reason is ReturnReason.DEFECTIVE and line.warranty_months:
        return _SUPPLIER
    return _WEST if shipped_from == "Reno, NV" else EXAMPLE_RETURNS_CENTER


#: The return rules the machine's stores run with: DOMAIN.md's defaults (30 days from the
#: ship date, cores within 6 months, warranty claims wait for staff) with a 10 % restocking
#: fee and routing by warehouse and reason.
RETURN_RULES = ReturnRules(ReturnPolicy(restocking_fee_percent=Decimal(10)), route=_route)

_STAFF_STEPS: Mapping[str, frozenset[RmaState]] = {
    "authorize": frozenset({RmaState.REQUESTED}),
    "deny": frozenset({RmaState.REQUESTED}),
    "in_transit": frozenset({RmaState.AWAITING_SHIPMENT}),
    "receive": frozenset({RmaState.AWAITING_SHIPMENT, RmaState.IN_TRANSIT}),
    "inspect": frozenset({RmaState.RECEIVED}),
    "settle": frozenset({RmaState.INSPECTED}),
}
_OPEN = tuple(state for state in RmaState if state.open)
_INSPECTED = frozenset(
    {RmaState.INSPECTED, RmaState.REFUNDED, RmaState.CREDITED, RmaState.REPLACED}
)


@attrs.frozen
class StepOutcome:
    """What one step did to one storage: the order it saved, or why nothing was saved.

    ``refused`` is the :class:`~orderstatus_core.errors.ActionRefusedError` reason code,
    ``"conflict"`` for a save refused with
    :class:`~orderstatus_core.errors.ConflictError`, or ``None`` when ``saved`` is set.
    """

    saved: Order | None = None
    refused: str | None = None


def _take_step(storage: Storage, number: str, step: Step) -> StepOutcome:
    """``get`` → step → ``save`` → ``commit``, in one write unit, as a service does it."""
    with storage.unit_of_work(write=True) as uow:
        before = uow.orders.get(number)
        if before is None:
            return StepOutcome(refused="missing")
        try:
            after = step(before)
        except ActionRefusedError as refusal:
            return StepOutcome(refused=refusal.code)  # leaving without commit: nothing kept
        try:
            uow.orders.save(after)
        except ConflictError:
            return StepOutcome(refused="conflict")
        uow.commit()
    return StepOutcome(saved=after)


def _save(storage: Storage, order: Order) -> StepOutcome:
    with storage.unit_of_work(write=True) as uow:
        try:
            uow.orders.save(order)
        except ConflictError:
            return StepOutcome(refused="conflict")
        uow.commit()
    return StepOutcome(saved=order)


def _read(storage: Storage, number: str) -> Order | None:
    with storage.unit_of_work() as uow:
        return uow.orders.get(number)


def _display_forms(order: Order | None) -> object:
    # Equality compares emails and part numbers by canonical key; an adapter must still
    # keep what the shopper typed and the catalogue wrote.
    if order is None:
        return None
    return (
        order.email.display,
        [(line.part_number.display, line.category.segments) for line in order.lines],
    )


@st.composite
def _new_orders(draw: DrawFn, number: str, email: str) -> Order:
    """A freshly placed order: 1 to 3 lines of 1 to 4 units, nothing cancelled or packed."""
    line_nos = draw(
        st.lists(st.integers(1, 9), min_size=1, max_size=_MAX_LINES, unique=True),
    )
    lines = [
        attrs.evolve(
            draw(strategies.order_lines("USD", line_no, max_quantity=_MAX_QUANTITY)),
            cancelled=0,  # units cancelled before the order existed would have no refund
        )
        for line_no in line_nos
    ]
    return make_order(
        number,
        email,
        lines=lines,
        placed_at=PLACED_AT,
        shipping=draw(strategies.money("USD", max_amount=Decimal(60))),
        tax=draw(strategies.money("USD", max_amount=Decimal(300))),
    )


# --- what the services answered ------------------------------------------------------------


@attrs.frozen
class _Answer:
    """What one service command did on one storage: its answer, or why it was refused
    (an :class:`ActionRefusedError` code, ``tracking:<code>`` for a tracking number refused
    as typed, ``adapter:<message>`` for a port that failed)."""

    value: object = None
    refused: str | None = None


def _call(ctx: ServiceContext, command: Command) -> _Answer:
    try:
        value = command(ctx)
    except InvalidTrackingNumberError as refusal:
        return _Answer(refused=f"tracking:{refusal.code}")
    except ActionRefusedError as refusal:
        return _Answer(refused=refusal.code)
    except IdempotencyKeyReusedError:
        return _Answer(refused="idempotency_key_reused")
    except AdapterError as error:
        return _Answer(refused=f"adapter:{error}")
    if isinstance(value, Refused):
        return _Answer(refused=value.reason)
    return _Answer(value=value)


def _order_number_of(item: OutboxItem | DomainEvent) -> str | None:
    number = getattr(item, "order_number", None)
    return number if isinstance(number, str) else None


@attrs.frozen
class _Books:
    """What one storage holds besides the orders, for one run: the orders, the pending
    outbox, the events its relay published, the shopper's credit and the return papers."""

    orders: Mapping[str, Order]
    pending: Sequence[OutboxMessage]
    published: Sequence[DomainEvent]
    entries: Sequence[CreditEntry]
    balance: Money
    papers: Mapping[str, Sequence[StoredDocument]]

    def events(self) -> list[object]:
        """Every domain event: published, or still in the outbox."""
        pending = [
            m.intent for m in self.pending if isinstance(m.intent, RefundDue | ReplacementDue)
        ]
        return [*pending, *self.published]

    def comparable(self) -> object:
        """Everything but the outbox message ids (drawn at random), in an order that does
        not depend on them (the outbox orders ties of ``created_at`` by message id)."""
        pending = Counter(
            (m.created_at, m.attempts, m.next_attempt_at, m.last_error, m.intent)
            for m in self.pending
        )
        return (
            pending,
            Counter(self.published),
            list(self.entries),
            self.balance,
            dict(self.papers),
        )


@st.composite
def _some_units(draw: DrawFn, available: dict[int, int], min_lines: int = 1) -> dict[int, int]:
    """Some lines of ``available`` (line number: units) with 1 to that many units each."""
    lines = sorted(line_no for line_no, units in available.items() if units > 0)
    if not lines:
        return {}
    chosen = draw(st.lists(st.sampled_from(lines), min_size=min_lines, unique=True))
    return {line_no: draw(st.integers(1, available[line_no])) for line_no in sorted(chosen)}


def _decide_again(kind: str, item_id: str, yes: bool, at: datetime) -> Step:
    """A step that decides an already decided request or report of ``kind`` again."""

    def step(order: Order) -> Order:
        if kind == "cancel":
            return decide_cancel(order, item_id, confirm=yes, at=at)[0]
        if kind == "change":
            return decide_change(order, item_id, approve=yes, at=at)
        return resolve_problem(order, item_id, Resolution.REFUND if yes else None, at)[0]

    return step


# --- the invariants, on one order -----------------------------------------------------------


def _check_ledgers(order: Order) -> None:
    for line in order.lines:
        processing = shipped = delivered = 0
        for package in order.packages:
            units = package.units_of(line.line_no)
            if package.shipped_at is None:
                processing += units
            else:
                shipped += units
            if package.delivered_at is not None:
                delivered += units
        where = f"order {order.number} line {line.line_no}"
        assert line.cancelled + processing + shipped <= line.quantity, (
            f"{where}: cancelled {line.cancelled} + processing {processing} + shipped "
            f"{shipped} > ordered {line.quantity}"
        )
        assert delivered <= shipped, f"{where}: delivered {delivered} > shipped {shipped}"
        assert line.returned <= delivered, f"{where}: returned {line.returned} > {delivered}"
        counted = LineLedger(
            ordered=line.quantity,
            cancelled=line.cancelled,
            processing=processing,
            shipped=shipped,
            delivered=delivered,
            returned=line.returned,
        )
        assert order.ledger(line.line_no) == counted, f"{where}: the ledger miscounts"


def _check_refunds(order: Order) -> None:
    paid = {
        "parts": sum((ln.unit_price.amount * ln.quantity for ln in order.lines), Decimal(0)),
        "cores": sum((ln.core_charge.amount * ln.quantity for ln in order.lines), Decimal(0)),
        "shipping": order.shipping.amount,
        "tax": order.tax.amount,
    }
    for part, limit in paid.items():
        amounts = [getattr(refund, part) for refund in order.refunds]
        assert all(isinstance(m, Money) and not m.is_negative for m in amounts), (
            f"order {order.number}: a negative {part} refund"
        )
        refunded = sum((m.amount for m in amounts), Decimal(0))
        assert refunded <= limit, f"order {order.number}: {part} refunded {refunded} > {limit}"
    total = sum((refund.total.amount for refund in order.refunds), Decimal(0))
    assert total <= sum(paid.values()), f"order {order.number}: refunded {total} in total"
    assert total <= order.total.amount


def _check_refunded_units(order: Order, *, every_deposit_named: bool = False) -> None:
    """Each refund pays back no more price than its units cost and no more deposit than its
    core units carry: money goes back for named units only, so no unit's price or deposit
    can go back twice behind the order-wide caps. Refunds recorded before core units were
    named (version 0.2) carry deposits without them; only refunds of returns, or with
    ``every_deposit_named`` every refund, are held to the deposit rule."""
    for refund in order.refunds:
        where = f"order {order.number} refund {refund.refund_id} ({refund.reason})"
        priced = sum(
            (order.line(u.line_no).unit_price.amount * u.quantity for u in refund.units),
            Decimal(0),
        )
        assert refund.parts.amount <= priced, (
            f"{where}: pays back {refund.parts} of parts for units {refund.units} costing {priced}"
        )
        if every_deposit_named or refund.reason in _RETURN_REFUNDS:
            deposits = sum(
                (order.line(u.line_no).core_charge.amount * u.quantity for u in refund.core_units),
                Decimal(0),
            )
            assert refund.cores.amount <= deposits, (
                f"{where}: pays back {refund.cores} of deposits for {refund.core_units} "
                f"carrying {deposits}"
            )


def _check_cancel_requests(order: Order) -> None:
    packages = {package.package_id: package for package in order.packages}
    open_units: dict[tuple[int, str], int] = {}
    for request in order.cancel_requests:
        where = f"order {order.number} {request.request_id}"
        if request.open:
            package = packages.get(request.package_id)
            assert package is not None, f"{where}: open, but its package is gone"
            assert package.shipped_at is None, f"{where}: open, but its package has shipped"
            key = (request.line_no, request.package_id)
            open_units[key] = open_units.get(key, 0) + request.quantity
            assert request.decided_at is None, f"{where}: open, but decided"
        else:
            assert request.decided_at is not None, f"{where}: {request.state}, never decided"
            assert request.decided_at >= request.requested_at, f"{where}: decided before asked"
        if request.state is CancelState.SHIPPED_ANYWAY:
            shipped = packages.get(request.package_id)
            assert shipped is not None, f"{where}: shipped anyway, but the package is gone"
            assert shipped.shipped_at is not None, f"{where}: shipped anyway, but not shipped"
    for (line_no, package_id), units in open_units.items():
        inside = packages[package_id].units_of(line_no)
        assert units <= inside, (
            f"order {order.number}: open cancel requests for {units} unit(s) of line {line_no}"
            f" in {package_id}, which holds {inside}"
        )


def _check_change_requests_and_reports(order: Order) -> None:
    for change in order.change_requests:
        where = f"order {order.number} {change.request_id}"
        decided = change.state is not ChangeState.REQUESTED
        assert (change.decided_at is not None) == decided, f"{where}: {change.state} decided_at"
        assert (change.applied_at is not None) == (change.state is ChangeState.APPLIED), (
            f"{where}: {change.state} applied_at"
        )
    for report in order.problem_reports:
        where = f"order {order.number} {report.report_id}"
        settled = report.state is not ProblemState.OPEN
        assert (report.resolved_at is not None) == settled, f"{where}: {report.state} resolved_at"
        assert (report.resolution is not None) == (report.state is ProblemState.RESOLVED), (
            f"{where}: {report.state} with resolution {report.resolution}"
        )


def _check_rma_package(
    order: Order, request: ReturnRequest, package: RmaPackage, refunds: Mapping[str, Refund]
) -> None:
    """One RMA package: the timestamps and inspection its state implies, and its refund."""
    where = f"order {order.number} {package.rma_number} ({package.state})"
    state = package.state
    inspected = state in _INSPECTED or (
        state is RmaState.REJECTED and package.inspected_at is not None
    )
    assert (package.inspected_at is not None) == inspected, f"{where}: inspected_at"
    assert all((u.accepted is not None) == inspected for u in package.units), f"{where}: accepted"
    assert (package.received_at is not None) == (inspected or state is RmaState.RECEIVED), (
        f"{where}: received_at"
    )
    assert (package.settled_at is not None) == (not state.open), f"{where}: settled_at"
    if state in (RmaState.REQUESTED, RmaState.AWAITING_SHIPMENT):
        assert package.shipped_at is None, f"{where}: shipped_at"
    if state is RmaState.IN_TRANSIT:
        assert package.shipped_at is not None, f"{where}: in transit, never shipped"
    if state is RmaState.INSPECTED:
        assert any(u.accepted for u in package.units), f"{where}: nothing accepted"
    if state is RmaState.REJECTED and inspected:
        assert not any(u.accepted for u in package.units), f"{where}: rejected, units accepted"
    moments = [
        moment
        for moment in (
            request.requested_at,
            package.shipped_at,
            package.received_at,
            package.inspected_at,
            package.settled_at,
        )
        if moment is not None
    ]
    assert moments == sorted(moments), f"{where}: its steps are out of order: {moments}"
    shopper_pays = request.reason.fault is Fault.SHOPPER
    if package.label_quote is not None:
        assert request.ship_by is ShipBy.LABEL, f"{where}: a label deducted, own tracking"
        assert shopper_pays, f"{where}: a label deducted, the store's fault"
    if package.label_made_at is not None:
        assert request.ship_by is ShipBy.LABEL, f"{where}: a label made for own tracking"
        assert package.label_cost is not None, f"{where}: a label made at no cost"
    if request.ship_by is ShipBy.OWN_TRACKING and package.shipped_at is not None:
        assert package.tracking_number, f"{where}: shipped on their own, no tracking number"
    if state is RmaState.REPLACED:
        assert request.kind is ReturnKind.WARRANTY, f"{where}: replaced, not a warranty claim"
    if state not in (RmaState.REFUNDED, RmaState.CREDITED):
        assert package.refund_id is None, f"{where}: a refund id, but no refund"
        return
    refund = refunds.get(package.refund_id or "")
    assert refund is not None, f"{where}: refund {package.refund_id} is not on the order"
    assert refund.source_id == package.rma_number, f"{where}: {refund.source_id} refunded"
    assert refund.reason == request.kind.value, f"{where}: refunded for {refund.reason}"
    credit = request.refund_method is RefundMethod.STORE_CREDIT
    assert refund.to_store_credit == credit == (state is RmaState.CREDITED), (
        f"{where}: to store credit {refund.to_store_credit}, chosen {request.refund_method}"
    )
    zero = Money.zero(order.currency)
    if request.kind is ReturnKind.CORE:
        assert (refund.parts, refund.shipping, refund.tax) == (zero, zero, zero), where
        assert not refund.units, f"{where}: a core refund paid back parts"
    if request.kind is ReturnKind.WARRANTY or shopper_pays:
        assert refund.shipping == zero, f"{where}: the original shipping refunded"
    if refund.label_fee is not None:
        assert package.label_quote is not None, f"{where}: a label fee, never quoted"
        assert refund.label_fee <= package.label_quote, f"{where}: label fee above the quote"
    if refund.restocking_fee is not None:
        assert request.kind is ReturnKind.RETURN, f"{where}: a restocking fee on a {request.kind}"
        assert shopper_pays, f"{where}: a restocking fee, the store's fault"


def _check_returns(order: Order) -> None:
    """Returns: per line, returned plus units in open returns never exceed what was
    delivered, and returned is what inspection accepted; core deposits paid back or claimed
    by an unsettled core return never exceed the units ordered; every package's state
    matches its timestamps; every settled package has its refund exactly once (or was
    replaced or rejected), and every refund of a return belongs to exactly one package."""
    for line in order.lines:
        where = f"order {order.number} line {line.line_no}"
        ledger = order.ledger(line.line_no)
        on_the_way = order.units_in_open_returns(line.line_no)
        assert line.returned + on_the_way <= ledger.delivered, (
            f"{where}: returned {line.returned} + in open returns {on_the_way} > delivered "
            f"{ledger.delivered}"
        )
        accepted = sum(
            u.accepted or 0
            for request in order.returns
            if request.kind is not ReturnKind.CORE
            for package in request.packages
            for u in package.units
            if u.line_no == line.line_no
        )
        assert line.returned == accepted, f"{where}: returned {line.returned}, accepted {accepted}"
        cores = return_policy.cores_claimed(order, line.line_no)
        assert cores <= line.quantity, f"{where}: {cores} core deposits back or claimed"
    refunds = {refund.refund_id: refund for refund in order.refunds}
    holders = Counter(
        package.refund_id
        for request in order.returns
        for package in request.packages
        if package.refund_id is not None
    )
    for request in order.returns:
        for package in request.packages:
            _check_rma_package(order, request, package, refunds)
    for refund in order.refunds:
        if refund.reason in _RETURN_REFUNDS:
            assert holders[refund.refund_id] == 1, (
                f"order {order.number}: refund {refund.refund_id} settles "
                f"{holders[refund.refund_id]} RMA packages"
            )
    assert all(count == 1 for count in holders.values()), f"order {order.number}: {holders}"


def _expected_status(order: Order) -> OrderState:
    """The status the ledger implies, worked out apart from :attr:`Order.status`."""
    live = sum(line.quantity - line.cancelled for line in order.lines)
    shipped = delivered = processing = 0
    for package in order.packages:
        units = sum(packed.quantity for packed in package.units)
        if package.shipped_at is None:
            processing += units
        else:
            shipped += units
        if package.delivered_at is not None:
            delivered += units
    if live == 0:
        return OrderState.CANCELLED  # every unit cancelled
    if shipped == 0:
        return OrderState.PROCESSING if processing else OrderState.PLACED
    if shipped < live:
        return OrderState.PARTIALLY_SHIPPED
    return OrderState.DELIVERED if delivered == live else OrderState.SHIPPED


def check_order(order: Order) -> None:
    """Assert the lifecycle invariants of one stored order (DOMAIN.md sections 3 and 4).

    For every line ``cancelled + processing + shipped <= ordered``, ``delivered <=
    shipped`` and ``returned + units in open returns <= delivered``, counted from the
    packages, with ``returned`` what inspection accepted; refunds never exceed what was
    paid, per part (parts, cores, shipping, tax) and in total, and each pays back the price
    and deposits of the units it names, no more; an open cancel request names
    a package that is still being packed and that still holds its units; a decided one has
    its decision time; change requests and problem reports carry the timestamps of their
    state; every RMA package carries the timestamps of its state and every settled one its
    one refund (a core refund pays deposits only, a warranty or the shopper's own choice no
    shipping, a label fee no more than was quoted); and the status is the one the ledger
    implies.
    """
    _check_ledgers(order)
    _check_refunds(order)
    _check_refunded_units(order)
    _check_cancel_requests(order)
    _check_change_requests_and_reports(order)
    _check_returns(order)
    assert order.status is _expected_status(order), (
        f"order {order.number}: status {order.status}, the ledger says {_expected_status(order)}"
    )


# --- what each step needs ---------------------------------------------------------------


def _awaiting(order: Order) -> dict[int, int]:
    return {ln.line_no: order.ledger(ln.line_no).awaiting for ln in order.lines}


def _shipped_units(order: Order) -> dict[int, int]:
    return {ln.line_no: order.ledger(ln.line_no).shipped for ln in order.lines}


def _unshipped(order: Order) -> list[str]:
    return [p.package_id for p in order.packages if p.shipped_at is None]


def _shipped(order: Order) -> list[str]:
    return [p.package_id for p in order.packages if p.shipped_at is not None]


def _on_the_way(order: Order) -> list[str]:
    return [p.package_id for p in order.packages if p.shipped_at and p.delivered_at is None]


def _out_of_turn(order: Order) -> list[str]:
    """Packages that cannot be delivered: not shipped, or delivered already."""
    return [p.package_id for p in order.packages if p.shipped_at is None or p.delivered_at]


def _open_cancels(order: Order) -> list[str]:
    return [r.request_id for r in order.cancel_requests if r.open]


def _changes_in(order: Order, *states: ChangeState) -> list[str]:
    return [r.request_id for r in order.change_requests if r.state in states]


def _open_reports(order: Order) -> list[str]:
    return [r.report_id for r in order.problem_reports if r.state is ProblemState.OPEN]


def _decided(order: Order) -> list[tuple[str, str]]:
    """Every decided cancel request, change request and problem report, by kind and id."""
    return [
        *(("cancel", r.request_id) for r in order.cancel_requests if not r.open),
        *(
            ("change", r.request_id)
            for r in order.change_requests
            if r.state is not ChangeState.REQUESTED
        ),
        *(
            ("problem", r.report_id)
            for r in order.problem_reports
            if r.state is not ProblemState.OPEN
        ),
    ]


def _unapproved(order: Order) -> list[str]:
    return _changes_in(order, ChangeState.REQUESTED, ChangeState.DECLINED, ChangeState.APPLIED)


def _report_kinds(order: Order) -> list[ProblemKind]:
    """The kinds of problem one could report now: some need shipped units or packages."""
    kinds = [ProblemKind.OTHER]
    if any(_shipped_units(order).values()):
        kinds.extend(_ABOUT_RECEIVED_UNITS)
    if _shipped(order):
        kinds.extend(_ABOUT_A_PACKAGE)
    return kinds


def _delivered_units(order: Order) -> bool:
    return any(order.ledger(line.line_no).delivered for line in order.lines)


def _rmas(order: Order, *states: RmaState) -> list[str]:
    """The RMA numbers of the order's packages in ``states`` (any state if none given)."""
    return [
        package.rma_number
        for request in order.returns
        for package in request.packages
        if not states or package.state in states
    ]


def _rma_package(order: Order, rma: str) -> tuple[ReturnRequest, RmaPackage]:
    request, index = order.rma(rma)
    return request, request.packages[index]


def _labels_made(order: Order) -> int:
    return sum(
        package.label_made_at is not None
        for request in order.returns
        for package in request.packages
    )


def _credit_refunds(orders: Iterable[Order]) -> Decimal:
    return sum(
        (
            refund.total.amount
            for order in orders
            for refund in order.refunds
            if refund.reason in _RETURN_REFUNDS and refund.to_store_credit
        ),
        Decimal(0),
    )


def _some(need: Callable[[Order], object]) -> Callable[[LifecycleMachine], bool]:
    """A precondition: some order has what ``need`` looks for."""
    return lambda machine: any(need(order) for order in machine.orders.values())


def _anything(_order: Order) -> bool:
    return True


# --- the machine ------------------------------------------------------------------------------


class LifecycleMachine(RuleBasedStateMachine):
    """Order lifecycle steps on a storage under test and on the memory reference must agree.

    Up to three small orders are placed (some already delivered); each other rule picks an
    order it can act on (its precondition says whether there is one) and draws its
    arguments from that order, so that most steps are legal. Use :func:`lifecycle_of` to
    bind a storage, then ``run_state_machine_as_test``.
    """

    #: The storage under test; :func:`lifecycle_of` sets it.
    storage: ClassVar[Storage]

    def __init__(self) -> None:
        super().__init__()
        self.prefix = f"L{next(_runs)}N"
        #: The run's one shopper: every order, return and credit entry is theirs.
        self.email = f"Shopper.{self.prefix}@Example.com"
        self.holder = parse_email(self.email)
        self.now = _FIRST_STEP
        self.clock = FixedClock(self.now)
        self.makers = (RecordingLabelMaker(_LABEL_COST), RecordingLabelMaker(_LABEL_COST))
        self.mailers = (RecordingMailer(), RecordingMailer())
        #: The domain events each storage's relay published, oldest first.
        self.published: tuple[list[DomainEvent], list[DomainEvent]] = ([], [])
        reference = fake_context(
            clock=self.clock,
            mailer=self.mailers[1],
            label_maker=self.makers[1],
            returns=RETURN_RULES,
        )
        under_test = fake_context(
            self.storage,
            clock=self.clock,
            mailer=self.mailers[0],
            label_maker=self.makers[0],
            returns=RETURN_RULES,
        )
        #: A service context on the storage under test and one on the reference.
        self.contexts = (
            attrs.evolve(under_test, publish=lambda _id, event: self.published[0].append(event)),
            attrs.evolve(reference, publish=lambda _id, event: self.published[1].append(event)),
        )
        self.reference = reference.storage
        #: Every placed order as both storages last read it back, by number.
        self.orders: dict[str, Order] = {}
        #: The version each order must have: one more per saved step.
        self.versions: dict[str, int] = {}
        #: Each order as it was before its last saved step, for stale saves.
        self.earlier: dict[str, Order] = {}
        #: The guest pass of each order (both storages keep it).
        self.passes: dict[str, str] = {}
        #: Each RMA package's order when it was requested: how many refunds it had, and
        #: the units of the package's lines in open core returns (they claim deposits).
        self.when_requested: dict[str, tuple[int, dict[int, int]]] = {}
        #: Store credit spent: ``(reference, amount)``, oldest first.
        self.spends: list[tuple[str, Money]] = []
        #: Whether a service ran since the books were last checked.
        self.services_ran = False
        self.serial = itertools.count(1)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.storage.url!r})"

    # --- helpers ----------------------------------------------------------------------

    def _both(self) -> tuple[Storage, Storage]:
        return self.storage, self.reference

    def _tick(self) -> datetime:
        self.now += _TICK
        return self.now

    def _at(self) -> datetime:
        """The next moment, on the services' clock too."""
        at = self._tick()
        self.clock.set(at)
        return at

    def _pick(self, data: st.DataObject, need: Callable[[Order], object]) -> Order:
        """An order that has what ``need`` looks for (the precondition said there is one)."""
        numbers = [number for number, order in self.orders.items() if need(order)]
        return self.orders[data.draw(st.sampled_from(numbers), label="order")]

    def _agree(self, number: str) -> Order:
        """Read ``number`` from both storages: equal, display forms too."""
        found = [_read(storage, number) for storage in self._both()]
        assert found[0] == found[1], f"{number}: the storage holds {found[0]!r}, not {found[1]!r}"
        assert _display_forms(found[0]) == _display_forms(found[1]), number
        assert found[0] is not None, f"the storage lost order {number}"
        assert found[1] is not None, f"the reference lost order {number}"
        self.orders[number] = found[1]
        return found[1]

    def _step(self, before: Order, step: Step) -> StepOutcome:
        """Take ``step`` on both storages; they must answer and store the same."""
        number = before.number
        outcomes = [_take_step(storage, number, step) for storage in self._both()]
        assert outcomes[0] == outcomes[1], f"the storage answered {outcomes[0]}, not {outcomes[1]}"
        outcome = outcomes[1]
        if outcome.saved is not None:
            assert outcome.saved.version == before.version + 1
            self.versions[number] += 1
            self.earlier[number] = before
        after = self._agree(number)
        assert after == (before if outcome.saved is None else outcome.saved)
        return outcome

    def _legal(self, before: Order, step: Step) -> Order:
        outcome = self._step(before, step)
        assert outcome.saved is not None, f"a legal step was refused: {outcome.refused}"
        return outcome.saved

    def _refused(self, before: Order, step: Step, code: str) -> None:
        outcome = self._step(before, step)
        assert outcome.refused == code, f"expected the refusal {code!r}, got {outcome}"

    def _serve(self, command: Command, *, carrier_down: bool = False) -> _Answer:
        """Run a service command on both storages' contexts (their label maker failing,
        with ``carrier_down``): they must answer alike. The reference's answer."""
        self.services_ran = True
        contexts: Sequence[ServiceContext] = self.contexts
        if carrier_down:
            contexts = [attrs.evolve(ctx, label_maker=FailingLabelMaker()) for ctx in contexts]
        answers = [_call(ctx, command) for ctx in contexts]
        assert answers[0] == answers[1], f"the storage answered {answers[0]}, not {answers[1]}"
        return answers[1]

    def _serve_order(
        self, before: Order, command: Command, *, saves: bool = True, carrier_down: bool = False
    ) -> _Answer:
        """A service command on ``before``'s order: when it is not refused and ``saves``,
        the order's next version; when refused, nothing changes."""
        answer = self._serve(command, carrier_down=carrier_down)
        number = before.number
        if answer.refused is None and saves:
            self.versions[number] += 1
            self.earlier[number] = before
        after = self._agree(number)
        if answer.refused is not None or not saves:
            assert after == before, f"{number} changed, yet {answer}"
        else:
            assert after.version == before.version + 1, f"{number}: version {after.version}"
        return answer

    def _legal_command(self, before: Order, command: Command) -> Order:
        answer = self._serve_order(before, command)
        assert answer.refused is None, f"a legal step was refused: {answer.refused}"
        return self.orders[before.number]

    def _key(self, data: st.DataObject) -> str | None:
        """Now and then an idempotency key (new to the storage: runs share it)."""
        if data.draw(st.integers(0, 3), label="idempotency key"):
            return None
        return f"{self.prefix}-key-{next(self.serial)}"

    def _retry(
        self, order: Order, first: _Answer, again: Command, other: Command, data: st.DataObject
    ) -> None:
        """A command repeated with its idempotency key answers as the first time and
        changes nothing; the key with other input is refused."""
        self._at()
        repeated = self._serve_order(order, again, saves=False)
        assert repeated == first, f"a retry answered {repeated}, the first time {first}"
        if data.draw(st.booleans(), label="the key for something else"):
            misused = self._serve_order(order, other, saves=False)
            assert misused.refused == "idempotency_key_reused", misused

    def _guest(self, number: str) -> GuestProof:
        return GuestProof(client=_CLIENT, guest_pass=self.passes[number])

    def _add(self, order: Order) -> None:
        """Add a new order, and a guest pass for it, to both storages."""
        selector = f"{self.prefix}{order.number}".ljust(22, "_")[:22]
        guest_pass = GuestPass.issue(selector, _VALIDATOR, order.number, self.now, _PASS_LIFETIME)
        for storage in self._both():
            with storage.unit_of_work(write=True) as uow:
                uow.orders.add(order)
                uow.passes.put_pass(guest_pass)
                uow.commit()
        self.passes[order.number] = f"{selector}.{_VALIDATOR}"
        self.versions[order.number] = order.version
        assert self._agree(order.number) == order

    # --- placing orders ---------------------------------------------------------------

    @precondition(lambda self: len(self.orders) < _MAX_ORDERS)
    @rule(data=st.data())
    def place(self, data: st.DataObject) -> None:
        """Place a new order: added and committed in both storages."""
        number = f"{self.prefix}{len(self.orders)}"
        self._add(data.draw(_new_orders(number, self.email), label="new order"))

    @precondition(lambda self: len(self.orders) < _MAX_ORDERS)
    @rule(data=st.data())
    def place_a_delivered_order(self, data: st.DataObject) -> None:
        """Place an order that has been packed, shipped and delivered already, each line
        from one of two warehouses (an order imported with its history); now and then the
        shopper cancelled some units while packed, and they were shipped anyway. Half the
        time the shopper asks for a return at once (see :meth:`request_a_return`)."""
        number = f"{self.prefix}{len(self.orders)}"
        order = data.draw(_new_orders(number, self.email), label="new order")
        sources = {
            line.line_no: data.draw(st.sampled_from(_WAREHOUSES), label=f"line {line.line_no} from")
            for line in order.lines
        }
        for warehouse in _WAREHOUSES:
            units = {n: order.line(n).quantity for n, w in sources.items() if w == warehouse}
            if units:
                package_id = f"P{next(self.serial)}"
                order = open_package(order, package_id, warehouse, units, self._tick())
                if data.draw(st.integers(0, 2), label="cancelled while packed") == 0:
                    late = data.draw(_some_units(units), label="cancelled units")
                    order = cancel_units(order, late, self._tick()).order
                order = ship_package(order, package_id, "UPS", "1Z999AA10123456784", self._tick())
                order = deliver_package(order, package_id, self._tick())
        self.clock.set(self.now)
        self._add(order)
        if data.draw(st.booleans(), label="a return at once"):
            self.orders_keep_their_invariants()
            self._request_a_return(self.orders[number], data)

    # --- the warehouse ----------------------------------------------------------------

    @precondition(_some(lambda order: any(_awaiting(order).values())))
    @rule(data=st.data())
    def open_a_package(self, data: st.DataObject) -> None:
        """Start packing some awaiting units of one or more lines."""
        order = self._pick(data, lambda order: any(_awaiting(order).values()))
        units = data.draw(_some_units(_awaiting(order)), label="units")
        package_id = f"P{next(self.serial)}"
        warehouse = data.draw(st.sampled_from(("Columbus, OH", "Reno, NV")), label="warehouse")
        at = self._tick()
        after = self._legal(order, lambda o: open_package(o, package_id, warehouse, units, at))
        assert {u.line_no: u.quantity for u in after.package(package_id).units} == units

    @precondition(_some(_unshipped))
    @rule(data=st.data())
    def ship_a_package(self, data: st.DataObject) -> None:
        """Ship a package being packed; open cancel requests for it become shipped anyway."""
        order = self._pick(data, _unshipped)
        package_id = data.draw(st.sampled_from(_unshipped(order)), label="package")
        carrier = data.draw(st.sampled_from(_CARRIERS), label="carrier")
        tracking = data.draw(st.from_regex(r"1Z[0-9A-Z]{16}", fullmatch=True), label="tracking")
        at = self._tick()
        after = self._legal(order, lambda o: ship_package(o, package_id, carrier, tracking, at))
        for request in after.cancel_requests:
            if request.package_id == package_id and request in order.cancel_requests:
                assert not request.open, request
            if request.package_id == package_id and not request.open:
                assert request.state is not CancelState.REQUESTED

    @precondition(_some(_on_the_way))
    @rule(data=st.data())
    def deliver_a_package(self, data: st.DataObject) -> None:
        """Record the delivery of a shipped package."""
        order = self._pick(data, _on_the_way)
        package_id = data.draw(st.sampled_from(_on_the_way(order)), label="package")
        at = self._tick()
        self._legal(order, lambda o: deliver_package(o, package_id, at))

    # --- cancellations ----------------------------------------------------------------

    @precondition(_some(_anything))
    @rule(data=st.data(), how=st.sampled_from(["packed", "packed", "any", "any", "all"]))
    def cancel_some_units(self, data: st.DataObject, how: str) -> None:
        """Cancel units being packed (more than are awaiting), any units (sometimes more than
        are left), or everything left (None).

        Never refused: every line gets an answer. What was awaiting is cancelled at once
        and refunded; units in packages become requests; the rest is refused per line.
        """
        order = self._pick(data, _anything)
        wanted: dict[int, int] | None = None
        packed = {ln.line_no: order.ledger(ln.line_no).processing for ln in order.lines}
        if how == "packed" and any(packed.values()):
            extra = data.draw(_some_units(packed), label="packed units")
            wanted = {n: order.ledger(n).awaiting + units for n, units in extra.items()}
        elif how != "all":
            ordered = {ln.line_no: ln.quantity for ln in order.lines}
            wanted = data.draw(_some_units(ordered), label="units")
        at = self._tick()
        after = self._legal(order, lambda o: cancel_units(o, wanted, at).order)
        answers = cancel_units(order, wanted, at).lines
        for answer in answers:
            asked = answer.cancelled + answer.requested + answer.refused
            assert wanted is None or asked == wanted[answer.line_no], answer
            assert answer.cancelled <= order.ledger(answer.line_no).awaiting, answer
        cancelled_now = any(answer.cancelled for answer in answers)
        assert len(after.refunds) == len(order.refunds) + cancelled_now

    @precondition(_some(_open_cancels))
    @rule(data=st.data())
    def decide_a_cancel_request(self, data: st.DataObject) -> None:
        """The warehouse confirms (units leave the package, refunded) or refuses a request."""
        order = self._pick(data, _open_cancels)
        request_id = data.draw(st.sampled_from(_open_cancels(order)), label="request")
        confirm = data.draw(st.booleans(), label="confirm")
        at = self._tick()
        after = self._legal(
            order, lambda o: decide_cancel(o, request_id, confirm=confirm, at=at)[0]
        )
        decided = next(r for r in after.cancel_requests if r.request_id == request_id)
        assert decided.state is (CancelState.CONFIRMED if confirm else CancelState.REFUSED)
        assert len(after.refunds) == len(order.refunds) + confirm

    # --- change requests --------------------------------------------------------------

    @staticmethod
    def _changes(order: Order) -> SearchStrategy[Change]:
        line_nos = st.sampled_from([ln.line_no for ln in order.lines])
        return st.one_of(
            st.builds(AddressChange, strategies.addresses()),
            st.builds(SpeedChange, st.sampled_from(list(ShippingSpeed))),
            line_nos.flatmap(
                lambda n: st.builds(
                    QuantityChange, st.just(n), st.integers(1, order.line(n).quantity)
                )
            ),
            st.builds(LineRemoval, line_nos),
            st.builds(PartSwap, line_nos, strategies.part_numbers()),
        )

    @precondition(_some(_anything))
    @rule(data=st.data())
    def request_a_change(self, data: st.DataObject) -> None:
        """Ask for a change of any kind: recorded exactly when :func:`change_refusal` allows."""
        order = self._pick(data, _anything)
        change = data.draw(self._changes(order), label="change")
        at = self._tick()
        outcome = self._step(order, lambda o: request_change(o, change, at)[0])
        refusal = change_refusal(order, change)
        assert outcome.refused == (None if refusal is None else refusal[0])

    @precondition(_some(lambda order: _changes_in(order, ChangeState.REQUESTED)))
    @rule(data=st.data())
    def decide_a_change(self, data: st.DataObject) -> None:
        """Approve or decline a requested change."""
        order = self._pick(data, lambda order: _changes_in(order, ChangeState.REQUESTED))
        requested = _changes_in(order, ChangeState.REQUESTED)
        request_id = data.draw(st.sampled_from(requested), label="request")
        approve = data.draw(st.booleans(), label="approve")
        at = self._tick()
        self._legal(order, lambda o: decide_change(o, request_id, approve=approve, at=at))

    @precondition(_some(lambda order: _changes_in(order, ChangeState.APPROVED)))
    @rule(data=st.data())
    def apply_a_change(self, data: st.DataObject) -> None:
        """Apply an approved change: done, unless the warehouse started meanwhile."""
        order = self._pick(data, lambda order: _changes_in(order, ChangeState.APPROVED))
        approved = [r for r in order.change_requests if r.state is ChangeState.APPROVED]
        request = data.draw(st.sampled_from(approved), label="request")
        at = self._tick()
        outcome = self._step(order, lambda o: apply_change(o, request.request_id, at)[0])
        refusal = change_refusal(order, request.change)
        assert outcome.refused == (None if refusal is None else refusal[0])

    # --- problem reports --------------------------------------------------------------

    @precondition(_some(_anything))
    @rule(data=st.data())
    def report_a_problem(self, data: st.DataObject) -> None:
        """Report a problem of a kind the order allows now: about shipped units, a shipped
        package, or (``other``) anything."""
        order = self._pick(data, _anything)
        kind = data.draw(st.sampled_from(_report_kinds(order)), label="kind")
        if kind in _ABOUT_RECEIVED_UNITS:
            units = data.draw(_some_units(_shipped_units(order)), label="units")
        else:
            # Any kind may name units that are not cancelled, shipped or not.
            live = {ln.line_no: ln.quantity - ln.cancelled for ln in order.lines}
            live = {line_no: count for line_no, count in live.items() if count > 0}
            units = data.draw(_some_units(live, min_lines=0), label="units")
        package = st.sampled_from(_shipped(order)) if _shipped(order) else st.none()
        package_id = data.draw(
            package if kind in _ABOUT_A_PACKAGE else st.none() | package, label="package"
        )
        text = data.draw(st.text(_REPORT_TEXT, max_size=80), label="text")
        at = self._tick()
        self._legal(order, lambda o: report_problem(o, kind, units, text, at, package_id)[0])

    @precondition(_some(_open_reports))
    @rule(data=st.data())
    def settle_a_problem(self, data: st.DataObject) -> None:
        """Resolve an open report (refund, replacement, reship, carrier claim) or reject it."""
        order = self._pick(data, _open_reports)
        report_id = data.draw(st.sampled_from(_open_reports(order)), label="report")
        report = next(r for r in order.problem_reports if r.report_id == report_id)
        # A refund needs units to pay back; a report about a package alone is settled
        # another way (reship, carrier claim) or rejected.
        choices = [r for r in Resolution if report.units or r is not Resolution.REFUND]
        resolution = data.draw(st.none() | st.sampled_from(choices), label="resolution")
        at = self._tick()
        after = self._legal(order, lambda o: resolve_problem(o, report_id, resolution, at)[0])
        settled = next(r for r in after.problem_reports if r.report_id == report_id)
        assert settled.state is (
            ProblemState.REJECTED if resolution is None else ProblemState.RESOLVED
        )

    # --- illegal steps: refused alike, nothing stored -----------------------------------

    @precondition(_some(_shipped))
    @rule(data=st.data())
    def ship_a_shipped_package(self, data: st.DataObject) -> None:
        """Shipping a package again is ``already_shipped``."""
        order = self._pick(data, _shipped)
        package_id = data.draw(st.sampled_from(_shipped(order)), label="package")
        at = self._tick()
        self._refused(
            order, lambda o: ship_package(o, package_id, "UPS", "1Z0", at), "already_shipped"
        )

    @precondition(_some(_out_of_turn))
    @rule(data=st.data())
    def deliver_out_of_turn(self, data: st.DataObject) -> None:
        """Delivering a package not shipped (``not_shipped``) or delivered already
        (``already_delivered``) is refused."""
        order = self._pick(data, _out_of_turn)
        package = order.package(data.draw(st.sampled_from(_out_of_turn(order)), label="package"))
        code = "not_shipped" if package.shipped_at is None else "already_delivered"
        at = self._tick()
        self._refused(order, lambda o: deliver_package(o, package.package_id, at), code)

    @precondition(_some(_anything))
    @rule(data=st.data(), extra=st.integers(1, 3))
    def overfill_a_package(self, data: st.DataObject, extra: int) -> None:
        """Packing more units of a line than are awaiting is ``units_unavailable``."""
        order = self._pick(data, _anything)
        line_no = data.draw(st.sampled_from([ln.line_no for ln in order.lines]), label="line")
        units = {line_no: order.ledger(line_no).awaiting + extra}
        package_id = f"P{next(self.serial)}"
        at = self._tick()
        self._refused(
            order,
            lambda o: open_package(o, package_id, "Reno, NV", units, at),
            "units_unavailable",
        )

    @precondition(_some(_decided))
    @rule(data=st.data())
    def decide_twice(self, data: st.DataObject) -> None:
        """Deciding a cancel request, change request or problem report again is
        ``already_decided``."""
        order = self._pick(data, _decided)
        kind, item_id = data.draw(st.sampled_from(_decided(order)), label="decided")
        yes = data.draw(st.booleans(), label="yes")
        at = self._tick()
        self._refused(order, _decide_again(kind, item_id, yes, at), "already_decided")

    @precondition(_some(_unapproved))
    @rule(data=st.data())
    def apply_an_unapproved_change(self, data: st.DataObject) -> None:
        """Applying a change that is requested, declined or applied is ``not_approved``."""
        order = self._pick(data, _unapproved)
        request_id = data.draw(st.sampled_from(_unapproved(order)), label="request")
        at = self._tick()
        self._refused(order, lambda o: apply_change(o, request_id, at)[0], "not_approved")

    @precondition(_some(_anything))
    @rule(data=st.data())
    def name_something_unknown(self, data: st.DataObject) -> None:
        """A package, request, report or line the order does not have is refused by name."""
        order = self._pick(data, _anything)
        at = self._tick()
        steps: list[tuple[Step, str]] = [
            (lambda o: ship_package(o, "NOPE", "UPS", "1Z0", at), "unknown_package"),
            (lambda o: deliver_package(o, "NOPE", at), "unknown_package"),
            (lambda o: open_package(o, "NEW", "Reno, NV", {99: 1}, at), "unknown_line"),
            (lambda o: cancel_units(o, {99: 1}, at).order, "unknown_line"),
            (lambda o: decide_cancel(o, "C999", confirm=True, at=at)[0], "unknown_request"),
            (lambda o: decide_change(o, "CH999", approve=True, at=at), "unknown_request"),
            (lambda o: apply_change(o, "CH999", at)[0], "unknown_request"),
            (lambda o: resolve_problem(o, "PR999", None, at)[0], "unknown_report"),
        ]
        step, code = data.draw(st.sampled_from(steps), label="step")
        self._refused(order, step, code)

    @precondition(_some(_anything))
    @rule(data=st.data())
    def save_a_stale_version(self, data: st.DataObject) -> None:
        """Saving a change of an older version (or the stored version itself) is a
        ConflictError in both storages, and both keep what they had."""
        current = self._pick(data, _anything)
        stale = self.earlier.get(current.number)
        if stale is None or data.draw(st.booleans(), label="the stored version itself"):
            order = attrs.evolve(current, shipping_speed=ShippingSpeed.OVERNIGHT)
        else:
            order = stale.changed(shipping_speed=ShippingSpeed.OVERNIGHT)
        outcomes = [_save(storage, order) for storage in self._both()]
        assert outcomes == [StepOutcome(refused="conflict")] * 2, outcomes
        assert self._agree(current.number) == current

    @precondition(_some(_anything))
    @rule(data=st.data())
    def lose_a_race(self, data: st.DataObject) -> None:
        """Two steps computed from one read: the first save wins, the second is a
        ConflictError. With a package being packed, the two are its shipment and a cancel of
        its units, so a cancel and a shipment of the same unit never both succeed; without
        one, two cancels of a unit."""
        order = self._pick(data, _anything)
        at = self._tick()
        steps: list[Step] = []
        if _unshipped(order):
            package_id = data.draw(st.sampled_from(_unshipped(order)), label="package")
            packed = order.package(package_id).units[0]
            wanted = {packed.line_no: packed.quantity}
            steps.append(lambda o: ship_package(o, package_id, "UPS", "1Z1", at))
        else:
            line_nos = st.sampled_from([ln.line_no for ln in order.lines])
            wanted = {data.draw(line_nos, label="line"): 1}
            steps.append(lambda o: cancel_units(o, wanted, at).order)
        steps.append(lambda o: cancel_units(o, wanted, at).order)
        if data.draw(st.booleans(), label="the cancel first"):
            steps.reverse()
        winner, loser = steps
        for storage in self._both():
            with storage.unit_of_work() as uow:
                assert uow.orders.get(order.number) == order
            assert _save(storage, winner(order)).saved is not None
            assert _save(storage, loser(order)) == StepOutcome(refused="conflict")
        self.versions[order.number] += 1
        self.earlier[order.number] = order
        assert self._agree(order.number) == winner(order)

    # --- returns, cores and warranty claims, through the services -----------------------

    @precondition(_some(_delivered_units))
    @rule(data=st.data())
    def request_a_return(self, data: st.DataObject) -> None:
        """A guest asks what may come back for a kind of return (mostly one with something
        to return), previews a return of some of it (label or own tracking, to the payment
        or to store credit) and requests it: the request holds the preview, one RMA package
        per destination; then it may go some steps on. Now and then the guest asks for
        more than may come back (refused with the line's first reason), sends back as
        cancelled-but-shipped units that were not (``not_cancelled``), or asks while the
        carrier is down (only a label the shopper pays for, which needs a quote, fails).
        Some requests carry an idempotency key, and are retried."""
        self._request_a_return(self._pick(data, _delivered_units), data)

    def _request_a_return(self, order: Order, data: st.DataObject) -> None:
        number = order.number
        at = self._at()  # one moment for all three, so that no window closes in between
        open_kinds = [
            kind
            for kind in ReturnKind
            if any(
                line.returnable
                for line in return_policy.return_options(order, kind, RETURN_RULES, at).lines
            )
        ]
        any_kind = not open_kinds or data.draw(st.integers(0, 5), label="any kind") == 0
        kind = data.draw(
            st.sampled_from(list(ReturnKind) if any_kind else open_kinds), label="kind"
        )
        guest = self._guest(number)
        options = self._serve(lambda ctx: return_options(ctx, guest, number, kind)).value
        assert isinstance(options, ReturnOptions)
        assert options == return_policy.return_options(order, kind, RETURN_RULES, at)
        returnable = {line.line_no: line.returnable for line in options.lines if line.returnable}
        reason = data.draw(st.sampled_from(_REASONS[kind]), label="reason")
        too_many = not returnable or data.draw(st.integers(0, 9), label="too many") == 0
        if too_many:
            line = data.draw(st.sampled_from(options.lines), label="line")
            units = {line.line_no: line.returnable + data.draw(st.integers(1, 2), label="more")}
            refusal: str | None = line.refusals[0].code if line.refusals else "nothing_to_return"
        else:
            units = data.draw(_some_units(returnable), label="units")
            refusal = None
            if reason is ReturnReason.CANCELLED_BUT_SHIPPED and any(
                count > cancelled_but_shipped(order, line_no) for line_no, count in units.items()
            ):
                refusal = "not_cancelled"
        draft = ReturnDraft(
            kind,
            reason,
            units,
            ship_by=data.draw(st.sampled_from(list(ShipBy)), label="ship by"),
            refund_method=data.draw(st.sampled_from(list(RefundMethod)), label="refund to"),
            language=data.draw(st.sampled_from(("en", "fi")), label="language"),
        )
        # A carrier that is down blocks only a label the shopper pays for: it has no quote.
        down = data.draw(st.integers(0, 7), label="carrier down") == 0
        if (
            down
            and refusal is None
            and draft.ship_by is ShipBy.LABEL
            and reason.fault is Fault.SHOPPER
        ):
            refusal = f"adapter:{FailingLabelMaker().reason}"
        plan = self._serve(lambda ctx: preview_return(ctx, guest, number, draft), carrier_down=down)
        assert plan.refused == refusal, f"the preview answered {plan}, expected {refusal}"
        key = self._key(data)
        answer = self._serve_order(
            order,
            lambda ctx: request_return(ctx, guest, number, draft, idempotency_key=key),
            carrier_down=down,
        )
        assert answer.refused == refusal, f"the request answered {answer}, expected {refusal}"
        if refusal is not None:
            return
        if key is not None:
            # ReturnDraft's units converter takes a mapping only: attrs.evolve cannot copy it.
            other = ReturnDraft(
                kind,
                reason,
                dict(draft.units),
                ship_by=draft.ship_by,
                refund_method=draft.refund_method,
                language=draft.language,
                comment="another",
            )
            self._retry(
                self.orders[number],
                answer,
                lambda ctx: request_return(ctx, guest, number, draft, idempotency_key=key),
                lambda ctx: request_return(ctx, guest, number, other, idempotency_key=key),
                data,
            )
        assert isinstance(plan.value, ReturnPlan)
        assert isinstance(answer.value, ReturnAnswer)
        request = answer.value.request
        assert request.preview == plan.value.preview
        assert [p.preview for p in request.packages] == [p.preview for p in plan.value.packages]
        asked: Counter[int] = Counter()
        for package in request.packages:
            for units_of_line in package.units:
                asked[units_of_line.line_no] += units_of_line.quantity
        assert asked == Counter(units), f"{request} holds other units than {units}"
        waits = kind in RETURN_RULES.policy.staff_authorize
        after = self.orders[number]
        for package in request.packages:
            assert package.state is (RmaState.REQUESTED if waits else RmaState.AWAITING_SHIPMENT)
            claims = {
                u.line_no: after.units_in_open_returns(u.line_no, ReturnKind.CORE)
                for u in package.units
            }
            self.when_requested[package.rma_number] = (len(order.refunds), claims)
        assert self.orders[number].return_request(request.return_id) == request
        self.orders_keep_their_invariants()
        then = data.draw(st.integers(0, 5), label="steps on")
        self._walk(number, request.packages[0].rma_number, then, data)

    # One RMA step each: ``order`` is the reference's copy, ``rma`` one of its packages in a
    # state that allows the step. The rules below and the walk call them.

    def _decide_claim(self, order: Order, rma: str, data: st.DataObject) -> None:
        number = order.number
        authorize = data.draw(st.integers(0, 3), label="authorise") > 0
        note = data.draw(st.none() | st.text(_NOTE_TEXT, min_size=1, max_size=40), label="note")
        self._at()
        command: Command
        if authorize:
            command = lambda ctx: authorize_return(ctx, number, rma)  # noqa: E731
        else:
            command = lambda ctx: deny_return(ctx, number, rma, note)  # noqa: E731
        after = self._legal_command(order, command)
        state = _rma_package(after, rma)[1].state
        assert state is (RmaState.AWAITING_SHIPMENT if authorize else RmaState.REJECTED)

    def _send(self, order: Order, rma: str, data: st.DataObject) -> None:
        number = order.number
        request, _ = _rma_package(order, rma)
        self._at()
        if request.ship_by is ShipBy.LABEL and data.draw(st.integers(0, 4), label="scan") > 0:
            after = self._legal_command(order, lambda ctx: mark_return_in_transit(ctx, number, rma))
            assert _rma_package(after, rma)[1].state is RmaState.IN_TRANSIT
            return
        typed = data.draw(
            st.sampled_from(_GOOD_TRACKING) | st.sampled_from(_BAD_TRACKING), label="tracking"
        )
        expected: str | None = None
        try:
            parsed = parse_tracking_number(typed)
        except InvalidTrackingNumberError as refusal:
            expected = f"tracking:{refusal.code}"
        else:
            if request.ship_by is ShipBy.LABEL:
                expected = "label_provided"
        guest = self._guest(number)
        answer = self._serve_order(
            order, lambda ctx: enter_return_tracking(ctx, guest, number, rma, typed)
        )
        assert answer.refused == expected, f"{typed!r}: {answer}, expected {expected}"
        if expected is None:
            package = _rma_package(self.orders[number], rma)[1]
            assert package.state is RmaState.IN_TRANSIT
            assert (package.carrier, package.tracking_number) == (parsed.carrier, parsed.number)

    def _receive(self, order: Order, rma: str) -> None:
        number = order.number
        self._at()
        after = self._legal_command(order, lambda ctx: receive_return(ctx, number, rma))
        assert _rma_package(after, rma)[1].state is RmaState.RECEIVED
        assert after.refunds == order.refunds

    def _inspect(self, order: Order, rma: str, data: st.DataObject) -> None:
        number = order.number
        request, package = _rma_package(order, rma)
        everything = data.draw(st.booleans(), label="accept everything")
        accepted = {
            u.line_no: u.quantity
            if everything
            else data.draw(st.integers(0, u.quantity), label=f"line {u.line_no} accepted")
            for u in package.units
        }
        if data.draw(st.booleans(), label="leave out the lines accepting none"):
            accepted = {line_no: count for line_no, count in accepted.items() if count}
        self._at()
        after = self._legal_command(order, lambda ctx: inspect_return(ctx, number, rma, accepted))
        inspected = _rma_package(after, rma)[1]
        assert inspected.state is (
            RmaState.INSPECTED if any(accepted.values()) else RmaState.REJECTED
        )
        assert inspected.accepted == {n: c for n, c in accepted.items() if c}
        for line in after.lines:
            back = 0 if request.kind is ReturnKind.CORE else accepted.get(line.line_no, 0)
            assert line.returned == order.line(line.line_no).returned + back

    def _settle(self, order: Order, rma: str, data: st.DataObject) -> None:
        number = order.number
        request, package = _rma_package(order, rma)
        warranty = request.kind is ReturnKind.WARRANTY
        replace = data.draw(
            st.booleans() if warranty else st.integers(0, 9).map(lambda n: n == 0), label="replace"
        )
        key = self._key(data)
        self._at()
        answer = self._serve_order(
            order,
            lambda ctx: settle_return(ctx, number, rma, replace=replace, idempotency_key=key),
        )
        if key is not None and answer.refused is None:
            self._retry(
                self.orders[number],
                answer,
                lambda ctx: settle_return(ctx, number, rma, replace=replace, idempotency_key=key),
                lambda ctx: settle_return(
                    ctx, number, rma, replace=not replace, idempotency_key=key
                ),
                data,
            )
        if replace and not warranty:
            assert answer.refused == "not_warranty", answer
            return
        assert answer.refused is None, f"a legal step was refused: {answer.refused}"
        after = self.orders[number]
        settled = _rma_package(after, rma)[1]
        if replace:
            assert settled.state is RmaState.REPLACED
            assert after.refunds == order.refunds
            return
        credit = request.refund_method is RefundMethod.STORE_CREDIT
        assert settled.state is (RmaState.CREDITED if credit else RmaState.REFUNDED)
        assert after.refunds[: len(order.refunds)] == order.refunds
        (refund,) = after.refunds[len(order.refunds) :]
        assert refund.refund_id == settled.refund_id
        refunds, claims = self.when_requested[rma]
        unchanged = len(order.refunds) == refunds and all(
            order.units_in_open_returns(line_no, ReturnKind.CORE) <= count
            for line_no, count in claims.items()
        )
        if package.fully_accepted and unchanged:
            preview = package.preview
            zero = Money.zero(after.currency)
            assert (
                refund.parts,
                refund.cores,
                refund.shipping,
                refund.tax,
                refund.label_fee or zero,
                refund.restocking_fee or zero,
            ) == (
                preview.parts,
                preview.cores,
                preview.shipping,
                preview.tax,
                preview.label_deduction,
                preview.restocking_fee,
            ), f"{rma}: refunded {refund}, previewed {preview}"
            assert refund.total == preview.total

    def _next_step(self, order: Order, rma: str, data: st.DataObject) -> None:
        """One step on from the package's state; from awaiting shipment, sent or received
        at once (the carrier's scan is optional)."""
        state = _rma_package(order, rma)[1].state
        if state is RmaState.REQUESTED:
            self._decide_claim(order, rma, data)
        elif state is RmaState.AWAITING_SHIPMENT and data.draw(st.booleans(), label="send"):
            self._send(order, rma, data)
        elif state in (RmaState.AWAITING_SHIPMENT, RmaState.IN_TRANSIT):
            self._receive(order, rma)
        elif state is RmaState.RECEIVED:
            self._inspect(order, rma, data)
        else:
            self._settle(order, rma, data)

    def _walk(self, number: str, rma: str, steps: int, data: st.DataObject) -> None:
        """Up to ``steps`` steps on for one package, each checked like a rule of its own."""
        for _ in range(steps):
            order = self.orders[number]
            if not _rma_package(order, rma)[1].state.open:
                return
            if data.draw(st.integers(0, 3), label="relay first") == 0:
                self._relay(carrier_down=False)
                order = self.orders[number]
            self._next_step(order, rma, data)
            self.orders_keep_their_invariants()

    @precondition(_some(lambda order: _rmas(order, *_OPEN)))
    @rule(data=st.data(), steps=st.integers(1, 5))
    def walk_a_return(self, data: st.DataObject, steps: int) -> None:
        """Take one open RMA package up to ``steps`` steps on: authorised or denied, sent
        (label scanned, or the shopper's own tracking number), received, inspected,
        settled; now and then the relay runs first."""
        order = self._pick(data, lambda order: _rmas(order, *_OPEN))
        rma = data.draw(st.sampled_from(_rmas(order, *_OPEN)), label="rma")
        self._walk(order.number, rma, steps, data)

    @precondition(_some(lambda order: _rmas(order, RmaState.REQUESTED)))
    @rule(data=st.data())
    def decide_a_claim(self, data: st.DataObject) -> None:
        """Staff authorise a package that waits for them (it may ship: papers follow) or
        deny it (rejected, with a note)."""
        order = self._pick(data, lambda order: _rmas(order, RmaState.REQUESTED))
        rma = data.draw(st.sampled_from(_rmas(order, RmaState.REQUESTED)), label="rma")
        self._decide_claim(order, rma, data)

    @precondition(_some(lambda order: _rmas(order, RmaState.AWAITING_SHIPMENT)))
    @rule(data=st.data())
    def send_a_return(self, data: st.DataObject) -> None:
        """A package leaves: the carrier scans its label, or the shopper enters the tracking
        number of their own shipment (a bad one is refused as typed; one for a package that
        travels on the store's label is ``label_provided``)."""
        order = self._pick(data, lambda order: _rmas(order, RmaState.AWAITING_SHIPMENT))
        rma = data.draw(st.sampled_from(_rmas(order, RmaState.AWAITING_SHIPMENT)), label="rma")
        self._send(order, rma, data)

    @precondition(
        _some(lambda order: _rmas(order, RmaState.AWAITING_SHIPMENT, RmaState.IN_TRANSIT))
    )
    @rule(data=st.data())
    def receive_a_return(self, data: st.DataObject) -> None:
        """The destination receives a package (seen in transit or not); nothing is
        refunded yet."""
        ready = (RmaState.AWAITING_SHIPMENT, RmaState.IN_TRANSIT)
        order = self._pick(data, lambda order: _rmas(order, *ready))
        self._receive(order, data.draw(st.sampled_from(_rmas(order, *ready)), label="rma"))

    @precondition(_some(lambda order: _rmas(order, RmaState.RECEIVED)))
    @rule(data=st.data())
    def inspect_a_return(self, data: st.DataObject) -> None:
        """Inspection accepts some units of each line (a line left out accepts none):
        accepted parts count as returned; nothing accepted rejects the package."""
        order = self._pick(data, lambda order: _rmas(order, RmaState.RECEIVED))
        rma = data.draw(st.sampled_from(_rmas(order, RmaState.RECEIVED)), label="rma")
        self._inspect(order, rma, data)

    @precondition(_some(lambda order: _rmas(order, RmaState.INSPECTED)))
    @rule(data=st.data())
    def settle_a_return(self, data: st.DataObject) -> None:
        """Settle an inspected package: refund it (to the payment, or to store credit as
        the shopper chose) or, for a warranty claim, replace its parts; replacing anything
        else is ``not_warranty``. A fully accepted package refunds exactly its preview
        when no other refund came in between (nor a core return claiming the deposits of
        its units)."""
        order = self._pick(data, lambda order: _rmas(order, RmaState.INSPECTED))
        rma = data.draw(st.sampled_from(_rmas(order, RmaState.INSPECTED)), label="rma")
        self._settle(order, rma, data)

    @precondition(_some(lambda order: order.returns))
    @rule(data=st.data())
    def take_a_return_step_out_of_turn(self, data: st.DataObject) -> None:
        """A staff step the package's state does not allow is refused with
        ``rma_<state>``, and so is the shopper's tracking number for a package they ship
        themselves that is not waiting to be sent; an RMA number the order does not have
        is ``unknown_rma``."""
        order = self._pick(data, lambda order: order.returns)
        number = order.number
        rma = data.draw(st.sampled_from(_rmas(order)), label="rma")
        request, package = _rma_package(order, rma)
        steps = [step for step, allowed in _STAFF_STEPS.items() if package.state not in allowed]
        if (
            request.ship_by is ShipBy.OWN_TRACKING
            and package.state is not RmaState.AWAITING_SHIPMENT
        ):
            steps.append("own_tracking")
        step = data.draw(st.sampled_from(steps), label="step")
        code = f"rma_{package.state.value}"
        if data.draw(st.integers(0, 5), label="unknown") == 0:
            rma, code = f"R{number}-99", "unknown_rma"
        accepted = {u.line_no: u.quantity for u in package.units}
        guest = self._guest(number)
        commands: dict[str, Command] = {
            "own_tracking": lambda ctx: enter_return_tracking(
                ctx, guest, number, rma, _GOOD_TRACKING[0]
            ),
            "authorize": lambda ctx: authorize_return(ctx, number, rma),
            "deny": lambda ctx: deny_return(ctx, number, rma),
            "in_transit": lambda ctx: mark_return_in_transit(ctx, number, rma),
            "receive": lambda ctx: receive_return(ctx, number, rma),
            "inspect": lambda ctx: inspect_return(ctx, number, rma, accepted),
            "settle": lambda ctx: settle_return(ctx, number, rma),
        }
        self._at()
        answer = self._serve_order(order, commands[step])
        assert answer.refused == code, f"{step} of {rma}: {answer}, expected {code}"

    def _relay(self, *, carrier_down: bool) -> None:
        self.services_ran = True
        before = dict(self.orders)
        self._at()
        reports = []
        for ctx in self.contexts:
            if carrier_down:
                ctx = attrs.evolve(ctx, label_maker=FailingLabelMaker())
            runs = []
            for _ in range(4):
                report = relay_outbox(ctx)
                runs.append((report.sent, report.failed))
                if report.sent == 0:
                    break
            reports.append(runs)
        assert reports[0] == reports[1], f"the storage's relay did {reports[0]}, not {reports[1]}"
        for number, order in before.items():
            after = _read(self.reference, number)
            assert after is not None
            labelled = _labels_made(after) - _labels_made(order)
            assert after.version == order.version + labelled, f"{number}: {after.version}"
            if labelled:
                self.versions[number] += labelled
                self.earlier[number] = order
            self._agree(number)
            if carrier_down:
                continue
            # Every package that may ship has its papers now, unless its job failed before
            # and waits for its retry.
            with self.storage.unit_of_work() as uow:
                waiting = {
                    m.intent.rma_number
                    for m in uow.outbox.due(_END_OF_TIME, 1000)
                    if isinstance(m.intent, ReturnDocumentsJob) and m.intent.order_number == number
                }
                for request in after.returns:
                    for package in request.packages:
                        denied = package.state is RmaState.REJECTED and not package.inspected_at
                        if package.state is RmaState.REQUESTED or denied:
                            continue
                        assert package.rma_number in waiting or uow.documents.for_rma(
                            package.rma_number
                        ), f"{package.rma_number} has no papers after the relay ran"

    @precondition(_some(lambda order: order.returns))
    @rule(carrier_down=st.booleans())
    def relay_the_outbox(self, carrier_down: bool) -> None:
        """The outbox relay runs until nothing more is due: papers made by the label maker
        (a label recorded on its package, one save), mail sent, refunds and replacements
        published. With the carrier down the papers stay pending, to be retried; with it
        up, every package that may ship has its papers (or its job waits for its retry)."""
        self._relay(carrier_down=carrier_down)

    @precondition(_some(_delivered_units))
    @rule(days=st.sampled_from((1, 12, 29, 45, 100, 190, 400)))
    def let_days_pass(self, days: int) -> None:
        """Days pass (return windows of 30 days from shipping, core windows of 6 months,
        warranties of months from delivery close)."""
        self.now += timedelta(days=days)
        self.clock.set(self.now)

    def _credit_left(self) -> Decimal:
        spent = sum((amount.amount for _, amount in self.spends), Decimal(0))
        return _credit_refunds(self.orders.values()) - spent

    @precondition(lambda self: self._credit_left() > 0 or self.spends)
    @rule(data=st.data(), how=st.sampled_from(("part", "all", "too_much", "again")))
    def spend_store_credit(self, data: st.DataObject, how: str) -> None:
        """The shopper spends some or all of their credit at checkout; more than the balance
        is ``insufficient_credit``; a retried checkout takes nothing again."""
        left = self._credit_left()
        again = how == "again" and bool(self.spends)
        if again:
            reference, amount = data.draw(st.sampled_from(self.spends), label="checkout")
        else:
            reference = f"{self.prefix}-checkout-{next(self.serial)}"
            if how == "part" and left >= Decimal("0.02"):
                cents = data.draw(st.integers(1, int(left * 100) - 1), label="cents")
                amount = Money(Decimal(cents) / 100, _CURRENCY)
            elif how in ("part", "all") and left > 0:
                amount = Money(left, _CURRENCY)
            else:
                amount = Money(left + Decimal("0.01"), _CURRENCY)
        self._at()
        answer = self._serve(lambda ctx: spend_credit(ctx, self.holder, amount, reference))
        if again:
            assert answer == _Answer(value=False), answer
        elif amount.amount > left:
            assert answer.refused == "insufficient_credit", answer
        else:
            assert answer == _Answer(value=True), answer
            self.spends.append((reference, amount))

    @precondition(_some(lambda order: order.returns))
    @rule(data=st.data())
    def look_at_the_papers_and_the_credit(self, data: st.DataObject) -> None:
        """The guest prints an RMA package's papers again; the shopper reads their credit
        balance and history: both storages answer alike."""
        order = self._pick(data, lambda order: order.returns)
        number = order.number
        rma = data.draw(st.sampled_from(_rmas(order)), label="rma")
        self._at()
        papers = self._serve(lambda ctx: return_papers(ctx, self._guest(number), number, rma))
        assert isinstance(papers.value, ReturnPapers), papers
        listed = self._serve(lambda ctx: order_returns(ctx, self._guest(number), number))
        assert listed.value == OrderReturns(number, tuple(reversed(order.returns))), listed
        self._serve(lambda ctx: credit_balance(ctx, self.holder, _CURRENCY))
        self._serve(lambda ctx: credit_history(ctx, self.holder, 50))

    # --- after every step -------------------------------------------------------------

    @invariant()
    def orders_keep_their_invariants(self) -> None:
        """Every order agrees with the reference, has the version its saved steps gave it,
        and keeps the lifecycle invariants (:func:`check_order`) in the storage under test;
        and the books balance (:meth:`the_books_balance`). Each storage is read once, in one
        unit of work."""
        if not self.orders:
            return
        # Only the services write the outbox, the ledger and the papers: after any other
        # step the orders alone are read.
        full, self.services_ran = self.services_ran, False
        books = (self._books(0, full=full), self._books(1, full=full))
        for number in self.orders:
            stored, order = books[0].orders[number], books[1].orders[number]
            assert stored == order, f"{number}: the storage holds {stored!r}, not {order!r}"
            assert _display_forms(stored) == _display_forms(order), number
            self.orders[number] = order
            assert order.version == self.versions[number], (
                f"{number}: version {order.version}, expected {self.versions[number]}"
            )
            check_order(stored)
            _check_refunded_units(stored, every_deposit_named=True)
        if full:
            self._balance(books)

    def _books(self, index: int, *, full: bool = True) -> _Books:
        storage = self._both()[index]
        with storage.unit_of_work() as uow:
            orders = {number: uow.orders.get(number) for number in self.orders}
            if not full:
                found = {number: order for number, order in orders.items() if order is not None}
                assert len(found) == len(orders), f"{storage.url}: orders lost"
                return _Books(found, (), (), (), Money.zero(_CURRENCY), {})
            pending = [
                message
                for message in uow.outbox.due(_END_OF_TIME, 1000)
                if (_order_number_of(message.intent) or "").startswith(self.prefix)
            ]
            entries = list(uow.credit.entries(self.holder.canonical, 500))
            balance = uow.credit.balance(self.holder.canonical, _CURRENCY)
            papers = {
                rma: list(uow.documents.for_rma(rma))
                for order in self.orders.values()
                for rma in _rmas(order)
            }
        found = {number: order for number, order in orders.items() if order is not None}
        assert len(found) == len(orders), f"{storage.url}: orders lost"
        return _Books(found, pending, list(self.published[index]), entries, balance, papers)

    def _check_books(self, books: _Books, where: str) -> None:
        """One storage's outbox, ledger and papers against its orders."""
        events = books.events()
        entry_ids = Counter(entry.entry_id for entry in books.entries)
        credited = 0
        for number, order in books.orders.items():
            for refund in order.refunds:
                if refund.reason not in _RETURN_REFUNDS:
                    continue
                what = f"{where}: order {number} refund {refund.refund_id}"
                entry_id = f"refund:{number}:{refund.refund_id}"
                dues = [
                    e
                    for e in events
                    if isinstance(e, RefundDue)
                    and e.order_number == number
                    and e.refund.refund_id == refund.refund_id
                ]
                if refund.to_store_credit:
                    paid = refund.total.amount > 0  # a zero refund has nothing to write
                    credited += paid
                    assert entry_ids[entry_id] == paid, f"{what}: {entry_ids[entry_id]} entries"
                    assert not dues, f"{what}: to store credit, yet a RefundDue"
                    if paid:
                        entry = next(e for e in books.entries if e.entry_id == entry_id)
                        assert entry.amount == refund.total, f"{what}: credited {entry.amount}"
                else:
                    assert entry_ids[entry_id] == 0, f"{what}: a payment refund credited"
                    assert dues == [RefundDue(number, refund)], f"{what}: RefundDue {dues}"
            for request in order.returns:
                for package in request.packages:
                    rma = package.rma_number
                    replaced = [
                        e
                        for e in events
                        if isinstance(e, ReplacementDue)
                        and (e.order_number, e.rma_number) == (number, rma)
                    ]
                    if package.state is RmaState.REPLACED:
                        units = tuple(sorted(package.accepted.items()))
                        assert replaced == [ReplacementDue(number, rma, units)], f"{where}: {rma}"
                    else:
                        assert not replaced, f"{where}: {rma} is {package.state}, yet replaced"
                    self._check_papers(request, package, books.papers.get(rma, ()), where)
        refund_entries = [e for e in books.entries if e.entry_id.startswith("refund:")]
        assert len(refund_entries) == credited, f"{where}: {len(refund_entries)} credit entries"
        assert all(count == 1 for count in entry_ids.values()), f"{where}: {entry_ids}"
        spent = sum((amount.amount for _, amount in self.spends), Decimal(0))
        expected = _credit_refunds(books.orders.values()) - spent
        assert books.balance == Money(expected, _CURRENCY), (
            f"{where}: credit balance {books.balance}, expected {expected}"
        )
        assert not books.balance.is_negative, f"{where}: a negative balance"
        listed = sum((entry.amount.amount for entry in books.entries), Decimal(0))
        assert listed == books.balance.amount, f"{where}: entries sum to {listed}"
        moments = [entry.at for entry in books.entries]
        assert moments == sorted(moments, reverse=True), f"{where}: entries not newest first"

    @staticmethod
    def _check_papers(
        request: ReturnRequest,
        package: RmaPackage,
        papers: Sequence[StoredDocument],
        where: str,
    ) -> None:
        rma = package.rma_number
        labelled = request.ship_by is ShipBy.LABEL
        if papers:
            expected = [f"{rma}-instructions.pdf"]
            if labelled:
                expected = [f"{rma}-label.pdf", f"{rma}-label.zpl", *expected]
            assert [p.document.filename for p in papers] == expected, f"{where}: {rma} papers"
            assert all(p.rma_number == rma for p in papers), f"{where}: {rma} papers"
        if package.state is RmaState.REQUESTED:
            assert not papers, f"{where}: {rma} has papers before staff authorised it"
        if labelled:
            assert (package.label_made_at is not None) == bool(papers), (
                f"{where}: {rma} label made at {package.label_made_at}, {len(papers)} papers"
            )
            if package.label_made_at is not None:
                assert package.label_cost == _LABEL_COST, f"{where}: {rma} label cost"

    def the_books_balance(self) -> None:
        """In each storage, every refund of a return to the payment has one RefundDue
        (pending, or published by the relay) and no ledger entry; every one to store credit
        its one ``refund:<order>:<refund id>`` entry and no RefundDue; every replacement its
        one ReplacementDue; the credit balance is the credit refunds less what was spent,
        never negative; the papers are the label maker's files. And the storage under test
        holds what the reference holds: outbox, events, ledger, papers, and what the label
        makers were asked and the mailers sent. Checked with the orders
        (:meth:`orders_keep_their_invariants`) after every step that ran a service."""
        if self.orders:
            self._balance((self._books(0), self._books(1)))

    def _balance(self, books: tuple[_Books, _Books]) -> None:
        for index, where in enumerate(("the storage", "the reference")):
            self._check_books(books[index], where)
        assert books[0].comparable() == books[1].comparable(), (
            f"the storage keeps {books[0]}, the reference {books[1]}"
        )
        assert sorted(self.makers[0].calls) == sorted(self.makers[1].calls)
        sent = [
            sorted((m.to, m.subject, m.text, m.language) for m in mailer.sent)
            for mailer in self.mailers
        ]
        assert sent[0] == sent[1], "the storage's relay sent other mail"

    def teardown(self) -> None:
        """Mark this run's outbox messages sent, so that no later run's relay takes them;
        close the reference storage."""
        try:
            with self.storage.unit_of_work(write=True) as uow:
                for message in uow.outbox.due(_END_OF_TIME, 1000):
                    if (_order_number_of(message.intent) or "").startswith(self.prefix):
                        uow.outbox.mark_sent(message.message_id, self.now)
                uow.commit()
        finally:
            self.reference.close()


def lifecycle_of(storage: Storage) -> type[LifecycleMachine]:
    """A :class:`LifecycleMachine` of ``storage``, ready for ``run_state_machine_as_test``."""

    class Lifecycle(LifecycleMachine):
        pass

    Lifecycle.storage = storage
    return Lifecycle
