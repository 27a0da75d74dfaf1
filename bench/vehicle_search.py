"""An account's history searched by vehicle, through the library, against the raw SQL query.

    python bench/vehicle_search.py [--orders 10000] [--linked 300] [--calls 2000] [--postgres]

Issue 14 item 3 (the brief's bench). One store of ``--orders`` orders of 1 to 3 lines, a
third of the lines bought for one of 60 vehicles (5 makes, 4 models, 3 years) and the rest
for none; the account ``acct-history`` has ``--linked`` of them linked, newest first an hour
apart. The search is a year, make and model (every engine), a page of 20:

* **facade**: ``shopper.search(vehicle=VehicleQuery(2019, "ford", "F-150"), page_size=20)``
  (the session check, then the search) against the raw session row and the raw search;
* **storage port**: ``uow.accounts.search_linked(account, query, 21)`` against the raw
  search statement: the linked orders' matching lines joined to their orders, in the
  order the port answers, every row fetched, nothing built (the same information: the
  order's number, time, email and currency, each matching line's columns);
* **without the vehicle index** (raw, for the record): the same raw statement with the
  vehicle term written ``+l.vehicle_key`` so that SQLite cannot use
  ``order_lines_by_vehicle`` and reads each linked order's lines by the primary key.

Before timing, the port's answer and the raw rows are checked equal (the same orders with
the same line numbers). Each pair is interleaved call by call; the first tenth of each
series warms up and is left out; p50 and p99 in µs. ``--postgres`` runs the port and the
raw statement on PostgreSQL too (``ORDERSTATUS_TEST_POSTGRES`` or the local test server).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from accounts import _interleaved, _row

from orderstatus_core import OrderStatus, SearchPage, Vehicle, VehicleQuery
from orderstatus_core.contacts import parse_email
from orderstatus_core.model import Order
from orderstatus_core.model.account import (
    Account,
    AccountSession,
    LinkedBy,
    OrderLink,
    hash_session_id,
)
from orderstatus_core.ports import Storage
from orderstatus_core.testing import FixedClock
from orderstatus_core.testing.builders import line, make_order
from orderstatus_sql.search import vehicle_range
from orderstatus_sqlite import SqliteStorage

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ACCOUNT = "acct-history"
TOKEN = "bench-vehicle-session-token-xxxxxxxxxxxxxxxx"  # noqa: S105 -- the bench's
QUERY = VehicleQuery(2019, "ford", "F-150")
PAGE = 20

MAKES = {
    "Ford": ("F-150", "Focus", "Escape", "Mustang"),
    "Toyota": ("Camry", "Corolla", "RAV4", "Tacoma"),
    "Honda": ("Civic", "Accord", "CR-V", "Pilot"),
    "Chevrolet": ("Silverado", "Malibu", "Equinox", "Tahoe"),
    "BMW": ("330i", "X3", "X5", "M3"),
}
ENGINES = ("2.0L I4", "3.5L V6", "5.0L V8")
VEHICLES = [
    Vehicle(year, make, model, ENGINES[(year + len(model)) % 3])
    for year in (2018, 2019, 2020)
    for make, models in MAKES.items()
    for model in models
]
# The F-150 of 2019 in both of its engines, typed as two order systems would.
VEHICLES += [Vehicle(2019, "FORD", "f-150", "3.5L V6"), Vehicle(2019, "Ford", "F-150 ", "5.0l v8")]

SESSION_ROW = "SELECT * FROM account_sessions WHERE id_hash = ?"

# The raw search: the account's links, their orders and the lines of the vehicle, newest
# first, as the port answers (the same columns the port's row types read).
RAW_SEARCH = """
SELECT o.number, o.placed_at, o.email, o.currency, o.email_key,
       l.line_no, l.part_number, l.part_key, l.brand, l.category, l.category_key,
       l.description, l.quantity, l.unit_price, l.core_charge, l.returnable,
       l.warranty_months, l.cancelled, l.returned, l.position, l.vehicle
