"""A state machine over the order lifecycle, run against a storage and the memory reference.

:class:`LifecycleMachine` keeps a few small orders and moves them through their life the way
the services do: read the order in a write unit, take one step through the pure policies
(open, ship and deliver packages; cancel units and decide cancel requests; request, decide
and apply changes; report and settle problems), save the next version with compare-and-set
and commit. Every step runs on the storage under test *and* on a fresh ``memory://``
reference storage (Hypothesis's own Redis tests do the same); both must answer alike and
read back equal orders.

Most steps are drawn so that they are legal. Some are illegal on purpose (ship a shipped
package, deliver one that has not shipped, pack more units than are awaiting, decide a
request twice, apply a change nobody approved, save a stale version, lose a race between a
cancel and a shipment); both storages must refuse them with the same reason code, or with
:class:`~orderstatus_core.errors.ConflictError` for the saves, and keep what they had.

After every step the adapter's copy of every order is checked against the invariants of
DOMAIN.md section 4 (see :meth:`LifecycleMachine.orders_keep_their_invariants`).

An adapter author gets this for free from
:class:`~orderstatus_core.testing.contract.StorageContract`; to run it longer::

    from hypothesis import settings
    from hypothesis.stateful import run_state_machine_as_test
    from orderstatus_core.testing.lifecycle import lifecycle_of

    run_state_machine_as_test(
        lifecycle_of(storage),
        settings=settings(max_examples=300, stateful_step_count=40, deadline=None),
    )

Each run works under its own order numbers, so runs can share the one storage a test
fixture gives.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import ClassVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from hypothesis.strategies import DrawFn, SearchStrategy

from orderstatus_core.errors import ActionRefusedError, ConflictError
from orderstatus_core.model import LineLedger, Money, Order, OrderStatus
from orderstatus_core.model.fulfilment import deliver_package, open_package, ship_package
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
    Resolution,
    ShippingSpeed,
    SpeedChange,
)
from orderstatus_core.policies.cancellation import cancel_units, decide_cancel
from orderstatus_core.policies.changes import (
    apply_change,
    change_refusal,
    decide_change,
    request_change,
)
from orderstatus_core.policies.problems import report_problem, resolve_problem
from orderstatus_core.ports import Storage
from orderstatus_core.testing import strategies
from orderstatus_core.testing.builders import PLACED_AT, make_order
from orderstatus_core.testing.fakes import fake_context

__all__ = ["LifecycleMachine", "StepOutcome", "check_order", "lifecycle_of"]

#: One lifecycle step: the next version of an order, or ActionRefusedError.
Step = Callable[[Order], Order]

_MAX_ORDERS = 3
_MAX_LINES = 3
_MAX_QUANTITY = 4
_runs = itertools.count(1)
# Steps happen a few minutes apart, from an hour after the orders were placed.
_FIRST_STEP = PLACED_AT + timedelta(hours=1)
_TICK = timedelta(minutes=7)
_REPORT_TEXT = string.ascii_letters + string.digits + " .,!?-'\näöåéü€"
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
def _new_orders(draw: DrawFn, number: str) -> Order:
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
        lines=lines,
        placed_at=PLACED_AT,
        shipping=draw(strategies.money("USD", max_amount=Decimal(60))),
        tax=draw(strategies.money("USD", max_amount=Decimal(300))),
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


def _expected_status(order: Order) -> OrderStatus:
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
        return OrderStatus.CANCELLED  # every unit cancelled
    if shipped == 0:
        return OrderStatus.PROCESSING if processing else OrderStatus.PLACED
    if shipped < live:
        return OrderStatus.PARTIALLY_SHIPPED
    return OrderStatus.DELIVERED if delivered == live else OrderStatus.SHIPPED


def check_order(order: Order) -> None:
    """Assert the lifecycle invariants of one stored order (DOMAIN.md section 4).

    For every line ``cancelled + processing + shipped <= ordered``, ``delivered <=
    shipped`` and ``returned <= delivered``, counted from the packages; refunds never
    exceed what was paid, per part (parts, cores, shipping, tax) and in total; an open
    cancel request names a package that is still being packed and that still holds its
    units; a decided one has its decision time; change requests and problem reports carry
    the timestamps of their state; and the status is the one the ledger implies.
    """
    _check_ledgers(order)
    _check_refunds(order)
    _check_cancel_requests(order)
    _check_change_requests_and_reports(order)
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


def _some(need: Callable[[Order], object]) -> Callable[[LifecycleMachine], bool]:
    """A precondition: some order has what ``need`` looks for."""
    return lambda machine: any(need(order) for order in machine.orders.values())


def _anything(_order: Order) -> bool:
    return True


# --- the machine ------------------------------------------------------------------------------


class LifecycleMachine(RuleBasedStateMachine):
    """Order lifecycle steps on a storage under test and on the memory reference must agree.

    Up to three small orders are placed; each other rule picks an order it can act on (its
    precondition says whether there is one) and draws its arguments from that order, so
    that most steps are legal. Use :func:`lifecycle_of` to bind a storage, then
    ``run_state_machine_as_test``.
    """

    #: The storage under test; :func:`lifecycle_of` sets it.
    storage: ClassVar[Storage]

    def __init__(self) -> None:
        super().__init__()
        self.reference = fake_context().storage
        self.prefix = f"L{next(_runs)}N"
        #: Every placed order as both storages last read it back, by number.
        self.orders: dict[str, Order] = {}
        #: The version each order must have: one more per saved step.
        self.versions: dict[str, int] = {}
        #: Each order as it was before its last saved step, for stale saves.
        self.earlier: dict[str, Order] = {}
        self.now = _FIRST_STEP
        self.serial = itertools.count(1)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.storage.url!r})"

    # --- helpers ----------------------------------------------------------------------

    def _both(self) -> tuple[Storage, Storage]:
        return self.storage, self.reference

    def _tick(self) -> datetime:
        self.now += _TICK
        return self.now

    def _pick(self, data: st.DataObject, need: Callable[[Order], object]) -> Order:
        """An order that has what ``need`` looks for (the precondition said there is one)."""
        numbers = [number for number, order in self.orders.items() if need(order)]
        return self.orders[data.draw(st.sampled_from(numbers), label="order")]

    def _agree(self, number: str) -> Order:
        """Read ``number`` from both storages: equal, display forms too."""
        found = [_read(storage, number) for storage in self._both()]
        assert found[0] == found[1], f"{number}: the storage holds {found[0]!r}, not {found[1]!r}"
        assert _display_forms(found[0]) == _display_forms(found[1]), number
        assert found[1] is not None, f"both storages lost order {number}"
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

    # --- placing orders ---------------------------------------------------------------

    @precondition(lambda self: len(self.orders) < _MAX_ORDERS)
    @rule(data=st.data())
    def place(self, data: st.DataObject) -> None:
        """Place a new order: added and committed in both storages."""
        number = f"{self.prefix}{len(self.orders)}"
        order = data.draw(_new_orders(number), label="new order")
        for storage in self._both():
            with storage.unit_of_work(write=True) as uow:
                uow.orders.add(order)
                uow.commit()
        self.versions[number] = order.version
        assert self._agree(number) == order

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

    # --- after every step -------------------------------------------------------------

    @invariant()
    def orders_keep_their_invariants(self) -> None:
        """Every order agrees with the reference, has the version its saved steps gave it,
        and keeps the lifecycle invariants (:func:`check_order`) in the storage under test."""
        for number in list(self.orders):
            order = self._agree(number)
            assert order.version == self.versions[number], (
                f"{number}: version {order.version}, expected {self.versions[number]}"
            )
            check_order(order)

    def teardown(self) -> None:
        """Close the reference storage."""
        self.reference.close()


def lifecycle_of(storage: Storage) -> type[LifecycleMachine]:
    """A :class:`LifecycleMachine` of ``storage``, ready for ``run_state_machine_as_test``."""

    class Lifecycle(LifecycleMachine):
        pass

    Lifecycle.storage = storage
    return Lifecycle
