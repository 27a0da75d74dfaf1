"""Order sync under Hypothesis: any sequence of upserts and library actions leaves the order
valid and the library's own records intact; an upsert applies fully or changes nothing."""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from orderstatus_core import ActionRefusedError, CancelState, Order, TrackingMail, ValidationError
from orderstatus_core.contacts import parse_email
from orderstatus_core.policies.sync import LIBRARY_FIELDS, SYNC_REASONS, SyncRefused, merge_order
from orderstatus_core.serialization import converter
from orderstatus_core.services import (
    GuestProof,
    ServiceContext,
    UpsertReport,
    cancel_order,
    confirm_cancel,
    refuse_cancel,
    ship,
    start_processing,
    upsert_orders,
)
from orderstatus_core.testing import FixedClock, fake_context
from orderstatus_core.testing import strategies as ost
from orderstatus_core.testing.builders import line, make_order
from orderstatus_core.testing.contracts._support import examples
from orderstatus_core.testing.invariants import check_order_invariants as check_order
from support.feeds import store_view
from support.guest_passes import earn_guest_pass

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
NUMBER = "123456789"
EMAIL = "jane.doe@example.com"


def _library_records(order: Order) -> dict[str, Any]:
    """What the library owns on an order, as an upsert must leave it (open cancel requests
    aside: a shipment may settle them as shipped anyway)."""
    return {
        "change_requests": order.change_requests,
        "problem_reports": order.problem_reports,
        "refunds": order.refunds,
        "returns": order.returns,
        "shipping_speed": order.shipping_speed,
        "counts": {ln.line_no: (ln.cancelled, ln.returned) for ln in order.lines},
    }


def _check_kept(before: Order, after: Order) -> None:
    """``after`` (an upsert's result) kept every record the library had on ``before``."""
    old, new = _library_records(before), _library_records(after)
    counts, kept = old.pop("counts"), new.pop("counts")
    for line_no, count in counts.items():  # a line may go only while nothing was taken off it
        assert kept.get(line_no, (0, 0)) == count
    assert new == old
    assert len(after.cancel_requests) == len(before.cancel_requests)
    for was, now in zip(before.cancel_requests, after.cancel_requests, strict=True):
        assert now == was or (
            was.open and now == attrs.evolve(was, state=CancelState.SHIPPED_ANYWAY, decided_at=NOW)
        )
    shipped_before = {p.package_id: p for p in before.packages}
    for package in after.packages:
        was = shipped_before.pop(package.package_id, None)
        if was is not None:
            assert package.units == was.units
            assert was.shipped_at is None or package.shipped_at == was.shipped_at
            assert was.delivered_at is None or package.delivered_at == was.delivered_at
    assert not shipped_before, "a stored package vanished"


# --- the pure merge -------------------------------------------------------------------------


#: Two addresses, so that a contact change is tried, without the cost of generating them.
_EMAILS = st.sampled_from([parse_email(EMAIL), parse_email("jane@new.example")])


@st.composite
def _stored_and_incoming(draw: st.DrawFn) -> tuple[Order, Order]:
    # Returned units without their return records are imported history, which the
    # lifecycle invariants (a return for every returned unit) do not describe.
    generated = draw(ost.orders(max_lines=3, max_packages=2, email_addresses=_EMAILS))
    stored = attrs.evolve(generated, lines=[attrs.evolve(ln, returned=0) for ln in generated.lines])
    if draw(st.booleans()):  # any other order under the same number: mostly contradictions
        incoming = draw(
            ost.orders(stored.currency, numbers=st.just(stored.number), email_addresses=_EMAILS)
        )
        return stored, incoming
    data = store_view(stored)
    for item in data["lines"]:
        if draw(st.booleans()):
            item["quantity"] = draw(st.integers(1, item["quantity"] + 2))
        if draw(st.booleans()):
            item["unit_price"] = f"{draw(st.integers(0, 99))}.50 {stored.currency}"
    if len(data["lines"]) > 1 and draw(st.booleans()):
        del data["lines"][draw(st.integers(0, len(data["lines"]) - 1))]
    if draw(st.booleans()):
        data["packages"] = []
    try:
        incoming = converter.structure(data, Order)
    except (ValidationError, Exception):  # the record itself is bad: import refuses it
        assume(False)
    return stored, incoming


