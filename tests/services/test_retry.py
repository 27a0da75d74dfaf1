"""SECURITY G3: a transaction the storage aborted over a race is run again, a few times."""

from __future__ import annotations

import pytest

from orderstatus_core import ConflictError, Order, TransientConflictError
from orderstatus_core.ports import Storage
from orderstatus_core.services import ServiceContext, ship, start_processing
from orderstatus_core.services._retry import ATTEMPTS
from orderstatus_core.testing import fake_context
from orderstatus_core.testing.builders import line, make_order

NUMBER = "123456789"


class _Flaky:
    """A storage whose first ``failures`` saves abort as PostgreSQL does on a deadlock."""

    def __init__(self, inner: Storage, failures: int, error: type[Exception]) -> None:
        self.inner = inner
        self.url = "flaky://"
        self.failures = failures
        self.error = error
        self.saves = 0

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> object:
        unit = self.inner.unit_of_work(write=write, read_once=read_once)
        storage = self

        class _Orders:
            def __init__(self, real: object) -> None:
                self.real = real

            def get(self, number: str) -> Order | None:
                return self.real.get(number)  # type: ignore[attr-defined, no-any-return]

            def save(self, order: Order) -> None:
                storage.saves += 1
                if storage.saves <= storage.failures:
                    raise storage.error("deadlock detected (40P01); nothing was committed")
                self.real.save(order)  # type: ignore[attr-defined]

        class _Unit:
            def __enter__(self) -> object:
                entered = unit.__enter__()
                self.orders = _Orders(entered.orders)
                self.outbox = entered.outbox
                self.idempotency = entered.idempotency
                self.accounts = entered.accounts  # the tracking mail's language
                return self

            def __exit__(self, *exc: object) -> None:
                unit.__exit__(*exc)  # type: ignore[arg-type]

            def commit(self) -> None:
                unit.commit()

        return _Unit()

    def migrate(self) -> int:
        return 1

    def close(self) -> None:
        pass


def _context(failures: int, error: type[Exception]) -> tuple[ServiceContext, _Flaky]:
    base = fake_context()
    with base.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order(NUMBER, lines=[line(1, quantity=2)]))
        uow.commit()
    start_processing(base, NUMBER, "P1", "Columbus, OH", {1: 2})
    flaky = _Flaky(base.storage, failures, error)
    return fake_context(flaky), flaky  # type: ignore[arg-type]


def test_a_transient_conflict_is_run_again_and_succeeds() -> None:
    """Two aborted attempts, then the third ships the package once."""
    ctx, flaky = _context(ATTEMPTS - 1, TransientConflictError)
    shipped = ship(ctx, NUMBER, "P1", "UPS", "1Z1")
    assert shipped.package("P1").shipped_at is not None
    assert flaky.saves == ATTEMPTS


def test_a_conflict_that_persists_reaches_the_caller() -> None:
    """After the last attempt the TransientConflictError is the caller's to handle."""
    ctx, flaky = _context(ATTEMPTS, TransientConflictError)
    with pytest.raises(TransientConflictError):
        ship(ctx, NUMBER, "P1", "UPS", "1Z1")
    assert flaky.saves == ATTEMPTS


def test_a_lost_compare_and_set_is_not_retried() -> None:
    """A plain ConflictError means another command won: the caller must read again."""
    ctx, flaky = _context(1, ConflictError)
    with pytest.raises(ConflictError):
        ship(ctx, NUMBER, "P1", "UPS", "1Z1")
    assert flaky.saves == 1
