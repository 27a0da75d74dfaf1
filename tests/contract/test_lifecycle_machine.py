"""The lifecycle state machine catches a storage that loses or invents order history.

Each test wraps the memory storage in a deliberately broken adapter and expects
:class:`~orderstatus_core.testing.lifecycle.LifecycleMachine` to fail on it: a suite that
passes every adapter proves nothing until it is seen to fail a wrong one. The faults reach
every port the returns services write: the orders, the outbox, the store-credit ledger and
the return papers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self

import attrs
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from orderstatus_core import ActionRefusedError, AdapterError, ConflictError, Money
from orderstatus_core.events import RefundDue
from orderstatus_core.labels import ReturnLabelRequest, StoredDocument
from orderstatus_core.messages import OutboxMessage
from orderstatus_core.model import Order, OrderLine
from orderstatus_core.model.fulfilment import deliver_package, open_package, ship_package
from orderstatus_core.model.requests import ProblemKind, Refund, Resolution
from orderstatus_core.model.returns import ReturnReason, RmaState
from orderstatus_core.policies import returns
from orderstatus_core.policies.cancellation import cancel_units
from orderstatus_core.policies.problems import report_problem, resolve_problem
from orderstatus_core.policies.returns import ReturnDraft, ReturnPolicy, ReturnRules
from orderstatus_core.ports import Storage, UnitOfWork
from orderstatus_core.records import CreditEntry, IdempotentReply
from orderstatus_core.testing import FailingLabelMaker, RecordingLabelMaker, fake_context
from orderstatus_core.testing.builders import PLACED_AT, address, line, make_order, package
from orderstatus_core.testing.lifecycle import (
    RETURN_RULES,
    LifecycleMachine,
    check_order,
    lifecycle_of,
)
from orderstatus_memory import MemoryStorage

_DAY = timedelta(days=1)

# Derandomized, so that each broken adapter is caught the same way on every run; no
# shrinking and one failure only, since only *that* it fails matters here.
_HUNT = settings(
    max_examples=200,
    stateful_step_count=25,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],
    report_multiple_bugs=False,
    suppress_health_check=list(HealthCheck),
)


class Fault:
    """What a broken storage does instead of the right thing; by default, the right thing."""

    def save(self, unit: UnitOfWork, order: Order) -> None:
        unit.orders.save(order)

    def put(self, unit: UnitOfWork, message: OutboxMessage) -> None:
        unit.outbox.put(message)

    def append(self, unit: UnitOfWork, entry: CreditEntry) -> bool:
        return unit.credit.append(entry)

    def keep(self, unit: UnitOfWork, stored: StoredDocument) -> None:
        unit.documents.put(stored)

    def reply(self, unit: UnitOfWork, key: str) -> IdempotentReply | None:
        return unit.idempotency.get(key)


class _Port:
    """One port of a unit of work, with some methods going through the fault."""

    def __init__(self, inner: object, **overrides: Callable[..., object]) -> None:
        self._inner = inner
        self._overrides = overrides

    def __getattr__(self, name: str) -> object:
        if name in self._overrides:
            return self._overrides[name]
        return getattr(self._inner, name)


class _Unit:
    """A unit of work of the broken storage."""

    def __init__(self, inner: UnitOfWork, fault: Fault) -> None:
        self._inner = inner
        self.orders = _Port(inner.orders, save=lambda order: fault.save(inner, order))
        self.outbox = _Port(inner.outbox, put=lambda message: fault.put(inner, message))
        self.credit = _Port(inner.credit, append=lambda entry: fault.append(inner, entry))
        self.documents = _Port(inner.documents, put=lambda stored: fault.keep(inner, stored))
        self.idempotency = _Port(inner.idempotency, get=lambda key: fault.reply(inner, key))

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)  # the guest passes as they are

    def __enter__(self) -> Self:
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        self._inner.commit()

    def rollback(self) -> None:
        self._inner.rollback()


class _BrokenStorage:
    """The memory storage with a fault in some of its ports."""

    def __init__(self, fault: Fault) -> None:
        self._inner = MemoryStorage.from_url("memory://")
        self._inner.migrate()
        self._fault = fault
        self.url = "broken://"

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> _Unit:
        return _Unit(self._inner.unit_of_work(write=write, read_once=read_once), self._fault)

    def close(self) -> None:
        self._inner.close()


class _ForgetsCancelRequests(Fault):
    def save(self, unit: UnitOfWork, order: Order) -> None:
        unit.orders.save(attrs.evolve(order, cancel_requests=()))


class _ForgetsRefunds(Fault):
    def save(self, unit: UnitOfWork, order: Order) -> None:
        unit.orders.save(attrs.evolve(order, refunds=()))


class _LastWriterWins(Fault):
    def save(self, unit: UnitOfWork, order: Order) -> None:
        with contextlib.suppress(ConflictError):  # a lost race ignored: the caller thinks it won
            unit.orders.save(order)


class _ReversesPackages(Fault):
    def save(self, unit: UnitOfWork, order: Order) -> None:
        unit.orders.save(attrs.evolve(order, packages=order.packages[::-1]))


class _ForgetsInspections(Fault):
    """Keeps a package's new state but not what inspection accepted."""

    def save(self, unit: UnitOfWork, order: Order) -> None:
        returns = [
            attrs.evolve(
                request,
                packages=[
                    attrs.evolve(p, units=[attrs.evolve(u, accepted=None) for u in p.units])
                    if p.state is RmaState.INSPECTED
                    else p
                    for p in request.packages
                ],
            )
            for request in order.returns
        ]
        unit.orders.save(attrs.evolve(order, returns=returns))


