"""Versioned migrations: from zero and from every earlier version, one transaction each,
idempotent, safe when several processes migrate at once, checked on use."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from psycopg.types.json import Jsonb

from orderstatus_core import (
    AdapterError,
    Money,
    OrderListMail,
    OutboxMessage,
    SchemaVersionError,
    parse_email,
)
from orderstatus_core.messages import PartBackInStockMail
from orderstatus_core.model import PartNumber
from orderstatus_core.model.account import Account, LinkedBy, OrderLink
from orderstatus_core.model.alerts import PartWatch
from orderstatus_core.model.profile import GarageVehicle, SavedAddress, Vehicle
from orderstatus_core.records import CreditEntry, IdempotentReply, PartNumberQuery
from orderstatus_core.serialization import dump_intent
from orderstatus_core.services.effects import watcher_mail
from orderstatus_postgres import PostgresStorage, migrations
from orderstatus_postgres.migrations import MIGRATIONS, SCHEMA_VERSION, Migration, rekey_emails
from support.before_vehicles import (
    PG_VEHICLES,
    check_lines_gain_vehicles,
    postgres_lines_before_vehicles,
)
from support.pg_helpers import T0, admin_connection, order, schema_url, shipped_package
from support.pg_workers import migrate_at_barrier
from support.spawned import spawned_workers

if TYPE_CHECKING:
    from support.old_keys import OldKeys

TABLES = {
    "orders",
    "order_lines",
    "packages",
    "package_units",
    "outbox",
    "guest_pass_challenges",
    "guest_passes",
    "guest_pass_tries",
    "idempotent_replies",
    "store_credit",
    "return_documents",
    "accounts",
    "account_tokens",
    "account_sessions",
    "order_links",
    "security_events",
    "captcha_challenges",
    "login_failures",
    "saved_addresses",
    "garage_vehicles",
    "discount_codes",
    "part_watches",
    "mail_subscriptions",
    "orderstatus_schema",
}

ALERTS_PAGE = "https://shop.example/account/alerts"


@pytest.fixture
def fresh_schema(pg_schema: str) -> Iterator[str]:
    """The name of a schema that does not exist yet (dropped after the test, if made)."""
    name = f"{pg_schema}_m{secrets.token_hex(3)}"
    yield name
    with admin_connection() as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def tables(schema: str) -> set[str]:
    with admin_connection() as connection:
        rows = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
        ).fetchall()
    return {name for (name,) in rows}


def versions(schema: str) -> list[int]:
    with admin_connection(schema) as connection:
        rows = connection.execute("SELECT version FROM orderstatus_schema ORDER BY 1").fetchall()
    return [version for (version,) in rows]


def schema_text(schema: str) -> list[tuple[object, ...]]:
    """Every column, index and constraint of the schema, to compare two builds."""
    with admin_connection() as connection:
        columns = connection.execute(
            "SELECT table_name, column_name, data_type, collation_name, is_nullable "
            "FROM information_schema.columns WHERE table_schema = %s ORDER BY 1, 2",
            (schema,),
        ).fetchall()
        indexes = connection.execute(
            "SELECT indexname, replace(indexdef, %s, 's') FROM pg_indexes "
            "WHERE schemaname = %s ORDER BY 1",
            (schema, schema),
        ).fetchall()
    return [*columns, *indexes]


def test_migrate_from_zero_creates_the_schema_and_returns_its_version(fresh_schema: str) -> None:
    """A schema that does not exist is created and brought to the newest version; each
    migration is recorded with its description."""
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    assert tables(fresh_schema) == set()
    assert storage.migrate() == SCHEMA_VERSION == len(MIGRATIONS)
    storage.close()
    assert tables(fresh_schema) == TABLES
    assert versions(fresh_schema) == list(range(1, SCHEMA_VERSION + 1))


@pytest.mark.parametrize("start", range(SCHEMA_VERSION))
def test_migrate_from_every_earlier_version_reaches_the_same_schema(
    fresh_schema: str, pg_schema: str, start: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopping at version ``start`` (with an order stored if the schema has orders by
    then), then migrating with the current code, gives the schema a migration from zero
    gives, and keeps the data."""
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_postgres.storage.MIGRATIONS", MIGRATIONS[:start])
        postgres_lines_before_vehicles(patch)  # the lines as that version wrote them
        patch.setattr("orderstatus_postgres.storage.SCHEMA_VERSION", start)
        assert storage.migrate() == start
    assert storage.migrate() == SCHEMA_VERSION
    with storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.orders.get("100001") == order()
    storage.close()
    assert schema_text(fresh_schema) == schema_text(pg_schema)


