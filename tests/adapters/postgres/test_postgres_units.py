"""Units of work as PostgreSQL runs them: use outside the block, aborted transactions, retries.

What every storage's units keep (all or nothing, read-only refusal, duplicates,
commits and rollbacks) is in the suites per port, run in the contract test module."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from orderstatus_core import (
    AdapterError,
    ConflictError,
    GuestPassMail,
    OrderListMail,
    OrderStatus,
    OutboxMessage,
    parse_email,
    without_secrets,
)
from orderstatus_core.messages import OutboxItem
from orderstatus_core.model.account import Account
from orderstatus_core.sample import generate_orders
from orderstatus_core.services.accounts._common import join_orders
from orderstatus_core.testing import RecordingMailer
from orderstatus_core.testing.builders import package
from orderstatus_core.testing.contracts._support import _SESSION_RULES
from orderstatus_postgres import PostgresStorage, PostgresUnitOfWork
from orderstatus_postgres.storage import READ_RETRIES
from orderstatus_sql import rows
from support.freed_units import assert_an_ended_unit_is_freed, assert_repositories_are_views
from support.pg_helpers import APPLICATION, T0, admin_connection, order, schema_url


def message(message_id: str = "m1") -> OutboxMessage:
    mail = OrderListMail(to=parse_email("jane@example.com"), order_numbers=("100001",))
    return OutboxMessage(message_id=message_id, created_at=T0, intent=mail)


def stored(storage: PostgresStorage, number: str = "100001") -> tuple[object, int]:
    with storage.unit_of_work() as uow:
        return uow.orders.get(number), uow.outbox.pending_count()


def refuse_inserts_into(uow: PostgresUnitOfWork, table: str) -> None:
    """Make every insert into ``table`` fail, inside this unit's transaction only (the
    trigger is rolled back with it)."""
    connection = uow._connection
    assert connection is not None
    connection.execute(
        "CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'disk trouble'; END $$"
    )
    connection.execute(
        f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse()"
    )


def test_a_unit_refuses_use_outside_its_block(pg_storage: PostgresStorage) -> None:
    """Before __enter__ and after __exit__, every call raises AdapterError."""
    uow = pg_storage.unit_of_work(write=True)
    with pytest.raises(AdapterError, match="not open"):
        uow.orders.get("100001")
    with uow:
        pass
    with pytest.raises(AdapterError, match="not open"):
        uow.orders.add(order())
    with pytest.raises(AdapterError, match="not open"):
        uow.outbox.pending_count()
    with pytest.raises(AdapterError, match="not open"):
        uow.commit()


def test_a_half_written_order_can_never_be_committed(pg_storage: PostgresStorage) -> None:
    """If a child row fails, PostgreSQL aborts the transaction: later statements and the
    commit are refused, the commit rolls back, and the unit then starts afresh."""
    with pg_storage.unit_of_work(write=True) as uow:
        refuse_inserts_into(uow, "order_lines")
        with pytest.raises(AdapterError, match="disk trouble"):
            uow.orders.add(order())
        with pytest.raises(AdapterError, match="aborted"):
            uow.orders.add(order("100002"))
        with pytest.raises(AdapterError, match="rolled back"):
            uow.commit()
        uow.orders.add(order("100003"))  # the trigger went with the rollback
        uow.commit()
    assert stored(pg_storage) == (None, 0)
    assert stored(pg_storage, "100002") == (None, 0)
    assert stored(pg_storage, "100003")[0] == order("100003")


@pytest.mark.parametrize("table", ["order_lines", "packages", "package_units"])
def test_a_half_saved_order_can_never_be_committed(pg_storage: PostgresStorage, table: str) -> None:
    """If replacing the child rows fails after the order row got its new version, nothing
    of the save remains: the stored order keeps its old version and children."""
    original = order(packages=[package("P1", [(1, 1)])])
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add(original)
        uow.commit()
    changed = original.changed(packages=[package("P1", [(1, 2)]), package("P2", [(2, 1)])])
    with pg_storage.unit_of_work(write=True) as uow:
        refuse_inserts_into(uow, table)
        with pytest.raises(AdapterError, match="disk trouble"):
            uow.orders.save(changed)
        with pytest.raises(AdapterError, match="rolled back"):
            uow.commit()
        assert uow.orders.get("100001") == original
    assert stored(pg_storage)[0] == original


def test_a_read_unit_reads_each_time_what_is_committed(pg_storage: PostgresStorage) -> None:
    """A read unit runs each read as its own statement and transaction (autocommit, READ
    COMMITTED): a second read sees a commit made after the first. Each read is consistent
    in itself; a command that needs two reads to agree uses a write unit."""
    with pg_storage.unit_of_work() as reader:
        assert reader.orders.get("100001") is None
        with pg_storage.unit_of_work(write=True) as writer:
            writer.orders.add(order())
            writer.commit()
        assert reader.orders.get("100001") == order()


def test_a_read_that_loses_a_serialization_race_is_run_again(
    pg_storage: PostgresStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read unit's statement is a transaction of its own: one failing with 40001 is run
    again, up to READ_RETRIES more times, then ConflictError. In a write unit the whole
    command must run again: ConflictError at once, and the commit is refused."""
    left = [2]
    execute = psycopg.Cursor.execute  # what Connection.execute and a kept cursor run

    def flaky(self: psycopg.Cursor[Any], query: Any, *args: Any, **kw: Any) -> Any:
        if left[0] and "FROM orders AS o" in str(query):
            left[0] -= 1
            raise psycopg.errors.SerializationFailure("could not serialize access")
        return execute(self, query, *args, **kw)

    monkeypatch.setattr(psycopg.Cursor, "execute", flaky)
    with pg_storage.unit_of_work() as uow:
        assert uow.orders.get("100001") is None
    assert left == [0]
    left[0] = READ_RETRIES + 1
    with pg_storage.unit_of_work() as uow, pytest.raises(ConflictError, match="40001"):
        uow.orders.get("100001")
    left[0] = 1
    with pg_storage.unit_of_work(write=True) as uow:
        with pytest.raises(ConflictError, match="retry the command"):
            uow.orders.get("100001")
        with pytest.raises(AdapterError, match="rolled back"):
            uow.commit()


