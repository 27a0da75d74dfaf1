"""SECURITY G2/G3: writers wait for each other; "database is locked" never escapes; a save
built from a stale read loses with ConflictError."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from orderstatus_core import ConflictError
from orderstatus_sqlite import SqliteStorage
from support.spawned import spawned_workers
from support.sqlite_orders import order
from support.sqlite_workers import save_what_was_read


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


# --- save: compare-and-set on the version (SECURITY G2) -------------------------------------


def check_one_winner(storage: SqliteStorage, outcomes: list[tuple[str, str]]) -> None:
    """One save won, the other lost with the version conflict (never a lock error), and the
    stored order is the winner's, at version 2."""
    assert sorted(kind for kind, _detail in outcomes) == ["conflict", "saved"], outcomes
    (won,) = [detail for kind, detail in outcomes if kind == "saved"]
    (lost,) = [detail for kind, detail in outcomes if kind == "conflict"]
    assert "changed since it was read" in lost
    assert "locked" not in lost
    assert "busy" not in lost
    with storage.unit_of_work() as uow:
        stored = uow.orders.get("100001")
    assert stored is not None
    assert stored.version == 2
    assert str(stored.tax.amount) == won


def test_two_threads_saving_what_they_read_one_wins(sqlite_storage: SqliteStorage) -> None:
    """Both threads read version 1, then save version 2: exactly one save wins, the other
    gets ConflictError, and nothing says "database is locked"."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.commit()
    read = threading.Barrier(2)
    outcomes: list[tuple[str, str]] = []
    path = str(sqlite_storage._path)

    def worker(tax: str) -> object:
        return lambda: outcomes.append(save_what_was_read(path, "100001", tax, read, None))

    assert run_together(worker("3.00"), worker("4.00")) == []
    check_one_winner(sqlite_storage, outcomes)


def test_two_processes_saving_what_they_read_one_wins(db_path: Path) -> None:
    """Two spawned processes, each with its own SqliteStorage on the one file, read version
    1 and save version 2: one wins, the other gets ConflictError, no lock error escapes."""
    storage = SqliteStorage(db_path)
    storage.migrate()
    with storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.commit()
    try:
        with spawned_workers(2) as race:
            race.start(
                save_what_was_read,
                [
                    (str(db_path), "100001", tax, race.barrier, race.results, f"worker-{tax}")
                    for tax in ("3.00", "4.00")
                ],
            )
            outcomes = race.collect(2)
            assert race.join() == [0, 0]
        check_one_winner(storage, [(kind, detail) for _name, kind, detail in outcomes])
    finally:
        storage.close()
