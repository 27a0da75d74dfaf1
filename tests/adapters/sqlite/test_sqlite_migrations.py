"""Versioned migrations: run on demand, one transaction each, idempotent, checked on use."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest

from orderstatus_core import (
    AdapterError,
    LogInRefused,
    Money,
    Order,
    OrderListMail,
    OrderStatus,
    OutboxMessage,
    SchemaVersionError,
    parse_email,
)
from orderstatus_core.model import PartNumber
from orderstatus_core.model.account import Account, LinkedBy, OrderLink, SecurityEventKind
from orderstatus_core.model.guest_pass import PassChallenge
from orderstatus_core.model.identifiers import CATEGORY_SEPARATOR
from orderstatus_core.model.profile import GarageVehicle, SavedAddress, Vehicle
from orderstatus_core.records import CreditEntry, IdempotentReply, PartNumberQuery
from orderstatus_core.serialization import intent_kind
from orderstatus_core.testing import fake_context
from orderstatus_core.testing.builders import package
from orderstatus_sqlite import SqliteStorage
from orderstatus_sqlite._rows import payload
from orderstatus_sqlite.migrations import MIGRATIONS, SCHEMA_VERSION, rekey_emails, statements
from support.before_vehicles import sqlite_lines_before_vehicles
from support.sqlite_migration import migrate_failing_at_the_end
from support.sqlite_orders import T0, order, order_line, shipped_package

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
}


def user_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as connection, connection:
        return user_version_of(connection)


def user_version_of(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as connection, connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}


@contextmanager
def _as_version(
    path: Path, version: int, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SqliteStorage]:
    """A storage of the file at ``path`` as ``version`` of this library made it (its
    migrations 1 to ``version``, no more), closed after the block."""
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_sqlite.storage.MIGRATIONS", MIGRATIONS[:version])
        sqlite_lines_before_vehicles(patch)  # the lines as that version wrote them
        patch.setattr("orderstatus_sqlite.storage.SCHEMA_VERSION", version)
        storage = SqliteStorage.from_url(f"sqlite:///{path}")
        assert storage.migrate() == version
        yield storage
        storage.close()


def test_migrate_from_zero_creates_the_schema_and_returns_its_version(db_path: Path) -> None:
    """An empty file is brought to the newest version, with every table."""
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    assert storage.migrate() == SCHEMA_VERSION == len(MIGRATIONS)
    storage.close()
    assert user_version(db_path) == SCHEMA_VERSION
    assert tables(db_path) == TABLES


def test_migrate_is_idempotent(db_path: Path) -> None:
    """Migrating a current database changes nothing and answers the same version."""
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    storage.migrate()
    with closing(sqlite3.connect(db_path)) as connection, connection:
        before = connection.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    assert storage.migrate() == SCHEMA_VERSION
    second = SqliteStorage.from_url(f"sqlite:///{db_path}")
    assert second.migrate() == SCHEMA_VERSION
    second.close()
    with closing(sqlite3.connect(db_path)) as connection, connection:
        after = connection.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    assert before == after
    storage.close()


def test_opening_does_not_migrate(db_path: Path) -> None:
    """from_url touches nothing: the schema changes only when migrate() is called."""
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    storage.close()
    assert not db_path.exists() or user_version(db_path) == 0


def test_a_unit_of_work_on_an_unmigrated_database_says_to_migrate(db_path: Path) -> None:
    """Version 0 is refused with SchemaVersionError naming `orderstatus migrate`."""
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    with pytest.raises(SchemaVersionError, match="orderstatus migrate") as refused:
        storage.unit_of_work().__enter__()
    assert (refused.value.found, refused.value.needed) == (0, SCHEMA_VERSION)
    storage.migrate()
    with storage.unit_of_work() as uow:
        assert uow.orders.get("100001") is None
    storage.close()


def test_a_database_from_a_newer_version_is_refused(db_path: Path) -> None:
    """A future schema is refused by units of work and by migrate, and left alone."""
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    storage.migrate()
    storage.close()
    with closing(sqlite3.connect(db_path)) as connection, connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    newer = SqliteStorage.from_url(f"sqlite:///{db_path}")
    with pytest.raises(SchemaVersionError, match="newer") as refused:
        newer.unit_of_work().__enter__()
    assert (refused.value.found, refused.value.needed) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)
    with pytest.raises(SchemaVersionError, match="newer"):
        newer.migrate()
    newer.close()
    assert user_version(db_path) == SCHEMA_VERSION + 1


def test_a_failing_migration_leaves_the_previous_version(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration is one transaction: if it fails half-way, nothing of it remains."""
    broken = (MIGRATIONS[0].replace("PRAGMA user_version = 1;", "CREATE TABLE orders (x);"),)
    monkeypatch.setattr("orderstatus_sqlite.storage.MIGRATIONS", broken)
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    with pytest.raises(AdapterError, match="already exists"):
        storage.migrate()
    storage.close()
    assert user_version(db_path) == 0
    assert not TABLES & tables(db_path)