class _DropsRefundsDue(Fault):
    """Loses the RefundDue of a payment refund: the payment system never hears of it."""

    def put(self, unit: UnitOfWork, message: OutboxMessage) -> None:
        if not isinstance(message.intent, RefundDue):
            unit.outbox.put(message)


class _ForgetsCredit(Fault):
    """Answers that it wrote a store-credit entry, and writes nothing."""

    def append(self, unit: UnitOfWork, entry: CreditEntry) -> bool:
        return True


class _ForgetsPapers(Fault):
    """Loses every return paper it is given (the relay then makes labels again)."""

    def keep(self, unit: UnitOfWork, stored: StoredDocument) -> None:
        pass


class _ForgetsReplies(Fault):
    """Never finds the reply of an idempotency key: a retried command runs again."""

    def reply(self, unit: UnitOfWork, key: str) -> IdempotentReply | None:
        return None


_FAULTS = [
    _ForgetsCancelRequests,
    _ForgetsRefunds,
    _LastWriterWins,
    _ReversesPackages,
    _ForgetsInspections,
    _DropsRefundsDue,
    _ForgetsCredit,
    _ForgetsPapers,
    _ForgetsReplies,
]


@pytest.fixture
def broken() -> Iterator[Callable[[Fault], Storage]]:
    """Make broken storages; close them afterwards."""
    made: list[_BrokenStorage] = []

    def make(fault: Fault) -> Storage:
        made.append(_BrokenStorage(fault))
        return made[-1]  # type: ignore[return-value]  # only what the machine uses

    yield make
    for storage in made:
        storage.close()


@pytest.mark.parametrize("fault", _FAULTS, ids=lambda fault: fault.__name__.lstrip("_"))
def test_a_storage_that_changes_what_it_saves_fails_the_machine(
    broken: Callable[[Fault], Storage], fault: type[Fault]
) -> None:
    """A storage that drops, reorders or overwrites part of a saved order, loses a refund
    due, a credit entry, the papers of a return or the reply to an idempotency key, is
    caught."""
    with pytest.raises(AssertionError):
        run_state_machine_as_test(lifecycle_of(broken(fault())), settings=_HUNT)


def test_the_machine_passes_a_storage_that_keeps_everything(
    broken: Callable[[Fault], Storage],
) -> None:
    """The wrapper itself is no fault: through it the memory storage passes."""
    run_state_machine_as_test(
        lifecycle_of(broken(Fault())),
        settings=settings(_HUNT, max_examples=15, stateful_step_count=15),
    )


def test_each_bound_machine_has_its_own_storage() -> None:
    """``lifecycle_of`` binds a storage to a new subclass, never to the machine itself."""
    first, second = MemoryStorage.from_url("memory://"), MemoryStorage.from_url("memory://")
    assert lifecycle_of(first).storage is first
    assert lifecycle_of(second).storage is second
    assert not hasattr(LifecycleMachine, "storage")


def test_a_freshly_placed_order_keeps_the_invariants() -> None:
    """``check_order`` accepts an order as the builders make it."""
    check_order(make_order())


