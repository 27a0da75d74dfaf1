"""Rough numbers for the SQLite adapter: import rate and get() against raw sqlite3.

Not a test (nothing here is collected or asserted); run it by hand::

    .venv/bin/python bench/sqlite_adapter.py --orders 100000

It imports ``--orders`` synthetic orders (1 to 5 lines from a 5,000-part catalogue, 200
categories, about half with shipped packages, one shopper per 5 orders) into a fresh file
in one write unit, timing only the ``add()`` calls, then times ``get()`` of random orders
inside one open read unit against the same three queries run on a raw ``sqlite3``
connection with ``fetchall()`` (the floor: what any adapter must at least do).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orderstatus_core import (
    Address,
    CategoryPath,
    CategoryQuery,
    EmailAddress,
    Money,
    Order,
    OrderLine,
    Package,
    PackedUnits,
    PartNumber,
    PartNumberQuery,
    PhoneNumber,
)
from orderstatus_sqlite import SqliteStorage
from orderstatus_sqlite.storage import QUERIES

START = datetime(2020, 1, 1, tzinfo=UTC)
CATEGORIES = [
    CategoryPath((f"Department {d}", f"Group {g}", f"Kind {k}"))
    for d in range(5)
    for g in range(8)
    for k in range(5)
]
PARTS = [PartNumber(f"{random.choice('ABCDEFGH')}{n:05d}-{n % 97:02d}") for n in range(5000)]
PRICES = [Money(f"{p}.{c:02d}", "USD") for p in range(1, 200, 7) for c in (0, 49, 99)]
ZERO = Money("0", "USD")
ADDRESS = Address(
    name="Jane Doe",
    line1="742 Evergreen Terrace",
    city="Springfield",
    region="IL",
    postal_code="62701",
    country="US",
)


def email(n: int) -> EmailAddress:
    """Shopper ``n``'s address."""
    return EmailAddress(display=f"Shopper.{n}@Example.com", canonical=f"shopper.{n}@example.com")


def make_orders(count: int, rng: random.Random) -> Iterator[Order]:
    """``count`` synthetic orders, numbered 100000000 and up, in random time order."""
    shoppers = max(1, count // 5)
    for n in range(count):
        placed = START + timedelta(seconds=rng.randrange(5 * 365 * 86400))
        lines = tuple(
            OrderLine(
                line_no=i,
                part_number=rng.choice(PARTS),
                brand="Wagner",
                category=rng.choice(CATEGORIES),
                description="Ceramic brake pads, front axle",
                quantity=rng.randint(1, 4),
                unit_price=rng.choice(PRICES),
                core_charge=ZERO,
            )
            for i in range(1, rng.randint(1, 5) + 1)
        )
        packages: tuple[Package, ...] = ()
        if rng.random() < 0.5:
            packages = (
                Package(
                    package_id="P1",
                    warehouse="Columbus, OH",
                    units=tuple(PackedUnits(line.line_no, line.quantity) for line in lines),
                    carrier="UPS",
                    tracking_number="1Z999AA10123456784",
                    shipped_at=placed + timedelta(days=1),
                    delivered_at=placed + timedelta(days=3),
                ),
            )
        yield Order(
            number=str(100_000_000 + n),
            placed_at=placed,
            email=email(rng.randrange(shoppers)),
            shipping_address=ADDRESS,
            currency="USD",
            lines=lines,
            shipping=Money("9.99", "USD"),
            tax=Money("2.00", "USD"),
            phone=PhoneNumber("+14155552671"),
            packages=packages,
        )


def per_call_us(call: Callable[[str], object], arguments: list[str], repeat: int = 7) -> float:
    """Best-of-``repeat`` mean microseconds per call of ``call(argument)``."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        for argument in arguments:
            call(argument)
        runs.append((time.perf_counter() - started) / len(arguments) * 1e6)
    return min(runs)


def main() -> None:
    """Import, then time get() and raw SQL; print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--gets", type=int, default=10_000)
    parser.add_argument("--dir", default=None, help="where to put the database file")
    options = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory(dir=options.dir) as folder:
        path = Path(folder) / "bench.db"
        storage = SqliteStorage(path)
        storage.migrate()
        spent = 0.0
        wall = time.perf_counter()
        with storage.unit_of_work(write=True) as uow:
            for order in make_orders(options.orders, rng):
                started = time.perf_counter()
                uow.orders.add(order)
                spent += time.perf_counter() - started
            started = time.perf_counter()
            uow.commit()
            spent += time.perf_counter() - started
        wall = time.perf_counter() - wall
        print(
            f"import: {options.orders} orders, add()+commit {spent:.1f} s = "
            f"{options.orders / spent:,.0f} orders/s (with building the orders: "
            f"{options.orders / wall:,.0f} orders/s); file {path.stat().st_size / 1e6:.0f} MB"
        )

        numbers = [str(100_000_000 + rng.randrange(options.orders)) for _ in range(options.gets)]
        raw = sqlite3.connect(path, isolation_level=None)
        raw.execute("PRAGMA foreign_keys = ON")
        sql = QUERIES["get_order"]  # one statement: the order, its lines and packages

        def raw_get(number: str) -> None:
            raw.execute(sql, (number,)).fetchall()

        raw.execute("BEGIN")
        raw_us = per_call_us(raw_get, numbers)
        raw.execute("ROLLBACK")
        with storage.unit_of_work() as uow:
            get_us = per_call_us(uow.orders.get, numbers)

        def unit_get(number: str) -> None:
            with storage.unit_of_work() as uow:
                uow.orders.get(number)

        unit_us = per_call_us(unit_get, numbers)
        print(
            f"get: raw SQL {raw_us:.1f} us, get() {get_us:.1f} us "
            f"({get_us / raw_us:.2f}x raw); a read unit around each get() {unit_us:.1f} us"
        )

        shoppers = [
            email(rng.randrange(max(1, options.orders // 5))).canonical for _ in range(2000)
        ]
        with storage.unit_of_work() as uow:
            times = []
            for shopper in shoppers:
                started = time.perf_counter()
                uow.orders.search(shopper, PartNumberQuery(rng.choice(PARTS)), 11)
                uow.orders.search(shopper, CategoryQuery(CATEGORIES[0]), 11)
                uow.orders.recent(shopper, 10)
                times.append((time.perf_counter() - started) * 1e6 / 3)
        print(f"search/recent: median {statistics.median(times):.1f} us per query")
        raw.close()
        storage.close()


if __name__ == "__main__":
    main()
