"""Fixtures for the PostgreSQL adapter tests: one fresh schema per test session.

The server comes from ``ORDERSTATUS_TEST_POSTGRES`` (default
``postgresql://postgres@127.0.0.1:5432/test``). When it cannot be reached the tests are
skipped, saying why, except under ``CI=true``, where an unreachable server fails them: CI
must never pass by skipping. The session's schema has a random name, is migrated once,
emptied before each test and dropped at the end, with every schema a test made from it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from orderstatus_postgres import PostgresStorage
from support.pg_helpers import admin_connection, empty_tables, schema_url, server_or_skip
from support.pg_race import PostgresRace


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The server's URL, once it answers; skip (or, under CI=true, fail) otherwise."""
    return server_or_skip()


@pytest.fixture(scope="session")
def pg_schema(pg_server: str) -> Iterator[str]:
    """A schema of this test session, migrated; dropped (with its offspring) at the end."""
    schema = f"orderstatus_test_{secrets.token_hex(4)}"
    storage = PostgresStorage.from_url(schema_url(schema))
    storage.migrate()
    storage.close()
    yield schema
    with admin_connection() as connection:
        rows = connection.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (schema + "%",)
        ).fetchall()
        for (name,) in rows:
            connection.execute(
                psycopg.sql.SQL("DROP SCHEMA {} CASCADE").format(psycopg.sql.Identifier(name))
            )


@pytest.fixture
def pg_url(pg_schema: str) -> str:
    """The URL of the session's schema, its tables emptied for this test."""
    empty_tables(pg_schema)
    return schema_url(pg_schema)


@pytest.fixture
def pg_storage(pg_url: str) -> Iterator[PostgresStorage]:
    """A migrated, empty storage on the session's schema, closed after the test."""
    storage = PostgresStorage.from_url(pg_url)
    yield storage
    storage.close()


@pytest.fixture(params=["processes", "threads"])
def race(request: pytest.FixtureRequest, pg_url: str, tmp_path: Path) -> Iterator[PostgresRace]:
    """A fresh race ground on the session's schema, once with processes, once with threads."""
    ground = PostgresRace(pg_url, tmp_path, request.param)
    yield ground
    ground.close()
