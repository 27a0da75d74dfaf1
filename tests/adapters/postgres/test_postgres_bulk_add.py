"""``add_many`` by COPY: a taken number is a DuplicateOrderError and the unit goes on; a
number another unit stores while the batch is sent is a ConflictError; any other failure in
any table's COPY leaves nothing of the unit (SECURITY G1)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from orderstatus_core import AdapterError, ConflictError, DuplicateOrderError, Order
from orderstatus_postgres import PostgresStorage, _rows
from support.pg_helpers import backend_pid, lock_waiter, order, shipped_package, terminate

Tables = tuple[list[tuple[Any, ...]], ...]


def stored_numbers(storage: PostgresStorage) -> list[str]:
    with storage.unit_of_work() as uow:
        return sorted(header.number for header in uow.orders.recent("jane@example.com", 100))


def _shipped(number: str) -> Order:
    return order(number, packages=[shipped_package()])


def _spoiling(monkeypatch: pytest.MonkeyPatch, spoil: Callable[[Tables], Tables]) -> None:
    """Make every later ``add_many`` send the rows ``spoil`` makes of the real ones."""
    real = _rows.table_rows

    def spoiled(orders: Sequence[Order]) -> Tables:
        return spoil(real(orders))

    monkeypatch.setattr(_rows, "table_rows", spoiled)


def test_a_number_committed_by_another_unit_meanwhile_is_a_duplicate(
    pg_storage: PostgresStorage,
) -> None:
    """Another unit commits 100002 after this unit's transaction began: the batch naming it
    is refused with its number, nothing of it is kept, and the unit goes on."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add_many([_shipped("100001")])
        with pg_storage.unit_of_work(write=True) as other:
            other.orders.add(_shipped("100002"))
            other.commit()
        with pytest.raises(DuplicateOrderError) as raised:
            uow.orders.add_many([_shipped("100003"), _shipped("100002"), _shipped("100004")])
        assert raised.value.number == "100002"
        uow.orders.add_many([_shipped("100005")])
        uow.commit()
    assert stored_numbers(pg_storage) == ["100001", "100002", "100005"]


def test_a_number_another_unit_stores_while_the_batch_is_sent_is_a_conflict(
    pg_storage: PostgresStorage,
) -> None:
    """Another unit has added 100002 and not committed: this unit's read of its numbers
    cannot see it, so its COPY waits on that row; once the other commits, the COPY breaks
    the key. That is a lost race (ConflictError, retry), the unit cannot commit, and
    nothing of it is kept. No savepoint could be rolled back to instead: there is none."""
    with pg_storage.unit_of_work(write=True) as other:
        other.orders.add(_shipped("100002"))
        failed: list[BaseException] = []
        pids: list[int] = []

        def add_the_batch() -> None:
            with pg_storage.unit_of_work(write=True) as uow:
                uow.orders.add_many([_shipped("100001")])
                pids.append(backend_pid(uow))
                try:
                    uow.orders.add_many([_shipped("100003"), _shipped("100002")])
                except ConflictError as error:
                    failed.append(error)
                with pytest.raises(AdapterError, match="rolled back"):
                    uow.commit()

        adder = threading.Thread(target=add_the_batch)
        adder.start()
        waiting = lock_waiter("pid = ANY(%s)", (pids,))
        other.commit()
        adder.join(10)
    assert waiting is not None, "the COPY never waited for the other unit's row"
    assert len(failed) == 1
    assert "another unit stored one of the same numbers" in str(failed[0])
    assert "adding orders 100003 to 100002" in str(failed[0])
    assert stored_numbers(pg_storage) == ["100002"]


def test_a_failure_in_a_later_table_leaves_nothing_of_the_unit(
    pg_storage: PostgresStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The COPY of packed units fails (a unit naming a line the order lacks): the command
    fails with AdapterError, not as a duplicate, the unit cannot commit, and neither this
    batch nor the one before it in the unit is stored."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add_many([_shipped("100001")])

        def unknown_line(tables: Tables) -> Tables:
            heads, lines, packages, units = tables
            number, package, position, _line_no, quantity = units[-1]
            return heads, lines, packages, [*units[:-1], (number, package, position, 99, quantity)]

        _spoiling(monkeypatch, unknown_line)
        with pytest.raises(AdapterError) as raised:
            uow.orders.add_many([_shipped("100002"), _shipped("100003")])
        assert not isinstance(raised.value, DuplicateOrderError)
        assert "adding orders 100002 to 100003" in str(raised.value)
        with pytest.raises(AdapterError, match="rolled back"):
            uow.commit()
    assert stored_numbers(pg_storage) == []


def test_another_repeated_key_is_a_failure_not_a_taken_number(
    pg_storage: PostgresStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the orders' own key names a taken number: a line row sent twice breaks the
    lines' key, which is a failure of the storage (AdapterError), never a made-up
    DuplicateOrderError."""
    _spoiling(monkeypatch, lambda t: (t[0], [*t[1], t[1][0]], t[2], t[3]))
    with pg_storage.unit_of_work(write=True) as uow:
        with pytest.raises(AdapterError) as raised:
            uow.orders.add_many([_shipped("100001")])
        assert not isinstance(raised.value, DuplicateOrderError)
        assert "UniqueViolation" in str(raised.value)
    assert stored_numbers(pg_storage) == []


def test_a_connection_lost_between_batches_fails_the_next_cleanly(
    pg_storage: PostgresStorage,
) -> None:
    """The backend is killed after one batch went in: the next ``add_many`` fails with an
    AdapterError naming the storage, nothing is stored, and the next unit works."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add_many([_shipped("100001")])
        terminate(backend_pid(uow))
        with pytest.raises(AdapterError) as raised:
            uow.orders.add_many([_shipped("100002")])
        with pytest.raises(AdapterError, match="rolled back"):
            uow.commit()
    assert pg_storage.url in str(raised.value)
    assert stored_numbers(pg_storage) == []
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add_many([_shipped("100003")])
        uow.commit()
    assert stored_numbers(pg_storage) == ["100003"]


def test_orders_without_packages_send_no_package_copies(pg_storage: PostgresStorage) -> None:
    """A batch of orders that hold no packages stores its orders and lines, and reads back
    equal."""
    orders = [order("100001"), order("100002")]
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add_many(orders)
        uow.commit()
    with pg_storage.unit_of_work() as uow:
        assert [uow.orders.get(each.number) for each in orders] == orders
