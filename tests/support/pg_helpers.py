"""What several PostgreSQL test modules (and their spawned processes) share."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import psycopg

from orderstatus_core import Package
from orderstatus_core.testing.builders import (
    PLACED_AT,
    line_of_two,
    order_of_two_lines,
    package,
)

#: The server the tests use.
SERVER_URL = os.environ.get(
    "ORDERSTATUS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
#: What the test storages call themselves in pg_stat_activity.
APPLICATION = f"orderstatus-test-{os.getpid()}"

TABLES = (
    "package_units",
    "packages",
    "order_lines",
    "orders",
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
)


def server_or_skip() -> str:
    """:data:`SERVER_URL` once the server answers; otherwise skip the test saying why, or
    under ``CI=true`` fail it (CI must never pass by skipping)."""
    import pytest  # only in the test process, not in the spawned race workers

    try:
        admin_connection().close()
    except psycopg.Error as error:
        reason = f"PostgreSQL at {SERVER_URL} is unreachable ({str(error).strip()[:200]})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true needs it", pytrace=False)
        pytest.skip(f"{reason}; set ORDERSTATUS_TEST_POSTGRES or start the server")
    return SERVER_URL


def schema_url(schema: str, **options: Any) -> str:
    """The storage URL of ``schema`` on the test server, with extra URL options."""
    query = {"schema": schema, "application_name": APPLICATION, **options}
    separator = "&" if "?" in SERVER_URL else "?"
    return f"{SERVER_URL}{separator}{urlencode(query)}"


def admin_connection(schema: str | None = None) -> psycopg.Connection[Any]:
    """A plain autocommit connection to the test server (on ``schema`` if given)."""
    options = "-c TimeZone=UTC" + (f" -c search_path={schema}" if schema else "")
    return psycopg.connect(SERVER_URL, autocommit=True, connect_timeout=3, options=options)


def empty_tables(schema: str) -> None:
    """Delete every row of the adapter's tables in ``schema`` (children first)."""
    with admin_connection(schema) as connection:
        for table in TABLES:
            connection.execute(f"DELETE FROM {table}")


# --- orders, as the SQLite tests build them -------------------------------------------------

T0 = PLACED_AT


#: One line of two units; any field can be overridden.
order_line = line_of_two


#: Order 100001 of jane@example.com, two lines of two units; any field can be overridden.
order = order_of_two_lines


def shipped_package(
    package_id: str = "P1", units: Sequence[tuple[int, int]] = ((1, 1),), days: int = 1
) -> Package:
    """A package shipped ``days`` after T0 and delivered a day later."""
    return package(
        package_id,
        units,
        shipped_after=timedelta(days=days),
        delivered_after=timedelta(days=days + 1),
    )


def backend_pid(uow: Any) -> int:
    connection = uow._connection
    assert connection is not None
    return int(connection.info.backend_pid)


def lock_waiter(condition: str, parameters: Sequence[Any], tries: int = 250) -> int | None:
    """The pid of a server process that waits for a lock and meets ``condition`` (SQL on
    ``pg_stat_activity``), asked every 20 ms until one does; ``None`` after ``tries``."""
    query = f"SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND {condition}"
    for _ in range(tries):
        with admin_connection() as connection:
            row = connection.execute(query, parameters).fetchone()  # type: ignore[call-overload]
        if row is not None:
            return int(row[0])
        time.sleep(0.02)
    return None


def terminate(pid: int) -> None:
    """Kill one server process, as an operator (or a failover) would."""
    with admin_connection() as connection:
        # False when the backend has already gone by itself: it is just as dead.
        connection.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(100):  # until the server has let it go
            gone = connection.execute(
                "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone()
            if gone == (True,):
                return
            time.sleep(0.02)