FROM order_links AS k
JOIN orders AS o ON o.number = k.order_number
JOIN order_lines AS l ON l.order_number = o.number
WHERE k.account_id = ? AND {key} >= ? AND {key} < ?
ORDER BY o.placed_at DESC, o.number DESC"""
RAW_SEARCH_SQLITE = RAW_SEARCH.format(key="l.vehicle_key")
RAW_SEARCH_NO_INDEX = RAW_SEARCH.format(key="+l.vehicle_key")
RAW_SEARCH_PG = (
    RAW_SEARCH.format(key="l.vehicle_key")
    .replace("?", "%s")
    .replace("l.unit_price,", "l.unit_price::text,")
    .replace("l.core_charge,", "l.core_charge::text,")
)


def _orders(count: int, linked: int) -> tuple[list[Order], list[str]]:
    """``count`` orders (the first ``linked`` the account's, an hour apart, newest first)
    and the numbers of the account's."""
    chance = random.Random(14)
    orders = []
    for n in range(count):
        lines = [
            line(line_no, f"P-{chance.randrange(5000)}", vehicle=vehicle)
            for line_no in range(1, chance.randint(1, 3) + 1)
            for vehicle in [chance.choice(VEHICLES) if chance.random() < 1 / 3 else None]
        ]
        mine = n < linked
        email = "jane@example.com" if mine else f"shopper{n % 7000}@example.com"
        placed = T0 - timedelta(hours=n) if mine else T0 - timedelta(minutes=n)
        orders.append(make_order(f"7{n:08d}", email, placed_at=placed, lines=lines))
    return orders, [order.number for order in orders[:linked]]


def _fill(storage: Storage, orders: Sequence[Order], mine: Sequence[str]) -> None:
    with storage.unit_of_work(write=True) as uow:
        for start in range(0, len(orders), 1000):
            uow.orders.add_many(orders[start : start + 1000])
        uow.accounts.add(Account.sign_up(ACCOUNT, parse_email("jane@example.com"), T0).verified(T0))
        for number in mine:
            uow.accounts.link_order(OrderLink(ACCOUNT, number, T0, LinkedBy.VERIFIED_EMAIL))
        uow.sessions.put(
            AccountSession.start(TOKEN, ACCOUNT, T0, remember=True, lifetime=timedelta(days=14))
        )
        uow.commit()


def _raw_pages(rows: list[Any], limit: int) -> list[tuple[str, list[int]]]:
    """The first ``limit`` orders of raw search rows, each with its line numbers."""
    found: dict[str, list[int]] = {}
    for row in rows:
        if row[0] not in found and len(found) == limit:
            break
        found.setdefault(row[0], []).append(row[5])
    return [(number, sorted(lines)) for number, lines in found.items()]


def _port_pages(storage: Storage, limit: int) -> list[tuple[str, list[int]]]:
    with storage.unit_of_work() as uow:
        matches = uow.accounts.search_linked(ACCOUNT, QUERY, limit)
    return [(m.header.number, [ln.line_no for ln in m.lines]) for m in matches]


def _sqlite_rows(
    options: argparse.Namespace, folder: str, orders: list[Order], mine: list[str]
) -> list[str]:
    path = Path(folder) / "vehicles.db"
    url = f"sqlite:///{path}"
    storage = SqliteStorage.from_url(url)
    storage.migrate()
    started = time.perf_counter()
    _fill(storage, orders, mine)
    print(f"SQLite: {len(orders):,} orders stored in {time.perf_counter() - started:.1f} s")
    storage.close()
    raw = sqlite3.connect(path)
    low, high = vehicle_range(QUERY)
    raw_answer = _raw_pages(
        raw.execute(RAW_SEARCH_SQLITE, (ACCOUNT, low, high)).fetchall(), PAGE + 1
    )
    port = SqliteStorage.from_url(url)
    assert _port_pages(port, PAGE + 1) == raw_answer, "the port and the raw query disagree"
    no_index = raw.execute(RAW_SEARCH_NO_INDEX, (ACCOUNT, low, high)).fetchall()
    assert _raw_pages(no_index, PAGE + 1) == raw_answer
    desk = OrderStatus.open(
        storage=url,
        mail=f"mailbox:///{Path(folder) / 'mail'}",
        clock=FixedClock(T0 + timedelta(seconds=10)),  # within the touch minute: no write
    )
    shopper = desk.shopper(client="198.51.100.1", session=TOKEN)
    session_hash = hash_session_id(TOKEN)
    page = shopper.search(vehicle=QUERY, page_size=PAGE)
    assert isinstance(page, SearchPage), page
    assert [(m.header.number, [ln.line_no for ln in m.lines]) for m in page.matches] == (
        raw_answer[:PAGE]
    )

    def facade(_n: int) -> None:
        answer = shopper.search(vehicle=QUERY, page_size=PAGE)
        assert isinstance(answer, SearchPage)

    def raw_facade(_n: int) -> None:
        assert raw.execute(SESSION_ROW, (session_hash,)).fetchone() is not None
        raw_search(_n)

    def by_port(_n: int) -> None:
        with port.unit_of_work() as uow:
            uow.accounts.search_linked(ACCOUNT, QUERY, PAGE + 1)

    def raw_search(_n: int) -> None:
        _raw_pages(raw.execute(RAW_SEARCH_SQLITE, (ACCOUNT, low, high)).fetchall(), PAGE + 1)

    def raw_without_index(_n: int) -> None:
        _raw_pages(raw.execute(RAW_SEARCH_NO_INDEX, (ACCOUNT, low, high)).fetchall(), PAGE + 1)

    size = f"SQLite {len(orders) // 1000}k"
    rows = [
        _row(
            f"{size}: search by vehicle (facade)",
            *_interleaved(options.calls, facade, raw_facade),
            "",
        ),
        _row(
            f"{size}: search_linked (storage port)",
            *_interleaved(options.calls, by_port, raw_search),
            "",
        ),
        _row(
            f"{size}: raw without the vehicle index / raw with it",
            *_interleaved(options.calls, raw_without_index, raw_search),
            "",
        ),
    ]
    desk.close()
    port.close()
    raw.close()
    return rows


def _postgres_rows(options: argparse.Namespace, orders: list[Order], mine: list[str]) -> list[str]:
    import secrets

    import psycopg

    from orderstatus_postgres import PostgresStorage

    server = os.environ.get(
        "ORDERSTATUS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
    )
    schema = f"bench_vehicle_{secrets.token_hex(3)}"
    url = f"{server}?schema={schema}"
    storage = PostgresStorage.from_url(url)
    try:
        storage.migrate()
        started = time.perf_counter()
        _fill(storage, orders, mine)
        print(f"PostgreSQL: {len(orders):,} orders stored in {time.perf_counter() - started:.1f} s")
        raw = psycopg.connect(
            server, autocommit=True, options=f"-c search_path={schema} -c TimeZone=UTC"
        )
        raw.execute("ANALYZE")
        low, high = vehicle_range(QUERY)
        parameters = (ACCOUNT, low, high)
        raw_answer = _raw_pages(raw.execute(RAW_SEARCH_PG, parameters).fetchall(), PAGE + 1)
        assert _port_pages(storage, PAGE + 1) == raw_answer, "the port and the raw query disagree"

        def by_port(_n: int) -> None:
            with storage.unit_of_work() as uow:
                uow.accounts.search_linked(ACCOUNT, QUERY, PAGE + 1)

        def raw_search(_n: int) -> None:
            _raw_pages(raw.execute(RAW_SEARCH_PG, parameters, prepare=True).fetchall(), PAGE + 1)

        size = f"PostgreSQL {len(orders) // 1000}k"
        rows = [
            _row(
                f"{size}: search_linked (storage port)",
                *_interleaved(options.calls, by_port, raw_search),
                "",
            )
        ]
        raw.close()
        return rows
    finally:
        storage.close()
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[10_000])
    parser.add_argument("--linked", type=int, default=300)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--postgres", action="store_true")
    options = parser.parse_args()
    load = os.getloadavg()[0]
    rows: list[str] = []
    for count in options.orders:
        orders, mine = _orders(count, options.linked)
        with tempfile.TemporaryDirectory() as folder:
            rows += _sqlite_rows(options, folder, orders, mine)
        if options.postgres:
            rows += _postgres_rows(options, orders, mine)
    print(
        f"\n{options.linked} linked orders; load {load:.2f} before, {os.getloadavg()[0]:.2f} "
        f"after; {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}\n"
    )
    print(
        "| path | ours p50 (µs) | ours p99 | raw p50 (µs) | raw p99 | ours / raw "
        "| p50 over raw (µs) | |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    print(*rows, sep="\n")


if __name__ == "__main__":
    main()
