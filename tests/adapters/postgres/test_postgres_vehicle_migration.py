"""The migration that gives order lines their vehicle (9 when this was written), from a
schema holding orders, an account and its links of the version before."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta

import attrs
import pytest

from orderstatus_core import SchemaVersionError, Vehicle, VehicleQuery, parse_email
from orderstatus_core.model import PartNumber
from orderstatus_core.model.account import Account, LinkedBy, OrderLink
from orderstatus_core.records import PartNumberQuery
from orderstatus_postgres import PostgresStorage
from orderstatus_postgres.migrations import MIGRATIONS, SCHEMA_VERSION
from support.before_vehicles import PG_VEHICLES, postgres_lines_before_vehicles
from support.pg_helpers import T0, admin_connection, order, schema_url

_BEFORE = PG_VEHICLES - 1
TRUCK = Vehicle(2019, "Ford", "F-150", "5.0L V8")


@pytest.fixture
def fresh_schema(pg_schema: str) -> Iterator[str]:
    """The name of a schema that does not exist yet (dropped after the test, if made)."""
    name = f"{pg_schema}_v{secrets.token_hex(3)}"
    yield name
    with admin_connection() as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def _indexes(schema: str) -> set[str]:
    with admin_connection() as connection:
        rows = connection.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s", (schema,)
        ).fetchall()
    return {name for (name,) in rows}


def test_the_vehicle_migration_keeps_every_order_and_lets_new_lines_carry_one(
    fresh_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A schema of the version before, with orders and an account's links, migrates with
    every order as it was and no line bought for a vehicle; a line saved with one is then
    found by it, and the part-number search still works."""
    orders = [order(), order("100002", "Jane@Example.com", placed_at=T0 + timedelta(days=1))]
    account = Account.sign_up("acct-0001", parse_email("jane@example.com"), T0).verified(T0)
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_postgres.storage.MIGRATIONS", MIGRATIONS[:_BEFORE])
        patch.setattr("orderstatus_postgres.storage.SCHEMA_VERSION", _BEFORE)
        postgres_lines_before_vehicles(patch)
        assert storage.migrate() == _BEFORE
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add_many(orders)
            uow.accounts.add(account)
            for number in ("100001", "100002"):
                uow.accounts.link_order(OrderLink("acct-0001", number, T0, LinkedBy.CODE))
            uow.commit()
    storage.close()
    assert "order_lines_by_vehicle" not in _indexes(fresh_schema)
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with pytest.raises(SchemaVersionError, match=f"has schema version {_BEFORE}"):
        storage.unit_of_work().__enter__()
    assert storage.migrate() == SCHEMA_VERSION
    query = VehicleQuery(2019, "FORD", "f-150")
    with storage.unit_of_work(write=True) as uow:
        assert [uow.orders.get(o.number) for o in orders] == orders
        assert list(uow.accounts.search_linked("acct-0001", query, 10)) == []
        by_part = uow.accounts.search_linked("acct-0001", PartNumberQuery(PartNumber("BP1234")), 10)
        assert [m.header.number for m in by_part] == ["100002", "100001"]
        stored = uow.orders.get("100001")
        assert stored is not None
        lines = (attrs.evolve(stored.lines[0], vehicle=TRUCK), *stored.lines[1:])
        uow.orders.save(attrs.evolve(stored, lines=lines, version=stored.version + 1))
        uow.commit()
    with storage.unit_of_work() as uow:
        [match] = uow.accounts.search_linked("acct-0001", query, 10)
        assert (match.header.number, match.lines[0].vehicle) == ("100001", TRUCK)
    storage.close()
    assert "order_lines_by_vehicle" in _indexes(fresh_schema)
