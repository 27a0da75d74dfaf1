"""Units of work as SQLite runs them: use outside the block, half-written rows, snapshots.

What every storage's units keep (all or nothing, read-only refusal, duplicates,
commits and rollbacks) is in the suites per port, run in the contract test module."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from orderstatus_core import (
    AdapterError,
    GuestPassMail,
    OrderListMail,
    OutboxMessage,
    parse_email,
    without_secrets,
)
from orderstatus_core.messages import OutboxItem
from orderstatus_core.testing.builders import package
from orderstatus_sql import rows
from orderstatus_sqlite import SqliteStorage
from support.freed_units import assert_an_ended_unit_is_freed, assert_repositories_are_views
from support.sqlite_orders import T0, order


def message(message_id: str = "m1") -> OutboxMessage:
    mail = OrderListMail(to=parse_email("jane@example.com"), order_numbers=("100001",))
    return OutboxMessage(message_id=message_id, created_at=T0, intent=mail)


def stored_order(storage: SqliteStorage) -> object:
    with storage.unit_of_work() as uow:
        return uow.orders.get("100001")


def stored(storage: SqliteStorage) -> tuple[object, int]:
    with storage.unit_of_work() as uow:
        return uow.orders.get("100001"), uow.outbox.pending_count()


def test_leaving_without_commit_rolls_back(sqlite_storage: SqliteStorage) -> None:
    """No commit, no change."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.outbox.put(message())
    assert stored(sqlite_storage) == (None, 0)


def test_uncommitted_writes_are_invisible_to_other_units(sqlite_storage: SqliteStorage) -> None:
    """A read unit opened during a write unit (same thread) sees only committed data."""
    with sqlite_storage.unit_of_work(write=True) as writer:
        writer.orders.add(order())
        assert writer.orders.get("100001") == order()
        assert stored(sqlite_storage) == (None, 0)
        writer.commit()
        assert stored(sqlite_storage) == (order(), 0)


def test_a_read_unit_keeps_its_snapshot(sqlite_storage: SqliteStorage) -> None:
    """A read unit sees the database as of its first read, like the memory adapter."""
    with sqlite_storage.unit_of_work() as reader:
        assert reader.orders.get("100001") is None
        with sqlite_storage.unit_of_work(write=True) as writer:
            writer.orders.add(order())
            writer.commit()
        assert reader.orders.get("100001") is None
    assert stored(sqlite_storage) == (order(), 0)


def _traced_read_once(storage: SqliteStorage, read: Callable[[Any], object]) -> list[str]:
    """The statements a read-once unit sends while it runs ``read``, its leaving included."""
    sent: list[str] = []
    with storage.unit_of_work(read_once=True) as uow:
        connection = uow._connection
        assert connection is not None
        connection.set_trace_callback(sent.append)
        read(uow)
        assert not connection.in_transaction
    connection.set_trace_callback(None)
    return sent


def test_a_read_once_unit_sends_its_one_statement_and_nothing_else(
    sqlite_storage: SqliteStorage,
) -> None:
    """No BEGIN, no ROLLBACK: the read runs alone, in autocommit, its own snapshot."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.commit()
    contact = order().email.canonical
    sent = _traced_read_once(
        sqlite_storage, lambda uow: uow.orders.get_for_contact("100001", contact)
    )
    assert len(sent) == 1
    assert sent[0].lstrip().startswith("SELECT")
    sent = _traced_read_once(sqlite_storage, lambda uow: uow.sessions.get_with_account("0" * 64))
    assert len(sent) == 1


def test_a_read_once_unit_leaves_no_snapshot_behind(
    sqlite_storage: SqliteStorage, db_path: Path
) -> None:
    """After a read-once unit read the first row of several (and left the rest), the
    connection it gives back holds no read transaction: the next unit on it sees a commit
    made by another connection."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.orders.add(order(number="100002"))
        uow.commit()

    def first_row_of(cursor: sqlite3.Cursor) -> tuple[sqlite3.Cursor, object]:
        return cursor, cursor.fetchone()  # the cursor outlives the read

    with sqlite_storage.unit_of_work(read_once=True) as uow:
        kept, first = uow._fetch(first_row_of, "SELECT number FROM orders", (), "reading")
        assert first is not None
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("UPDATE orders SET version = 7 WHERE number = '100001'")
    finally:
        other.close()
    with sqlite_storage.unit_of_work() as uow:
        again = uow.orders.get("100001")
    assert again is not None
    assert again.version == 7
    del kept  # held to the end: the read-once unit, not the caller, ended its statement


def test_a_read_once_read_that_fails_is_the_librarys_error(
    sqlite_storage: SqliteStorage, db_path: Path
) -> None:
    """A statement SQLite refuses in a read-once unit raises ``AdapterError`` naming what
    was being read, never a raw ``sqlite3`` error."""
    with sqlite_storage.unit_of_work(read_once=True) as uow:
        other = sqlite3.connect(db_path, isolation_level=None)
        try:
            other.execute("DROP TABLE account_sessions")
        finally:
            other.close()
        with pytest.raises(AdapterError, match="reading a session with its account"):
            uow.sessions.get_with_account("0" * 64)


def test_a_unit_refuses_use_outside_its_block(sqlite_storage: SqliteStorage) -> None:
    """Before __enter__ and after __exit__, every call raises AdapterError."""
    uow = sqlite_storage.unit_of_work(write=True)
    with pytest.raises(AdapterError, match="not open"):
        uow.orders.get("100001")
    with uow:
        pass
    with pytest.raises(AdapterError, match="not open"):
        uow.orders.add(order())
    with pytest.raises(AdapterError, match="not open"):
        uow.outbox.pending_count()