def put_version_1_message(schema: str, message: OutboxMessage) -> None:
    """Queue ``message`` as versions 1 to 4 did, with the columns of their outbox (this
    library's own ``put`` writes the columns of the newest version)."""
    data = dump_intent(message.intent)
    with admin_connection(schema) as connection:
        connection.execute(
            "INSERT INTO outbox (message_id, created_at, kind, payload, attempts) "
            "VALUES (%s, %s, %s, %s, 0)",
            (message.message_id, message.created_at, data["kind"], Jsonb(data)),
        )


def test_migrating_a_version_1_schema_keeps_its_orders(
    fresh_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 2 adds the ledger and the papers and touches nothing else: orders, outbox
    messages and replies stored under version 1 read back equal, and the new tables work."""
    subject = order(packages=[shipped_package("P1", [(1, 1), (2, 2)])])
    message = OutboxMessage(
        "m1", T0, OrderListMail(to=parse_email("jane@example.com"), order_numbers=("100001",))
    )
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_postgres.storage.MIGRATIONS", MIGRATIONS[:1])
        postgres_lines_before_vehicles(patch)  # the lines as that version wrote them
        patch.setattr("orderstatus_postgres.storage.SCHEMA_VERSION", 1)
        assert storage.migrate() == 1
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(subject)
            uow.orders.add(order("100002", "pekka@esimerkki.fi"))
            uow.idempotency.put(IdempotentReply("key-1", "f" * 64, '{"ok":true}', T0))
            uow.commit()
    storage.close()
    put_version_1_message(fresh_schema, message)
    assert versions(fresh_schema) == [1]
    assert "store_credit" not in tables(fresh_schema)
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with pytest.raises(SchemaVersionError, match="has schema version 1"):
        storage.unit_of_work().__enter__()
    assert storage.migrate() == SCHEMA_VERSION
    entry = CreditEntry("refund:100001:R1", "jane@example.com", Money("5.00", "USD"), T0, "r")
    with storage.unit_of_work(write=True) as uow:
        assert uow.orders.get("100001") == subject
        assert uow.orders.get("100002") == order("100002", "pekka@esimerkki.fi")
        assert uow.outbox.due(T0, 10) == [message]
        assert uow.idempotency.get("key-1") == IdempotentReply("key-1", "f" * 64, '{"ok":true}', T0)
        assert uow.credit.append(entry)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.credit.entries("jane@example.com", 10) == [entry]
    storage.close()
    assert tables(fresh_schema) == TABLES
    assert versions(fresh_schema) == list(range(1, SCHEMA_VERSION + 1))


def test_migrate_is_idempotent(pg_storage: PostgresStorage, pg_schema: str) -> None:
    """Migrating a current schema changes nothing and answers the same version."""
    before = schema_text(pg_schema)
    assert pg_storage.migrate() == SCHEMA_VERSION
    assert pg_storage.migrate() == SCHEMA_VERSION
    assert schema_text(pg_schema) == before
    assert versions(pg_schema) == list(range(1, SCHEMA_VERSION + 1))


def test_opening_does_not_migrate(fresh_schema: str) -> None:
    """from_url connects but touches no schema: it does not even create it."""
    PostgresStorage.from_url(schema_url(fresh_schema)).close()
    with admin_connection() as connection:
        found = connection.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (fresh_schema,)
        ).fetchone()
    assert found == (0,)


def test_a_unit_of_work_on_an_unmigrated_schema_says_to_migrate(fresh_schema: str) -> None:
    """Version 0 is refused with SchemaVersionError naming `orderstatus migrate`."""
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with pytest.raises(SchemaVersionError, match="orderstatus migrate") as refused:
        storage.unit_of_work().__enter__()
    assert (refused.value.found, refused.value.needed) == (0, SCHEMA_VERSION)
    storage.migrate()
    with storage.unit_of_work() as uow:
        assert uow.orders.get("100001") is None
    storage.close()


def test_a_schema_from_a_newer_version_is_refused(fresh_schema: str) -> None:
    """A future version is refused by units of work and by migrate, and left alone."""
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    storage.migrate()
    storage.close()
    with admin_connection(fresh_schema) as connection:
        connection.execute(
            "INSERT INTO orderstatus_schema (version, description) VALUES (%s, 'future')",
            (SCHEMA_VERSION + 1,),
        )
    newer = PostgresStorage.from_url(schema_url(fresh_schema))
    with pytest.raises(SchemaVersionError, match="newer") as refused:
        newer.unit_of_work().__enter__()
    assert (refused.value.found, refused.value.needed) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)
    with pytest.raises(SchemaVersionError, match="newer"):
        newer.migrate()
    newer.close()
    assert versions(fresh_schema)[-1] == SCHEMA_VERSION + 1


def test_a_failing_migration_leaves_the_previous_version(
    fresh_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration is one transaction: if its last statement fails, none of it remains,
    and the version stays where it was."""
    broken = Migration("broken", (*MIGRATIONS[0].statements, "CREATE TABLE orders (x int)"))
    monkeypatch.setattr("orderstatus_postgres.storage.MIGRATIONS", (broken,))
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with pytest.raises(AdapterError, match="already exists"):
        storage.migrate()
    storage.close()
    assert tables(fresh_schema) == {"orderstatus_schema"}
    assert versions(fresh_schema) == []


def test_threads_migrating_at_once_apply_each_migration_once(fresh_schema: str) -> None:
    """Eight storages migrate one new schema at the same moment: all answer the newest
    version, and each migration is recorded exactly once."""
    storages = [PostgresStorage.from_url(schema_url(fresh_schema)) for _ in range(8)]
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda storage: storage.migrate(), storages))
    finally:
        for storage in storages:
            storage.close()
    assert answers == [SCHEMA_VERSION] * 8
    assert versions(fresh_schema) == list(range(1, SCHEMA_VERSION + 1))