@given(_stored_and_incoming())
def test_a_merge_is_refused_with_a_known_reason_or_keeps_the_library_s_records(
    pair: tuple[Order, Order],
) -> None:
    """Either a reason from the table, or a valid order with every library record kept."""
    stored, incoming = pair
    merged = merge_order(stored, incoming, NOW)
    if isinstance(merged, SyncRefused):
        assert merged.reason in SYNC_REASONS
        return
    check_order(merged)
    _check_kept(stored, merged)
    assert merged.version == stored.version
    for name in LIBRARY_FIELDS - {"cancel_requests"}:
        assert getattr(merged, name) == getattr(stored, name)


@given(_stored_and_incoming())
def test_merging_the_same_record_again_changes_nothing(pair: tuple[Order, Order]) -> None:
    """Idempotent: a merged order merged with the same record is the same order."""
    stored, incoming = pair
    merged = merge_order(stored, incoming, NOW)
    assume(not isinstance(merged, SyncRefused))
    assert isinstance(merged, Order)
    assert merge_order(merged, incoming, NOW) == merged


# --- sequences of upserts and library actions ---------------------------------------------------


def _start() -> Order:
    return make_order(
        NUMBER,
        EMAIL,
        lines=[line(1, quantity=3, price="10.00"), line(2, "RT-77", quantity=2, price="5.00")],
    )


