"""Shared by the SQLite migration tests: a migration made to fail at its last statement.

Every migration runs in one transaction; each migration's test proves it by replacing the
``PRAGMA user_version`` that ends its script with a statement that fails (creating a table
that exists) and checking what the version before left behind, which is that test's own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orderstatus_core import AdapterError
from orderstatus_sqlite import SqliteStorage
from orderstatus_sqlite.migrations import MIGRATIONS


def migrate_failing_at_the_end(
    path: Path, monkeypatch: pytest.MonkeyPatch, number: int, existing_table: str
) -> None:
    """Migrate the database at ``path`` (at version ``number - 1``) with migration
    ``number`` broken at its last statement, which now creates ``existing_table`` again:
    the migration raises :class:`AdapterError` ("already exists") and the storage closes."""
    script = MIGRATIONS[number - 1]
    assert isinstance(script, str)
    broken = script.replace(
        f"PRAGMA user_version = {number};", f"CREATE TABLE {existing_table} (x);"
    )
    assert broken != script
    monkeypatch.setattr(
        "orderstatus_sqlite.storage.MIGRATIONS", (*MIGRATIONS[: number - 1], broken)
    )
    storage = SqliteStorage.from_url(f"sqlite:///{path}")
    try:
        with pytest.raises(AdapterError, match="already exists"):
            storage.migrate()
    finally:
        storage.close()
