"""The SQLite storage keeps every storage contract of orderstatus_core.testing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orderstatus_core.testing.contracts import StorageContract
from orderstatus_sqlite import SqliteStorage


class TestSqliteContract(StorageContract):
    """``sqlite:///`` storage on a file passes the shared conformance suite."""

    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[SqliteStorage]:
        """A fresh, migrated storage on a new file."""
        storage = SqliteStorage.from_url(f"sqlite:///{tmp_path / 'contract.db'}")
        storage.migrate()
        yield storage
        storage.close()


class TestSqliteMemoryContract(StorageContract):
    """``sqlite:///:memory:`` passes the same suite, except nested units on one thread.

    Its memdb locking lets a writer keep readers out, so a read unit inside a write unit
    on one thread is refused (see SqliteStorage.from_url).
    """

    supports_concurrent_units = False

    @pytest.fixture
    def storage(self) -> Iterator[SqliteStorage]:
        """A fresh, migrated private in-memory storage."""
        storage = SqliteStorage.from_url("sqlite:///:memory:")
        storage.migrate()
        yield storage
        storage.close()