def test_a_repository_is_a_view_of_its_unit(pg_storage: PostgresStorage) -> None:
    """A unit keeps no repository: each read makes a view holding only the unit."""
    assert_repositories_are_views(pg_storage)


def test_a_read_once_unit_may_be_a_new_storages_first(pg_url: str) -> None:
    """The schema check of a new storage (two statements) is not the unit's one read: a
    session check or a find-order as the first request works."""
    storage = PostgresStorage.from_url(pg_url)
    try:
        with storage.unit_of_work(read_once=True) as uow:
            assert uow.sessions.check("0" * 64, T0, **_SESSION_RULES) is None
        with storage.unit_of_work(read_once=True) as uow:
            assert uow.sessions.check("0" * 64, T0, **_SESSION_RULES) is None
            with pytest.raises(AdapterError, match="reads once"):
                uow.sessions.check("0" * 64, T0, **_SESSION_RULES)
    finally:
        storage.close()


@pytest.mark.parametrize("kind", ["read", "read_once", "write"])
def test_an_ended_unit_is_freed_at_once_without_the_garbage_collector(
    pg_storage: PostgresStorage, kind: str
) -> None:
    """Its repositories hold the unit and the unit keeps none, so no reference cycle is
    left for the cyclic collector (one per request, a session check or a find-order)."""
    assert_an_ended_unit_is_freed(pg_storage, kind)


def _guest_pass_mail() -> GuestPassMail:
    return GuestPassMail(
        parse_email("jane@example.com"),
        "100001",
        "481516",
        "https://shop.example/pass?token=abc",
        T0 + timedelta(minutes=15),
    )


@pytest.mark.parametrize(
    ("intent", "reads"),
    [
        (OrderListMail(to=parse_email("jane@example.com"), order_numbers=("100001",)), 0),
        (_guest_pass_mail(), 1),
    ],
    ids=["no secrets", "guest pass"],
)
def test_marking_sent_reads_the_item_back_only_to_empty_its_secrets(
    pg_storage: PostgresStorage,
    monkeypatch: pytest.MonkeyPatch,
    intent: OutboxItem,
    reads: int,
) -> None:
    """Delivery empties an item's secrets in the same write (SECURITY D5); an item with
    none is marked sent without decoding it (counted, not timed)."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.outbox.put(OutboxMessage("m1", T0, intent))
        uow.commit()
    decoded: list[object] = []
    load = rows.load_intent
    monkeypatch.setattr(rows, "load_intent", lambda data: decoded.append(data) or load(data))
    with pg_storage.unit_of_work(write=True) as uow:
        uow.outbox.mark_sent("m1", T0 + timedelta(minutes=1))
        uow.commit()
    assert len(decoded) == reads
    monkeypatch.undo()
    with pg_storage.unit_of_work() as uow:
        sent = uow.outbox.get("m1")
    assert sent is not None
    assert sent.intent == without_secrets(intent)
    assert sent.sent_at == T0 + timedelta(minutes=1)


def test_locking_the_addresses_of_a_large_import_takes_at_most_1024_locks(
    pg_storage: PostgresStorage,
) -> None:
    """``verified_accounts`` in a write unit locks each address's slot, not each address:
    40,000 addresses (an import of 100,000 orders has about 30,000) once took one advisory
    lock each and failed with "out of shared memory", past the server's lock table."""
    keys = [f"shopper{n}@example.com" for n in range(40_000)]
    with pg_storage.unit_of_work(write=True) as uow:
        assert uow.accounts.verified_accounts(keys) == {}
        assert isinstance(uow, PostgresUnitOfWork)
        row = uow._run(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()",
            (),
            "counting advisory locks",
        ).fetchone()
    assert row is not None
    assert 1000 <= row[0] <= 1024