def test_a_half_written_order_can_never_be_committed(sqlite_storage: SqliteStorage) -> None:
    """If a child row fails after the order row went in, commit refuses and rolls back."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        connection = uow._connection
        assert connection is not None
        # Make the line insert fail after the order row is written.
        connection.execute(
            "CREATE TEMP TRIGGER refuse BEFORE INSERT ON order_lines "
            "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
        )
        with pytest.raises(AdapterError, match="disk trouble"):
            uow.orders.add(order())
        with pytest.raises(AdapterError, match="rolled back"):
            uow.commit()
    assert stored(sqlite_storage) == (None, 0)


@pytest.mark.parametrize("table", ["orders", "order_lines", "packages", "package_units"])
def test_a_half_written_bulk_add_can_never_be_committed(
    sqlite_storage: SqliteStorage, table: str
) -> None:
    """If a row of ``add_many`` fails after the first went in (here: the second order's
    row, or a child row), commit refuses and rolls back: none of the batch is stored."""
    orders = [order(), order("100002", packages=[package("P1", [(1, 1)])])]
    with sqlite_storage.unit_of_work(write=True) as uow:
        connection = uow._connection
        assert connection is not None
        connection.execute(
            f"CREATE TEMP TRIGGER refuse BEFORE INSERT ON {table} "
            "WHEN (SELECT count(*) FROM orders) > 0 "
            "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
        )
        with pytest.raises(AdapterError, match="disk trouble"):
            uow.orders.add_many(orders)
        with pytest.raises(AdapterError, match="rolled back"):
            uow.commit()
    assert stored(sqlite_storage) == (None, 0)


@pytest.mark.parametrize("table", ["order_lines", "packages", "package_units"])
def test_a_half_saved_order_can_never_be_committed(
    sqlite_storage: SqliteStorage, table: str
) -> None:
    """If replacing the child rows fails after the order row got its new version, commit
    refuses and rolls back: the stored order keeps its old version and children."""
    original = order(packages=[package("P1", [(1, 1)])])
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.orders.add(original)
        uow.commit()
    changed = original.changed(packages=[package("P1", [(1, 2)]), package("P2", [(2, 1)])])
    with sqlite_storage.unit_of_work(write=True) as uow:
        connection = uow._connection
        assert connection is not None
        connection.execute(
            f"CREATE TEMP TRIGGER refuse BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
        )
        with pytest.raises(AdapterError, match="disk trouble"):
            uow.orders.save(changed)
        with pytest.raises(AdapterError, match="rolled back"):
            uow.commit()
        assert uow.orders.get("100001") == original
    assert stored_order(sqlite_storage) == original


def test_writes_after_sqlite_ended_the_transaction_are_never_committed(
    sqlite_storage: SqliteStorage,
) -> None:
    """If SQLite rolls back on its own (disk full, I/O error), commit refuses what follows."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        connection = uow._connection
        assert connection is not None
        connection.execute("ROLLBACK")  # what SQLite does itself after SQLITE_FULL
        uow.orders.add(order("100002"))
        with pytest.raises(AdapterError, match="rolled back"):
            uow.commit()
        uow.orders.add(order("100003"))  # after the refusal the unit starts afresh
        uow.commit()
    with sqlite_storage.unit_of_work() as uow:
        assert [uow.orders.get(n) is not None for n in ("100001", "100002", "100003")] == [
            False,
            False,
            True,
        ]


def test_a_repository_is_a_view_of_its_unit(sqlite_storage: SqliteStorage) -> None:
    """A unit keeps no repository: each read makes a view holding only the unit."""
    assert_repositories_are_views(sqlite_storage)


@pytest.mark.parametrize("kind", ["read", "read_once", "write"])
def test_an_ended_unit_is_freed_at_once_without_the_garbage_collector(
    sqlite_storage: SqliteStorage, kind: str
) -> None:
    """Its repositories hold the unit and the unit keeps none, so no reference cycle is
    left for the cyclic collector (one per request, a session check or a find-order)."""
    assert_an_ended_unit_is_freed(sqlite_storage, kind)


def _guest_pass_mail() -> GuestPassMail:
    return GuestPassMail(
        parse_email("jane@example.com"),
        "100001",
        "481516",
        "https://shop.example/pass?token=abc",
        T0 + timedelta(minutes=15),
    )


@pytest.mark.parametrize(
    ("intent", "reads"),
    [
        (OrderListMail(to=parse_email("jane@example.com"), order_numbers=("100001",)), 0),
        (_guest_pass_mail(), 1),
    ],
    ids=["no secrets", "guest pass"],
)
def test_marking_sent_reads_the_item_back_only_to_empty_its_secrets(
    sqlite_storage: SqliteStorage,
    monkeypatch: pytest.MonkeyPatch,
    intent: OutboxItem,
    reads: int,
) -> None:
    """Delivery empties an item's secrets in the same write (SECURITY D5); an item with
    none is marked sent without decoding it (counted, not timed)."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.outbox.put(OutboxMessage("m1", T0, intent))
        uow.commit()
    decoded: list[object] = []
    load = rows.load_intent
    monkeypatch.setattr(rows, "load_intent", lambda data: decoded.append(data) or load(data))
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.outbox.mark_sent("m1", T0 + timedelta(minutes=1))
        uow.commit()
    assert len(decoded) == reads
    monkeypatch.undo()
    with sqlite_storage.unit_of_work() as uow:
        sent = uow.outbox.get("m1")
    assert sent is not None
    assert sent.intent == without_secrets(intent)
    assert sent.sent_at == T0 + timedelta(minutes=1)
