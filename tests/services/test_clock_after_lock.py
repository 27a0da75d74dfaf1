"""SECURITY G6: a command reads the clock inside its unit of work, after it holds the
order's lock, so nothing it records is older than what it waited for (issue 9, item 7).

The races are made deterministic: a storage lets a rival command run to its commit while
the command under test waits for the lock, and the clock moves one second on every read,
so a time read before the wait is always earlier than the rival's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self

import attrs
import pytest

from orderstatus_core import CancelState, QuantityChange, ReturnDraft
from orderstatus_core.contacts import parse_email
from orderstatus_core.events import ReplacementDue
from orderstatus_core.messages import ReturnReceivedMail
from orderstatus_core.model import Money, Order
from orderstatus_core.ports import OrderRepository, Storage, StoreCreditLedger, UnitOfWork
from orderstatus_core.records import CreditEntry
from orderstatus_core.services import (
    GuestProof,
    ServiceContext,
    cancel_order,
    mark_delivered,
    relay_outbox,
    report_problem,
    request_change,
    request_return,
    ship,
    spend_credit,
    start_processing,
)
from orderstatus_core.services.accounts import part_back_in_stock
from orderstatus_core.services.effects import queue
from orderstatus_core.testing import FixedClock, RecordingLabelMaker, fake_context
from orderstatus_core.testing.builders import line, make_order, package, usd
from support.store_plugins import NoGuestPass

NUMBER = "123456789"
JANE = "jane.doe@example.com"
UPS = "1Z999AA10123456784"


class TickingClock:
    """A clock one second later on every read."""

    def __init__(self) -> None:
        self.at = FixedClock.START

    def now(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


class _AfterRival:
    """A write unit that waits for its lock while a rival command runs to its commit."""

    def __init__(self, unit: UnitOfWork, rival: Callable[[], object]) -> None:
        self._unit = unit
        self._rival = rival

    def __enter__(self) -> UnitOfWork:
        self._rival()
        return self._unit.__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._unit.__exit__(exc_type, exc, tb)


@attrs.define
class WrappedStorage:
    """``inner``, each of its write units passed through ``wrap``."""

    inner: Storage
    wrap: Callable[[UnitOfWork], Any]

    @property
    def url(self) -> str:
        return self.inner.url

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> Any:
        unit = self.inner.unit_of_work(write=write, read_once=read_once)
        return self.wrap(unit) if write else unit

    def migrate(self) -> int:
        return self.inner.migrate()

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def rival_ctx() -> ServiceContext:
    """Jane's order: line 1 of three units, all in package P1 at the warehouse; guests act
    with the look-up pair (the store waives the guest pass)."""
    context = fake_context(clock=TickingClock(), plugins=[NoGuestPass()])
    with context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order(NUMBER, lines=[line(1, quantity=3)]))
        uow.commit()
    start_processing(context, NUMBER, "P1", "Reno, NV", {1: 3})
    return context


def _waiting_behind(
    ctx: ServiceContext, rival: Callable[[ServiceContext], object]
) -> ServiceContext:
    """``ctx`` on a storage whose next write unit waits while ``rival`` commits."""
    waited: list[bool] = []

    def wait_once(unit: UnitOfWork) -> Any:
        if waited:
            return unit
        waited.append(True)
        return _AfterRival(unit, lambda: rival(ctx))

    return attrs.evolve(ctx, storage=WrappedStorage(ctx.storage, wait_once))


def test_a_delivery_that_waited_for_the_shipment_is_after_it(rival_ctx: ServiceContext) -> None:
    """The carrier's delivery waited while the warehouse shipped: it is recorded after the
    shipment, not refused as ``before_shipping``."""
    ctx = _waiting_behind(rival_ctx, lambda c: ship(c, NUMBER, "P1", "UPS", UPS))
    order = mark_delivered(ctx, NUMBER, "P1")
    (shipped,) = order.packages
    assert shipped.shipped_at is not None
    assert shipped.delivered_at is not None
    assert shipped.delivered_at > shipped.shipped_at


def test_a_shipment_that_waited_for_a_cancel_request_decides_it_after_it_was_asked(
    rival_ctx: ServiceContext,
) -> None:
    """The package ships while the guest's cancel request of its units is recorded: the
    request is shipped anyway, decided after it was asked."""
    ctx = _waiting_behind(
        rival_ctx,
        lambda c: cancel_order(c, GuestProof(client="guest", identifier=JANE), NUMBER, {1: 3}),
    )
    order = ship(ctx, NUMBER, "P1", "UPS", UPS)
    (request,) = order.cancel_requests
    assert request.state is CancelState.SHIPPED_ANYWAY
    assert request.decided_at is not None
    assert request.decided_at > request.requested_at


# --- every command that records a time -----------------------------------------------------


@attrs.define
class LockWatch:
    """Where the clock was read: it must be inside a write unit, after the unit read the
    order when it reads one at all (PostgreSQL locks an order when a write unit reads it)."""

    unit: _WatchedUnit | None = None
    early: list[str] = attrs.field(factory=list)


class StrictClock(TickingClock):
    """A ticking clock that notes every read taken before the command's lock."""

    def __init__(self, watch: LockWatch) -> None:
        super().__init__()
        self.watch = watch

    def now(self) -> datetime:
        unit = self.watch.unit
        if unit is None:
            self.watch.early.append("outside a write unit")
        elif not unit.read_order:
            unit.clock_first = True
        return super().now()


class _WatchedOrders:
    def __init__(self, orders: OrderRepository, unit: _WatchedUnit) -> None:
        self._orders = orders
        self._unit = unit

    def get(self, number: str) -> Order | None:
        self._unit.locks("the order's")
        return self._orders.get(number)

    def get_for_contact(self, number: str, contact: str) -> Order | None:
        self._unit.locks("the order's")
        return self._orders.get_for_contact(number, contact)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._orders, name)