class SyncMachine(RuleBasedStateMachine):
    """The store's feed and the library act on one order in any order."""

    def __init__(self) -> None:
        super().__init__()
        self.ctx: ServiceContext = fake_context(clock=FixedClock(NOW))
        self.record: dict[str, Any] = {}
        self.token = ""
        self.tick = 0

    @initialize()
    def import_the_order(self) -> None:
        self.record = store_view(_start())
        assert self._upsert(self.record).created == (NUMBER,)
        self.token = earn_guest_pass(self.ctx, NUMBER, EMAIL).token

    # -- helpers ------------------------------------------------------------------------

    def _upsert(self, record: dict[str, Any]) -> UpsertReport:
        return upsert_orders(self.ctx, [json.dumps(record, ensure_ascii=False)])

    def _order(self) -> Order:
        with self.ctx.storage.unit_of_work() as uow:
            order = uow.orders.get(NUMBER)
        assert order is not None
        return order

    def _outbox(self) -> list[Any]:
        with self.ctx.storage.unit_of_work() as uow:
            return list(uow.outbox.due(NOW + timedelta(days=400), 10_000))

    def _client(self) -> str:
        self.tick += 1
        return f"c{self.tick}"

    # -- the store's feed -----------------------------------------------------------------

    @rule(data=st.data())
    def upsert_a_changed_record(self, data: st.DataObject) -> None:
        record = copy.deepcopy(self.record)
        lines = record["lines"]
        change = data.draw(
            st.sampled_from(
                ["price", "quantity", "remove", "add", "address", "email", "tax", "pack", "ship"]
            )
        )
        pick = data.draw(st.integers(0, len(lines) - 1))
        if change == "price":
            lines[pick]["unit_price"] = f"{data.draw(st.integers(0, 40))}.00 USD"
        elif change == "quantity":
            lines[pick]["quantity"] = data.draw(st.integers(1, 5))
        elif change == "remove" and len(lines) > 1:
            del lines[pick]
        elif change == "add":
            next_no = max(item["line_no"] for item in lines) + 1
            lines.append({**lines[pick], "line_no": next_no, "part_number": f"NEW-{next_no}"})
        elif change == "address":
            record["shipping_address"] = {**record["shipping_address"], "line1": "1 Other St"}
        elif change == "email":
            record["email"] = data.draw(st.sampled_from([EMAIL, "jane@new.example"]))
        elif change == "tax":
            record["tax"] = f"{data.draw(st.integers(0, 9))}.00 USD"
        elif change == "pack":
            item = lines[pick]
            units = data.draw(st.integers(1, item["quantity"]))
            shipped = data.draw(st.booleans())
            record["packages"].append(
                {
                    "package_id": f"S{len(record['packages']) + 1}",
                    "warehouse": "Columbus, OH",
                    "units": [{"line_no": item["line_no"], "quantity": units}],
                    "carrier": "UPS" if shipped else None,
                    "tracking_number": "1Z999AA10123456784" if shipped else None,
                    "shipped_at": "2026-11-10T12:00:00Z" if shipped else None,
                }
            )
        elif change == "ship" and record["packages"]:
            package = record["packages"][data.draw(st.integers(0, len(record["packages"]) - 1))]
            package.update(carrier="UPS", tracking_number="1Z999AA10123456784")
            package["shipped_at"] = package.get("shipped_at") or "2026-11-10T12:00:00Z"
        self._check_one_upsert(record)

    def _check_one_upsert(self, record: dict[str, Any]) -> None:
        before, outbox = self._order(), self._outbox()
        report = self._upsert(record)
        after = self._order()
        event(f"upsert: {report.refused[0].reason if report.refused else 'applied'}")
        if report.refused:
            [refusal] = report.refused
            assert refusal.reason in {*SYNC_REASONS, "invalid_record"}
            assert after == before, "a refused upsert changed the order"
            assert self._outbox() == outbox, "a refused upsert queued a message"
            again = self._upsert(record).refused
            assert [r.reason for r in again] == [refusal.reason], "a refusal is not stable"
            return
        _check_kept(before, after)
        new = [m for m in self._outbox() if m not in outbox]
        assert all(m in self._outbox() for m in outbox), "an upsert lost an outbox message"
        assert all(isinstance(m.intent, TrackingMail) for m in new)
        if report.unchanged:
            assert after == before
            assert not new
        else:
            assert after.version == before.version + 1
        assert self._upsert(record).unchanged == (NUMBER,), "the same record twice wrote again"
        self.record = record

    # -- the library ----------------------------------------------------------------------

    @rule(data=st.data())
    def a_guest_cancels(self, data: st.DataObject) -> None:
        order = self._order()
        item = data.draw(st.sampled_from(order.lines))
        units = data.draw(st.integers(1, 2))
        with contextlib.suppress(ActionRefusedError, ValidationError):  # more than is left
            cancel_order(
                self.ctx,
                GuestProof(client=self._client(), guest_pass=self.token),
                NUMBER,
                {item.line_no: units},
            )

    @rule(data=st.data())
    def the_library_s_warehouse_packs_and_ships(self, data: st.DataObject) -> None:
        order = self._order()
        awaiting = {n: ledger.awaiting for n, ledger in order.ledgers.items() if ledger.awaiting}
        if not awaiting:
            return
        line_no = data.draw(st.sampled_from(sorted(awaiting)))
        # A fresh name: a confirmed cancel can empty and drop a package, so counting the
        # packages may name one that still exists.
        taken = {package.package_id for package in order.packages}
        package_id = next(f"W{n}" for n in range(1, len(taken) + 2) if f"W{n}" not in taken)
        start_processing(self.ctx, NUMBER, package_id, "Reno, NV", {line_no: awaiting[line_no]})
        if data.draw(st.booleans()):
            ship(self.ctx, NUMBER, package_id, "UPS", "1Z999AA10123456784")

    @rule(data=st.data(), confirm=st.booleans())
    def the_warehouse_decides_a_cancel(self, data: st.DataObject, confirm: bool) -> None:
        open_requests = [r.request_id for r in self._order().cancel_requests if r.open]
        if not open_requests:
            return
        request_id = data.draw(st.sampled_from(open_requests))
        if confirm:
            confirm_cancel(self.ctx, NUMBER, request_id)
        else:
            refuse_cancel(self.ctx, NUMBER, request_id, "packed")

    @invariant()
    def the_order_stays_valid(self) -> None:
        if self.record:
            check_order(self._order())


TestSyncSequences = SyncMachine.TestCase
TestSyncSequences.settings = settings(
    max_examples=examples(100), stateful_step_count=20, deadline=None
)
