"""The discount-code migration (SQLite 13 when written; found by what it creates, so the
test follows a renumbering at merge) brings a database holding accounts, linked orders and
store credit to the newest version with all of them kept, and is one transaction."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest

from orderstatus_core import Order, SchemaVersionError
from orderstatus_core.model.account import Account
from orderstatus_sqlite import SqliteStorage
from orderstatus_sqlite.migrations import MIGRATIONS, SCHEMA_VERSION
from support.discount_migration import check_migrated, fill
from support.sqlite_migration import migrate_failing_at_the_end
from support.sqlite_orders import T0, order

_CODES = next(
    number
    for number, migration in enumerate(MIGRATIONS, start=1)
    if isinstance(migration, str) and "CREATE TABLE discount_codes" in migration
)
_BEFORE = _CODES - 1


def _orders() -> list[Order]:
    return [
        order("100001", "jane@example.com"),
        order("100002", "Jane.Old@Example.com", placed_at=T0 + timedelta(days=1)),
    ]


def _user_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as connection, connection:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])


def _before(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Order], Account]:
    orders = _orders()
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_sqlite.storage.MIGRATIONS", MIGRATIONS[:_BEFORE])
        patch.setattr("orderstatus_sqlite.storage.SCHEMA_VERSION", _BEFORE)
        storage = SqliteStorage.from_url(f"sqlite:///{path}")
        assert storage.migrate() == _BEFORE
        account = fill(storage, orders, T0)
        storage.close()
    return orders, account


def test_the_discount_code_migration_keeps_accounts_orders_and_credit(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database at the version before, with an account, linked orders and credit,
    migrates with all of them kept; codes are then stored, used and listed."""
    orders, account = _before(db_path, monkeypatch)
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    with pytest.raises(SchemaVersionError, match=f"has schema version {_BEFORE}"):
        storage.unit_of_work().__enter__()
    assert storage.migrate() == SCHEMA_VERSION
    check_migrated(storage, orders, account)
    storage.close()
    assert _user_version(db_path) == SCHEMA_VERSION


def test_a_failing_discount_code_migration_leaves_the_version_before(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the migration fails at its last statement, the version before stays with its
    accounts, and no discount_codes table is left half made."""
    _before(db_path, monkeypatch)
    migrate_failing_at_the_end(db_path, monkeypatch, _CODES, "accounts")
    assert _user_version(db_path) == _BEFORE
    with closing(sqlite3.connect(db_path)) as connection, connection:
        names = {n for (n,) in connection.execute("SELECT name FROM sqlite_master")}
        (accounts,) = connection.execute("SELECT count(*) FROM accounts").fetchone()
    assert "discount_codes" not in names
    assert accounts == 1
