"""Units of work: all or nothing, read-only refusal, duplicates, visibility."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from orderstatus_core import (
    AdapterError,
    ConflictError,
    DuplicateOrderError,
    OrderListMail,
    OutboxMessage,
    parse_email,
)
from orderstatus_core.testing.builders import package
from orderstatus_sqlite import SqliteStorage
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


def test_a_read_only_unit_refuses_every_write(sqlite_storage: SqliteStorage) -> None:
    """write=False: add, put, mark_sent, mark_failed and commit raise AdapterError."""
    with sqlite_storage.unit_of_work() as uow:
        with pytest.raises(AdapterError, match="read-only"):
            uow.orders.add(order())
        with pytest.raises(AdapterError, match="read-only"):
            uow.outbox.put(message())
        with pytest.raises(AdapterError, match="read-only"):
            uow.outbox.mark_sent("m1", T0)
        with pytest.raises(AdapterError, match="read-only"):
            uow.outbox.mark_failed("m1", "boom", T0)
        with pytest.raises(AdapterError, match="read-only"):
            uow.commit()
    assert stored(sqlite_storage) == (None, 0)


def test_an_exception_rolls_back_orders_and_outbox(sqlite_storage: SqliteStorage) -> None:
    """SECURITY G1/G4: an exception in the block leaves no order and no outbox row."""

    def failing_command() -> None:
        with sqlite_storage.unit_of_work(write=True) as uow:
            uow.orders.add(order())
            uow.outbox.put(message())
            raise RuntimeError("the command failed")

    with pytest.raises(RuntimeError):
        failing_command()
    assert stored(sqlite_storage) == (None, 0)


def test_leaving_without_commit_rolls_back(sqlite_storage: SqliteStorage) -> None:
    """No commit, no change."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.outbox.put(message())
    assert stored(sqlite_storage) == (None, 0)


def test_commit_makes_orders_and_outbox_visible_together(sqlite_storage: SqliteStorage) -> None:
    """Both writes of one unit appear at once."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.outbox.put(message())
        uow.commit()
    assert stored(sqlite_storage) == (order(), 1)


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


def test_writes_after_a_commit_are_rolled_back_on_exit(sqlite_storage: SqliteStorage) -> None:
    """The unit stays usable after commit; its uncommitted tail is forgotten."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.commit()
        uow.orders.add(order("100002"))
    with sqlite_storage.unit_of_work() as uow:
        assert uow.orders.get("100001") == order()
        assert uow.orders.get("100002") is None


def test_rollback_forgets_and_the_unit_goes_on(sqlite_storage: SqliteStorage) -> None:
    """rollback() drops this unit's writes; later writes can still be committed."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.rollback()
        assert uow.orders.get("100001") is None
        uow.orders.add(order("100002"))
        uow.commit()
    with sqlite_storage.unit_of_work() as uow:
        assert uow.orders.get("100001") is None
        assert uow.orders.get("100002") == order("100002")


def test_a_taken_number_raises_duplicate_order_error(sqlite_storage: SqliteStorage) -> None:
    """Adding a stored number, committed or in this unit, raises DuplicateOrderError."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        with pytest.raises(DuplicateOrderError) as raised:
            uow.orders.add(order(placed_at=T0 + timedelta(days=1)))
        assert raised.value.number == "100001"
        uow.commit()
    with sqlite_storage.unit_of_work(write=True) as uow:
        with pytest.raises(DuplicateOrderError):
            uow.orders.add(order())
        uow.orders.add(order("100002"))
        uow.commit()
    with sqlite_storage.unit_of_work() as uow:
        assert uow.orders.get("100001") == order()
        assert uow.orders.get("100002") == order("100002")


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


def test_a_conflicting_save_writes_nothing_and_spoils_nothing(
    sqlite_storage: SqliteStorage,
) -> None:
    """A refused save leaves the unit able to commit its other writes."""
    original = order()
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.orders.add(original)
        uow.commit()
    with sqlite_storage.unit_of_work(write=True) as uow:
        with pytest.raises(ConflictError, match="100001"):
            uow.orders.save(attrs.evolve(original, version=3))
        uow.outbox.put(message())
        uow.commit()
    assert stored(sqlite_storage) == (order(), 1)


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


def test_a_second_commit_with_nothing_new_is_harmless(sqlite_storage: SqliteStorage) -> None:
    """commit() twice in a row commits once and does not fail."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.commit()
        uow.commit()
    assert stored(sqlite_storage) == (order(), 0)
