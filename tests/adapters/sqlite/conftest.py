"""Fixtures for the SQLite adapter tests: a fresh, migrated database file per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orderstatus_sqlite import SqliteStorage


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where this test's database file lives (not created yet)."""
    return tmp_path / "orders.db"


@pytest.fixture
def sqlite_storage(db_path: Path) -> Iterator[SqliteStorage]:
    """A migrated storage on a new file, closed after the test."""
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    storage.migrate()
    yield storage
    storage.close()
