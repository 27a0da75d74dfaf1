"""The conformance suite of units of work: migrate, all or nothing, read-only units, concurrency:
:class:`UnitOfWorkContract`, on the ``storage`` fixture.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from orderstatus_core.errors import AdapterError, ConflictError
from orderstatus_core.model import Order
from orderstatus_core.ports import Storage, UnitOfWork
from orderstatus_core.testing.builders import make_order, order_of_two_lines, usd
from orderstatus_core.testing.contracts._support import (
    _END_OF_TIME,
    _SESSION_RULES,
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
    _save,
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

    def test_two_threads_of_many_write_units_all_commit(self, storage: Storage) -> None:
        """A hundred small read-then-write units from each of two threads at once: all
        commit, none fails on a lock."""
        self._needs("supports_concurrent_writers")

        def write(thread: int) -> None:
            for number in range(100_000 * (thread + 1), 100_000 * (thread + 1) + 100):
                with storage.unit_of_work(write=True) as uow:
                    uow.orders.recent("jane@example.com", 1)
                    uow.orders.add(order_of_two_lines(str(number)))
                    uow.commit()

        _together(2, write)
        with storage.unit_of_work() as uow:
            assert len(uow.orders.recent("jane@example.com", 1000)) == 200

    @pytest.mark.parametrize("read_once", [False, True], ids=["read", "read-once"])
    def test_a_reader_is_not_blocked_by_a_writer_on_another_thread(
        self, storage: Storage, read_once: bool
    ) -> None:
        """A read unit (or a read-once unit) answers at once with the last commit while
        another thread holds the order in an uncommitted write unit."""
        self._needs("supports_concurrent_units")
        _store(storage, order_of_two_lines())
        holding, release = threading.Event(), threading.Event()

        def hold_or_read(index: int) -> None:
            if index == 0:
                with storage.unit_of_work(write=True) as uow:
                    stored = uow.orders.get("100001")
                    assert stored is not None
                    uow.orders.save(stored.changed(tax=usd("3.00")))
                    holding.set()
                    release.wait(10)
                return
            assert holding.wait(10)
            # The holder ends only after this read lets it go: a read that waited for it
            # would time out, then see the holder's change, not the order as stored.
            try:
                with storage.unit_of_work(read_once=read_once) as uow:
                    assert uow.orders.get("100001") == order_of_two_lines()
            finally:
                release.set()

        _together(2, hold_or_read)

    def test_two_threads_saving_what_they_read_one_wins(self, storage: Storage) -> None:
        """Two threads read version 1 in read units, then save version 2: one save wins,
        the other raises ConflictError (never a lock error), and the winner is stored."""
        self._needs("supports_concurrent_writers")
        _store(storage, order_of_two_lines())
        read = threading.Barrier(2)
        taxes = ("3.00", "4.00")

        def save_what_was_read(index: int) -> tuple[str, str]:
            stored = _read(storage, "100001")
            assert stored is not None
            read.wait(30)
            try:
                with storage.unit_of_work(write=True) as uow:
                    uow.orders.save(stored.changed(tax=usd(taxes[index])))
                    uow.commit()
            except ConflictError as error:
                return ("conflict", str(error))
            return ("saved", taxes[index])

        outcomes = _together(2, save_what_was_read)
        assert sorted(kind for kind, _detail in outcomes) == ["conflict", "saved"], outcomes
        (won,) = [detail for kind, detail in outcomes if kind == "saved"]
        (lost,) = [detail for kind, detail in outcomes if kind == "conflict"]
        assert "locked" not in lost
        assert "busy" not in lost
        stored = _read(storage, "100001")
        assert stored is not None
        assert (stored.version, stored.tax) == (2, usd(won))

    def test_reading_inside_a_write_unit_serialises_the_saves(self, storage: Storage) -> None:
        """Eight threads each read and save the order in one write unit: each waits for the
        one before and reads its version, so all eight saves land."""
        self._needs("supports_concurrent_writers")
        _store(storage, order_of_two_lines())

        def read_and_save(index: int) -> None:
            with storage.unit_of_work(write=True) as uow:
                stored = uow.orders.get("100001")
                assert stored is not None
                uow.orders.save(stored.changed(tax=usd(f"{index}.00")))
                uow.commit()

        _together(8, read_and_save)
        stored = _read(storage, "100001")
        assert stored is not None
        assert stored.version == 9

    # --- read-once units (``unit_of_work(read_once=True)``) ---

    def test_a_read_once_unit_answers_its_one_read(self, storage: Storage) -> None:
        """A read-once unit's one read answers as a read unit's first read does."""
        order = order_of_two_lines()
        _store(storage, order)
        contact = order.email.canonical
        with storage.unit_of_work(read_once=True) as uow:
            assert uow.orders.get_for_contact(order.number, contact) == order
        with storage.unit_of_work(read_once=True) as uow:
            assert uow.orders.get_for_contact("999999999", contact) is None

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            ("orders.get", "orders.get"),
            ("orders.get_for_contact", "orders.recent"),
            ("orders.recent", "sessions.get_with_account"),
            ("sessions.get_with_account", "accounts.get"),
            ("sessions.get", "outbox.pending"),
            ("sessions.check", "accounts.get"),
            ("orders.get", "sessions.check"),
        ],
    )
    def test_a_second_read_in_a_read_once_unit_raises(
        self, storage: Storage, first: str, second: str
    ) -> None:
        """After its one read, a read-once unit refuses the next read with ``AdapterError``
        instead of reading another snapshot; the first read's answer stands."""
        order = order_of_two_lines()
        _store(storage, order)
        with storage.unit_of_work(read_once=True) as uow:
            _READS[first](uow, order)
            with pytest.raises(AdapterError, match="read_once"):
                _READS[second](uow, order)
            with pytest.raises(AdapterError, match="read_once"):
                _READS[first](uow, order)

    def test_a_read_once_unit_entered_again_makes_its_one_read_again(
        self, storage: Storage
    ) -> None:
        """Each time the same read-once unit is entered it makes one read, and only one."""
        order = order_of_two_lines()
        _store(storage, order)
        unit = storage.unit_of_work(read_once=True)
        for _entry in range(2):
            with unit as uow:
                assert uow.orders.get(order.number) == order
                with pytest.raises(AdapterError, match="read_once"):
                    uow.orders.get(order.number)

    def test_a_read_once_unit_cannot_be_a_write_unit(self, storage: Storage) -> None:
        """``write=True`` with ``read_once=True`` raises ``AdapterError``: one read cannot
        also write."""
        with pytest.raises(AdapterError), storage.unit_of_work(write=True, read_once=True):
            pass  # pragma: no cover -- the unit is refused before its block

    @pytest.mark.parametrize("write", list(_WRITES.values()), ids=list(_WRITES))
    def test_a_read_once_unit_refuses_writes(
        self, storage: Storage, write: Callable[[UnitOfWork], object]
    ) -> None:
        """A read-once unit is read-only: every write raises ``AdapterError``, nothing
        changes."""
        _queue(storage, _message("M1"))
        with storage.unit_of_work(read_once=True) as uow, pytest.raises(AdapterError):
            write(uow)
        assert _read(storage, "900000001") is None
        assert [m.message_id for m in _due(storage, T0)] == ["M1"]
        assert _due(storage, T0)[0].attempts == 0
        assert _ledger(storage) == []

    def test_each_read_once_unit_reads_the_last_commit(self, storage: Storage) -> None:
        """Read-once units one after another on one thread each see every commit made
        before they read: no snapshot of an earlier read is ever reused."""
        order = order_of_two_lines()
        _store(storage, order, order_of_two_lines("100002"))
        contact = order.email.canonical
        for version in range(1, 5):
            with storage.unit_of_work(read_once=True) as uow:
                assert len(uow.orders.recent(contact, 1)) == 1  # one of two rows
            with storage.unit_of_work(read_once=True) as uow:
                stored = uow.orders.get_for_contact(order.number, contact)
            assert stored is not None
            assert stored.version == version
            _save(storage, stored.changed(tax=usd(f"{version}.00")))


#: One read of each kind, by name, for the read-once tests.
_READS: dict[str, Callable[[UnitOfWork, Order], object]] = {
    "orders.get": lambda uow, order: uow.orders.get(order.number),
    "orders.get_for_contact": lambda uow, order: uow.orders.get_for_contact(
        order.number, order.email.canonical
    ),
    "orders.recent": lambda uow, order: uow.orders.recent(order.email.canonical, 10),
    "sessions.get": lambda uow, _order: uow.sessions.get("0" * 64),
    "sessions.get_with_account": lambda uow, _order: uow.sessions.get_with_account("0" * 64),
    "sessions.check": lambda uow, _order: uow.sessions.check("0" * 64, T0, **_SESSION_RULES),
    "accounts.get": lambda uow, _order: uow.accounts.get("acct-0001"),
    "outbox.pending": lambda uow, _order: uow.outbox.pending(10),
}