def test_an_import_locks_its_addresses_only_to_join_them_at_the_end(
    pg_storage: PostgresStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import is one transaction, and joining its orders to verified accounts locks
    their addresses (SECURITY F1) until it commits. A lock per address made the import of
    100,000 orders (30,793 addresses) fail with "out of shared memory", past the server's
    lock table; an address's slot locked from the first batch held every log-in, sign-up
    and verification of most shoppers until the whole file was in. Counted by the server:
    none while the file is read (``progress`` runs inside the unit after every 1,000
    orders), at most the 1,024 slots for 2,000 addresses just before the commit."""
    records = generate_orders(2_000, seed=7)
    lines = [
        json.dumps({**record, "email": f"shopper{n}@example.com"})
        for n, record in enumerate(records)
    ]
    held: list[int] = []

    def count_locks() -> None:
        with admin_connection() as connection:
            row = connection.execute(
                "SELECT count(*) FROM pg_locks AS l JOIN pg_stat_activity AS a USING (pid)"
                " WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.classid = %s::oid"
                " AND a.application_name = %s",
                (pg_storage.locks.account_email, APPLICATION),
            ).fetchone()
        assert row is not None
        held.append(row[0])

    commit = PostgresUnitOfWork.commit

    def counting_commit(self: PostgresUnitOfWork) -> None:
        count_locks()
        commit(self)

    monkeypatch.setattr(PostgresUnitOfWork, "commit", counting_commit)
    with OrderStatus.open(storage=pg_storage, mail=RecordingMailer()) as desk:
        report = desk.import_orders(lines, progress=lambda _count: count_locks())
    assert report.imported == 2_000
    # After 1,000 and 2,000 orders; at the commit (about 880 of the 1,024 slots for as many
    # random keys); after the commit, which released them.
    [during_1000, during_2000, at_commit, after] = held
    assert (during_1000, during_2000, after) == (0, 0, 0)
    assert 500 <= at_commit <= 1024


def test_a_verification_during_an_import_neither_waits_nor_misses_its_orders(
    pg_storage: PostgresStorage, pg_schema: str
) -> None:
    """A shopper verifies her address while an import of her orders is under way (after
    its first 1,000 orders, on a connection of its own that waits at most 2 s for a
    lock): the verification commits at once, its join finds none of the import's orders
    (not committed yet), and the import, reading the verified accounts after taking the
    address's lock at its end, joins both of her orders, the one stored before the
    verification and the one after (SECURITY F1). Before, the import held her address's
    lock from its first batch and the verification waited out its lock timeout."""
    shopper = parse_email("jane.verified@example.com")
    records = [
        {**record, "email": f"shopper{n}@example.com"}
        for n, record in enumerate(generate_orders(2_000, seed=8))
    ]
    for mine in (10, 1_500):
        records[mine]["email"] = shopper.display
    account = Account.sign_up("acct-0001", shopper, T0)
    with pg_storage.unit_of_work(write=True) as uow:
        uow.accounts.add(account)
        uow.commit()
    verifier = PostgresStorage.from_url(schema_url(pg_schema, lock_timeout="2000"))
    joined_then: list[int] = []

    def verify(count: int) -> None:
        if count != 1_000:
            return
        with verifier.unit_of_work(write=True) as uow:
            stored = uow.accounts.by_email(shopper.canonical)
            assert stored is not None
            verified = stored.verified(T0)
            uow.accounts.save(verified)
            joined_then.append(join_orders(uow, verified, T0))
            uow.commit()

    try:
        with OrderStatus.open(storage=pg_storage, mail=RecordingMailer()) as desk:
            assert desk.import_orders([json.dumps(r) for r in records], verify).imported == 2_000
    finally:
        verifier.close()
    assert joined_then == [0]
    with pg_storage.unit_of_work() as uow:
        linked = uow.accounts.linked_orders("acct-0001", 10)
    assert sorted(header.number for header in linked) == sorted(
        str(records[mine]["number"]) for mine in (10, 1_500)
    )
