"""SECURITY G3: writers wait for each other; "database is locked" never escapes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlite_orders import order

from orderstatus_core import ConflictError
from orderstatus_sqlite import SqliteStorage


def run_together(*targets: object) -> list[BaseException]:
    """Start every target at once; return what they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(targets))

    def wrap(target: object) -> None:
        start.wait()
        try:
            target()  # type: ignore[operator]
        except BaseException as error:  # collected and asserted by the test
            errors.append(error)

    threads = [threading.Thread(target=wrap, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_two_threads_writing_at_once_both_succeed(sqlite_storage: SqliteStorage) -> None:
    """Many small write units from two threads: all commit, none sees a lock error."""

    def writer(first: int) -> object:
        def write() -> None:
            for number in range(first, first + 100):
                with sqlite_storage.unit_of_work(write=True) as uow:
                    uow.orders.recent("jane@example.com", 1)  # read-then-write
                    uow.orders.add(order(str(number)))
                    uow.commit()

        return write

    assert run_together(writer(100_000), writer(200_000)) == []
    with sqlite_storage.unit_of_work() as uow:
        assert len(uow.orders.recent("jane@example.com", 1000)) == 200


def test_readers_are_not_blocked_by_a_writer(sqlite_storage: SqliteStorage) -> None:
    """WAL: a read unit runs while another thread holds the write lock."""
    holding = threading.Event()
    release = threading.Event()

    def hold_the_write_lock() -> None:
        with sqlite_storage.unit_of_work(write=True) as uow:
            uow.orders.add(order())
            holding.set()
            release.wait(10)

    def read() -> None:
        holding.wait(10)
        with sqlite_storage.unit_of_work() as uow:
            assert uow.orders.get("100001") is None
        release.set()

    assert run_together(hold_the_write_lock, read) == []


def test_a_writer_that_waits_too_long_gets_a_conflict_error(db_path: Path) -> None:
    """Past busy_timeout and the bounded retries, BEGIN IMMEDIATE gives ConflictError."""
    storage = SqliteStorage(db_path, busy_timeout_ms=20, begin_retries=2)
    storage.migrate()
    holding = threading.Event()
    release = threading.Event()

    def hold_the_write_lock() -> None:
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(order())
            holding.set()
            release.wait(10)

    def write() -> None:
        holding.wait(10)
        try:
            with pytest.raises(ConflictError, match="busy") as raised:
                storage.unit_of_work(write=True).__enter__()
            assert "locked" not in str(raised.value)
        finally:
            release.set()

    assert run_together(hold_the_write_lock, write) == []
    with storage.unit_of_work(write=True) as uow:  # the lock is free again
        uow.orders.add(order("100002"))
        uow.commit()
    storage.close()


def test_the_memory_database_also_serializes_writers() -> None:
    """sqlite:///:memory: shares one database between threads with the same guarantees."""
    storage = SqliteStorage.from_url("sqlite:///:memory:")
    storage.migrate()

    def writer(first: int) -> object:
        def write() -> None:
            for number in range(first, first + 50):
                with storage.unit_of_work(write=True) as uow:
                    uow.orders.add(order(str(number)))
                    uow.commit()

        return write

    assert run_together(writer(100_000), writer(200_000)) == []
    with storage.unit_of_work() as uow:
        assert len(uow.orders.recent("jane@example.com", 1000)) == 100
    storage.close()
