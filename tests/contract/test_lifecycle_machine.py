"""The lifecycle state machine catches a storage that loses or invents order history.

Each test wraps the memory storage in a deliberately broken adapter and expects
:class:`~orderstatus_core.testing.lifecycle.LifecycleMachine` to fail on it: a suite that
passes every adapter proves nothing until it is seen to fail a wrong one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Self

import attrs
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from orderstatus_core import ConflictError
from orderstatus_core.model import Order
from orderstatus_core.ports import Outbox, Storage, UnitOfWork
from orderstatus_core.testing.builders import make_order
from orderstatus_core.testing.lifecycle import LifecycleMachine, check_order, lifecycle_of
from orderstatus_memory import MemoryStorage

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

SaveFault = Callable[[UnitOfWork, Order], None]


class _Orders:
    """An order repository whose ``save`` goes through ``fault``."""

    def __init__(self, unit: UnitOfWork, fault: SaveFault) -> None:
        self._unit = unit
        self._fault = fault

    def __getattr__(self, name: str) -> object:
        return getattr(self._unit.orders, name)

    def save(self, order: Order) -> None:
        self._fault(self._unit, order)


class _Unit:
    """A unit of work of the broken storage."""

    def __init__(self, inner: UnitOfWork, fault: SaveFault) -> None:
        self._inner = inner
        self.orders = _Orders(inner, fault)

    @property
    def outbox(self) -> Outbox:
        return self._inner.outbox

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
    """The memory storage with a fault in every ``save``."""

    def __init__(self, fault: SaveFault) -> None:
        self._inner = MemoryStorage.from_url("memory://")
        self._inner.migrate()
        self._fault = fault
        self.url = "broken://"

    def unit_of_work(self, *, write: bool = False) -> _Unit:
        return _Unit(self._inner.unit_of_work(write=write), self._fault)

    def close(self) -> None:
        self._inner.close()


def _forgets_cancel_requests(unit: UnitOfWork, order: Order) -> None:
    unit.orders.save(attrs.evolve(order, cancel_requests=()))


def _forgets_refunds(unit: UnitOfWork, order: Order) -> None:
    unit.orders.save(attrs.evolve(order, refunds=()))


def _last_writer_wins(unit: UnitOfWork, order: Order) -> None:
    with contextlib.suppress(ConflictError):  # a lost race ignored: the caller thinks it won
        unit.orders.save(order)


def _reverses_packages(unit: UnitOfWork, order: Order) -> None:
    unit.orders.save(attrs.evolve(order, packages=order.packages[::-1]))


@pytest.fixture
def broken() -> Iterator[Callable[[SaveFault], Storage]]:
    """Make broken storages; close them afterwards."""
    made: list[_BrokenStorage] = []

    def make(fault: SaveFault) -> Storage:
        made.append(_BrokenStorage(fault))
        return made[-1]  # type: ignore[return-value]  # only what the machine uses

    yield make
    for storage in made:
        storage.close()


@pytest.mark.parametrize(
    "fault",
    [_forgets_cancel_requests, _forgets_refunds, _last_writer_wins, _reverses_packages],
    ids=lambda fault: fault.__name__.lstrip("_"),
)
def test_a_storage_that_changes_what_it_saves_fails_the_machine(
    broken: Callable[[SaveFault], Storage], fault: SaveFault
) -> None:
    """A storage that drops, reorders or overwrites part of a saved order is caught."""
    with pytest.raises(AssertionError):
        run_state_machine_as_test(lifecycle_of(broken(fault)), settings=_HUNT)


def test_each_bound_machine_has_its_own_storage() -> None:
    """``lifecycle_of`` binds a storage to a new subclass, never to the machine itself."""
    first, second = MemoryStorage.from_url("memory://"), MemoryStorage.from_url("memory://")
    assert lifecycle_of(first).storage is first
    assert lifecycle_of(second).storage is second
    assert not hasattr(LifecycleMachine, "storage")


def test_a_freshly_placed_order_keeps_the_invariants() -> None:
    """``check_order`` accepts an order as the builders make it."""
    check_order(make_order())
