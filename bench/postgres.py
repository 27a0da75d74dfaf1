"""The PostgreSQL side of the comparison (``bench/run.py --postgres URL``), and
throughput by threads.

``python bench/run.py --postgres URL --postgres-sizes 100000`` compares every path on
PostgreSQL; ``python bench/postgres.py --size 100000`` prints find-order's throughput with
1, 4 and 16 threads against the raw statement's.

**The store.** ``size`` orders from ``orderstatus_core.sample.generate_orders(seed=1)``
are kept in the schema ``bench_orders_<size>`` of the server's database and reused by later
runs (``--reload`` builds it again). Loading does not go through ``add()`` one order per
round trip, which would take an hour at 1M: each generated record is structured into an
:class:`~orderstatus_core.Order` by the library's converter (full validation, as an
import does), turned into *exactly the rows* ``add_many()`` copies
(``orderstatus_postgres._rows.table_rows``), and those rows are sent with the adapter's own
``COPY`` statements in batches, one transaction each, with
``session_replication_role = replica`` so that the foreign-key triggers do not fire per row
(the rows are consistent by construction; this needs a superuser). The migration's indexes
are in place while loading. A sample of orders is then read back through the adapter and
compared with the same records structured again: they must be equal. ``VACUUM ANALYZE``
ends the load.

**Raw side**: one autocommit psycopg connection, statements prepared. Find-order sends the
same single statement the adapter's ``get_for_contact()`` sends (order, lines and packages
as JSON), so the difference is the library's Python side; search, Order Look-Up and the
import's ``executemany`` are written by hand (see ``bench/run.py``).

**Instructions** (``--instructions PATH``): find-order's client work counted by callgrind,
which the neighbours' load does not move (see ``bench/instructions.py`` for SQLite)::

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=starmap_next \\
        --callgrind-out-file=/tmp/cg.out python bench/postgres.py --instructions find
    callgrind_annotate /tmp/cg.out | grep 'PROGRAM TOTALS'     # divide by --count

``find`` is ``find_order`` by email as ``run.py`` calls it, ``raw-find`` the raw side's
``find``; ``search`` and ``raw-search`` the search by category (the address parsed
before, as ``run.py`` does); ``unit`` the read-once unit with ``get_for_contact``
(checkout, the statement, its row, the order decoded, check-in), ``decode`` the row to
an ``Order`` alone. Only the named path runs inside ``itertools.starmap``, ``--count``
calls after 50 to warm up, the raw read between the library's calls. The server's work
is in another process: not counted.

**Throughput**: 1, 4 and 16 threads calling ``find_order`` on random orders for
``--seconds`` each (a pool of 16 connections; a rate limiter that always allows, so that
every call does the full work), and the same with the raw statement on one connection per
thread.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
import run
from raw_rows import SEPARATOR, amount, moment, record_rows
from run import Found, Matches, Target, fold, found_of, pick_targets, recent_for_mailbox

from orderstatus_core import Order, OrderStatus, RateDecision, parse_email
from orderstatus_core.sample import generate_orders
from orderstatus_core.serialization import converter
from orderstatus_core.testing import RecordingMailer
from orderstatus_postgres import PostgresStorage
from orderstatus_postgres._rows import order as order_of_row
from orderstatus_postgres._rows import table_rows
from orderstatus_postgres._sql import (
    COPY_LINES,
    COPY_ORDERS,
    COPY_PACKAGES,
    COPY_UNITS,
    GET_ORDER,
    GET_ORDER_FOR_CONTACT,
)

SERVER = "postgresql://postgres@127.0.0.1:5432/test"
BATCH = 20_000
SAMPLE_EVERY = 5_000


def columns_of(copy: str) -> str:
    """The column list of one of the adapter's ``COPY table (columns) FROM STDIN``."""
    return " ".join(copy.split("(", 1)[1].split(")", 1)[0].split())


