"""The migration that gives order lines their vehicle (13 when this was written), from a
database holding orders, accounts and links of the version before."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest

from orderstatus_core import Order, SchemaVersionError
from orderstatus_core.contacts import parse_email
from orderstatus_core.model.account import Account, LinkedBy, OrderLink
from orderstatus_sqlite import SqliteStorage
from orderstatus_sqlite.migrations import MIGRATIONS, SCHEMA_VERSION
from support.before_vehicles import (
    SQLITE_VEHICLES,
    check_lines_gain_vehicles,
    sqlite_lines_before_vehicles,
)
from support.sqlite_migration import migrate_failing_at_the_end
from support.sqlite_orders import T0, order

#: The migration, found by what it creates (it follows a renumbering at merge time), and
#: the version it starts from.
_VEHICLES = SQLITE_VEHICLES
_BEFORE = _VEHICLES - 1


def _user_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as connection, connection:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])


def _indexes(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as connection, connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        return {name for (name,) in rows}


def _database_before(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Order]:
    """Orders of two addresses, a verified account with two of them linked, as the version
    before the vehicles left them (its lines written by its own statement)."""
    orders = [
        order(),
        order("100002", "Jane@Example.com", placed_at=T0 + timedelta(days=1)),
        order("100003", "john@example.com"),
    ]
    account = Account.sign_up("acct-0001", parse_email("jane@example.com"), T0).verified(T0)
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_sqlite.storage.MIGRATIONS", MIGRATIONS[:_BEFORE])
        patch.setattr("orderstatus_sqlite.storage.SCHEMA_VERSION", _BEFORE)
        sqlite_lines_before_vehicles(patch)
        storage = SqliteStorage.from_url(f"sqlite:///{path}")
        assert storage.migrate() == _BEFORE
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add_many(orders)
            uow.accounts.add(account)
            for number in ("100001", "100002"):
                uow.accounts.link_order(OrderLink("acct-0001", number, T0, LinkedBy.CODE))
            uow.commit()
        storage.close()
    assert _user_version(path) == _BEFORE
    assert "order_lines_by_vehicle" not in _indexes(path)
    return orders


def test_the_vehicle_migration_keeps_every_order_and_lets_new_lines_carry_one(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The orders read back equal, every old line without a vehicle and found by none; the
    account's history still searches by part number; a line saved with a vehicle is found
    by it (:func:`~support.before_vehicles.check_lines_gain_vehicles`)."""
    orders = _database_before(db_path, monkeypatch)
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    with pytest.raises(SchemaVersionError, match=f"has schema version {_BEFORE}"):
        storage.unit_of_work().__enter__()
    assert storage.migrate() == SCHEMA_VERSION
    check_lines_gain_vehicles(storage, orders, ["100002", "100001"])
    storage.close()
    assert _user_version(db_path) == SCHEMA_VERSION
    assert "order_lines_by_vehicle" in _indexes(db_path)


def test_a_failing_vehicle_migration_leaves_the_version_before(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migration runs in one transaction: failing at its last statement, it leaves the
    version before with its orders, and no vehicle column or index."""
    _database_before(db_path, monkeypatch)
    migrate_failing_at_the_end(db_path, monkeypatch, _VEHICLES, "orders")
    assert _user_version(db_path) == _BEFORE
    assert "order_lines_by_vehicle" not in _indexes(db_path)
    with closing(sqlite3.connect(db_path)) as connection, connection:
        columns = {row[1] for row in connection.execute("PRAGMA table_info(order_lines)")}
        (count,) = connection.execute("SELECT count(*) FROM order_lines").fetchone()
    assert "vehicle" not in columns
    assert count == 6
