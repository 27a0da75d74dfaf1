"""Sessions in Redis beside a SQLite storage keep every storage contract: the session
store's own, and every other port's through the wrapped units."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orderstatus_core.ports import Storage
from orderstatus_core.testing.contracts import SessionStoreContract, StorageContract
from orderstatus_redis import RedisSessionStore
from orderstatus_sqlite import SqliteStorage


def _sqlite(tmp_path: Path) -> SqliteStorage:
    storage = SqliteStorage.from_url(f"sqlite:///{tmp_path / 'orders.db'}")
    storage.migrate()
    return storage


class TestRedisSessions(SessionStoreContract):
    """``sessions="redis://..."`` keeps the session store contract."""

    @pytest.fixture
    def storage(self, tmp_path: Path, redis_sessions: RedisSessionStore) -> Iterator[Storage]:
        """SQLite with its sessions in Redis, under a key prefix no other test uses."""
        inner = _sqlite(tmp_path)
        yield redis_sessions.with_storage(inner)
        inner.close()


class TestSqliteWithRedisSessions(StorageContract):
    """The wrapped storage still keeps every other contract: orders, outbox, accounts and
    the rest reach SQLite unchanged."""

    @pytest.fixture
    def storage(self, tmp_path: Path, redis_sessions: RedisSessionStore) -> Iterator[Storage]:
        """SQLite with its sessions in Redis."""
        inner = _sqlite(tmp_path)
        yield redis_sessions.with_storage(inner)
        inner.close()
