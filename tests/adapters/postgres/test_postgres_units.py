"""Units of work: all or nothing, read-only refusal, duplicates, aborted transactions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import psycopg
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
from orderstatus_postgres import PostgresStorage, PostgresUnitOfWork
from orderstatus_postgres.storage import READ_RETRIES
from support.pg_helpers import T0, order


def message(message_id: str = "m1") -> OutboxMessage:
    mail = OrderListMail(to=parse_email("jane@example.com"), order_numbers=("100001",))
    return OutboxMessage(message_id=message_id, created_at=T0, intent=mail)


def stored(storage: PostgresStorage, number: str = "100001") -> tuple[object, int]:
    with storage.unit_of_work() as uow:
        return uow.orders.get(number), uow.outbox.pending_count()


def refuse_inserts_into(uow: PostgresUnitOfWork, table: str) -> None:
    """Make every insert into ``table`` fail, inside this unit's transaction only (the
    trigger is rolled back with it)."""
    connection = uow._connection
    assert connection is not None
    connection.execute(
        "CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'disk trouble'; END $$"
    )
    connection.execute(
        f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse()"
    )


def test_a_read_only_unit_refuses_every_write(pg_storage: PostgresStorage) -> None:
    """write=False: add, save, put, claim, mark_sent, mark_failed and commit raise
    AdapterError, before anything is sent."""
    with pg_storage.unit_of_work() as uow:
        for write in (
            lambda: uow.orders.add(order()),
            lambda: uow.orders.save(order(version=2)),
            lambda: uow.outbox.put(message()),
            lambda: uow.outbox.claim(T0, 10, T0),
            lambda: uow.outbox.mark_sent("m1", T0),
            lambda: uow.outbox.mark_failed("m1", "boom", T0),
            uow.commit,
        ):
            with pytest.raises(AdapterError, match="read-only"):
                write()
    assert stored(pg_storage) == (None, 0)


def test_an_exception_rolls_back_orders_and_outbox(pg_storage: PostgresStorage) -> None:
    """SECURITY G1/G4: an exception in the block leaves no order and no outbox row."""

    def failing_command() -> None:
        with pg_storage.unit_of_work(write=True) as uow:
            uow.orders.add(order())
            uow.outbox.put(message())
            raise RuntimeError("the command failed")

    with pytest.raises(RuntimeError):
        failing_command()
    assert stored(pg_storage) == (None, 0)


def test_commit_makes_orders_and_outbox_visible_together(pg_storage: PostgresStorage) -> None:
    """Both writes of one unit appear at once, and not before the commit."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.outbox.put(message())
        assert stored(pg_storage) == (None, 0)
        uow.commit()
        assert stored(pg_storage) == (order(), 1)


def test_writes_after_a_commit_are_rolled_back_on_exit(pg_storage: PostgresStorage) -> None:
    """The unit stays usable after commit; its uncommitted tail is forgotten."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.commit()
        uow.orders.add(order("100002"))
    assert stored(pg_storage) == (order(), 0)
    assert stored(pg_storage, "100002") == (None, 0)


def test_rollback_forgets_and_the_unit_goes_on(pg_storage: PostgresStorage) -> None:
    """rollback() drops this unit's writes; later writes can still be committed."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.rollback()
        assert uow.orders.get("100001") is None
        uow.orders.add(order("100002"))
        uow.commit()
    assert stored(pg_storage)[0] is None
    assert stored(pg_storage, "100002")[0] == order("100002")


