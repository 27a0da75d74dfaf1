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

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule
from hypothesis.strategies import SearchStrategy

from orderstatus_core.events import RefundDue, ReplacementDue
from orderstatus_core.labels import StoredDocument
from orderstatus_core.model import Money, Order
from orderstatus_core.model.fulfilment import deliver_package, open_package, ship_package
from orderstatus_core.model.requests import (
    AddressChange,
    CancelState,
    Change,
    ChangeState,
    LineRemoval,
    PartSwap,
    ProblemState,
    QuantityChange,
    Resolution,
    ShippingSpeed,
    SpeedChange,
)
from orderstatus_core.model.returns import (
    ReturnRequest,
    RmaPackage,
    RmaState,
    ShipBy,
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
from orderstatus_core.testing._lifecycle_base import (
    _ABOUT_A_PACKAGE,
    _ABOUT_RECEIVED_UNITS,
    _CARRIERS,
    _CURRENCY,
    _END_OF_TIME,
    _LABEL_COST,
    _MAX_ORDERS,
    _REPORT_TEXT,
    _WAREHOUSES,
    LifecycleBase,
    Step,
    StepOutcome,
    _anything,
    _awaiting,
    _Books,
    _changes_in,
    _credit_refunds,
    _decide_again,
    _decided,
    _display_forms,
    _new_orders,
    _on_the_way,
    _open_cancels,
    _open_reports,
    _order_number_of,
    _out_of_turn,
    _report_kinds,
    _rmas,
    _save,
    _shipped,
    _shipped_units,
    _some,
    _some_units,
    _unapproved,
    _unshipped,
)
from orderstatus_core.testing.invariants import RETURN_REFUND_REASONS, check_order_invariants
from orderstatus_core.testing.lifecycle_returns import RETURN_RULES, ReturnRulesMixin

__all__ = ["RETURN_RULES", "LifecycleMachine", "StepOutcome", "check_order", "lifecycle_of"]

#: The invariants of one order; kept under this name for existing imports.
check_order = check_order_invariants


class LifecycleMachine(ReturnRulesMixin, LifecycleBase):
    """Order lifecycle steps on a storage under test and on the memory reference must agree.

    Up to three small orders are placed (some already delivered); each other rule picks an
    order it can act on (its precondition says whether there is one) and draws its
    arguments from that order, so that most steps are legal. The return rules come from
    :class:`~orderstatus_core.testing.lifecycle_returns.ReturnRulesMixin`. Use
    :func:`lifecycle_of` to bind a storage, then ``run_state_machine_as_test``.
    """

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
        order, package_id = self._pick_one(data, _unshipped, "package")
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
        order, package_id = self._pick_one(data, _on_the_way, "package")
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
        order, request_id = self._pick_one(data, _open_cancels, "request")
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
        order, report_id = self._pick_one(data, _open_reports, "report")
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
        order, package_id = self._pick_one(data, _shipped, "package")
        at = self._tick()
        self._refused(
            order, lambda o: ship_package(o, package_id, "UPS", "1Z0", at), "already_shipped"
        )

    @precondition(_some(_out_of_turn))
    @rule(data=st.data())
    def deliver_out_of_turn(self, data: st.DataObject) -> None:
        """Delivering a package not shipped (``not_shipped``) or delivered already
        (``already_delivered``) is refused."""
        order, package_id = self._pick_one(data, _out_of_turn, "package")
        package = order.package(package_id)
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
        order, (kind, item_id) = self._pick_one(data, _decided, "decided")
        yes = data.draw(st.booleans(), label="yes")
        at = self._tick()
        self._refused(order, _decide_again(kind, item_id, yes, at), "already_decided")

    @precondition(_some(_unapproved))
    @rule(data=st.data())
    def apply_an_unapproved_change(self, data: st.DataObject) -> None:
        """Applying a change that is requested, declined or applied is ``not_approved``."""
        order, request_id = self._pick_one(data, _unapproved, "request")
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
        and keeps the lifecycle invariants
        (:func:`~orderstatus_core.testing.invariants.check_order_invariants`) in the storage
        under test; and the books balance (:meth:`the_books_balance`). Each storage is read
        once, in one unit of work."""
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
            check_order_invariants(stored, every_deposit_named=True)
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
                if refund.reason not in RETURN_REFUND_REASONS:
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