def test_statements_splits_on_semicolons_outside_literals_and_comments() -> None:
    """A ';' inside a string or a comment does not end a statement."""
    script = "CREATE TABLE t (x TEXT DEFAULT 'a;b'); -- note; more\nPRAGMA user_version = 3;"
    assert list(statements(script)) == [
        "CREATE TABLE t (x TEXT DEFAULT 'a;b');",
        "-- note; more\nPRAGMA user_version = 3;",
    ]


def test_every_migration_sets_its_own_version() -> None:
    """Migration n ends by setting user_version to n, so number and script agree."""
    for number, script in enumerate(MIGRATIONS, start=1):
        if callable(script):
            with closing(sqlite3.connect(":memory:")) as connection:
                for statement in (s for step in MIGRATIONS[: number - 1] for s in statements(step)):
                    connection.execute(statement)
                script(connection)
                assert user_version_of(connection) == number
        else:
            assert list(statements(script))[-1] == f"PRAGMA user_version = {number};"


# --- version 1 -> 2: packages.opened_at ----------------------------------------------------


def _version_1_database(path: Path, subject: Order) -> None:
    """A database as version 1 of this library left it: migration 1 only, one order
    written with version 1's columns (no ``opened_at``)."""
    assert all(package.opened_at is None for package in subject.packages)
    address = subject.shipping_address
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("BEGIN")
        for statement in statements(MIGRATIONS[0]):
            connection.execute(statement)
        connection.execute(
            "INSERT INTO orders (number, placed_at, email, email_key, phone, currency,"
            " ship_name, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code,"
            " ship_country, shipping, tax, version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                subject.number,
                micros(subject.placed_at),
                subject.email.display,
                subject.email.canonical,
                None if subject.phone is None else subject.phone.e164,
                subject.currency,
                address.name,
                address.line1,
                address.line2,
                address.city,
                address.region,
                address.postal_code,
                address.country,
                str(subject.shipping.amount),
                str(subject.tax.amount),
                subject.version,
            ),
        )
        connection.executemany(
            "INSERT INTO order_lines (order_number, line_no, position, part_number, part_key,"
            " brand, category, category_key, description, quantity, unit_price, core_charge,"
            " returnable, warranty_months, cancelled, returned)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    subject.number,
                    line.line_no,
                    position,
                    line.part_number.display,
                    line.part_number.canonical,
                    line.brand,
                    CATEGORY_SEPARATOR.join(line.category.segments),
                    line.category.key,
                    line.description,
                    line.quantity,
                    str(line.unit_price.amount),
                    str(line.core_charge.amount),
                    line.returnable,
                    line.warranty_months,
                    line.cancelled,
                    line.returned,
                )
                for position, line in enumerate(subject.lines)
            ],
        )
        connection.executemany(
            "INSERT INTO packages (order_number, position, package_id, warehouse, carrier,"
            " tracking_number, shipped_at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    subject.number,
                    position,
                    package.package_id,
                    package.warehouse,
                    package.carrier,
                    package.tracking_number,
                    None if package.shipped_at is None else micros(package.shipped_at),
                    None if package.delivered_at is None else micros(package.delivered_at),
                )
                for position, package in enumerate(subject.packages)
            ],
        )
        connection.executemany(
            "INSERT INTO package_units (order_number, package_position, position, line_no,"
            " quantity) VALUES (?, ?, ?, ?, ?)",
            [
                (subject.number, package_position, position, units.line_no, units.quantity)
                for package_position, package in enumerate(subject.packages)
                for position, units in enumerate(package.units)
            ],
        )
        connection.execute("COMMIT")
    assert user_version(path) == 1


