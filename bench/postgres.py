"""Find-order on PostgreSQL, side by side with raw psycopg, and throughput by threads.

Not a test (nothing here is collected or asserted); run it by hand against a server::

    python bench/postgres.py --size 1000000 --queries 2000

**The store.** ``--size`` orders from ``orderstatus_core.sample.generate_orders(seed=1)``
are kept in the schema ``bench_orders_<size>`` of ``--url``'s database and reused by later
runs (``--reload`` builds it again). Loading does not go through ``add()`` one order per
round trip, which would take an hour at 1M: each generated record is structured into an
:class:`~orderstatus_core.Order` by the library's converter (full validation, as an
import does), turned into *exactly the parameters* ``add()`` binds
(``orderstatus_postgres._rows.order_parameters`` and ``children_parameters``), and those rows
are sent with ``COPY`` in batches, one transaction each, with
``session_replication_role = replica`` so that the foreign-key triggers do not fire per row
(the rows are consistent by construction; this needs a superuser). The migration's indexes
are in place while loading. A sample of orders is then read back through the adapter and
compared with the same records structured again: they must be equal. ``VACUUM ANALYZE``
ends the load.

**Latency** (``--queries`` random orders of distinct shoppers, interleaved call by call,
the first tenth left out as warm-up), in microseconds:

* ``find-order``: ``OrderStatus.find_order`` end to end (canonical key, three rate-limit
  hits on the in-process limiter, one read unit with its pooled connection, ``get()``
  and the model, the ownership check, the masked view);
* ``get()``: the adapter alone, a read unit and ``get()``;
* ``raw 1 query``: the same single statement ``get()`` sends (order, lines and packages as
  JSON), on a plain autocommit psycopg connection, prepared, rows fetched and nothing built;
* ``raw 3 queries``: what one writes by hand: ``SELECT *`` of the order, of its lines, and
  of its packages joined with their units, prepared, on the same raw connection.

**Throughput**: 1, 4 and 16 threads calling ``find_order`` on random orders for
``--seconds`` each (a pool of 16 connections; a rate limiter that always allows, so that
every call does the full work), and the same with ``raw 1 query`` on one connection per
thread. Results are printed as Markdown for ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg

from orderstatus_core import Order, OrderFound, OrderStatus, RateDecision
from orderstatus_core.sample import generate_orders
from orderstatus_core.serialization import converter
from orderstatus_core.testing import RecordingMailer
from orderstatus_postgres import PostgresStorage
from orderstatus_postgres._rows import children_parameters, order_parameters
from orderstatus_postgres._sql import GET_ORDER

SERVER = "postgresql://postgres@127.0.0.1:5432/test"
BATCH = 20_000
SAMPLE_EVERY = 5_000

ORDER_COLUMNS = (
    "number, placed_at, email, email_key, phone, currency, ship_name, ship_line1, ship_line2, "
    "ship_city, ship_region, ship_postal_code, ship_country, shipping, tax, version, "
    "shipping_speed, activity"
)
ORDER_KEYS = [name.strip() for name in ORDER_COLUMNS.split(",")]
LINE_COLUMNS = (
    "order_number, line_no, position, part_number, part_key, brand, category, category_key, "
    "description, quantity, unit_price, core_charge, returnable, warranty_months, cancelled, "
    "returned"
)
LINE_KEYS = [
    "line_no",
    "line_position",
    "part_number",
    "part_key",
    "brand",
    "category",
    "category_key",
    "description",
    "quantity",
    "unit_price",
    "core_charge",
    "returnable",
    "warranty_months",
    "cancelled",
    "returned",
]
PACKAGE_COLUMNS = (
    "order_number, position, package_id, warehouse, carrier, tracking_number, shipped_at, "
    "delivered_at, opened_at"
)
PACKAGE_KEYS = [
    "package_position",
    "package_id",
    "warehouse",
    "carrier",
    "tracking_number",
    "shipped_at",
    "delivered_at",
    "opened_at",
]
UNIT_COLUMNS = "order_number, package_position, position, line_no, quantity"
UNIT_KEYS = ["unit_package", "unit_position", "unit_line_no", "unit_quantity"]

RAW_ORDER = "SELECT * FROM orders WHERE number = %s"
RAW_LINES = "SELECT * FROM order_lines WHERE order_number = %s"
RAW_PACKAGES = (
    "SELECT p.*, u.line_no, u.quantity FROM packages p JOIN package_units u"
    " ON u.order_number = p.order_number AND u.package_position = p.position"
    " WHERE p.order_number = %s ORDER BY p.position, u.position"
)


class Unlimited:
    """A rate limiter that allows everything: the throughput runs repeat orders."""

    def hit(self, buckets: object, now: datetime) -> RateDecision:
        """Always allowed."""
        return RateDecision(allowed=True)


def url_of(server: str, schema: str, **options: object) -> str:
    query = "&".join(f"{key}={value}" for key, value in {"schema": schema, **options}.items())
    return f"{server}{'&' if '?' in server else '?'}{query}"


def connect(server: str, schema: str) -> psycopg.Connection[Any]:
    options = f"-c search_path={schema} -c TimeZone=UTC"
    return psycopg.connect(server, autocommit=True, options=options)


# --- loading -----------------------------------------------------------------------------


def stored_size(server: str, schema: str) -> int | None:
    """How many orders the kept schema holds, or None if it is missing or incomplete."""
    with psycopg.connect(server, autocommit=True) as connection:
        row = connection.execute(
            "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = 'orderstatus_schema'",
            (schema,),
        ).fetchone()
        if row is None:
            return None
        done = connection.execute(f"SELECT count(*) FROM {schema}.orders").fetchone()
    return None if done is None else int(done[0])


def rows_of(order: Order) -> tuple[tuple[Any, ...], list[Any], list[Any], list[Any]]:
    """The rows add() would write for ``order``: its parameters, as COPY rows."""
    parameters = order_parameters(order)
    activity = parameters["activity"]
    parameters["activity"] = None if activity is None else activity.dumps(activity.obj)
    children = children_parameters(order)
    number = order.number
    order_row = tuple(parameters[key] for key in ORDER_KEYS)
    lines = [(number, *values) for values in zip(*(children[k] for k in LINE_KEYS), strict=True)]
    packages = [
        (number, *values) for values in zip(*(children[k] for k in PACKAGE_KEYS), strict=True)
    ]
    units = [(number, *values) for values in zip(*(children[k] for k in UNIT_KEYS), strict=True)]
    return order_row, lines, packages, units


def load(server: str, schema: str, size: int) -> dict[str, float]:
    """Build the schema with ``size`` orders; the seconds each part took."""
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    storage = PostgresStorage.from_url(url_of(server, schema))
    storage.migrate()
    storage.close()
    timings = {"python": 0.0, "copy": 0.0}
    samples: list[dict[str, Any]] = []
    started = time.perf_counter()
    with connect(server, schema) as connection:
        connection.execute("SET session_replication_role = replica")
        records = generate_orders(size, seed=1)
        loaded = 0
        while loaded < size:
            tick = time.perf_counter()
            orders, lines, packages, units = [], [], [], []
            for index, record in zip(range(min(BATCH, size - loaded)), records, strict=False):
                if (loaded + index) % SAMPLE_EVERY == 0:
                    samples.append(record)
                order_row, order_lines, order_packages, order_units = rows_of(
                    converter.structure(record, Order)
                )
                orders.append(order_row)
                lines += order_lines
                packages += order_packages
                units += order_units
            timings["python"] += time.perf_counter() - tick
            tick = time.perf_counter()
            with connection.transaction(), connection.cursor() as cursor:
                for table, columns, rows in (
                    ("orders", ORDER_COLUMNS, orders),
                    ("order_lines", LINE_COLUMNS, lines),
                    ("packages", PACKAGE_COLUMNS, packages),
                    ("package_units", UNIT_COLUMNS, units),
                ):
                    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            timings["copy"] += time.perf_counter() - tick
            loaded += len(orders)
            print(f"  {loaded:,} orders loaded, {time.perf_counter() - started:.0f} s", flush=True)
        tick = time.perf_counter()
        connection.execute("VACUUM ANALYZE")
        timings["vacuum_analyze"] = time.perf_counter() - tick
    timings["total"] = time.perf_counter() - started
    check(server, schema, samples)
    return timings


def check(server: str, schema: str, records: list[dict[str, Any]]) -> None:
    """The sampled orders read back through the adapter equal the records structured."""
    storage = PostgresStorage.from_url(url_of(server, schema))
    with storage.unit_of_work() as uow:
        for record in records:
            expected = converter.structure(record, Order)
            if uow.orders.get(expected.number) != expected:
                raise SystemExit(f"order {expected.number} does not read back equal")
    storage.close()
    print(f"  {len(records)} sampled orders read back equal through the adapter")


# --- measuring ---------------------------------------------------------------------------


def targets(server: str, schema: str, count: int, seed: int) -> list[tuple[str, str]]:
    """``count`` random (number, email) pairs with distinct emails, picked by seeking the
    first order at or after a random nine-digit number (O(log n) each)."""
    rng = random.Random(seed)
    picked: dict[str, tuple[str, str]] = {}
    with connect(server, schema) as connection:
        for _attempt in range(count * 20):
            if len(picked) == count:
                break
            row = connection.execute(
                "SELECT number, email, email_key FROM orders WHERE number >= %s "
                "ORDER BY number LIMIT 1",
                (str(rng.randrange(10**8, 10**9)),),
            ).fetchone()
            if row is not None and row[2] not in picked:
                picked[row[2]] = (row[0], row[1])
    return list(picked.values())


def micros(call: Callable[[], object]) -> float:
    started = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - started) / 1000


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def latency(server: str, schema: str, queries: int) -> dict[str, list[float]]:
    """Interleaved timings of each side, warm-up left out."""
    picks = targets(server, schema, queries, seed=7)
    raw = connect(server, schema)
    desk = OrderStatus.open(
        storage=PostgresStorage.from_url(url_of(server, schema)), mail=RecordingMailer()
    )
    storage = desk.context.storage

    def ours(index: int, number: str, email: str) -> None:
        found = desk.find_order(email, number, client=f"10.1.{index // 250}.{index % 250}")
        assert isinstance(found, OrderFound), found

    def get(number: str) -> None:
        with storage.unit_of_work() as uow:
            assert uow.orders.get(number) is not None

    def raw_one(number: str) -> None:
        assert raw.execute(GET_ORDER, (number,), prepare=True).fetchone() is not None

    def raw_three(number: str) -> None:
        assert raw.execute(RAW_ORDER, (number,), prepare=True).fetchone() is not None
        raw.execute(RAW_LINES, (number,), prepare=True).fetchall()
        raw.execute(RAW_PACKAGES, (number,), prepare=True).fetchall()

    sides: dict[str, Callable[[int, str, str], None]] = {
        "find-order": ours,
        "get()": lambda _i, number, _e: get(number),
        "raw 1 query": lambda _i, number, _e: raw_one(number),
        "raw 3 queries": lambda _i, number, _e: raw_three(number),
    }
    times: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for index, (number, email) in enumerate(picks):
        # Rotate who goes first, so that no side always reads the pages another warmed.
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(micros(lambda: sides[name](index, number, email)))  # noqa: B023 - called at once
    desk.close()
    desk.context.storage.close()  # passed in as an object, so ours to close
    raw.close()
    warm = len(picks) // 10
    return {name: values[warm:] for name, values in times.items()}


def throughput(server: str, schema: str, threads: int, seconds: float) -> tuple[float, float]:
    """Calls per second of find_order and of raw 1 query with ``threads`` threads."""
    picks = targets(server, schema, 2000, seed=11)
    storage = PostgresStorage.from_url(url_of(server, schema, pool_min=threads, pool_max=16))
    desk = OrderStatus.open(storage=storage, mail=RecordingMailer(), rate_limits=Unlimited())

    def run(work: Callable[[int, int], None]) -> float:
        counts = [0] * threads
        start = threading.Barrier(threads + 1)
        stop = threading.Event()

        def worker(me: int) -> None:
            start.wait()
            calls = 0
            while not stop.is_set():
                work(me, calls)
                calls += 1
            counts[me] = calls

        workers = [threading.Thread(target=worker, args=(me,)) for me in range(threads)]
        for thread in workers:
            thread.start()
        start.wait()
        began = time.perf_counter()
        time.sleep(seconds)
        stop.set()
        for thread in workers:
            thread.join()
        return sum(counts) / (time.perf_counter() - began)

    def find(me: int, calls: int) -> None:
        number, email = picks[(me * 7919 + calls) % len(picks)]
        desk.find_order(email, number, client=f"t{me}")

    connections = [connect(server, schema) for _ in range(threads)]

    def raw(me: int, calls: int) -> None:
        number, _email = picks[(me * 7919 + calls) % len(picks)]
        connections[me].execute(GET_ORDER, (number,), prepare=True).fetchone()

    ours = run(find)
    floor = run(raw)
    desk.close()
    storage.close()  # passed in as an object, so ours to close
    for connection in connections:
        connection.close()
    return ours, floor


def machine(server: str) -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for row in info:
                if row.startswith("model name"):
                    cpu = row.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with psycopg.connect(server) as connection:
        version = connection.info.server_version
    return (
        f"{cpu} ({os.cpu_count()} cores), {platform.machine()}, Python "
        f"{platform.python_version()}, psycopg {psycopg.__version__} "
        f"({psycopg.pq.__impl__}), PostgreSQL {version // 10000}.{version % 10000}, "
        "server on the same machine over TCP (127.0.0.1)"
    )


def main(argv: list[str] | None = None) -> int:
    """Load (or reuse) the store, then print the Markdown tables."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", default=SERVER, help="the server (without ?schema=)")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", default="1,4,16")
    parser.add_argument("--reload", action="store_true", help="build the schema again")
    args = parser.parse_args(argv)
    schema = f"bench_orders_{args.size}"
    print(f"Machine: {machine(args.url)}\n")
    if args.reload or stored_size(args.url, schema) != args.size:
        print(f"Loading {args.size:,} orders into {schema}:")
        timings = load(args.url, schema, args.size)
        print(
            f"\nLoad: {timings['total']:.0f} s in all ({args.size / timings['total']:,.0f} "
            f"orders/s): structuring and row building {timings['python']:.0f} s, COPY "
            f"{timings['copy']:.0f} s, VACUUM ANALYZE {timings['vacuum_analyze']:.0f} s\n"
        )
    else:
        print(f"Reusing {schema} ({args.size:,} orders)\n")

    times = latency(args.url, schema, args.queries)
    one = statistics.median(times["raw 1 query"])
    three = statistics.median(times["raw 3 queries"])
    print(f"Latency, {len(times['get()'])} orders ({args.size:,} stored), microseconds:\n")
    print("| side | median | p99 | vs raw 1 query | vs raw 3 queries |")
    print("|---|---:|---:|---:|---:|")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"| {name} | {median:.1f} | {p99(values):.1f} | {median / one:.2f}x | "
            f"{median / three:.2f}x |"
        )
    print("\nThroughput, calls per second:\n")
    print("| threads | find-order | raw 1 query |")
    print("|---:|---:|---:|")
    for threads in (int(n) for n in args.threads.split(",")):
        ours, floor = throughput(args.url, schema, threads, args.seconds)
        print(f"| {threads} | {ours:,.0f} | {floor:,.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
