"""The PostgreSQL storage keeps every storage contract of orderstatus_core.testing,
the memory-reference state machines and the order lifecycle machine included."""

from __future__ import annotations

import pytest

from orderstatus_core.testing.contract import StorageContract
from orderstatus_postgres import PostgresStorage


class TestPostgresContract(StorageContract):
    """``postgresql://`` storage on the session's schema passes the shared suite."""

    @pytest.fixture
    def storage(self, pg_storage: PostgresStorage) -> PostgresStorage:
        """A fresh, migrated, empty storage."""
        return pg_storage
