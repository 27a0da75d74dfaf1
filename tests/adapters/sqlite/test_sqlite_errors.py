"""The SQLite adapter's one error-translation point (orderstatus_sqlite.connections)."""

from __future__ import annotations

import sqlite3

import pytest

from orderstatus_core import (
    AdapterError,
    ConflictError,
    DuplicateOrderError,
    Money,
    OutboxMessage,
    PartNumber,
    PartNumberQuery,
    parse_email,
)
from orderstatus_core.messages import OrderListMail
from orderstatus_core.testing.builders import PLACED_AT, make_order
from orderstatus_sqlite import SqliteStorage
from orderstatus_sqlite._repositories import CURSOR
from orderstatus_sqlite.connections import translate

LONE_SURROGATE = "123\ud800"


def _sqlite_error(code: int) -> sqlite3.Error:
    error = sqlite3.OperationalError("simulated")
    error.sqlite_errorcode = code  # type: ignore[attr-defined]
    return error


@pytest.mark.parametrize(
    "code", [sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_BUSY_SNAPSHOT]
)
def test_busy_and_locked_are_a_lost_race(code: int) -> None:
    """Another writer held the database: the command can be run again."""
    assert isinstance(translate(_sqlite_error(code), "saving"), ConflictError)


def test_a_key_violation_is_the_callers_duplicate_error_when_it_names_one() -> None:
    """A taken key means what the caller says (a taken order number ...), else a failure."""
    error = _sqlite_error(sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
    translated = translate(error, "adding", lambda: DuplicateOrderError("1"))
    assert isinstance(translated, DuplicateOrderError)
    assert type(translate(error, "adding")) is AdapterError


@pytest.mark.parametrize(
    "error",
    [
        _sqlite_error(sqlite3.SQLITE_IOERR),
        UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
        OverflowError("Python int too large to convert to SQLite INTEGER"),
    ],
    ids=["io", "unencodable", "overflow"],
)
def test_anything_else_is_an_adapter_error_saying_what_was_done(error: Exception) -> None:
    """Disk trouble, text or numbers the driver cannot bind: AdapterError, never raw."""
    translated = translate(error, "reading an order")
    assert type(translated) is AdapterError
    assert "reading an order" in str(translated)


def test_a_library_error_passes_through_unchanged() -> None:
    """Translating twice changes nothing."""
    conflict = ConflictError("lost")
    assert translate(conflict, "saving") is conflict


def test_a_write_the_driver_cannot_bind_is_an_adapter_error(sqlite_storage: SqliteStorage) -> None:
    """A message id with a lone surrogate fails as AdapterError and nothing is queued."""
    intent = OrderListMail(to=parse_email("jane@example.com"), order_numbers=("1",))
    message = OutboxMessage(message_id=LONE_SURROGATE, created_at=PLACED_AT, intent=intent)
    with sqlite_storage.unit_of_work(write=True) as uow:
        with pytest.raises(AdapterError, match="queueing an outbox message"):
            uow.outbox.put(message)
        assert uow.outbox.pending_count() == 0


def test_a_number_beyond_64_bits_is_an_adapter_error(sqlite_storage: SqliteStorage) -> None:
    """SQLite integers are 64-bit: a larger one fails as AdapterError, not OverflowError."""
    with sqlite_storage.unit_of_work() as uow, pytest.raises(AdapterError, match="counting"):
        uow._fetch(CURSOR, "SELECT ?", (2**70,), "counting")


def test_reads_by_a_key_no_row_can_hold_find_nothing(sqlite_storage: SqliteStorage) -> None:
    """Lone surrogates can never have been stored: every look-up answers empty, no error."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order())
        uow.commit()
    with sqlite_storage.unit_of_work() as uow:
        assert uow.orders.get(LONE_SURROGATE) is None
        assert uow.orders.get_for_contact("123456789", LONE_SURROGATE) is None
        assert list(uow.orders.recent(LONE_SURROGATE, 10)) == []
        query = PartNumberQuery(PartNumber("BP-1234"))
        assert list(uow.orders.search(LONE_SURROGATE, query, 10)) == []
        assert list(uow.credit.entries(LONE_SURROGATE, 10)) == []
        assert uow.credit.balance(LONE_SURROGATE, "USD") == Money.zero("USD")
        assert list(uow.documents.for_rma(LONE_SURROGATE)) == []


def test_a_failure_in_a_half_done_write_poisons_the_unit(sqlite_storage: SqliteStorage) -> None:
    """After the order row changed, a failing child statement makes the commit refuse and
    roll back everything (SECURITY G1)."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order())
        with pytest.raises(AdapterError):
            uow._fetch(
                CURSOR, "INSERT INTO no_such_table VALUES (?)", (1,), "x", partial=True, write=True
            )
        with pytest.raises(AdapterError, match="rolled back"):
            uow.commit()
    with sqlite_storage.unit_of_work() as uow:
        assert uow.orders.get("123456789") is None


def test_a_failure_of_a_whole_statement_leaves_the_unit_usable(
    sqlite_storage: SqliteStorage,
) -> None:
    """A statement that failed on its own (nothing half done) does not poison the unit."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order())
        with pytest.raises(DuplicateOrderError):
            uow.orders.add(make_order())
        uow.commit()
    with sqlite_storage.unit_of_work() as uow:
        assert uow.orders.get("123456789") is not None
