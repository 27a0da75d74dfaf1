"""Opening by URL, session settings, the pool, close(), and faults: an unreachable server,
connections killed while idle and in the middle of a command (issue 5 item 6)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import psycopg
import pytest

from orderstatus_core import AdapterError, InvalidUrlError
from orderstatus_postgres import PostgresStorage
from orderstatus_postgres.storage import _parse_url
from support.pg_helpers import (
    APPLICATION,
    admin_connection,
    backend_pid,
    lock_waiter,
    order,
    schema_url,
    terminate,
)


def our_sessions(*states: str) -> list[tuple[Any, ...]]:
    with admin_connection() as connection:
        rows = connection.execute(
            "SELECT pid, state FROM pg_stat_activity WHERE application_name = %s",
            (APPLICATION,),
        ).fetchall()
    return [row for row in rows if not states or row[1] in states]


def stored_numbers(storage: PostgresStorage) -> list[str]:
    with storage.unit_of_work() as uow:
        return [header.number for header in uow.orders.recent("jane@example.com", 100)]


# --- URLs ------------------------------------------------------------------------------------


def test_the_url_keeps_everything_but_the_password() -> None:
    """url is the URL as given, minus the password; the password reaches libpq decoded."""
    settings = _parse_url("postgresql://shop:s%40cr3t:x@db.internal:6543/orders?pool_max=4")
    assert settings.url == "postgresql://shop@db.internal:6543/orders?pool_max=4"
    assert "s@cr3t:x" in settings.conninfo
    assert "s%40cr3t" not in repr(settings)
    assert "cr3t" not in repr(settings)
    assert (settings.pool_min, settings.pool_max) == (1, 4)


@pytest.mark.parametrize(
    ("url", "host", "port", "dbname", "user"),
    [
        ("postgres://root@127.0.0.1/test", "127.0.0.1", None, "test", "root"),
        ("postgresql://[::1]:5433/test", "::1", "5433", "test", None),
        ("postgresql://%2Fvar%2Frun%2Fpostgresql/test", "/var/run/postgresql", None, "test", None),
        ("postgresql:///test", None, None, "test", None),
        ("postgresql://j%C3%B6rg@db/caf%C3%A9", "db", None, "café", "jörg"),
    ],
)
def test_hosts_ports_sockets_and_names_reach_libpq(
    url: str, host: str | None, port: str | None, dbname: str, user: str | None
) -> None:
    """IPv6 literals, socket directories, the default host and encoded names are decoded."""
    values = psycopg.conninfo.conninfo_to_dict(_parse_url(url).conninfo)
    assert (values.get("host"), values.get("port"), values.get("dbname"), values.get("user")) == (
        host,
        port,
        dbname,
        user,
    )


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root@localhost/test",
        "postgresql://root@localhost/test?password=x",
        "postgresql://root@localhost/test?poolmax=3",
        "postgresql://root@localhost/test?pool_max=0",
        "postgresql://root@localhost/test?pool_min=5&pool_max=2",
        "postgresql://root@localhost/test?pool_timeout=-1",
        "postgresql://root@localhost/test?schema=Public",
        "postgresql://root@localhost/test?schema=a;drop",
        "postgresql://root@localhost/test?sslmode=sometimes",
        "postgresql://root@localhost/a/b",
        "postgresql://root@localhost:99999/test",
    ],
)
def test_bad_urls_are_refused_before_connecting(url: str) -> None:
    """Unknown options (a password among them), bad numbers, a schema that is not a plain
    lower-case name, an unknown sslmode, two path segments and a bad port are refused."""
    with pytest.raises(InvalidUrlError):
        PostgresStorage.from_url(url)


def test_an_unreachable_server_fails_naming_the_url_without_its_password() -> None:
    """Nothing listens on port 1: AdapterError, with the URL but not the password, and the
    driver's error (whose connection string holds the password) is not chained."""
    with pytest.raises(AdapterError, match="cannot connect") as raised:
        PostgresStorage.from_url("postgresql://shop:hunter2@127.0.0.1:1/orders?connect_timeout=2")
    message = str(raised.value)
    assert "postgresql://shop@127.0.0.1:1/orders" in message
    assert "hunter2" not in message
    assert raised.value.__cause__ is None