# --- the label makers the machine relays with ------------------------------------------------


def _label_request(formats: Sequence[str] = ("pdf", "zpl")) -> ReturnLabelRequest:
    return ReturnLabelRequest(
        "R123456789-1",
        address(),
        address(name="Returns"),
        "UPS",
        "Ground",
        2000,
        language="fi",
        pack_lines=("1 x BP-1234 Brake pads",),
        formats=tuple(formats),
    )


def test_the_recording_label_maker_quotes_and_makes_small_papers() -> None:
    """A fixed quote and cost; one small file per format; every call recorded."""
    maker = RecordingLabelMaker(Money("4.10", "EUR"), tracking_number="1Z999AA10123456784")
    request = _label_request()
    assert maker.quote(request) == Money("4.10", "EUR")
    label = maker.make_label(request)
    assert label.cost == Money("4.10", "EUR")
    assert label.tracking_number == "1Z999AA10123456784"
    assert (label.carrier, label.service) == ("UPS", "Ground")
    assert [(d.format, d.media_type, d.filename) for d in label.documents] == [
        ("pdf", "application/pdf", "R123456789-1-label.pdf"),
        ("zpl", "application/x-zpl", "R123456789-1-label.zpl"),
    ]
    assert all(0 < len(d.content) < 200 for d in label.documents)
    instructions = maker.make_instructions(request, label)
    assert instructions.filename == "R123456789-1-instructions.pdf"
    assert b" fi " in instructions.content
    assert maker.calls == [
        ("quote", "R123456789-1"),
        ("label", "R123456789-1"),
        ("instructions", "R123456789-1"),
    ]
    assert maker.requests == [request] * 3
    assert maker.made("label") == ["R123456789-1"]


def test_the_failing_label_maker_fails_every_call_and_counts_them() -> None:
    maker = FailingLabelMaker("carrier down")
    request = _label_request(("pdf",))
    label = RecordingLabelMaker().make_label(request)
    calls: list[Callable[[], object]] = [
        lambda: maker.quote(request),
        lambda: maker.make_label(request),
        lambda: maker.make_instructions(request, label),
    ]
    for call in calls:
        with pytest.raises(AdapterError, match="carrier down"):
            call()
    assert [method for method, _ in maker.calls] == ["quote", "label", "instructions"]


def test_fake_context_takes_a_label_maker_and_return_rules() -> None:
    """By default a recording label maker quoting 7.50 USD and the default return rules."""
    ctx = fake_context()
    assert isinstance(ctx.label_maker, RecordingLabelMaker)
    assert ctx.label_maker.cost == Money("7.50", "USD")
    assert ctx.policies.return_rules().policy.window_days == 30
    failing = FailingLabelMaker()
    chosen = fake_context(label_maker=failing, returns=RETURN_RULES)
    assert chosen.label_maker is failing
    rules = chosen.policies.return_rules()
    assert rules.policy is RETURN_RULES.policy
    order = make_order(lines=[line(1)])
    for reason in ReturnReason:
        assert rules.destination(order, order.lines[0], reason, "Reno, NV") == (
            RETURN_RULES.destination(order, order.lines[0], reason, "Reno, NV")
        )
    for context in (ctx, chosen):
        context.storage.close()


def test_the_machine_s_shopper_and_clock_are_its_own() -> None:
    """Two machines never share a shopper, order numbers or a clock (runs share a storage)."""
    storage = MemoryStorage.from_url("memory://")
    storage.migrate()
    machine = lifecycle_of(storage)
    first, second = machine(), machine()
    try:
        assert first.email != second.email
        assert first.prefix != second.prefix
        assert first.clock is not second.clock
        assert isinstance(first.clock.now(), datetime)
    finally:
        for each in (first, second):
            each.teardown()
        storage.close()


# --- what the machine found, kept found --------------------------------------------------------


def _delivered(number: str, *lines: OrderLine) -> Order:
    units = [(line.line_no, line.quantity) for line in lines]
    return make_order(
        number,
        lines=list(lines),
        packages=[package("P1", units, shipped_after=_DAY, delivered_after=2 * _DAY)],
    )


def _settle(order: Order, rma: str, refund_id: str, at: datetime) -> tuple[Order, Refund | None]:
    order = returns.receive_package(order, rma, at)
    accepted = {u.line_no: u.quantity for u in order.rma(rma)[0].package(rma).units}
    order = returns.inspect_package(order, rma, accepted, at)
    return returns.settle_package(order, rma, refund_id, at, RETURN_RULES.policy)


