"""Versioned migrations: run on demand, one transaction each, idempotent, checked on use."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from orderstatus_core import AdapterError, SchemaVersionError
from orderstatus_sqlite import SqliteStorage
from orderstatus_sqlite.migrations import MIGRATIONS, SCHEMA_VERSION, statements

TABLES = {"orders", "order_lines", "packages", "package_units", "outbox"}


def user_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as connection, connection:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])


def tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as connection, connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}


def test_migrate_from_zero_creates_the_schema_and_returns_its_version(db_path: Path) -> None:
    """An empty file is brought to the newest version, with every table."""
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    assert storage.migrate() == SCHEMA_VERSION == len(MIGRATIONS)
    storage.close()
    assert user_version(db_path) == SCHEMA_VERSION
    assert tables(db_path) >= TABLES


def test_migrate_is_idempotent(db_path: Path) -> None:
    """Migrating a current database changes nothing and answers the same version."""
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    storage.migrate()
    with closing(sqlite3.connect(db_path)) as connection, connection:
        before = connection.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    assert storage.migrate() == SCHEMA_VERSION
    second = SqliteStorage.from_url(f"sqlite:///{db_path}")
    assert second.migrate() == SCHEMA_VERSION
    second.close()
    with closing(sqlite3.connect(db_path)) as connection, connection:
        after = connection.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    assert before == after
    storage.close()


def test_opening_does_not_migrate(db_path: Path) -> None:
    """from_url touches nothing: the schema changes only when migrate() is called."""
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    storage.close()
    assert not db_path.exists() or user_version(db_path) == 0


def test_a_unit_of_work_on_an_unmigrated_database_says_to_migrate(db_path: Path) -> None:
    """Version 0 is refused with SchemaVersionError naming `orderstatus migrate`."""
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    with pytest.raises(SchemaVersionError, match="orderstatus migrate"):
        storage.unit_of_work().__enter__()
    storage.migrate()
    with storage.unit_of_work() as uow:
        assert uow.orders.get("100001") is None
    storage.close()


def test_a_database_from_a_newer_version_is_refused(db_path: Path) -> None:
    """A future schema is refused by units of work and by migrate, and left alone."""
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    storage.migrate()
    storage.close()
    with closing(sqlite3.connect(db_path)) as connection, connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    newer = SqliteStorage.from_url(f"sqlite:///{db_path}")
    with pytest.raises(SchemaVersionError, match="newer"):
        newer.unit_of_work().__enter__()
    with pytest.raises(SchemaVersionError, match="newer"):
        newer.migrate()
    newer.close()
    assert user_version(db_path) == SCHEMA_VERSION + 1


def test_a_failing_migration_leaves_the_previous_version(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration is one transaction: if it fails half-way, nothing of it remains."""
    broken = (MIGRATIONS[0].replace("PRAGMA user_version = 1;", "CREATE TABLE orders (x);"),)
    monkeypatch.setattr("orderstatus_sqlite.storage.MIGRATIONS", broken)
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    with pytest.raises(AdapterError, match="already exists"):
        storage.migrate()
    storage.close()
    assert user_version(db_path) == 0
    assert not TABLES & tables(db_path)


def test_statements_splits_on_semicolons_outside_literals_and_comments() -> None:
    """A ';' inside a string or a comment does not end a statement."""
    script = "CREATE TABLE t (x TEXT DEFAULT 'a;b'); -- note; more\nPRAGMA user_version = 3;"
    assert list(statements(script)) == [
        "CREATE TABLE t (x TEXT DEFAULT 'a;b');",
        "-- note; more\nPRAGMA user_version = 3;",
    ]


def test_every_migration_sets_its_own_version() -> None:
    """Migration n ends by setting user_version to n, so number and script agree."""
    for number, script in enumerate(MIGRATIONS, start=1):
        assert list(statements(script))[-1] == f"PRAGMA user_version = {number};"