def test_a_silent_server_fails_by_the_connect_timeout() -> None:
    """A server that accepts the connection and never answers: the connect_timeout ends the
    wait (libpq says "timeout expired") and opening fails with AdapterError."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel completes connections; nobody ever reads or answers
        port = silent.getsockname()[1]
        with pytest.raises(AdapterError, match="timeout expired") as raised:
            PostgresStorage.from_url(f"postgresql://shop@127.0.0.1:{port}/db?connect_timeout=1")
    assert f"postgresql://shop@127.0.0.1:{port}/db" in str(raised.value)


# --- sessions and the pool -------------------------------------------------------------------


def test_sessions_run_in_utc_on_the_schema_and_write_units_read_committed(
    pg_storage: PostgresStorage, pg_schema: str
) -> None:
    """TimeZone is UTC, the search path is the URL's schema, a write unit's transaction is
    READ COMMITTED whatever the server's default, a lock is waited for 30 s at most, and
    the session carries its name."""
    with pg_storage.unit_of_work(write=True) as uow:
        connection = uow._connection
        assert connection is not None
        assert connection.execute("SHOW TimeZone").fetchone() == ("UTC",)
        assert connection.execute("SHOW search_path").fetchone() == (pg_schema,)
        assert connection.execute("SHOW transaction_isolation").fetchone() == ("read committed",)
        assert connection.execute("SHOW application_name").fetchone() == (APPLICATION,)
        assert connection.execute("SHOW lock_timeout").fetchone() == ("30s",)


def test_the_pool_size_and_wait_come_from_the_url(pg_schema: str) -> None:
    """With pool_max=2, a third unit open at once waits pool_timeout for a connection, then
    fails with AdapterError; the pool is whole again afterwards."""
    storage = PostgresStorage.from_url(schema_url(pg_schema, pool_max=2, pool_timeout=1))
    try:
        assert storage._pool.max_size == 2
        with (
            storage.unit_of_work(),
            storage.unit_of_work(),
            pytest.raises(AdapterError, match="no free PostgreSQL connection"),
        ):
            storage.unit_of_work().__enter__()
        with storage.unit_of_work() as uow:  # the pool is whole again
            assert uow.orders.get("100001") is None
    finally:
        storage.close()


def test_close_releases_every_connection_and_refuses_use(pg_url: str) -> None:
    """close() is idempotent, ends this storage's sessions, and refuses new units."""
    storage = PostgresStorage.from_url(pg_url)
    with storage.unit_of_work() as uow:
        uow.orders.get("100001")
    storage.close()
    storage.close()
    for _ in range(100):  # a server process ends a moment after its client hangs up
        if our_sessions() == []:
            break
        time.sleep(0.02)
    assert our_sessions() == []
    with pytest.raises(AdapterError, match="closed"):
        storage.unit_of_work()


# --- faults ----------------------------------------------------------------------------------


def test_a_connection_killed_in_the_middle_of_a_command_fails_it_cleanly(
    pg_storage: PostgresStorage,
) -> None:
    """The backend of a write unit is killed after its first write: the command fails with
    an AdapterError naming the storage, nothing of it is stored, and the next command works
    on a new connection."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order("100001"))
        terminate(backend_pid(uow))
        with pytest.raises(AdapterError) as raised:
            uow.orders.add(order("100002"))
        with pytest.raises(AdapterError, match="rolled back"):
            uow.commit()
    assert pg_storage.url in str(raised.value)
    assert stored_numbers(pg_storage) == []
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order("100003"))
        uow.commit()
    assert stored_numbers(pg_storage) == ["100003"]
    assert our_sessions("idle in transaction", "idle in transaction (aborted)") == []


def test_a_connection_killed_before_commit_commits_nothing(pg_storage: PostgresStorage) -> None:
    """Killed between the last write and COMMIT: commit() raises AdapterError, says the
    outcome could not be confirmed, and nothing was committed."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order("100001"))
        uow.outbox.pending_count()
        terminate(backend_pid(uow))
        with pytest.raises(AdapterError, match="committing"):
            uow.commit()
        with pytest.raises(AdapterError, match="rolled back"):
            uow.commit()  # refused until rolled back; now it was
        uow.orders.add(order("100002"))  # the unit goes on, on a new connection
        uow.commit()
    assert stored_numbers(pg_storage) == ["100002"]


