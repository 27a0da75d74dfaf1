"""The conformance suite of units of work: migrate, all or nothing, read-only units, concurrency.

Subclass :class:`UnitOfWorkContract` in a test module and supply the ``storage`` fixture (a
fresh, migrated, empty storage per test); see :mod:`orderstatus_core.testing.contracts`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from orderstatus_core.errors import (
    AdapterError,
)
from orderstatus_core.ports import Storage, UnitOfWork
from orderstatus_core.testing.builders import make_order
from orderstatus_core.testing.contracts._support import (
    _END_OF_TIME,
    _WRITES,
    T0,
    StorageSuite,
    _Boom,
    _challenge,
    _due,
    _guest_pass,
    _ledger,
    _message,
    _papers,
    _pending,
    _put,
    _queue,
    _read,
    _store,
    _together,
    _write_then_fail,
)

__all__ = ["UnitOfWorkContract"]


class UnitOfWorkContract(StorageSuite):
    """The :class:`~orderstatus_core.ports.UnitOfWork` and :class:`~orderstatus_core.ports.Storage`
    contract: migrations, commit and rollback of every port together, read-only units, and
    writers on several threads.

    Needs a fixture ``storage``: a fresh, migrated, empty storage for each test.
    """

    def test_migrate_is_idempotent_and_answers_the_schema_version(self, storage: Storage) -> None:
        """Migrating an up-to-date storage again changes nothing and answers the same version."""
        first = storage.migrate()
        assert storage.migrate() == first
        assert first >= 1

    def test_url_names_the_scheme(self, storage: Storage) -> None:
        """``url`` is the ``scheme://...`` text the storage was opened with."""
        assert "://" in storage.url

    def test_leaving_without_commit_forgets_orders_and_outbox(self, storage: Storage) -> None:
        """A unit of work left without ``commit`` stores nothing (SECURITY G1)."""
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(make_order(number="123456789"))
            uow.outbox.put(_message("M1"))
        assert _read(storage, "123456789") is None
        assert _pending(storage) == 0
        assert _due(storage, T0) == []

    def test_an_exception_rolls_back_orders_and_outbox(self, storage: Storage) -> None:
        """An exception inside a unit of work propagates and stores nothing."""

        with pytest.raises(_Boom):
            _write_then_fail(storage)
        assert _read(storage, "123456789") is None
        assert _pending(storage) == 0

    def test_rollback_forgets_the_writes_so_far(self, storage: Storage) -> None:
        """``rollback`` forgets every write of the unit; a later commit stores only what follows."""
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(make_order(number="111111111"))
            uow.outbox.put(_message("M1"))
            uow.rollback()
            assert uow.orders.get("111111111") is None
            uow.orders.add(make_order(number="222222222"))
            uow.commit()
        assert _read(storage, "111111111") is None
        assert _read(storage, "222222222") is not None
        assert _pending(storage) == 0

    def test_writes_after_a_commit_are_forgotten_without_another(self, storage: Storage) -> None:
        """A unit goes on after ``commit``; what it writes afterwards and never commits is
        rolled back when the block ends."""
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(make_order(number="111111111"))
            uow.commit()
            uow.orders.add(make_order(number="222222222"))
            uow.outbox.put(_message("M1"))
        assert _read(storage, "111111111") == make_order(number="111111111")
        assert _read(storage, "222222222") is None
        assert _pending(storage) == 0

    def test_a_second_commit_with_nothing_new_is_harmless(self, storage: Storage) -> None:
        """``commit`` twice in a row stores the writes once and does not fail."""
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(make_order(number="111111111"))
            uow.commit()
            uow.commit()
        assert _read(storage, "111111111") == make_order(number="111111111")
        assert _pending(storage) == 0

    def test_a_commit_stores_orders_and_outbox_together(self, storage: Storage) -> None:
        """Orders and outbox messages of one unit become visible with the same commit."""
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(make_order(number="111111111"))
            uow.orders.add(make_order(number="222222222"))
            uow.outbox.put(_message("M1"))
            uow.commit()
        assert _read(storage, "111111111") is not None
        assert _read(storage, "222222222") is not None
        assert _pending(storage) == 1

    @pytest.mark.parametrize("write", list(_WRITES.values()), ids=list(_WRITES))
    def test_a_read_only_unit_refuses_writes(
        self, storage: Storage, write: Callable[[UnitOfWork], object]
    ) -> None:
        """A unit opened with ``write=False`` raises ``AdapterError`` for every write."""
        _queue(storage, _message("M1"))
        with storage.unit_of_work() as uow, pytest.raises(AdapterError):
            write(uow)
        assert _read(storage, "900000001") is None
        assert [m.message_id for m in _due(storage, T0)] == ["M1"]
        assert _due(storage, T0)[0].attempts == 0
        assert _ledger(storage) == []
        assert _papers(storage) == []

    def test_an_uncommitted_purge_deletes_nothing(self, storage: Storage) -> None:
        """A purge rolled back with its unit leaves every row."""
        _queue(storage, _message("M1"))
        _put(storage, _challenge(), _guest_pass())
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_sent("M1", T0)
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            assert uow.outbox.purge_sent(_END_OF_TIME) == 1
            assert uow.passes.purge_challenges(_END_OF_TIME) == 1
            assert uow.passes.purge_passes(_END_OF_TIME) == 1
        with storage.unit_of_work() as uow:
            assert uow.outbox.get("M1") is not None
            assert uow.passes.get_challenge(_challenge().selector) is not None
            assert uow.passes.get_pass(_guest_pass().selector) is not None

    def test_concurrent_writers_all_commit(self, storage: Storage) -> None:
        """Write units on eight threads at once each commit their own order."""
        self._needs("supports_concurrent_writers")
        orders = [make_order(number=f"10000000{i}") for i in range(8)]
        _together(len(orders), lambda i: _store(storage, orders[i]))
        assert [_read(storage, order.number) for order in orders] == orders

    def test_a_write_unit_never_reads_stale_data(self, storage: Storage) -> None:
        """Eight threads that each add an order only if ``get`` says it is absent: exactly one
        adds it, because a write unit holds the write lock from its start."""
        self._needs("supports_concurrent_writers")
        order = make_order(number="123456789")

        def claim(_index: int) -> bool:
            with storage.unit_of_work(write=True) as uow:
                if uow.orders.get(order.number) is not None:
                    return False
                uow.orders.add(order)
                uow.commit()
                return True

        assert sorted(_together(8, claim)) == [False] * 7 + [True]
