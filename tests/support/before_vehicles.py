"""Order lines written as the schema versions before lines had a vehicle wrote them.

Migration tests fill a database of an older version with today's code; since SQLite's
version 13 and PostgreSQL's version 9, today's code writes two more line columns
(``vehicle``, ``vehicle_key``) than those versions have. :func:`sqlite_lines_before_vehicles`
and :func:`postgres_lines_before_vehicles` make the adapters write lines without them, for
as long as the given ``MonkeyPatch`` context lasts. The first version that has them is
found by what its migration creates, so these follow a renumbering at merge time.
"""

from __future__ import annotations

from typing import Any

import pytest

from orderstatus_core import Order
from orderstatus_postgres import _rows as pg_rows
from orderstatus_postgres import _sql as pg_sql
from orderstatus_postgres.migrations import MIGRATIONS as PG_MIGRATIONS
from orderstatus_sqlite import _rows as sqlite_rows
from orderstatus_sqlite import _sql as sqlite_sql
from orderstatus_sqlite.migrations import MIGRATIONS as SQLITE_MIGRATIONS

__all__ = [
    "PG_VEHICLES",
    "SQLITE_VEHICLES",
    "postgres_lines_before_vehicles",
    "sqlite_lines_before_vehicles",
]

#: The SQLite schema version that gives order lines their vehicle.
SQLITE_VEHICLES = next(
    number
    for number, migration in enumerate(SQLITE_MIGRATIONS, start=1)
    if isinstance(migration, str) and "order_lines_by_vehicle" in migration
)
#: The PostgreSQL schema version that does.
PG_VEHICLES = next(
    number
    for number, migration in enumerate(PG_MIGRATIONS, start=1)
    if any("order_lines_by_vehicle" in statement for statement in migration.statements)
)

_SQLITE_LINE_ROWS = sqlite_rows.line_rows
_PG_TABLE_ROWS = pg_rows.table_rows


def _without_vehicle_columns(sql: str) -> str:
    """``sql`` without the vehicle columns of an order_lines statement of today."""
    old = (
        sql.replace(", vehicle, vehicle_key)", ")")
        .replace(", %(vehicle)b::text[],\n                  %(vehicle_key)b::text[])", ")")
        .replace("?, ?, ?)", "?)")
    )
    assert old != sql, sql
    return old


def sqlite_lines_before_vehicles(patch: pytest.MonkeyPatch) -> None:
    """The SQLite adapter writes lines as versions before :data:`SQLITE_VEHICLES` did."""

    def line_rows(order: Order) -> list[tuple[Any, ...]]:
        return [row[:-2] for row in _SQLITE_LINE_ROWS(order)]

    patch.setattr(sqlite_sql, "INSERT_LINE", _without_vehicle_columns(sqlite_sql.INSERT_LINE))
    patch.setattr(sqlite_rows, "line_rows", line_rows)


def postgres_lines_before_vehicles(patch: pytest.MonkeyPatch) -> None:
    """The PostgreSQL adapter writes lines as versions before :data:`PG_VEHICLES` did."""

    def table_rows(orders: Any) -> tuple[list[tuple[Any, ...]], ...]:
        heads, lines, packages, units = _PG_TABLE_ROWS(orders)
        return heads, [row[:-2] for row in lines], packages, units

    for name in ("COPY_LINES", "ADD_ORDERS", "INSERT_CHILDREN"):
        patch.setattr(pg_sql, name, _without_vehicle_columns(getattr(pg_sql, name)))
    patch.setattr(pg_rows, "table_rows", table_rows)
    patch.setattr(pg_rows, "_LINE_NAMES", pg_rows._LINE_NAMES[:-2])
