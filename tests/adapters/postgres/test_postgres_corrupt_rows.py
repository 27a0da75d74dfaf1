"""PostgreSQL reads a row it cannot decode as AdapterError (tests/support/corrupt_rows)."""

from __future__ import annotations

import pytest

from orderstatus_postgres import PostgresStorage
from support.corrupt_rows import CorruptRowSuite
from support.pg_helpers import admin_connection


class TestPostgresCorruptRows(CorruptRowSuite):
    """The shared suite on the session's schema."""

    @pytest.fixture
    def storage(self, pg_storage: PostgresStorage) -> PostgresStorage:
        """The migrated, emptied storage of the session's schema."""
        return pg_storage

    def spoil(self, storage: object, statement: str) -> None:
        """Run ``statement`` on a connection of its own to the storage's schema."""
        assert isinstance(storage, PostgresStorage)
        with admin_connection(storage.schema) as connection:
            connection.execute(statement)  # type: ignore[arg-type]  # a test's constant