class _WatchedCredit:
    """PostgreSQL locks a balance when a write unit reads it or appends to it."""

    def __init__(self, credit: StoreCreditLedger, unit: _WatchedUnit) -> None:
        self._credit = credit
        self._unit = unit

    def balance(self, holder: str, currency: str) -> Money:
        self._unit.locks("the balance's")
        return self._credit.balance(holder, currency)

    def append(self, entry: CreditEntry) -> bool:
        self._unit.locks("the balance's")
        return self._credit.append(entry)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._credit, name)


class _WatchedUnit:
    def __init__(self, unit: UnitOfWork, watch: LockWatch) -> None:
        self._unit = unit
        self.watch = watch
        self.read_order = False
        self.clock_first = False

    def __enter__(self) -> Self:
        self._unit.__enter__()
        self.watch.unit = self
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.watch.unit = None
        self._unit.__exit__(exc_type, exc, tb)

    def locks(self, what: str) -> None:
        """A read that takes a lock: the clock must not have been read before it."""
        if self.clock_first and not self.read_order:
            self.watch.early.append(f"before {what} lock")
        self.read_order = True

    @property
    def orders(self) -> _WatchedOrders:
        return _WatchedOrders(self._unit.orders, self)

    @property
    def credit(self) -> _WatchedCredit:
        return _WatchedCredit(self._unit.credit, self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._unit, name)


def _watched(storage: Storage, watch: LockWatch) -> WrappedStorage:
    return WrappedStorage(storage, lambda unit: _WatchedUnit(unit, watch))


@pytest.fixture
def setup_ctx() -> ServiceContext:
    """Jane's order: line 1 (two pads with a core) and line 2 delivered in P1, line 3 in
    package P2 at the warehouse, line 4 waiting, line 5 shipped in P3; a mail and a
    replacement event (nobody listens: it fails) queued; 20.00 of store credit; guests
    act with the look-up pair."""
    context = fake_context(plugins=[NoGuestPass()])
    placed = FixedClock.START - timedelta(days=10)
    jane = parse_email(JANE)
    with context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(
            make_order(
                NUMBER,
                placed_at=placed,
                lines=[
                    line(1, quantity=2, core="10"),
                    line(2, "ALT-9", price="150", warranty_months=12),
                    line(3, "OF-3"),
                    line(4, "WB-4", quantity=2),
                    line(5, "SP-5"),
                ],
                packages=[
                    package(
                        "P1",
                        [(1, 2), (2, 1)],
                        placed_at=placed,
                        shipped_after=timedelta(days=1),
                        delivered_after=timedelta(days=5),
                    ),
                    package("P2", [(3, 1)], placed_at=placed),
                    package("P3", [(5, 1)], placed_at=placed, shipped_after=timedelta(days=2)),
                ],
            )
        )
        queue(uow, ReturnReceivedMail(jane, NUMBER, "R9-1", "en"), placed)
        queue(uow, ReplacementDue(NUMBER, "R9-1", ((2, 1),)), placed)
        uow.credit.append(CreditEntry("gift:1", jane.canonical, usd("20.00"), placed, "gift"))
        uow.commit()
    return context


GUEST = GuestProof(client="guest", identifier=JANE)
COMMANDS: dict[str, Callable[[ServiceContext], object]] = {
    "start_processing": lambda c: start_processing(c, NUMBER, "P4", "Reno, NV", {4: 1}),
    "ship": lambda c: ship(c, NUMBER, "P2", "UPS", UPS),
    "mark_delivered": lambda c: mark_delivered(c, NUMBER, "P3"),
    "cancel_order": lambda c: cancel_order(c, GUEST, NUMBER, {3: 1, 4: 1}),
    "request_change": lambda c: request_change(c, GUEST, NUMBER, QuantityChange(4, 1)),
    "report_problem": lambda c: report_problem(
        c, GUEST, NUMBER, "missing_item", {5: 1}, "not in the box"
    ),
    "request_return": lambda c: request_return(
        c, GUEST, NUMBER, ReturnDraft("return", "does_not_fit", {1: 1})
    ),
    "relay_outbox": lambda c: relay_outbox(c),
    "spend_credit": lambda c: spend_credit(c, parse_email(JANE), usd("5.00"), "checkout-1"),
    "part_back_in_stock": lambda c: part_back_in_stock(c, "BP-1"),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_reads_the_clock_only_under_its_lock(
    setup_ctx: ServiceContext, command: str
) -> None:
    """Each command that records a time reads the clock inside its write unit, after the
    unit read (and so locked) the order it acts on."""
    watch = LockWatch()
    clock = StrictClock(watch)
    ctx = attrs.evolve(setup_ctx, storage=_watched(setup_ctx.storage, watch), clock=clock)
    COMMANDS[command](ctx)
    assert clock.at > FixedClock.START  # it did read the clock
    assert watch.early == []


def test_the_relay_makes_papers_under_the_order_lock(setup_ctx: ServiceContext) -> None:
    """The relay's return papers record the label and queue the mail at a time read after
    the order's lock."""
    request_return(setup_ctx, GUEST, NUMBER, ReturnDraft("return", "defective", {2: 1}))
    watch = LockWatch()
    ctx = attrs.evolve(
        setup_ctx, storage=_watched(setup_ctx.storage, watch), clock=StrictClock(watch)
    )
    assert relay_outbox(ctx).sent >= 1
    assert isinstance(ctx.label_maker, RecordingLabelMaker)
    assert ctx.label_maker.calls
    assert watch.early == []