def micros(value: datetime) -> int:
    return (value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def version_1_order() -> Order:
    return order(
        lines=[order_line(2, "R-77", quantity=3), order_line(1, cancelled=1)],
        packages=[
            shipped_package("P2", [(2, 2), (1, 1)]),
            package("P1", [(2, 1)]),
        ],
    )


def test_migrating_a_version_1_database_keeps_every_order_readable(db_path: Path) -> None:
    """Migration 2 adds packages.opened_at (NULL for every stored package): the version 1
    order reads back equal, and can be saved with opened_at set afterwards."""
    subject = version_1_order()
    _version_1_database(db_path, subject)
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    with pytest.raises(SchemaVersionError, match="has schema version 1"):
        storage.unit_of_work().__enter__()
    assert storage.migrate() == SCHEMA_VERSION
    with storage.unit_of_work() as uow:
        assert uow.orders.get(subject.number) == subject
    opened = subject.changed(
        packages=[
            subject.packages[0],
            attrs.evolve(subject.packages[1], opened_at=T0 + timedelta(minutes=5)),
        ]
    )
    with storage.unit_of_work(write=True) as uow:
        uow.orders.save(opened)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.orders.get(subject.number) == opened
    storage.close()
    with closing(sqlite3.connect(db_path)) as connection, connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(packages)")]
    assert columns[-1] == "opened_at"
    assert user_version(db_path) == SCHEMA_VERSION


def test_a_failing_migration_2_leaves_version_1_and_its_data(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 2 runs in its own transaction: if it fails, version 1 stays, with its data
    and without the new column."""
    subject = version_1_order()
    _version_1_database(db_path, subject)
    broken = MIGRATIONS[1].replace("PRAGMA user_version = 2;", "CREATE TABLE orders (x);")
    monkeypatch.setattr("orderstatus_sqlite.storage.MIGRATIONS", (MIGRATIONS[0], broken))
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    with pytest.raises(AdapterError, match="already exists"):
        storage.migrate()
    storage.close()
    assert user_version(db_path) == 1
    with closing(sqlite3.connect(db_path)) as connection, connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(packages)")]
        (count,) = connection.execute("SELECT count(*) FROM package_units").fetchone()
    assert "opened_at" not in columns
    assert count == 3


# --- version 5 -> 6: store credit and return papers -----------------------------------------


def _order_list(message_id: str) -> OutboxMessage:
    intent = OrderListMail(to=parse_email("jane@example.com"), order_numbers=("100001",))
    return OutboxMessage(message_id=message_id, created_at=T0, intent=intent)


def put_old_message(path: Path, message: OutboxMessage, sent_at: datetime | None = None) -> None:
    """Queue ``message`` as versions 1 to 8 did, with the columns of their outbox (this
    library's own ``put`` writes the columns of the newest version)."""
    row = (
        message.message_id,
        micros(message.created_at),
        intent_kind(message.intent),
        payload(message.intent),
        None if sent_at is None else micros(sent_at),
    )
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(
            "INSERT INTO outbox (message_id, created_at, kind, payload, attempts, sent_at) "
            "VALUES (?, ?, ?, ?, 0, ?)",
            row,
        )


def _version_5_database(path: Path, subject: Order, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database as version 5 of this library left it: migrations 1 to 5, holding an order
    with activity, an outbox message and an idempotent reply (the tables version 6 leaves
    alone are written the same way by version 5's code and this one)."""
    with _as_version(path, 5, monkeypatch) as storage, storage.unit_of_work(write=True) as uow:
        uow.orders.add(subject)
        uow.orders.add(order("100002", "pekka@esimerkki.fi"))
        uow.idempotency.put(IdempotentReply("key-1", "f" * 64, '{"ok":true}', T0))
        uow.commit()
    put_old_message(path, _order_list("m1"))
    assert user_version(path) == 5
    assert "store_credit" not in tables(path)


def test_migrating_a_version_5_database_keeps_its_orders(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 6 adds the ledger and the papers and touches nothing else: the version 5
    orders, outbox and replies read back equal, and the new tables work at once."""
    subject = version_1_order()
    _version_5_database(db_path, subject, monkeypatch)
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    with pytest.raises(SchemaVersionError, match="has schema version 5"):
        storage.unit_of_work().__enter__()
    assert storage.migrate() == SCHEMA_VERSION
    with storage.unit_of_work() as uow:
        assert uow.orders.get(subject.number) == subject
        assert uow.orders.get("100002") == order("100002", "pekka@esimerkki.fi")
        assert [m.message_id for m in uow.outbox.due(T0, 10)] == ["m1"]
        reply = uow.idempotency.get("key-1")
        assert reply is not None
        assert reply.reply == '{"ok":true}'
        assert uow.credit.balance("jane@example.com", "USD") == Money("0", "USD")
        assert uow.documents.for_rma("RMA-1001") == []
    entry = CreditEntry("refund:100001:R1", "jane@example.com", Money("5.00", "USD"), T0, "r")
    with storage.unit_of_work(write=True) as uow:
        assert uow.credit.append(entry)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.credit.entries("jane@example.com", 10) == [entry]
    storage.close()
    assert user_version(db_path) == SCHEMA_VERSION
    assert tables(db_path) == TABLES


def test_a_failing_migration_6_leaves_version_5_and_its_data(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 6 runs in its own transaction: if it fails at its last statement, version
    5 stays, with its orders and without a half-made ledger."""
    _version_5_database(db_path, version_1_order(), monkeypatch)
    broken = MIGRATIONS[5].replace("PRAGMA user_version = 6;", "CREATE TABLE orders (x);")
    monkeypatch.setattr("orderstatus_sqlite.storage.MIGRATIONS", (*MIGRATIONS[:5], broken))
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    with pytest.raises(AdapterError, match="already exists"):
        storage.migrate()
    storage.close()
    assert user_version(db_path) == 5
    assert not {"store_credit", "return_documents"} & tables(db_path)
    with closing(sqlite3.connect(db_path)) as connection, connection:
        (count,) = connection.execute("SELECT count(*) FROM orders").fetchone()
    assert count == 2


# --- version 6 -> 7: email keys by the rule that folds only case and the domain ----------


def _version_6_database(path: Path, old: OldKeys, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database as version 6 left it: keys and credit holders by the old rule."""
    with _as_version(path, 6, monkeypatch) as storage, storage.unit_of_work(write=True) as uow:
        for subject in old.orders:
            uow.orders.add(subject)
        for entry in old.credit:
            uow.credit.append(entry)
        uow.commit()
    assert user_version(path) == 6


def test_migration_7_rekeys_orders_and_credit_from_the_stored_addresses(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, stored_under_old_keys: OldKeys
) -> None:
    """After migration 7 lookalike addresses that shared an old key find, list and hold
    credit only as their own; ASCII addresses are untouched."""
    old = stored_under_old_keys
    _version_6_database(db_path, old, monkeypatch)
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    assert storage.migrate() == SCHEMA_VERSION
    old.check_rekeyed(storage)
    storage.close()


def test_a_failing_migration_7_leaves_version_6_and_its_keys(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, stored_under_old_keys: OldKeys
) -> None:
    """Migration 7 runs in one transaction: a failure after its updates keeps every old key."""
    _version_6_database(db_path, stored_under_old_keys, monkeypatch)

    def broken(connection: sqlite3.Connection) -> None:
        rekey_emails(connection)
        connection.execute("CREATE TABLE orders (x)")

    monkeypatch.setattr("orderstatus_sqlite.storage.MIGRATIONS", (*MIGRATIONS[:6], broken))
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    with pytest.raises(AdapterError, match="already exists"):
        storage.migrate()
    storage.close()
    assert user_version(db_path) == 6
    with closing(sqlite3.connect(db_path)) as connection, connection:
        keys = connection.execute("SELECT number, email_key FROM orders").fetchall()
        holders = connection.execute("SELECT entry_id, holder FROM store_credit").fetchall()
    assert sorted(keys) == sorted(
        (o.number, o.email.canonical) for o in stored_under_old_keys.orders
    )
    assert sorted(holders) == sorted((e.entry_id, e.holder) for e in stored_under_old_keys.credit)


# --- version 7 -> 8: challenges numbered in the order they were stored ----------------------


def _challenge(selector: str, at: datetime) -> PassChallenge:
    return PassChallenge.issue(
        selector, "100001", "042917", "V" * 43, at, timedelta(minutes=15), tries=3
    )


def test_migration_8_keeps_the_newest_challenge_and_then_numbers_new_ones(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Challenges stored under version 7 keep their newest (latest time, then greatest
    selector); after it, a challenge put later with the same time is the newest."""
    older = _challenge("Challenge-A00000000000", T0)
    tied = [
        _challenge(f"Challenge-{letter}00000000000", T0 + timedelta(minutes=1)) for letter in "CB"
    ]
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_sqlite.storage.MIGRATIONS", MIGRATIONS[:7])
        sqlite_lines_before_vehicles(patch)  # the lines as that version wrote them
        patch.setattr("orderstatus_sqlite.storage.SCHEMA_VERSION", 7)
        storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
        assert storage.migrate() == 7
        storage.close()
    with closing(sqlite3.connect(db_path)) as connection, connection:
        connection.executemany(
            "INSERT INTO guest_pass_challenges VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    c.selector,
                    c.order_number,
                    c.code_hash,
                    c.link_hash,
                    micros(c.issued_at),
                    micros(c.expires_at),
                    c.tries_left,
                    0,
                )
                for c in (older, *tied)
            ],
        )
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    assert storage.migrate() == SCHEMA_VERSION
    with storage.unit_of_work() as uow:
        assert uow.passes.latest_challenge("100001") == tied[0]
    last = _challenge("Challenge-000000000000", T0 + timedelta(minutes=1))
    with storage.unit_of_work(write=True) as uow:
        uow.passes.put_challenge(last)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.passes.latest_challenge("100001") == last
    storage.close()


# --- version 8 -> 9: dead letters ---------------------------------------------------------


def test_migration_9_keeps_waiting_and_sent_messages_and_adds_dead_letters(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version 8 outbox migrates with its pending message due and its sent one sent;
    dead letters then work at once and are never due."""
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_sqlite.storage.MIGRATIONS", MIGRATIONS[:8])
        sqlite_lines_before_vehicles(patch)  # the lines as that version wrote them
        patch.setattr("orderstatus_sqlite.storage.SCHEMA_VERSION", 8)
        storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
        assert storage.migrate() == 8
        storage.close()
    put_old_message(db_path, _order_list("waiting"))
    put_old_message(db_path, _order_list("sent"), sent_at=T0)
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    assert storage.migrate() == SCHEMA_VERSION
    with storage.unit_of_work(write=True) as uow:
        assert [m.message_id for m in uow.outbox.due(T0, 10)] == ["waiting"]
        uow.outbox.mark_dead("waiting", "550 no such user", T0)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert (uow.outbox.due(T0, 10), uow.outbox.pending_count()) == ([], 0)
        assert [m.message_id for m in uow.outbox.dead(10)] == ["waiting"]
        sent = uow.outbox.get("sent")
    storage.close()
    assert sent is not None
    assert (sent.sent_at, sent.dead_at) == (T0, None)


# --- version 9 -> 10: accounts ---------------------------------------------------------------


def _version_9_database(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Order]:
    """A database as version 9 left it, full of orders: two shoppers' history (one of them
    under an address typed in two cases), a lookalike's order and a queued message."""
    orders = [
        version_1_order(),
        order("100002", "Jane@Example.com", placed_at=T0 + timedelta(days=1)),
        order("100003", "john@example.com"),
        order("100004", "ｊane@example.com", placed_at=T0 + timedelta(days=2)),
    ]
    with _as_version(path, 9, monkeypatch) as storage, storage.unit_of_work(write=True) as uow:
        uow.orders.add_many(orders)
        uow.outbox.put(_order_list("m1"))
        uow.commit()
    assert user_version(path) == 9
    assert "accounts" not in tables(path)
    return orders


def test_migration_10_adds_accounts_to_a_database_full_of_orders(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version 9 database with orders migrates to 10 with every order and message as it
    was; an account then signs up and verifies, and exactly the orders of its address join
    it (the lookalike's stays out), listed and searched newest first."""
    orders = _version_9_database(db_path, monkeypatch)
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    with pytest.raises(SchemaVersionError, match="has schema version 9"):
        storage.unit_of_work().__enter__()
    assert storage.migrate() == SCHEMA_VERSION
    account = Account.sign_up("acct-0001", parse_email("JANE@example.com"), T0).verified(T0)
    with storage.unit_of_work(write=True) as uow:
        assert [uow.orders.get(o.number) for o in orders] == orders
        assert [m.message_id for m in uow.outbox.due(T0, 10)] == ["m1"]
        assert uow.accounts.by_email(account.email_key) is None
        uow.accounts.add(account)
        joining = uow.accounts.unlinked_orders(account.email_key, 100)
        for header in joining:
            uow.accounts.link_order(
                OrderLink("acct-0001", header.number, T0, LinkedBy.VERIFIED_EMAIL)
            )
        uow.commit()
    assert [h.number for h in joining] == ["100002", "100001"]
    with storage.unit_of_work() as uow:
        assert [h.number for h in uow.accounts.linked_orders("acct-0001", 10)] == [
            "100002",
            "100001",
        ]
        found = uow.accounts.search_linked("acct-0001", PartNumberQuery(PartNumber("BP-1234")), 10)
        assert [m.header.number for m in found] == ["100002", "100001"]
        assert uow.accounts.unlinked_orders(account.email_key, 10) == []
        assert uow.accounts.order_link("100004") is None
    storage.close()
    assert user_version(db_path) == SCHEMA_VERSION
    assert tables(db_path) == TABLES


def test_a_failing_migration_10_leaves_version_9_and_its_orders(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 10 runs in one transaction: if it fails at its last statement, version 9
    stays with its orders and without a half-made account table."""
    orders = _version_9_database(db_path, monkeypatch)
    broken = MIGRATIONS[9].replace("PRAGMA user_version = 10;", "CREATE TABLE orders (x);")
    monkeypatch.setattr("orderstatus_sqlite.storage.MIGRATIONS", (*MIGRATIONS[:9], broken))
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    with pytest.raises(AdapterError, match="already exists"):
        storage.migrate()
    storage.close()
    assert user_version(db_path) == 9
    assert not {"accounts", "account_sessions", "order_links"} & tables(db_path)
    with closing(sqlite3.connect(db_path)) as connection, connection:
        (count,) = connection.execute("SELECT count(*) FROM orders").fetchone()
    assert count == len(orders)


# --- version 10 -> 11: failed log-ins by address ---------------------------------------------


def test_migration_11_keeps_the_failures_an_account_row_counted(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An account that version 10 counted 99 failed log-ins for stays one failure from
    the lock after migration 11: the log-in adds the new per-address count to the row's,
    so the 100th failure logs the lock-out and the right password no longer opens it."""
    ctx = fake_context()
    hasher = ctx.password_hasher
    assert hasher is not None
    account = Account.sign_up("acct-0001", parse_email("jane@example.com"), T0).verified(T0)
    account = account.with_password(hasher.hash("the right password!"), T0)
    account = attrs.evolve(account, failed_logins=99)
    with (
        _as_version(db_path, 10, monkeypatch) as storage,
        storage.unit_of_work(write=True) as uow,
    ):
        uow.accounts.add(account)
        uow.commit()
    assert "login_failures" not in tables(db_path)
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    assert storage.migrate() == SCHEMA_VERSION
    desk = OrderStatus(attrs.evolve(ctx, storage=storage))
    assert desk.log_in("jane@example.com", "not the password!!", client="c") == LogInRefused()
    assert desk.log_in("jane@example.com", "the right password!", client="c") == LogInRefused()
    with storage.unit_of_work() as uow:
        kinds = [event.kind for event in uow.accounts.events("acct-0001", 10)]
    assert kinds == [
        SecurityEventKind.LOGIN_FAILED,
        SecurityEventKind.LOCKED_OUT,
        SecurityEventKind.LOGIN_FAILED,
    ]
    storage.close()


# --- the profile (version 11 when this was written) -----------------------------------------

#: The profile's migration, found by what it creates, so that these tests follow it when
#: migrations merged from elsewhere renumber it; ``_BEFORE`` is the version it starts from.
_PROFILE = next(
    number
    for number, migration in enumerate(MIGRATIONS, start=1)
    if isinstance(migration, str) and "CREATE TABLE saved_addresses" in migration
)
_BEFORE = _PROFILE - 1


def _pre_profile_database(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Order]:
    """A database as the version before the profile left it: orders, a verified account
    with two of them linked, and a queued message."""
    orders = [
        version_1_order(),
        order("100002", "Jane@Example.com", placed_at=T0 + timedelta(days=1)),
        order("100003", "john@example.com"),
    ]
    account = Account.sign_up("acct-0001", parse_email("jane@example.com"), T0).verified(T0)
    with monkeypatch.context() as patch:
        patch.setattr("orderstatus_sqlite.storage.MIGRATIONS", MIGRATIONS[:_BEFORE])
        sqlite_lines_before_vehicles(patch)  # the lines as that version wrote them
        patch.setattr("orderstatus_sqlite.storage.SCHEMA_VERSION", _BEFORE)
        storage = SqliteStorage.from_url(f"sqlite:///{path}")
        assert storage.migrate() == _BEFORE
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add_many(orders)
            uow.accounts.add(account)
            for number in ("100001", "100002"):
                uow.accounts.link_order(OrderLink("acct-0001", number, T0, LinkedBy.CODE))
            uow.outbox.put(_order_list("m1"))
            uow.commit()
        storage.close()
    assert user_version(path) == _BEFORE
    assert "saved_addresses" not in tables(path)
    return orders


def test_the_profile_migration_adds_it_to_a_database_with_accounts_and_orders(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database at the version before the profile, with accounts, links and orders,
    migrates to the newest with all of them as they were; the account then saves an
    address, reuses its orders' addresses and keeps a car in its garage."""
    orders = _pre_profile_database(db_path, monkeypatch)
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}")
    with pytest.raises(SchemaVersionError, match=f"has schema version {_BEFORE}"):
        storage.unit_of_work().__enter__()
    assert storage.migrate() == SCHEMA_VERSION
    home = orders[0].shipping_address
    saved = SavedAddress("acct-0001", "addr-0001", home, True, T0)
    car = GarageVehicle("acct-0001", "vehicle-01", Vehicle(2019, "Ford", "F-150", "V8"), "c1", T0)
    with storage.unit_of_work(write=True) as uow:
        assert [uow.orders.get(o.number) for o in orders] == orders
        assert [m.message_id for m in uow.outbox.due(T0, 10)] == ["m1"]
        assert [h.number for h in uow.accounts.linked_orders("acct-0001", 10)] == [
            "100002",
            "100001",
        ]
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
    assert user_version(db_path) == SCHEMA_VERSION
    assert {"saved_addresses", "garage_vehicles"} <= tables(db_path)


def test_a_failing_profile_migration_leaves_the_version_before_and_its_accounts(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The profile's migration runs in one transaction: if it fails at its last statement,
    the version before stays with its accounts and links, and no half-made profile table."""
    _pre_profile_database(db_path, monkeypatch)
    migrate_failing_at_the_end(db_path, monkeypatch, _PROFILE, "accounts")
    assert user_version(db_path) == _BEFORE
    assert not {"saved_addresses", "garage_vehicles"} & tables(db_path)
    with closing(sqlite3.connect(db_path)) as connection, connection:
        (links,) = connection.execute("SELECT count(*) FROM order_links").fetchone()
    assert links == 2
