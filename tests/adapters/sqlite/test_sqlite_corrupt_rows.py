"""The SQLite adapter reads a row it cannot decode as AdapterError (tests/support/corrupt_rows)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from orderstatus_sql.statements import qmark
from orderstatus_sqlite import SqliteStorage
from support.corrupt_rows import CorruptRowSuite


class TestSqliteCorruptRows(CorruptRowSuite):
    """The shared suite on a SQLite file."""

    # SQLite keeps any value in an INTEGER column: a time that is no number is possible.
    SPOILED_CHECKS = (
        *CorruptRowSuite.SPOILED_CHECKS,
        (
            "UPDATE account_sessions SET expires_at = 'soon'",
            "UPDATE account_sessions SET expires_at = created_at",
        ),
        (
            "UPDATE account_sessions SET last_seen_at = 'now'",
            "UPDATE account_sessions SET last_seen_at = created_at",
        ),
        (
            "UPDATE account_sessions SET ended_at = 'never'",
            "UPDATE account_sessions SET ended_at = NULL",
        ),
    )

    @pytest.fixture
    def storage(self, sqlite_storage: SqliteStorage, db_path: Path) -> SqliteStorage:
        """The migrated storage of the test's database file."""
        self._path = db_path
        return sqlite_storage

    def spoil(self, storage: object, statement: str) -> None:
        """Run ``statement`` on its own connection to the same file."""
        connection = sqlite3.connect(self._path)
        try:
            with connection:
                connection.execute(qmark(statement))
        finally:
            connection.close()
