"""The availability-alert migration of PostgreSQL (issue 14 item 5): a schema of the
version before, holding an account with a saved address, an order and a queued mail,
migrates with all of them as they were, and its account then watches a part."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from orderstatus_core import OrderListMail, OutboxMessage, SchemaVersionError
from orderstatus_core.contacts import parse_email
from orderstatus_core.model import PartNumber
from orderstatus_core.model.account import Account
from orderstatus_core.model.alerts import PartWatch, PartWatcher
from orderstatus_core.model.profile import SavedAddress
from orderstatus_postgres import PostgresStorage
from orderstatus_postgres.migrations import MIGRATIONS, SCHEMA_VERSION
from support.pg_helpers import T0, admin_connection, order, schema_url

#: The alerts' migration, found by its description, so that this test follows it when
#: migrations merged from elsewhere renumber it.
_ALERTS = next(
    number
    for number, migration in enumerate(MIGRATIONS, start=1)
    if migration.description == "availability alerts"
)
_BEFORE = _ALERTS - 1


@pytest.fixture
def fresh_schema(pg_schema: str) -> Iterator[str]:
    """The name of a schema that does not exist yet (dropped after the test, if made)."""
    name = f"{pg_schema}_a{secrets.token_hex(3)}"
    yield name
    with admin_connection() as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def _tables(schema: str) -> set[str]:
    with admin_connection() as connection:
        rows = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
        ).fetchall()
    return {name for (name,) in rows}


def test_the_alerts_migration_keeps_the_accounts_and_adds_watches(
    fresh_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the migration the account, its address, the order and the mail are as they
    were; the account then watches a part and a report takes it."""
    account = Account.sign_up("acct-0001", parse_email("jane@example.com"), T0).verified(T0)
    placed = order()
    mail = OrderListMail(to=parse_email("jane@example.com"), order_numbers=(placed.number,))
    saved = SavedAddress("acct-0001", "addr-0001", placed.shipping_address, True, T0)
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_postgres.storage.MIGRATIONS", MIGRATIONS[:_BEFORE])
        patch.setattr("orderstatus_postgres.storage.SCHEMA_VERSION", _BEFORE)
        assert storage.migrate() == _BEFORE
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.add(account)
            uow.accounts.put_address(saved)
            uow.orders.add(placed)
            uow.outbox.put(OutboxMessage("m1", T0, mail))
            uow.commit()
    storage.close()
    assert "part_watches" not in _tables(fresh_schema)
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    try:
        with pytest.raises(SchemaVersionError, match=f"has schema version {_BEFORE}"):
            storage.unit_of_work().__enter__()
        assert storage.migrate() == SCHEMA_VERSION
        watch = PartWatch("acct-0001", PartNumber("BP-1234"), T0, "fi")
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.get("acct-0001") == account
            assert list(uow.accounts.saved_addresses("acct-0001")) == [saved]
            assert uow.orders.get(placed.number) == placed
            assert [m.message_id for m in uow.outbox.due(T0, 10)] == ["m1"]
            assert uow.accounts.put_watch(watch) is True
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            assert list(uow.accounts.take_watchers("bp1234")) == [PartWatcher(watch, account.email)]
            uow.commit()
    finally:
        storage.close()
    assert "part_watches" in _tables(fresh_schema)
