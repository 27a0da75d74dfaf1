"""Order lines written as the schema versions before lines had a vehicle wrote them.

Migration tests fill a database of an older version with today's code; since SQLite's
version 13 and PostgreSQL's version 9, today's code writes two more line columns
(``vehicle``, ``vehicle_key``) than those versions have. :func:`sqlite_lines_before_vehicles`
and :func:`postgres_lines_before_vehicles` make the adapters write lines without them, for
as long as the given ``MonkeyPatch`` context lasts. The first version that has them is
found by what its migration creates, so these follow a renumbering at merge time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import pytest

from orderstatus_core import Order, Vehicle, VehicleQuery
from orderstatus_core.model import PartNumber
from orderstatus_core.ports import Storage
from orderstatus_core.records import PartNumberQuery
from orderstatus_postgres import _rows as pg_rows
from orderstatus_postgres import _sql as pg_sql
from orderstatus_postgres.migrations import MIGRATIONS as PG_MIGRATIONS
from orderstatus_sqlite import _rows as sqlite_rows
from orderstatus_sqlite import _sql as sqlite_sql
from orderstatus_sqlite.migrations import MIGRATIONS as SQLITE_MIGRATIONS

__all__ = [
    "PG_VEHICLES",
    "SQLITE_VEHICLES",
    "check_lines_gain_vehicles",
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


def check_lines_gain_vehicles(storage: Storage, orders: Sequence[Order], linked: list[str]) -> None:
    """What must hold once the vehicle migration ran on a store of ``orders``, ``linked``
    (newest first) to ``acct-0001``: every order reads back equal, no line is bought for a
    vehicle and none is found by one, the history still searches by part number; a line
    then saved with a vehicle is found by it, with its vehicle."""
    truck = Vehicle(2019, "Ford", "F-150", "5.0L V8")
    query = VehicleQuery(2019, "FORD", "f-150")
    with storage.unit_of_work(write=True) as uow:
        assert [uow.orders.get(o.number) for o in orders] == list(orders)
        assert all(line.vehicle is None for order in orders for line in order.lines)
        assert list(uow.accounts.search_linked("acct-0001", query, 10)) == []
        by_part = uow.accounts.search_linked("acct-0001", PartNumberQuery(PartNumber("BP1234")), 10)
        assert [match.header.number for match in by_part] == linked
        stored = uow.orders.get(linked[-1])
        assert stored is not None
        lines = (attrs.evolve(stored.lines[0], vehicle=truck), *stored.lines[1:])
        uow.orders.save(attrs.evolve(stored, lines=lines, version=stored.version + 1))
        uow.commit()
    with storage.unit_of_work() as uow:
        [match] = uow.accounts.search_linked("acct-0001", query, 10)
    assert (match.header.number, match.lines[0].vehicle) == (linked[-1], truck)
