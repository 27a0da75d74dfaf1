"""Each schema's advisory locks are its own: stores on two schemas of one database never
wait on, or deadlock with, each other's locks.

PostgreSQL's advisory locks belong to the database. With one namespace for every schema,
an import of one store (holding the low slots of its addresses, waiting for a higher one)
and a unit of another store (holding that slot, asking for a low one) deadlocked in CI:
two test workers, each on a schema of its own (``orderstatus_postgres._locks``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from orderstatus_core import ConflictError
from orderstatus_postgres import PostgresStorage
from orderstatus_postgres._locks import DEFAULT_PATH, LockSpace, lock_space
from support.pg_helpers import admin_connection, schema_url

# --- the namespaces ----------------------------------------------------------------------


def test_the_default_path_keeps_the_namespaces_the_adapter_always_used() -> None:
    """No ``?schema=``: "OST\\x01" to "OST\\x04", so processes on the default path running
    the adapter from before schemas had their own locks still exclude the new ones."""
    assert lock_space(None) == DEFAULT_PATH == (0x4F535401, 0x4F535402, 0x4F535403, 0x4F535404)


def test_a_schemas_namespaces_are_pinned() -> None:
    """Derived from the name alone, the same in every process and release (two processes
    on one schema must take the same locks): a change here breaks stores mid-upgrade."""
    assert lock_space("shop") == LockSpace(
        order=677509617, reply=1782042563, credit=1281813001, account_email=1180073986
    )


SCHEMAS = ("shop", "shop_b", "public", "orderstatus_test_0a1b2c3d", "x")


@pytest.mark.parametrize("schema", SCHEMAS)
def test_each_schema_has_four_namespaces_of_its_own(schema: str) -> None:
    """Four different non-negative int4 keys (``pg_locks`` shows them as they are in
    ``classid``), none of them the default path's nor another schema's."""
    space = lock_space(schema)
    assert len(set(space)) == 4
    assert all(0 <= key < 2**31 for key in space)
    assert not set(space) & set(DEFAULT_PATH)
    others = {key for other in SCHEMAS if other != schema for key in lock_space(other)}
    assert not set(space) & others


def test_a_storage_takes_the_namespaces_of_its_schema(pg_storage: PostgresStorage) -> None:
    """The storage and each of its units answer the schema's namespaces."""
    assert pg_storage.locks == lock_space(pg_storage.schema)
    with pg_storage.unit_of_work() as uow:
        assert uow.locks == pg_storage.locks


# --- on the server -----------------------------------------------------------------------

#: Each kind of advisory lock, taken by the write-unit call that takes it: (what holds it,
#: what asks for it). The last pair is the CI deadlock's: an account's address held, an
#: import's batch of addresses asked for.
LOCKERS: dict[str, tuple[Callable[[Any], object], Callable[[Any], object]]] = {
    "order": (lambda uow: uow.orders.get("100001"), lambda uow: uow.orders.get("100001")),
    "guest-pass challenge": (
        lambda uow: uow.orders.get("100001"),
        lambda uow: uow.passes.latest_challenge("100001"),
    ),
    "idempotency key": (
        lambda uow: uow.idempotency.get("key-1"),
        lambda uow: uow.idempotency.get("key-1"),
    ),
    "store-credit balance": (
        lambda uow: uow.credit.balance("jane@example.com", "USD"),
        lambda uow: uow.credit.balance("jane@example.com", "USD"),
    ),
    "address": (
        lambda uow: uow.accounts.by_email("jane@example.com"),
        lambda uow: uow.accounts.by_email("jane@example.com"),
    ),
    "addresses of an import": (
        lambda uow: uow.accounts.by_email("shopper250@example.com"),
        lambda uow: uow.accounts.verified_accounts([f"shopper{n}@example.com" for n in range(251)]),
    ),
}


@pytest.fixture
def other_schema(pg_schema: str) -> Iterator[str]:
    """A second schema of the same database, migrated; dropped after the test."""
    name = f"{pg_schema}_l{secrets.token_hex(3)}"
    storage = PostgresStorage.from_url(schema_url(name))
    try:
        storage.migrate()
    finally:
        storage.close()
    yield name
    with admin_connection() as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@pytest.mark.parametrize("kind", list(LOCKERS))
def test_a_lock_held_on_one_schema_never_holds_up_another_schema(
    kind: str, pg_url: str, pg_schema: str, other_schema: str
) -> None:
    """While a write unit on one schema holds a lock, a write unit on another schema of
    the same database takes the lock of the same key at once; a second unit on the
    holder's own schema still waits for it, and with lock_timeout=200 gives up (55P03)."""
    hold, ask = LOCKERS[kind]
    holder = PostgresStorage.from_url(pg_url)
    elsewhere = PostgresStorage.from_url(schema_url(other_schema, lock_timeout="200"))
    beside = PostgresStorage.from_url(schema_url(pg_schema, lock_timeout="200"))
    try:
        with holder.unit_of_work(write=True) as held:
            hold(held)
            with elsewhere.unit_of_work(write=True) as uow:
                ask(uow)  # at once: before, it waited out its lock_timeout (55P03)
            with (
                pytest.raises(ConflictError, match=r"held too long.*55P03"),
                beside.unit_of_work(write=True) as uow,
            ):
                ask(uow)
    finally:
        for storage in (holder, elsewhere, beside):
            storage.close()