def test_processes_migrating_at_once_apply_each_migration_once(fresh_schema: str) -> None:
    """Two spawned processes run `migrate()` on one new schema at the same moment."""
    with spawned_workers(2) as race:
        race.start(migrate_at_barrier, [(schema_url(fresh_schema), race.barrier, race.results)] * 2)
        answers = race.collect(2, timeout=60)
        race.join(timeout=30)
    assert answers == [("ok", SCHEMA_VERSION)] * 2
    assert versions(fresh_schema) == list(range(1, SCHEMA_VERSION + 1))


def test_every_migration_describes_itself() -> None:
    """Each migration has a description and at least one statement or a Python step; the
    lock key is the one-key (bigint) advisory lock, apart from the commands' two-key locks."""
    for migration in MIGRATIONS:
        assert migration.description
        assert migration.statements or migration.step
    assert 0 < migrations.MIGRATION_LOCK < 2**63


# --- version 2 -> 3: email keys by the rule that folds only case and the domain ----------


def _version_2_schema(schema: str, old: OldKeys, monkeypatch: pytest.MonkeyPatch) -> None:
    """A schema as version 2 left it: keys and credit holders by the old rule."""
    storage = PostgresStorage.from_url(schema_url(schema))
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_postgres.storage.MIGRATIONS", MIGRATIONS[:2])
        postgres_lines_before_vehicles(patch)  # the lines as that version wrote them
        patch.setattr("orderstatus_postgres.storage.SCHEMA_VERSION", 2)
        assert storage.migrate() == 2
        with storage.unit_of_work(write=True) as uow:
            for subject in old.orders:
                uow.orders.add(subject)
            for entry in old.credit:
                uow.credit.append(entry)
            uow.commit()
    storage.close()
    assert versions(schema) == [1, 2]


def test_migration_3_rekeys_orders_and_credit_from_the_stored_addresses(
    fresh_schema: str, monkeypatch: pytest.MonkeyPatch, stored_under_old_keys: OldKeys
) -> None:
    """After migration 3 lookalike addresses that shared an old key find, list and hold
    credit only as their own; ASCII addresses are untouched."""
    old = stored_under_old_keys
    _version_2_schema(fresh_schema, old, monkeypatch)
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    assert storage.migrate() == SCHEMA_VERSION
    old.check_rekeyed(storage)
    storage.close()


