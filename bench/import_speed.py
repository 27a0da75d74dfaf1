"""Import throughput against the raw load rate of the same file, in one run.

For each storage and size, one JSON Lines file of ``generate_orders(size, seed=1)`` is
written, then loaded into a fresh store (a new SQLite file, a new PostgreSQL schema) by:

* **raw**: ``json.loads`` of each line and the same rows written without any validation
  (the keys folded by ``str.lower``), in batches of ``--batch`` orders: ``executemany`` on
  SQLite, ``COPY`` on PostgreSQL; one transaction, as the import is;
* **library** (once per ``--code`` build): ``OrderStatus.open(storage=...)`` and
  ``desk.import_orders(read_json_lines(file))``, full validation.

Every load runs in a child process of its own (a clean interpreter, its own peak RSS),
and the sides are interleaved round by round, the order rotating, so that every side sees
the same machine. The schema is created by ``migrate()`` before the clock starts. The
stored row counts of every load are compared with the raw load's: they must be equal.
Results (median orders/s over the rounds, the ratio to raw, the median of each round's own
ratio to that round's raw load (the loads of one round run minutes apart at most, so the
neighbours' load moves them together), the same per second of this process's CPU, which a
machine shared with other work disturbs less (on PostgreSQL it leaves out the server's
work), on PostgreSQL running on this machine the server processes' CPU per order and the
orders per CPU second of client and server together (read from ``/proc``: the load's
connections are named, and read before they close), and peak RSS) print as Markdown.

    python bench/import_speed.py --storage sqlite --sizes 10000,100000 --rounds 3 \\
        --code before=/tmp/import-before/src:/tmp/import-before/src/adapters --code after=

``--code NAME=PATHS`` runs the library side with ``PYTHONPATH=PATHS`` (empty: this
interpreter's own path), so the code before a change and after it run in the same session.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from raw_rows import amount, micros, moment, record_rows

SERVER = "postgresql://postgres@127.0.0.1:5432/test"
TABLES = ("orders", "order_lines", "packages", "package_units")

ORDER_COLUMNS = (
    "number, placed_at, email, email_key, phone, currency, ship_name, ship_line1, ship_line2, "
    "ship_city, ship_region, ship_postal_code, ship_country, shipping, tax, version, "
    "shipping_speed, activity"
)
LINE_COLUMNS = (
    "order_number, line_no, position, part_number, part_key, brand, category, category_key, "
    "description, quantity, unit_price, core_charge, returnable, warranty_months, cancelled, "
    "returned, vehicle, vehicle_key"
)
PACKAGE_COLUMNS = (
    "order_number, position, package_id, warehouse, carrier, tracking_number, shipped_at, "
    "delivered_at, opened_at"
)
UNIT_COLUMNS = "order_number, package_position, position, line_no, quantity"
COLUMNS = dict(
    zip(TABLES, (ORDER_COLUMNS, LINE_COLUMNS, PACKAGE_COLUMNS, UNIT_COLUMNS), strict=True)
)


# --- the raw rows: what the adapter writes, computed without validation -----------------------


def _batches(path: Path, size: int, instant: Any) -> Iterator[list[list[Any]]]:
    tables: list[list[Any]] = [[], [], [], []]
    count = 0
    with path.open("rb") as stream:
        for text in stream:
            order, lines, packages, units = record_rows(json.loads(text), instant, amount)
            # The columns a new order has besides the record's: version 1, no activity.
            tables[0].append((*order[:15], 1, order[15], None))
            tables[1] += lines
            tables[2] += packages
            tables[3] += units
            count += 1
            if count == size:
                yield tables
                tables, count = [[], [], [], []], 0
    if count:
        yield tables


def _insert(table: str) -> str:
    columns = COLUMNS[table]
    marks = ", ".join("?" * len(columns.split(",")))
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})"


def raw_sqlite(database: Path, source: Path, batch: int) -> None:
    """Load ``source`` into ``database`` with ``executemany``, one transaction."""
    connection = sqlite3.connect(database, isolation_level=None)
    # As the adapter's connections are set: the same durability and checks.
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA journal_mode = WAL")
    statements = [_insert(table) for table in TABLES]
    connection.execute("BEGIN IMMEDIATE")
    for tables in _batches(source, batch, micros):
        for sql, rows in zip(statements, tables, strict=True):
            connection.executemany(sql, rows)
    connection.execute("COMMIT")
    connection.close()


def raw_postgres(connection: Any, source: Path, batch: int) -> None:
    """Load ``source`` over ``connection`` (its search path the fresh schema) with ``COPY``,
    one transaction."""
    with connection.cursor() as cursor:
        for tables in _batches(source, batch, moment):
            for table, rows in zip(TABLES, tables, strict=True):
                with cursor.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
    connection.commit()


def _server_cpu(name: str) -> dict[int, float] | None:
    """The CPU seconds (user + system) each server process of the connections named
    ``name`` (their ``application_name``) has used so far, read from ``/proc``: only
    when the server runs on this machine (None if it does not, or cannot be read)."""
    import psycopg

    with psycopg.connect(SERVER, autocommit=True) as admin:
        pids = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (name,)
        ).fetchall()
    seconds: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for (pid,) in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        seconds[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return seconds


# --- one load, in a child process ----------------------------------------------------------------


def _storage_url(storage: str, target: str, name: str) -> str:
    if storage == "sqlite":
        return f"sqlite:///{target}"
    return f"{SERVER}{'&' if '?' in SERVER else '?'}schema={target}&application_name={name}"


def child(side: str, storage: str, target: str, source: Path, batch: int) -> dict[str, float]:
    """Migrate a fresh store, load ``source`` into it by ``side`` and time the load.

    On PostgreSQL every connection of the load is named (``application_name``), opened
    before the clock starts and read from ``/proc`` before it closes: ``server_cpu`` is the
    CPU its server processes used meanwhile (-1 when the server is not on this machine),
    a figure the neighbours of a shared machine move much less than wall time."""
    from orderstatus_core import OrderStatus  # the build under test, from PYTHONPATH
    from orderstatus_core.services import read_json_lines

    name = f"bench-import-{uuid.uuid4().hex[:12]}"
    mail = f"mailbox:///{source.parent / 'mail'}"
    with contextlib.ExitStack() as stack:
        desk = stack.enter_context(
            OrderStatus.open(storage=_storage_url(storage, target, name), mail=mail)
        )
        desk.migrate()
        raw: Any = None
        if side == "raw" and storage == "postgres":
            import psycopg  # only the PostgreSQL side needs it

            options = f"-c search_path={target} -c TimeZone=UTC"
            raw = stack.enter_context(
                psycopg.connect(SERVER, options=options, application_name=name)
            )
        server = _server_cpu(name) if storage == "postgres" else None
        started, cpu = time.perf_counter(), time.process_time()
        if side == "raw":
            if storage == "sqlite":
                raw_sqlite(Path(target), source, batch)
            else:
                raw_postgres(raw, source, batch)
            imported = -1
        else:
            with source.open("rb") as stream:
                imported = desk.import_orders(read_json_lines(stream)).imported
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        server_cpu = -1.0
        after = _server_cpu(name) if server is not None else None
        if server is not None and after is not None:
            # A process that started during the load counts from zero.
            server_cpu = sum(used - server.get(pid, 0.0) for pid, used in after.items())
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": seconds,
        "cpu": cpu,
        "server_cpu": server_cpu,
        "imported": imported,
        "peak_mib": peak_kib / 1024,
    }


def _counts(storage: str, target: str) -> list[int]:
    if storage == "sqlite":
        connection = sqlite3.connect(target)
        try:
            return [connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES]
        finally:
            connection.close()
    import psycopg

    with psycopg.connect(SERVER, autocommit=True) as server:
        counts = []
        for table in TABLES:
            row = server.execute(f"SELECT count(*) FROM {target}.{table}").fetchone()
            assert row is not None
            counts.append(row[0])
        return counts


def _drop(storage: str, target: str) -> None:
    if storage == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(target + suffix).unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(SERVER, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {target} CASCADE")


def _load(
    side: str, paths: str | None, storage: str, source: Path, work: Path, batch: int
) -> tuple[dict[str, float], list[int]]:
    name = f"bench_import_{uuid.uuid4().hex[:12]}"
    target = str(work / f"{name}.db") if storage == "sqlite" else name
    environment = dict(os.environ)
    if paths:
        environment["PYTHONPATH"] = paths
    try:
        done = subprocess.run(  # noqa: S603  (this interpreter, this script)
            [
                sys.executable,
                __file__,
                "--child",
                side,
                "--storage",
                storage,
                "--target",
                target,
                "--source",
                str(source),
                "--batch",
                str(batch),
            ],
            check=False,
            capture_output=True,
            text=True,
            env=environment,
        )
        if done.returncode != 0:  # the child's own error, not only its exit status
            raise SystemExit(f"{side} on {storage} failed:\n{done.stderr}")
        return json.loads(done.stdout), _counts(storage, target)
    finally:
        _drop(storage, target)


def _write_source(size: int, path: Path) -> None:
    from orderstatus_core.sample import generate_orders

    with path.open("w", encoding="utf-8") as out:
        for record in generate_orders(size, seed=1):
            out.write(json.dumps(record, separators=(",", ":")))
            out.write("\n")


def _load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print Markdown tables."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--storage", default="sqlite", help="sqlite, postgres or both: sqlite,postgres"
    )
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1000, help="orders per raw batch")
    parser.add_argument("--code", action="append", default=[], metavar="NAME=PATHS")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child, args.storage, args.target, args.source, args.batch)))
        return 0

    builds = [tuple(code.split("=", 1)) for code in args.code] or [("library", "")]
    sides: list[tuple[str, str | None]] = [("raw", None), *builds]
    print(
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cores"
    )
    print(f"Load average at the start: {_load_average()}\n")
    print(
        "| storage | orders | side | orders/s (median) | runs (orders/s) | of raw "
        "| of raw, by round | orders per CPU s | of raw (CPU) | server CPU µs/order "
        "| orders per CPU s, with the server's | of raw (both CPUs) | peak RSS |"
    )
    print("|---|---:|---|---:|---|---:|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="import-speed-") as folder:
        work = Path(folder)
        for size in [int(size) for size in args.sizes.split(",")]:
            source = work / f"orders-{size}.jsonl"
            _write_source(size, source)
            for storage in args.storage.split(","):
                rates: dict[str, list[float]] = {name: [] for name, _ in sides}
                per_cpu: dict[str, list[float]] = {name: [] for name, _ in sides}
                # The server's CPU per order, and orders per CPU second of both processes
                # (PostgreSQL on this machine only; empty otherwise).
                server_us: dict[str, list[float]] = {name: [] for name, _ in sides}
                per_both: dict[str, list[float]] = {name: [] for name, _ in sides}
                peaks: dict[str, float] = dict.fromkeys(rates, 0.0)
                expected: list[int] | None = None
                for round_ in range(args.rounds):
                    turn = round_ % len(sides)
                    for name, paths in sides[turn:] + sides[:turn]:
                        figures, counts = _load(name, paths, storage, source, work, args.batch)
                        if name != "raw" and figures["imported"] != size:
                            raise SystemExit(f"{name} imported {figures['imported']} of {size}")
                        if expected is None and name == "raw":
                            expected = counts
                        elif expected is not None and counts != expected:
                            raise SystemExit(f"{name} stored {counts} rows, raw {expected}")
                        rates[name].append(size / figures["seconds"])
                        per_cpu[name].append(size / figures["cpu"])
                        if figures["server_cpu"] >= 0:
                            server_us[name].append(figures["server_cpu"] / size * 1e6)
                            per_both[name].append(size / (figures["cpu"] + figures["server_cpu"]))
                        peaks[name] = max(peaks[name], figures["peak_mib"])
                raw = statistics.median(rates["raw"])
                raw_cpu = statistics.median(per_cpu["raw"])
                raw_both = statistics.median(per_both["raw"]) if per_both["raw"] else None
                for name, values in rates.items():
                    median = statistics.median(values)
                    cpu = statistics.median(per_cpu[name])
                    runs = ", ".join(f"{value:,.0f}" for value in values)
                    paired = [
                        value / of_raw for value, of_raw in zip(values, rates["raw"], strict=True)
                    ]
                    by_round = ", ".join(f"{ratio:.0%}" for ratio in paired)
                    both = "| n/a | n/a | n/a"
                    if raw_both is not None and per_both[name]:
                        of_both = statistics.median(per_both[name])
                        both = (
                            f"| {statistics.median(server_us[name]):,.0f} | {of_both:,.0f} "
                            f"| {of_both / raw_both:.0%}"
                        )
                    print(
                        f"| {storage} | {size:,} | {name} | {median:,.0f} | {runs} | "
                        f"{median / raw:.0%} | {statistics.median(paired):.0%} ({by_round}) | "
                        f"{cpu:,.0f} | {cpu / raw_cpu:.0%} {both} | {peaks[name]:.0f} MiB |",
                        flush=True,
                    )
            source.unlink()
    print(f"\nLoad average at the end: {_load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