def _request(order: Order, draft: ReturnDraft, return_id: str, at: datetime) -> tuple[Order, str]:
    plan = returns.plan_return(order, draft, ReturnRules(), {}, at)
    order, request = returns.request_return(order, plan, return_id, ReturnPolicy(), at)
    return order, request.packages[0].rma_number


def test_a_unit_refunded_while_on_its_way_back_is_not_paid_again() -> None:
    """A unit refunded by a problem report while in an open return: the return, fully
    accepted, must not pay its price again behind the order-wide caps."""
    order = _delivered("100000001", line(1, price="100.00"), line(2, "XY-1", price="100.00"))
    at = PLACED_AT + 3 * _DAY
    order, rma = _request(
        order, ReturnDraft("return", "defective", {1: 1}, "own_tracking"), "A", at
    )
    order, _ = report_problem(order, ProblemKind.DEFECTIVE, {1: 1}, "broken", at)
    order, _ = resolve_problem(order, order.problem_reports[0].report_id, Resolution.REFUND, at)
    order, refund = _settle(order, rma, "R9", at)
    assert refund is not None
    assert refund.parts == Money("0", "USD")
    assert sum(r.parts.amount for r in order.refunds) == 100
    check_order(order)


def test_a_deposit_claimed_by_a_core_return_goes_back_once() -> None:
    """A part's return previews its deposit, then a core return of the same unit: the
    deposit belongs to the part's return, which claimed it first, so the core return is
    refused and the deposit goes back once, with the part."""
    order = _delivered(
        "100000002", line(1, price="80.00", core="30"), line(2, "XY-1", price="80.00", core="30")
    )
    at = PLACED_AT + 3 * _DAY
    order, part = _request(
        order, ReturnDraft("return", "defective", {1: 1}, "own_tracking"), "A", at
    )
    with pytest.raises(ActionRefusedError) as refused:
        _request(order, ReturnDraft("core", "core", {1: 1}, "own_tracking"), "B", at)
    assert refused.value.code == "in_open_return"
    order, _ = _settle(order, part, "R1", at)
    assert sum(r.cores.amount for r in order.refunds) == 30
    check_order(order)


def test_a_deposit_a_return_claimed_stays_its_own_when_a_report_refunds_the_part() -> None:
    """A return previews a unit's price and deposit; a problem report then refunds the
    unit's price, leaving the deposit claimed: the return pays the deposit alone."""
    order = _delivered("100000004", line(1, price="80.00", core="30"), line(2, "XY-1"))
    at = PLACED_AT + 3 * _DAY
    order, rma = _request(
        order, ReturnDraft("return", "defective", {1: 1}, "own_tracking"), "A", at
    )
    order, _ = report_problem(order, ProblemKind.DEFECTIVE, {1: 1}, "broken", at)
    order, _ = resolve_problem(order, order.problem_reports[0].report_id, Resolution.REFUND, at)
    assert order.refunds[-1].cores == Money("0", "USD")
    order, refund = _settle(order, rma, "R9", at)
    assert refund is not None
    assert (refund.parts, refund.cores) == (Money("0", "USD"), Money("30", "USD"))
    assert sum(r.cores.amount for r in order.refunds) == 30
    check_order(order)


def test_a_unit_cancelled_but_shipped_goes_back_free_once() -> None:
    """One unit was cancelled while packed and shipped anyway: one return may say so; a
    second one for another unit of the line is ``not_cancelled``."""
    t = PLACED_AT + timedelta(hours=1)
    order = make_order("100000003", lines=[line(1, quantity=2, price="50.00")])
    order = open_package(order, "P1", "Columbus, OH", {1: 2}, t)
    order = cancel_units(order, {1: 1}, t).order
    order = ship_package(order, "P1", "UPS", "1Z999AA10123456784", t)
    order = deliver_package(order, "P1", t + _DAY)
    draft = ReturnDraft("return", "cancelled_but_shipped", {1: 1}, "own_tracking")
    order, _ = _request(order, draft, "A", t + 2 * _DAY)
    with pytest.raises(ActionRefusedError) as refused:
        _request(order, draft, "B", t + 2 * _DAY)
    assert refused.value.code == "not_cancelled"
