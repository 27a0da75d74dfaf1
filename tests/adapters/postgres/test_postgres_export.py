"""The data export and the deletion rule on PostgreSQL (issue 14 item 8): the document is
valid against the schema, and deleting the account removes its addresses, garage and
sessions, keeps the order unlinked, and leaves nothing to export."""

from __future__ import annotations

from orderstatus_core.testing import fake_context
from orderstatus_postgres import PostgresStorage
from support.data_export import JANE, ORDER, deleted_holder_keeps_nothing, exported, stored_holder


def test_the_export_on_postgres_holds_the_holders_data(pg_storage: PostgresStorage) -> None:
    """Address, car, linked order, credit and this session, valid against the schema."""
    holder = stored_holder(fake_context(pg_storage))
    document = exported(holder.shopper)
    assert document["account"]["email"] == JANE
    assert [order["number"] for order in document["orders"]] == [ORDER]
    assert [saved["address_id"] for saved in document["addresses"]] == [holder.address_id]
    assert [car["vehicle_id"] for car in document["garage"]] == [holder.vehicle_id]
    assert document["store_credit"]["balances"] == ["12.50 USD"]
    assert [session["this_session"] for session in document["sessions"]] == [True]


def test_deletion_on_postgres_keeps_nothing_of_the_profile(pg_storage: PostgresStorage) -> None:
    """The deletion rule covers the profile on PostgreSQL too."""
    deleted_holder_keeps_nothing(fake_context(pg_storage))
