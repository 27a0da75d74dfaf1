"""PostgreSQL's mail-preference migration (issue 14 item 6): a schema holding the version
before it (an account with its language, a linked order, a saved address) migrates with
everything kept, and the account then subscribes. The migration is found by its
description, so this test follows a renumbering."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from orderstatus_core import SchemaVersionError
from orderstatus_core.contacts import parse_email
from orderstatus_core.model.account import Account, LinkedBy, OrderLink
from orderstatus_core.model.mail_preferences import MailSubscription
from orderstatus_core.model.profile import SavedAddress
from orderstatus_postgres import PostgresStorage
from orderstatus_postgres.migrations import MIGRATIONS, SCHEMA_VERSION
from support.pg_helpers import T0, admin_connection, order, schema_url

_PREFERENCES = next(
    number
    for number, migration in enumerate(MIGRATIONS, start=1)
    if migration.description == "store-mail subscriptions"
)
_BEFORE = _PREFERENCES - 1


@pytest.fixture
def fresh_schema(pg_schema: str) -> Iterator[str]:
    """The name of a schema that does not exist yet (dropped after the test, if made)."""
    name = f"{pg_schema}_p{secrets.token_hex(3)}"
    yield name
    with admin_connection() as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def test_the_preferences_migration_keeps_accounts_and_lets_them_subscribe(
    fresh_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The account, its language, its link and its saved address survive; it then
    subscribes and is listed as a subscriber."""
    placed = order("100001", "jane@example.com")
    jane = Account.sign_up("acct-0001", parse_email("jane@example.com"), T0, language="fi")
    jane = jane.verified(T0)
    saved = SavedAddress("acct-0001", "addr-0001", placed.shipping_address, True, T0)
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_postgres.storage.MIGRATIONS", MIGRATIONS[:_BEFORE])
        patch.setattr("orderstatus_postgres.storage.SCHEMA_VERSION", _BEFORE)
        assert storage.migrate() == _BEFORE
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(placed)
            uow.accounts.add(jane)
            uow.accounts.link_order(OrderLink("acct-0001", "100001", T0, LinkedBy.CODE))
            uow.accounts.put_address(saved)
            uow.commit()
    storage.close()
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with pytest.raises(SchemaVersionError, match=f"has schema version {_BEFORE}"):
        storage.unit_of_work().__enter__()
    assert storage.migrate() == SCHEMA_VERSION
    with storage.unit_of_work(write=True) as uow:
        assert uow.accounts.get("acct-0001") == jane
        assert list(uow.accounts.saved_addresses("acct-0001")) == [saved]
        assert [h.number for h in uow.accounts.linked_orders("acct-0001", 10)] == ["100001"]
        assert uow.accounts.subscribe(MailSubscription("acct-0001", "newsletter", T0))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert list(uow.accounts.subscribers("newsletter", None, 10)) == [jane]
    storage.close()
