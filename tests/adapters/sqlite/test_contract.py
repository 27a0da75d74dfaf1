"""The SQLite storage keeps every storage contract of orderstatus_core.testing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orderstatus_core import AdapterError
from orderstatus_core.ports import Storage
from orderstatus_core.testing.contract import StorageContract
from orderstatus_sqlite import SqliteStorage

# Found by the suites per port: a lone surrogate as a guest-pass selector or idempotency key
# raises AdapterError (UnicodeEncodeError) instead of finding nothing, as memory:// and
# postgresql:// do. Strict, so that the fix turns these into failures to remove.
_SURROGATE_KEYS = pytest.mark.xfail(
    strict=True, raises=AdapterError, reason="sqlite:// cannot look up a lone surrogate key"
)


class _SqliteSuites(StorageContract):
    @_SURROGATE_KEYS
    def test_hostile_text_as_a_key_finds_nothing(self, storage: Storage) -> None:
        super().test_hostile_text_as_a_key_finds_nothing(storage)

    @_SURROGATE_KEYS
    def test_hostile_text_as_a_selector_or_order_finds_nothing(self, storage: Storage) -> None:
        super().test_hostile_text_as_a_selector_or_order_finds_nothing(storage)


class TestSqliteContract(_SqliteSuites):
    """``sqlite:///`` storage on a file passes the shared conformance suite."""

    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[SqliteStorage]:
        """A fresh, migrated storage on a new file."""
        storage = SqliteStorage.from_url(f"sqlite:///{tmp_path / 'contract.db'}")
        storage.migrate()
        yield storage
        storage.close()


class TestSqliteMemoryContract(_SqliteSuites):
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
