"""The availability-alert migration of SQLite (issue 14 item 5): from a database of the
version before, holding accounts, a saved address, orders and a queued mail, it adds the
watches and keeps everything else; run in one transaction, a failure leaves the version
before intact."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orderstatus_core import OrderListMail, OutboxMessage, SchemaVersionError
from orderstatus_core.contacts import parse_email
from orderstatus_core.messages import PartBackInStockMail
from orderstatus_core.model import PartNumber
from orderstatus_core.model.account import Account
from orderstatus_core.model.alerts import PartWatch
from orderstatus_core.model.profile import SavedAddress
from orderstatus_core.services.effects import watcher_mail
from orderstatus_core.testing.builders import make_order
from orderstatus_sqlite import SqliteStorage
from orderstatus_sqlite.migrations import MIGRATIONS, SCHEMA_VERSION
from support.sqlite_migration import migrate_failing_at_the_end

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

#: The alerts' migration, found by what it creates, so that these tests follow it when
#: migrations merged from elsewhere renumber it; ``_BEFORE`` is the version it starts from.
_ALERTS = next(
    number
    for number, migration in enumerate(MIGRATIONS, start=1)
    if isinstance(migration, str) and "CREATE TABLE part_watches" in migration
)
_BEFORE = _ALERTS - 1

ALERTS_PAGE = "https://shop.example/account/alerts"


def _version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as connection:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])


def _tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}


def _database_before_alerts(path: Path, monkeypatch: pytest.MonkeyPatch) -> Account:
    """A database at the version before the alerts: an account with a saved address, an
    order and a queued mail."""
    account = Account.sign_up("acct-0001", parse_email("jane@example.com"), T0).verified(T0)
    order = make_order("100001", "jane@example.com")
    mail = OrderListMail(to=parse_email("jane@example.com"), order_numbers=("100001",))
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_sqlite.storage.MIGRATIONS", MIGRATIONS[:_BEFORE])
        patch.setattr("orderstatus_sqlite.storage.SCHEMA_VERSION", _BEFORE)
        storage = SqliteStorage.from_url(f"sqlite:///{path}")
        assert storage.migrate() == _BEFORE
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.add(account)
            uow.accounts.put_address(
                SavedAddress("acct-0001", "addr-0001", order.shipping_address, True, T0)
            )
            uow.orders.add(order)
            uow.outbox.put(OutboxMessage("m1", T0, mail))
            uow.commit()
        storage.close()
    assert _version(path) == _BEFORE
    assert "part_watches" not in _tables(path)
    return account


def test_the_alerts_migration_keeps_the_accounts_and_adds_watches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the migration the account, its address, the order and the mail are as they
    were; the account then watches a part and a report takes it."""
    path = tmp_path / "orders.db"
    account = _database_before_alerts(path, monkeypatch)
    storage = SqliteStorage.from_url(f"sqlite:///{path}")
    try:
        with pytest.raises(SchemaVersionError, match=f"has schema version {_BEFORE}"):
            storage.unit_of_work().__enter__()
        assert storage.migrate() == SCHEMA_VERSION
        watch = PartWatch("acct-0001", PartNumber("BP-1234"), T0)
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.get("acct-0001") == account
            assert len(uow.accounts.saved_addresses("acct-0001")) == 1
            assert uow.orders.get("100001") is not None
            assert [m.message_id for m in uow.outbox.due(T0, 10)] == ["m1"]
            assert uow.accounts.put_watch(watch) is True
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            mail = watcher_mail(ALERTS_PAGE)
            assert uow.accounts.queue_part_alerts("bp1234", mail, lambda: T0) == 1
            alerts = [m for m in uow.outbox.pending(10) if m.message_id == mail.message_id(1)]
            assert [m.intent for m in alerts] == [
                PartBackInStockMail(account.email, "BP-1234", ALERTS_PAGE, account.language)
            ]
            uow.commit()
    finally:
        storage.close()
    assert _version(path) == SCHEMA_VERSION


def test_a_failing_alerts_migration_leaves_the_version_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the migration fails at its last statement, the version before stays, with its
    accounts and no half-made watch table."""
    path = tmp_path / "orders.db"
    _database_before_alerts(path, monkeypatch)
    migrate_failing_at_the_end(path, monkeypatch, _ALERTS, "accounts")
    assert _version(path) == _BEFORE
    assert "part_watches" not in _tables(path)
    with closing(sqlite3.connect(path)) as connection:
        (accounts,) = connection.execute("SELECT count(*) FROM accounts").fetchone()
    assert accounts == 1
