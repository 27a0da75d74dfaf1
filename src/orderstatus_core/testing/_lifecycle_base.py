"""The lifecycle machine's state and helpers, shared by its order rules and return rules.

Private: use :class:`~orderstatus_core.testing.lifecycle.LifecycleMachine`.
"""

from __future__ import annotations

import itertools
import string
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import ClassVar, TypeVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine
from hypothesis.strategies import DrawFn

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
from orderstatus_core.messages import OutboxItem, OutboxMessage
from orderstatus_core.model import Address, Money, Order, OrderLine
from orderstatus_core.model.guest_pass import GuestPass
from orderstatus_core.model.requests import (
    ChangeState,
    ProblemKind,
    ProblemState,
    Resolution,
)
from orderstatus_core.model.returns import (
    ReturnDestination,
    ReturnKind,
    ReturnReason,
    ReturnRequest,
    RmaPackage,
    RmaState,
)
from orderstatus_core.plugins import hookimpl
from orderstatus_core.policies.cancellation import decide_cancel
from orderstatus_core.policies.changes import (
    decide_change,
)
from orderstatus_core.policies.problems import resolve_problem
from orderstatus_core.policies.returns import (
    EXAMPLE_RETURNS_CENTER,
    ReturnPolicy,
    ReturnRules,
)
from orderstatus_core.ports import Storage
from orderstatus_core.records import CreditEntry
from orderstatus_core.services import (
    GuestProof,
    Refused,
    ServiceContext,
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
from orderstatus_core.testing.invariants import RETURN_REFUND_REASONS

#: One lifecycle step: the next version of an order, or ActionRefusedError.
Step = Callable[[Order], Order]
#: One service command on one storage's context.
Command = Callable[[ServiceContext], object]

_T = TypeVar("_T")
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
            if refund.reason in RETURN_REFUND_REASONS and refund.to_store_credit
        ),
        Decimal(0),
    )


def _some(need: Callable[[Order], object]) -> Callable[[LifecycleBase], bool]:
    """A precondition: some order has what ``need`` looks for."""
    return lambda machine: any(need(order) for order in machine.orders.values())


def _anything(_order: Order) -> bool:
    return True


# --- the machine ------------------------------------------------------------------------------


class _Subscriber:
    """The store's payment system, as a plugin: keeps every published domain event."""

    def __init__(self, published: list[DomainEvent]) -> None:
        self.published = published

    @hookimpl
    def orderstatus_domain_event(self, event_id: str, event: DomainEvent) -> None:
        self.published.append(event)


class LifecycleBase(RuleBasedStateMachine):
    """What every lifecycle rule stands on: the run's orders, shopper, clock, fakes and one
    service context per storage, and the helpers that take one step on both storages and
    check that they agree. :class:`~orderstatus_core.testing.lifecycle.LifecycleMachine`
    adds the rules.

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
            plugins=[_Subscriber(self.published[1])],
        )
        under_test = fake_context(
            self.storage,
            clock=self.clock,
            mailer=self.mailers[0],
            label_maker=self.makers[0],
            returns=RETURN_RULES,
            plugins=[_Subscriber(self.published[0])],
        )
        #: A service context on the storage under test and one on the reference.
        self.contexts = (under_test, reference)
        self.reference = reference.storage
        #: Every placed order as both storages last read it back, by number.
        self.orders: dict[str, Order] = {}
        #: The version each order must have: one more per saved step.
        self.versions: dict[str, int] = {}
        #: Each order as it was before its last saved step, for stale saves.
        self.earlier: dict[str, Order] = {}
        #: The guest pass of each order (both storages keep it).
        self.passes: dict[str, str] = {}
        #: How many refunds each RMA package's order had when the package was requested.
        self.when_requested: dict[str, int] = {}
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

    def _pick_one(
        self, data: st.DataObject, found: Callable[[Order], Sequence[_T]], label: str
    ) -> tuple[Order, _T]:
        """An order where ``found`` finds something (packages, requests, RMAs...) and one
        of the things it finds there: what a step on one item of an order starts from."""
        order = self._pick(data, found)
        return order, data.draw(st.sampled_from(found(order)), label=label)

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

    def orders_keep_their_invariants(self) -> None:
        """Check every order and the books; the machine defines it as its invariant, and a
        rule that must see them checked at once (a retry, a relay) calls it."""
        raise NotImplementedError(f"{type(self).__name__} defines no invariant check")

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