def test_a_failing_migration_3_leaves_version_2_and_its_keys(
    fresh_schema: str, monkeypatch: pytest.MonkeyPatch, stored_under_old_keys: OldKeys
) -> None:
    """Migration 3 runs in one transaction: a failure after its updates keeps every old key."""
    _version_2_schema(fresh_schema, stored_under_old_keys, monkeypatch)
    broken = Migration("broken", ("CREATE TABLE orders (x int)",), rekey_emails)
    monkeypatch.setattr("orderstatus_postgres.storage.MIGRATIONS", (*MIGRATIONS[:2], broken))
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with pytest.raises(AdapterError):
        storage.migrate()
    storage.close()
    assert versions(fresh_schema) == [1, 2]
    with admin_connection(fresh_schema) as connection:
        keys = connection.execute("SELECT number, email_key FROM orders").fetchall()
        holders = connection.execute("SELECT entry_id, holder FROM store_credit").fetchall()
    old = stored_under_old_keys
    assert sorted(keys) == sorted((o.number, o.email.canonical) for o in old.orders)
    assert sorted(holders) == sorted((e.entry_id, e.holder) for e in old.credit)


# --- version 5 -> 6: accounts ----------------------------------------------------------------


def test_migration_6_adds_accounts_to_a_schema_full_of_orders(
    fresh_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version 5 schema with orders migrates to 6 with its orders as they were; an account
    then signs up and verifies, and exactly the orders of its address join it (a
    lookalike's stays out), listed and searched newest first."""
    orders = [
        order(),
        order("100002", "Jane@Example.com", placed_at=T0 + timedelta(days=1)),
        order("100003", "john@example.com"),
        order("100004", "ｊane@example.com", placed_at=T0 + timedelta(days=2)),
    ]
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_postgres.storage.MIGRATIONS", MIGRATIONS[:5])
        postgres_lines_before_vehicles(patch)  # the lines as that version wrote them
        patch.setattr("orderstatus_postgres.storage.SCHEMA_VERSION", 5)
        assert storage.migrate() == 5
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add_many(orders)
            uow.commit()
    storage.close()
    assert "accounts" not in tables(fresh_schema)
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with pytest.raises(SchemaVersionError, match="has schema version 5"):
        storage.unit_of_work().__enter__()
    assert storage.migrate() == SCHEMA_VERSION
    account = Account.sign_up("acct-0001", parse_email("JANE@example.com"), T0).verified(T0)
    with storage.unit_of_work(write=True) as uow:
        assert [uow.orders.get(o.number) for o in orders] == orders
        uow.accounts.add(account)
        joining = uow.accounts.unlinked_orders(account.email_key, 100)
        for header in joining:
            link = OrderLink("acct-0001", header.number, T0, LinkedBy.VERIFIED_EMAIL)
            uow.accounts.link_order(link)
        uow.commit()
    assert [h.number for h in joining] == ["100002", "100001"]
    with storage.unit_of_work() as uow:
        history = uow.accounts.linked_orders("acct-0001", 10)
        assert [h.number for h in history] == ["100002", "100001"]
        part = PartNumberQuery(PartNumber("BP-1234"))
        found = uow.accounts.search_linked("acct-0001", part, 10)
        assert [m.header.number for m in found] == ["100002", "100001"]
        assert uow.accounts.order_link("100004") is None
    storage.close()
    assert tables(fresh_schema) == TABLES
    assert versions(fresh_schema) == list(range(1, SCHEMA_VERSION + 1))


# --- the profile (version 7 when this was written) ------------------------------------------

#: The profile's migration, found by its description, so that this test follows it when
#: migrations merged from elsewhere renumber it.
_PROFILE = next(
    number
    for number, migration in enumerate(MIGRATIONS, start=1)
    if migration.description == "saved addresses and the garage"
)
_BEFORE = _PROFILE - 1


def test_the_profile_migration_adds_it_to_a_schema_with_accounts_and_orders(
    fresh_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A schema at the version before the profile, with orders, an account and its links,
    migrates to the newest with all of them as they were; the account then saves an
    address, reuses its orders' addresses and keeps a car in its garage."""
    orders = [order(), order("100002", "Jane@Example.com", placed_at=T0 + timedelta(days=1))]
    account = Account.sign_up("acct-0001", parse_email("jane@example.com"), T0).verified(T0)
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_postgres.storage.MIGRATIONS", MIGRATIONS[:_BEFORE])
        postgres_lines_before_vehicles(patch)  # the lines as that version wrote them
        patch.setattr("orderstatus_postgres.storage.SCHEMA_VERSION", _BEFORE)
        assert storage.migrate() == _BEFORE
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add_many(orders)
            uow.accounts.add(account)
            for number in ("100001", "100002"):
                uow.accounts.link_order(OrderLink("acct-0001", number, T0, LinkedBy.CODE))
            uow.commit()
    storage.close()
    assert "saved_addresses" not in tables(fresh_schema)
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with pytest.raises(SchemaVersionError, match=f"has schema version {_BEFORE}"):
        storage.unit_of_work().__enter__()
    assert storage.migrate() == SCHEMA_VERSION
    home = orders[0].shipping_address
    saved = SavedAddress("acct-0001", "addr-0001", home, True, T0)
    car = GarageVehicle("acct-0001", "vehicle-01", Vehicle(2019, "Ford", "F-150", "V8"), "c1", T0)
    with storage.unit_of_work(write=True) as uow:
        assert [uow.orders.get(o.number) for o in orders] == orders
        assert uow.accounts.get("acct-0001") == account
        assert list(uow.accounts.order_addresses("acct-0001", 10)) == [
            orders[1].shipping_address,
            home,
        ]
        uow.accounts.put_address(saved)
        uow.accounts.put_vehicle(car)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert list(uow.accounts.saved_addresses("acct-0001")) == [saved]
        assert list(uow.accounts.garage("acct-0001")) == [car]
    storage.close()
    assert {"saved_addresses", "garage_vehicles"} <= tables(fresh_schema)
    assert versions(fresh_schema) == list(range(1, SCHEMA_VERSION + 1))


# --- the vehicle of an order line (version 9 when this was written) -------------------------


def test_the_vehicle_migration_keeps_every_order_and_lets_new_lines_carry_one(
    fresh_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A schema of the version before, with orders and an account's links, migrates with
    every order as it was and no line bought for a vehicle; a line saved with one is then
    found by it, and the part-number search still works."""
    before = PG_VEHICLES - 1
    orders = [order(), order("100002", "Jane@Example.com", placed_at=T0 + timedelta(days=1))]
    account = Account.sign_up("acct-0001", parse_email("jane@example.com"), T0).verified(T0)
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_postgres.storage.MIGRATIONS", MIGRATIONS[:before])
        patch.setattr("orderstatus_postgres.storage.SCHEMA_VERSION", before)
        postgres_lines_before_vehicles(patch)
        assert storage.migrate() == before
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add_many(orders)
            uow.accounts.add(account)
            for number in ("100001", "100002"):
                uow.accounts.link_order(OrderLink("acct-0001", number, T0, LinkedBy.CODE))
            uow.commit()
    storage.close()
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    with pytest.raises(SchemaVersionError, match=f"has schema version {before}"):
        storage.unit_of_work().__enter__()
    assert storage.migrate() == SCHEMA_VERSION
    check_lines_gain_vehicles(storage, orders, ["100002", "100001"])
    storage.close()
    assert versions(fresh_schema) == list(range(1, SCHEMA_VERSION + 1))


# --- availability alerts (version 9 when this was written) ----------------------------------

#: The alerts' migration, found by its description, so that this test follows it when
#: migrations merged from elsewhere renumber it.
_ALERTS = next(
    number
    for number, migration in enumerate(MIGRATIONS, start=1)
    if migration.description == "availability alerts"
)
_BEFORE_ALERTS = _ALERTS - 1


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
        patch.setattr("orderstatus_postgres.storage.MIGRATIONS", MIGRATIONS[:_BEFORE_ALERTS])
        patch.setattr("orderstatus_postgres.storage.SCHEMA_VERSION", _BEFORE_ALERTS)
        assert storage.migrate() == _BEFORE_ALERTS
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.add(account)
            uow.accounts.put_address(saved)
            uow.orders.add(placed)
            uow.outbox.put(OutboxMessage("m1", T0, mail))
            uow.commit()
    storage.close()
    assert "part_watches" not in tables(fresh_schema)
    storage = PostgresStorage.from_url(schema_url(fresh_schema))
    try:
        with pytest.raises(SchemaVersionError, match=f"has schema version {_BEFORE_ALERTS}"):
            storage.unit_of_work().__enter__()
        assert storage.migrate() == SCHEMA_VERSION
        watch = PartWatch("acct-0001", PartNumber("BP-1234"), T0)
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.get("acct-0001") == account
            assert list(uow.accounts.saved_addresses("acct-0001")) == [saved]
            assert uow.orders.get(placed.number) == placed
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
    assert "part_watches" in tables(fresh_schema)