def test_a_statement_killed_while_it_waits_for_a_lock_fails_alone(
    pg_storage: PostgresStorage,
) -> None:
    """A command waiting for another one's order lock is killed mid-statement: it fails
    with AdapterError; the command holding the lock commits; the next command works."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.commit()
    holding, release = threading.Event(), threading.Event()

    def hold_the_order() -> None:
        with pg_storage.unit_of_work(write=True) as uow:
            stored = uow.orders.get("100001")
            assert stored is not None
            holding.set()
            release.wait(10)
            uow.orders.save(stored.changed(phone=None))
            uow.commit()

    holder = threading.Thread(target=hold_the_order)
    holder.start()
    try:
        assert holding.wait(10)
        waiter_failed: list[BaseException] = []

        def wait_for_the_order() -> None:
            try:
                with pg_storage.unit_of_work(write=True) as uow:
                    uow.orders.get("100001")
            except AdapterError as error:
                waiter_failed.append(error)

        waiter = threading.Thread(target=wait_for_the_order)
        waiter.start()
        pid = lock_waiter("application_name = %s AND wait_event = 'advisory'", (APPLICATION,))
        assert pid is not None, "the second command never waited for the lock"
        terminate(pid)
        waiter.join(10)
        assert len(waiter_failed) == 1
        assert "failed while locking an order" in str(waiter_failed[0])
    finally:
        release.set()
        holder.join(10)
    with pg_storage.unit_of_work() as uow:
        stored = uow.orders.get("100001")
    assert stored is not None
    assert stored.version == 2


def test_a_connection_that_died_in_the_pool_is_replaced_unnoticed(
    pg_storage: PostgresStorage,
) -> None:
    """Idle pooled connections killed between commands: the next command's first statement
    finds its connection dead, takes a new one and runs there."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.commit()
    idle = [pid for pid, _state in our_sessions("idle")]
    assert idle
    for pid in idle:
        terminate(pid)
    with pg_storage.unit_of_work() as uow:
        assert uow.orders.get("100001") == order()
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order("100002"))
        uow.commit()
    assert stored_numbers(pg_storage) == ["100002", "100001"]


def test_a_read_killed_with_its_connection_fails_and_the_next_read_works(
    pg_storage: PostgresStorage,
) -> None:
    """A read whose connection is killed under it fails with AdapterError (it is never
    sent twice); the read unit's next read, a transaction of its own, runs on a new
    connection, and so does the next unit."""
    with pg_storage.unit_of_work() as uow:
        assert uow.orders.get("100001") is None
        terminate(backend_pid(uow))
        with pytest.raises(AdapterError, match="connection"):
            uow.orders.get("100001")
        assert uow.orders.get("100001") is None
    with pg_storage.unit_of_work() as uow:
        assert uow.orders.get("100001") is None


@pytest.mark.parametrize("options", [{}, {"prepare_threshold": "none"}, {"prepare_threshold": 0}])
def test_prepared_statements_can_be_turned_off_for_pgbouncer(
    pg_schema: str, pg_url: str, options: dict[str, object]
) -> None:
    """prepare_threshold=none never prepares (PgBouncer in transaction mode); 0 prepares at
    once; the default after five runs. The answers are the same."""
    storage = PostgresStorage.from_url(schema_url(pg_schema, **options))
    try:
        for _ in range(8):
            with storage.unit_of_work() as uow:
                assert uow.orders.get("100001") is None
        with storage.unit_of_work() as uow:
            connection = uow._connection
            assert connection is not None
            assert connection.prepare_threshold == {"none": None}.get(
                str(options.get("prepare_threshold")), options.get("prepare_threshold", 5)
            )
    finally:
        storage.close()