#: The adapter's COPY statements, in the order of ``table_rows``' tables.
COPY_STATEMENTS = (COPY_ORDERS, COPY_LINES, COPY_PACKAGES, COPY_UNITS)

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

    def close(self) -> None:
        """Nothing to release."""


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
            batch = []
            for index, record in zip(range(min(BATCH, size - loaded)), records, strict=False):
                if (loaded + index) % SAMPLE_EVERY == 0:
                    samples.append(record)
                batch.append(converter.structure(record, Order))
            tables = table_rows(batch)
            timings["python"] += time.perf_counter() - tick
            tick = time.perf_counter()
            with connection.transaction(), connection.cursor() as cursor:
                for statement, rows in zip(COPY_STATEMENTS, tables, strict=True):
                    with cursor.copy(statement) as copy:
                        for row in rows:
                            copy.write_row(row)
            timings["copy"] += time.perf_counter() - tick
            loaded += len(batch)
            print(
                f"  {loaded:,} orders loaded, {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
                flush=True,
            )
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
    print(f"  {len(records)} sampled orders read back equal through the adapter", file=sys.stderr)


# --- the comparison's PostgreSQL side (bench/run.py --postgres) ------------------------


def unreachable(server: str) -> str | None:
    """Why ``server`` cannot be used, or None."""
    try:
        with psycopg.connect(server, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"{server} is unreachable ({str(error).strip().splitlines()[0]})"


def version(server: str) -> str:
    with psycopg.connect(server) as connection:
        number = connection.info.server_version
    return (
        f"PostgreSQL {number // 10000}.{number % 10000} (psycopg {psycopg.__version__}, "
        f"{psycopg.pq.__impl__}; TCP)"
    )


def store(server: str, size: int) -> str:
    """The schema holding ``size`` generated orders, loaded with COPY if missing."""
    schema = f"bench_orders_{size}"
    if stored_size(server, schema) != size:
        print(f"Loading {size:,} orders into {schema} ...", file=sys.stderr, flush=True)
        load(server, schema, size)
    return schema


@contextmanager
def desk(server: str, schema: str) -> Iterator[OrderStatus]:
    """The library on ``schema``: its own pool, the default rate limiter, recorded mail."""
    with OrderStatus.open(storage=url_of(server, schema), mail=RecordingMailer()) as opened:
        opened.migrate()  # a schema kept from a run of an older version
        yield opened


class PostgresRaw:
    """The raw side on one schema: one autocommit psycopg connection, prepared statements.

    Find-order sends the very statement the adapter sends (the order with its lines and
    packages as JSON, one round trip), so the difference is the library's Python side.
    """

    engine = "PostgreSQL"

    def __init__(self, server: str, schema: str) -> None:
        self._db = connect(server, schema)

    def targets(self, count: int, seed: int) -> list[Target]:
        def one(sql: str, parameters: tuple[Any, ...]) -> Any:
            return self._db.execute(sql.replace("?", "%s"), parameters).fetchone()

        return pick_targets(one, count, seed)

    def find(self, number: str, contact: str) -> Found | None:
        row = self._db.execute(
            GET_ORDER_FOR_CONTACT, (number, contact, contact), prepare=True
        ).fetchone()
        if row is None:
            return None
        lines, packages = row[-2] or (), row[-1] or ()
        return (
            number,
            frozenset((line[0], line[1], line[7], Decimal(line[8])) for line in lines),
            tuple(
                (p[0], p[2], p[3], tuple((unit[0], unit[1]) for unit in p[7] or ()))
                for p in packages
            ),
        )

    def search_part(self, email_key: str, part_key: str, limit: int) -> Matches:
        cursor = self._db.execute(RAW_SEARCH_PART, (email_key, part_key), prepare=True)
        return fold(iter(cursor), limit)

    def search_category(self, email_key: str, key: str, limit: int) -> Matches:
        parameters = (email_key, key, key + SEPARATOR, key + chr(ord(SEPARATOR) + 1))
        cursor = self._db.execute(RAW_SEARCH_CATEGORY, parameters, prepare=True)
        return fold(iter(cursor), limit)

    def look_up(self, email_key: str, size: int) -> tuple[str, ...]:
        with self._db.transaction():
            rows = self._db.execute(RAW_RECENT, (email_key, size), prepare=True).fetchall()
            numbers = recent_for_mailbox(rows)
            payload = json.dumps({"email_key": email_key, "order_numbers": numbers})
            self._db.execute(RAW_OUTBOX, (uuid.uuid4().hex, "order_list", payload), prepare=True)
        return numbers

    def clear_outbox(self) -> None:
        self._db.execute("DELETE FROM outbox")

    def close(self) -> None:
        self._db.close()


# The SQLite side's statements, with psycopg's placeholders: both raw sides ask alike.
RAW_SEARCH_PART = run.SEARCH_PART.replace("?", "%s")
RAW_SEARCH_CATEGORY = run.SEARCH_CATEGORY.replace("?", "%s")
RAW_RECENT = run.RECENT.replace("?", "%s")
RAW_OUTBOX = (
    "INSERT INTO outbox (message_id, created_at, kind, payload, attempts)"
    " VALUES (%s, now(), %s, %s, 0)"
)
INSERTS = {
    table: "INSERT INTO {table} ({columns}) VALUES ({values})".format(
        table=table,
        columns=columns,
        values=", ".join(["%s"] * len(columns.split(","))),
    )
    for table, columns in (
        ("orders", columns_of(COPY_ORDERS).replace(", activity", "")),
        ("order_lines", columns_of(COPY_LINES)),
        ("packages", columns_of(COPY_PACKAGES)),
        ("package_units", columns_of(COPY_UNITS)),
    )
}


class PostgresImport:
    """A fresh schema (the library's migrations) that raw ``executemany`` loads into."""

    def __init__(self, server: str, schema: str) -> None:
        self._db = connect(server, schema)

    def load(self, texts: Sequence[str]) -> None:
        tables: dict[str, list[tuple[Any, ...]]] = {name: [] for name in INSERTS}
        for text in texts:
            order, lines, packages, units = record_rows(json.loads(text), moment, amount)
            tables["orders"].append((*order[:15], 1, order[15]))
            tables["order_lines"] += lines
            tables["packages"] += packages
            tables["package_units"] += units
        with self._db.transaction(), self._db.cursor() as cursor:
            for name, sql in INSERTS.items():
                cursor.executemany(sql, tables[name])

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        return {
            name: self._db.execute(f"SELECT * FROM {name} ORDER BY 1, 2, 3").fetchall()
            for name in INSERTS
        }

    def close(self) -> None:
        self._db.close()


def fresh_schema(server: str, schema: str) -> None:
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    storage = PostgresStorage.from_url(url_of(server, schema))
    storage.migrate()
    storage.close()


def compare_import(server: str, orders: int, chunk: int) -> dict[str, float]:
    """Import into two fresh schemas, the library's and the raw loader's; dropped after."""
    schemas = ("bench_import_library", "bench_import_raw")
    for schema in schemas:
        fresh_schema(server, schema)
    raw = PostgresImport(server, schemas[1])
    library_rows = PostgresImport(server, schemas[0])
    try:
        with desk(server, schemas[0]) as opened:
            return run.compare_import(
                lambda texts: opened.import_orders(texts),
                raw,
                library_rows.rows,
                orders,
                chunk,
            )
    finally:
        raw.close()
        library_rows.close()
        with psycopg.connect(server, autocommit=True) as connection:
            for schema in schemas:
                connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


# --- throughput ------------------------------------------------------------------------------


def throughput(server: str, schema: str, threads: int, seconds: float) -> tuple[float, float]:
    """Calls per second of find_order and of raw 1 query with ``threads`` threads."""
    raw_side = PostgresRaw(server, schema)
    picks = [(target.number, target.email) for target in raw_side.targets(2000, seed=11)]
    raw_side.close()
    storage = PostgresStorage.from_url(url_of(server, schema, pool_min=threads, pool_max=16))
    desk = OrderStatus.open(storage=storage, mail=RecordingMailer(), rate_limits=Unlimited())

    def rate(work: Callable[[int, int], None]) -> float:
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

    ours = rate(find)
    floor = rate(raw)
    desk.close()
    storage.close()  # passed in as an object, so ours to close
    for connection in connections:
        connection.close()
    return ours, floor


# --- instructions ------------------------------------------------------------------------

INSTRUCTION_PATHS = ("find", "raw-find", "unit", "decode", "search", "raw-search")


def count_instructions(server: str, schema: str, chosen: str, count: int) -> None:
    """Run every path on ``count`` + 50 targets, ``chosen`` inside ``starmap`` from the 51st."""

    def counted(name: str, call: Callable[[], Any], now: str) -> Any:
        if name != now:
            return call()
        return collections.deque(itertools.starmap(call, ((),)), maxlen=1)[0]

    raw = PostgresRaw(server, schema)
    targets = raw.targets(count + 50, seed=13)
    with desk(server, schema) as opened:
        storage = opened.context.storage

        def unit(number: str, contact: str) -> Order | None:
            with storage.unit_of_work(read_once=True) as uow:
                return uow.orders.get_for_contact(number, contact)

        for index, target in enumerate(targets):
            now = chosen if index >= 50 else ""
            key = target.email.lower()
            number = target.number
            counted("raw-find", lambda: raw.find(number, key), now)  # noqa: B023 - at once
            client = f"count-{index}"
            found = counted(
                "find",
                lambda: opened.find_order(target.email, number, client=client),  # noqa: B023
                now,
            )
            if found_of(found) != raw.find(number, key):
                raise SystemExit(f"order {number}: the library and the raw read differ")
            category, email = target.category, parse_email(target.email)
            counted(
                "search",
                lambda: opened.search_orders(email, category=category),  # noqa: B023
                now,
            )
            counted(
                "raw-search",
                lambda: raw.search_category(key, category.lower(), 20),  # noqa: B023
                now,
            )
            order = counted("unit", lambda: unit(number, key), now)  # noqa: B023
            row = raw._db.execute(GET_ORDER, (number,), prepare=True).fetchone()
            if counted("decode", lambda: order_of_row(number, row), now) != order:  # noqa: B023
                raise SystemExit(f"order {number}: decoded twice, two answers")
    raw.close()


def main(argv: list[str] | None = None) -> int:
    """Load (or reuse) the store, then print the throughput table (or count instructions)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", default=SERVER, help="the server (without ?schema=)")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", default="1,4,16")
    parser.add_argument("--reload", action="store_true", help="build the schema again")
    parser.add_argument("--instructions", choices=INSTRUCTION_PATHS, help="under callgrind")
    parser.add_argument("--count", type=int, default=200, help="counted calls (--instructions)")
    args = parser.parse_args(argv)
    schema = f"bench_orders_{args.size}"
    if args.instructions:
        count_instructions(args.url, store(args.url, args.size), args.instructions, args.count)
        return 0
    print(f"Machine: {run.cpu()} ({os.cpu_count()} cores), {version(args.url)}\n")
    if args.reload:
        load(args.url, schema, args.size)
    store(args.url, args.size)
    print("Throughput, calls per second:\n")
    print("| threads | find-order | raw 1 query |")
    print("|---:|---:|---:|")
    for threads in (int(n) for n in args.threads.split(",")):
        ours, floor = throughput(args.url, schema, threads, args.seconds)
        print(f"| {threads} | {ours:,.0f} | {floor:,.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
