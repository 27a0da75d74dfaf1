"""Sessions in Redis beside PostgreSQL, the usual pair for several app servers, keep the
session store contract. Needs both servers: skipped, saying why, without PostgreSQL
(failed under ``CI=true``), as the PostgreSQL adapter's own tests are."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest

from orderstatus_core.ports import Storage
from orderstatus_core.testing.contracts import SessionStoreContract
from orderstatus_postgres import PostgresStorage
from orderstatus_redis import RedisSessionStore
from support.pg_helpers import SERVER_URL, admin_connection, empty_tables, schema_url


@pytest.fixture(scope="module")
def pg_schema() -> Iterator[str]:
    """A migrated schema of this module, dropped at its end."""
    try:
        admin_connection().close()
    except psycopg.Error as error:
        reason = f"PostgreSQL at {SERVER_URL} is unreachable ({str(error).strip()[:200]})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true needs it", pytrace=False)
        pytest.skip(reason)
    schema = f"orderstatus_test_{secrets.token_hex(4)}"
    storage = PostgresStorage.from_url(schema_url(schema))
    storage.migrate()
    storage.close()
    yield schema
    with admin_connection() as connection:
        connection.execute(
            psycopg.sql.SQL("DROP SCHEMA {} CASCADE").format(psycopg.sql.Identifier(schema))
        )


class TestPostgresWithRedisSessions(SessionStoreContract):
    """``postgresql://`` with ``sessions="redis://..."`` keeps the session store contract."""

    @pytest.fixture
    def storage(self, pg_schema: str, redis_sessions: RedisSessionStore) -> Iterator[Storage]:
        """PostgreSQL (its sessions table unused), its tables emptied for this test, with
        the sessions in Redis."""
        empty_tables(pg_schema)
        inner = PostgresStorage.from_url(schema_url(pg_schema))
        yield redis_sessions.with_storage(inner)
        inner.close()
