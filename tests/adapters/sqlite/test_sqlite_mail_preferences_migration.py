"""SQLite's mail-preference migration (issue 14 item 6): a database holding the version
before it (accounts, a saved address, linked orders) migrates with everything kept, and
its accounts then subscribe; a migration failing at its last statement leaves the version
before. The migration is found by what it creates, so these tests follow a renumbering."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from orderstatus_core import SchemaVersionError
from orderstatus_core.contacts import parse_email
from orderstatus_core.model.account import Account, LinkedBy, OrderLink
from orderstatus_core.model.mail_preferences import MailSubscription
from orderstatus_core.model.profile import SavedAddress
from orderstatus_sqlite import SqliteStorage
from orderstatus_sqlite.migrations import MIGRATIONS, SCHEMA_VERSION
from support.sqlite_migration import migrate_failing_at_the_end
from support.sqlite_orders import T0, order

_PREFERENCES = next(
    number
    for number, migration in enumerate(MIGRATIONS, start=1)
    if isinstance(migration, str) and "CREATE TABLE mail_subscriptions" in migration
)
_BEFORE = _PREFERENCES - 1
_JANE = Account.sign_up("acct-0001", parse_email("jane@example.com"), T0, language="fi").verified(
    T0
)


def _tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as connection, connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}


def _version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as connection, connection:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])


def _database_before(path: Path, monkeypatch: pytest.MonkeyPatch) -> SavedAddress:
    """A database as the version before the preferences left it: an order linked to a
    Finnish-speaking account that saved its address."""
    placed = order("100001", "jane@example.com")
    saved = SavedAddress("acct-0001", "addr-0001", placed.shipping_address, True, T0)
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_sqlite.storage.MIGRATIONS", MIGRATIONS[:_BEFORE])
        patch.setattr("orderstatus_sqlite.storage.SCHEMA_VERSION", _BEFORE)
        storage = SqliteStorage.from_url(f"sqlite:///{path}")
        assert storage.migrate() == _BEFORE
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(placed)
            uow.accounts.add(_JANE)
            uow.accounts.link_order(OrderLink("acct-0001", "100001", T0, LinkedBy.CODE))
            uow.accounts.put_address(saved)
            uow.commit()
        storage.close()
    assert "mail_subscriptions" not in _tables(path)
    return saved


def test_the_preferences_migration_keeps_accounts_and_lets_them_subscribe(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The account, its language, its link and its saved address survive; it then
    subscribes and is listed as a subscriber."""
    saved = _database_before(db_path, monkeypatch)
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    with pytest.raises(SchemaVersionError, match=f"has schema version {_BEFORE}"):
        storage.unit_of_work().__enter__()
    assert storage.migrate() == SCHEMA_VERSION
    with storage.unit_of_work(write=True) as uow:
        assert uow.accounts.get("acct-0001") == _JANE
        assert list(uow.accounts.saved_addresses("acct-0001")) == [saved]
        assert [h.number for h in uow.accounts.linked_orders("acct-0001", 10)] == ["100001"]
        assert list(uow.accounts.mail_subscriptions("acct-0001")) == []
        assert uow.accounts.subscribe(MailSubscription("acct-0001", "newsletter", T0))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert list(uow.accounts.subscribers("newsletter", None, 10)) == [_JANE]
    storage.close()
    assert _version(db_path) == SCHEMA_VERSION


def test_a_failing_preferences_migration_leaves_the_version_before(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migration is one transaction: failing at its last statement, it leaves the
    version before, its account, and no half-made table."""
    _database_before(db_path, monkeypatch)
    migrate_failing_at_the_end(db_path, monkeypatch, _PREFERENCES, "accounts")
    assert _version(db_path) == _BEFORE
    assert "mail_subscriptions" not in _tables(db_path)