def test_a_taken_number_raises_duplicate_order_error_and_the_unit_goes_on(
    pg_storage: PostgresStorage,
) -> None:
    """A duplicate, committed or in this unit, is refused without aborting the transaction
    (ON CONFLICT DO NOTHING): the unit's other writes still commit."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        with pytest.raises(DuplicateOrderError) as raised:
            uow.orders.add(order(placed_at=T0 + timedelta(days=1)))
        assert raised.value.number == "100001"
        uow.commit()
    with pg_storage.unit_of_work(write=True) as uow:
        with pytest.raises(DuplicateOrderError):
            uow.orders.add(order())
        uow.orders.add(order("100002"))
        uow.commit()
    assert stored(pg_storage)[0] == order()
    assert stored(pg_storage, "100002")[0] == order("100002")


def test_a_unit_refuses_use_outside_its_block(pg_storage: PostgresStorage) -> None:
    """Before __enter__ and after __exit__, every call raises AdapterError."""
    uow = pg_storage.unit_of_work(write=True)
    with pytest.raises(AdapterError, match="not open"):
        uow.orders.get("100001")
    with uow:
        pass
    with pytest.raises(AdapterError, match="not open"):
        uow.orders.add(order())
    with pytest.raises(AdapterError, match="not open"):
        uow.outbox.pending_count()
    with pytest.raises(AdapterError, match="not open"):
        uow.commit()


def test_a_half_written_order_can_never_be_committed(pg_storage: PostgresStorage) -> None:
    """If a child row fails, PostgreSQL aborts the transaction: later statements and the
    commit are refused, the commit rolls back, and the unit then starts afresh."""
    with pg_storage.unit_of_work(write=True) as uow:
        refuse_inserts_into(uow, "order_lines")
        with pytest.raises(AdapterError, match="disk trouble"):
            uow.orders.add(order())
        with pytest.raises(AdapterError, match="aborted"):
            uow.orders.add(order("100002"))
        with pytest.raises(AdapterError, match="rolled back"):
            uow.commit()
        uow.orders.add(order("100003"))  # the trigger went with the rollback
        uow.commit()
    assert stored(pg_storage) == (None, 0)
    assert stored(pg_storage, "100002") == (None, 0)
    assert stored(pg_storage, "100003")[0] == order("100003")


@pytest.mark.parametrize("table", ["order_lines", "packages", "package_units"])
def test_a_half_saved_order_can_never_be_committed(pg_storage: PostgresStorage, table: str) -> None:
    """If replacing the child rows fails after the order row got its new version, nothing
    of the save remains: the stored order keeps its old version and children."""
    original = order(packages=[package("P1", [(1, 1)])])
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add(original)
        uow.commit()
    changed = original.changed(packages=[package("P1", [(1, 2)]), package("P2", [(2, 1)])])
    with pg_storage.unit_of_work(write=True) as uow:
        refuse_inserts_into(uow, table)
        with pytest.raises(AdapterError, match="disk trouble"):
            uow.orders.save(changed)
        with pytest.raises(AdapterError, match="rolled back"):
            uow.commit()
        assert uow.orders.get("100001") == original
    assert stored(pg_storage)[0] == original


def test_a_conflicting_save_writes_nothing_and_spoils_nothing(
    pg_storage: PostgresStorage,
) -> None:
    """A refused save (no row matched the version) leaves the unit able to commit."""
    original = order()
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add(original)
        uow.commit()
    with pg_storage.unit_of_work(write=True) as uow:
        with pytest.raises(ConflictError, match="100001"):
            uow.orders.save(attrs.evolve(original, version=3))
        uow.outbox.put(message())
        uow.commit()
    assert stored(pg_storage) == (order(), 1)


def test_a_second_commit_with_nothing_new_is_harmless(pg_storage: PostgresStorage) -> None:
    """commit() twice in a row commits once and does not fail."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.commit()
        uow.commit()
    assert stored(pg_storage) == (order(), 0)


def test_a_read_unit_reads_each_time_what_is_committed(pg_storage: PostgresStorage) -> None:
    """A read unit runs each read as its own statement and transaction (autocommit, READ
    COMMITTED): a second read sees a commit made after the first. Each read is consistent
    in itself; a command that needs two reads to agree uses a write unit."""
    with pg_storage.unit_of_work() as reader:
        assert reader.orders.get("100001") is None
        with pg_storage.unit_of_work(write=True) as writer:
            writer.orders.add(order())
            writer.commit()
        assert reader.orders.get("100001") == order()


def test_a_read_that_loses_a_serialization_race_is_run_again(
    pg_storage: PostgresStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read unit's statement is a transaction of its own: one failing with 40001 is run
    again, up to READ_RETRIES more times, then ConflictError. In a write unit the whole
    command must run again: ConflictError at once, and the commit is refused."""
    left = [2]
    execute = psycopg.Connection.execute

    def flaky(self: psycopg.Connection[Any], query: Any, *args: Any, **kw: Any) -> Any:
        if left[0] and "FROM orders AS o" in str(query):
            left[0] -= 1
            raise psycopg.errors.SerializationFailure("could not serialize access")
        return execute(self, query, *args, **kw)

    monkeypatch.setattr(psycopg.Connection, "execute", flaky)
    with pg_storage.unit_of_work() as uow:
        assert uow.orders.get("100001") is None
    assert left == [0]
    left[0] = READ_RETRIES + 1
    with pg_storage.unit_of_work() as uow, pytest.raises(ConflictError, match="40001"):
        uow.orders.get("100001")
    left[0] = 1
    with pg_storage.unit_of_work(write=True) as uow:
        with pytest.raises(ConflictError, match="retry the command"):
            uow.orders.get("100001")
        with pytest.raises(AdapterError, match="rolled back"):
            uow.commit()
