"""The discount-code migration (PostgreSQL 9 when written; found by its description, so
the test follows a renumbering at merge) brings a schema holding accounts, linked orders
and store credit to the newest version with all of them kept."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta

import pytest

from orderstatus_core import SchemaVersionError
from orderstatus_postgres import PostgresStorage
from orderstatus_postgres.migrations import MIGRATIONS, SCHEMA_VERSION
from support.discount_migration import check_migrated, fill
from support.pg_helpers import T0, admin_connection, order, schema_url

_CODES = next(
    number
    for number, migration in enumerate(MIGRATIONS, start=1)
    if migration.description == "discount codes"
)
_BEFORE = _CODES - 1


@pytest.fixture
def fresh_schema(pg_schema: str) -> Iterator[str]:
    """The name of a schema that does not exist yet (dropped after the test, if made)."""
    name = f"{pg_schema}_d{secrets.token_hex(3)}"
    yield name
    with admin_connection() as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def test_the_discount_code_migration_keeps_accounts_orders_and_credit(
    fresh_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A schema at the version before, with an account, linked orders and credit, migrates
    with all of them kept; codes are then stored, used and listed."""
    orders = [
        order("100001", "jane@example.com"),
        order("100002", "Jane.Old@Example.com", placed_at=T0 + timedelta(days=1)),
    ]
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_postgres.storage.MIGRATIONS", MIGRATIONS[:_BEFORE])
        patch.setattr("orderstatus_postgres.storage.SCHEMA_VERSION", _BEFORE)
        assert storage.migrate() == _BEFORE
        account = fill(storage, orders, T0)
    storage.close()
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with pytest.raises(SchemaVersionError, match=f"has schema version {_BEFORE}"):
        storage.unit_of_work().__enter__()
    assert storage.migrate() == SCHEMA_VERSION
    check_migrated(storage, orders, account)
    storage.close()
