"""Why the SQLite adapter keeps SQLite's default page cache and no memory map.

    python bench/page_cache.py --sizes 10000,1000000 --calls 12000 --page-sizes 4096,16384

Three measurements on the stores ``run.py`` builds (``bench/data/orders-<size>.db``):

1. **Reads.** find-order's one statement (``_sql.GET_ORDER_FOR_CONTACT`` in a read
   transaction, as the adapter runs it) on one connection per setting: SQLite's default,
   a 128 MiB map (Rails' default), a 2 GiB map (the whole file at 1M orders) and a 64 MiB
   page cache. The settings take turns call by call, each reading its own random order;
   the first half of the calls warms the caches and is left out. p50 and p99 in µs, and
   the growth from the first size to the last.
2. **A write beside a reader.** Order Look-Up's write transaction (the ten newest numbers,
   one outbox row) on a copy of the smallest store: first each setting alone, then a
   connection without a map and one with a 1 GiB map taking turns. In WAL mode a read
   transaction that finds another connection's commit drops its page cache and unmaps its
   map (SQLite's pager.c, ``pagerBeginReadTransaction``), so the turn-taking pair shows
   what a store with more than one connection pays.
3. **Page sizes** (``--page-sizes``): each store copied table by table into a new file of
   that page size (the copies are packed tight, so the first size listed is the fair
   baseline, not the original), then find-order's read on each copy, taking turns. A
   bigger page makes SQLite's B-trees shallower (at 1M orders ``orders`` and
   ``order_lines`` are five levels deep with 4 KiB pages: a WITHOUT ROWID table keeps whole
   rows in its interior pages) but copies more bytes per page read.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from orderstatus_sqlite import _sql

DATA = Path(__file__).parent / "data"
READS = {
    "SQLite's default": [],
    "128 MiB map": ["PRAGMA mmap_size = 134217728"],
    "2 GiB map": ["PRAGMA mmap_size = 2147483648"],
    "64 MiB cache": ["PRAGMA cache_size = -65536"],
}
LOOK_UP = (
    "SELECT number, email FROM orders WHERE email_key = ?"
    " ORDER BY placed_at DESC, number DESC LIMIT 10"
)
OUTBOX = (
    "INSERT INTO outbox (message_id, created_at, kind, payload, attempts) VALUES (?, ?, ?, ?, 0)"
)


def connect(db: Path, pragmas: list[str]) -> sqlite3.Connection:
    """A connection set as the adapter sets its own, then ``pragmas``."""
    connection = sqlite3.connect(db, isolation_level=None)
    connection.execute("PRAGMA synchronous = NORMAL")
    for pragma in pragmas:
        connection.execute(pragma)
    return connection


def percentiles(samples: list[int]) -> tuple[float, float]:
    """p50 and p99 in µs of the second half of ``samples`` (ns)."""
    kept = sorted(samples[len(samples) // 2 :])
    return statistics.median(kept) / 1000, kept[int(len(kept) * 0.99)] / 1000


def reads(db: Path, calls: int) -> dict[str, tuple[float, float]]:
    return timed_reads({name: connect(db, pragmas) for name, pragmas in READS.items()}, calls)


def timed_reads(
    connections: dict[str, sqlite3.Connection], calls: int
) -> dict[str, tuple[float, float]]:
    """find-order's read on each connection in turn, each its own random order; closes them."""
    first = next(iter(connections.values()))
    keys = first.execute("SELECT number, email_key FROM orders").fetchall()
    names = list(connections)
    picks = random.Random(1).choices(keys, k=calls * len(names))
    times: dict[str, list[int]] = {name: [] for name in names}
    for step in range(calls):
        turn = names[step % len(names) :] + names[: step % len(names)]
        for offset, name in enumerate(turn):
            connection = connections[name]
            number, key = picks[step * len(names) + offset]
            started = time.perf_counter_ns()
            connection.execute("BEGIN")
            rows = connection.execute(
                _sql.GET_ORDER_FOR_CONTACT, _sql.get_order_for_contact_parameters(number, key)
            ).fetchall()
            connection.execute("COMMIT")
            times[name].append(time.perf_counter_ns() - started)
            assert rows, number
    for connection in connections.values():
        connection.close()
    return {name: percentiles(samples) for name, samples in times.items()}


def writes(db: Path, calls: int) -> list[tuple[str, float, float]]:
    results: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / db.name
        shutil.copyfile(db, copy)
        rounds = [
            [("no map, alone", [])],
            [("1 GiB map, alone", ["PRAGMA mmap_size = 1073741824"])],
            [("no map, beside a mapped one", []),
             ("1 GiB map, beside an unmapped one", ["PRAGMA mmap_size = 1073741824"])],
        ]  # fmt: skip
        for settings in rounds:
            connections = [(name, connect(copy, pragmas)) for name, pragmas in settings]
            keys = [
                k for (k,) in connections[0][1].execute("SELECT DISTINCT email_key FROM orders")
            ]
            picks = random.Random(2).choices(keys, k=calls)
            times: dict[str, list[int]] = {name: [] for name, _ in connections}
            for key in picks:
                for name, connection in connections:
                    started = time.perf_counter_ns()
                    connection.execute("BEGIN IMMEDIATE")
                    connection.execute(LOOK_UP, (key,)).fetchall()
                    payload = '{"order_numbers": []}'
                    created = time.time_ns() // 1000
                    connection.execute(OUTBOX, (uuid.uuid4().hex, created, "order_list", payload))
                    connection.execute("COMMIT")
                    times[name].append(time.perf_counter_ns() - started)
            for name, connection in connections:
                connection.close()
                results.append((name, *percentiles(times[name])))
    return results


def copy_with_page_size(source: Path, target: Path, page_size: int) -> None:
    """``source`` table by table into a new ``target`` of ``page_size`` bytes a page."""
    new = sqlite3.connect(target, isolation_level=None)
    new.execute(f"PRAGMA page_size = {int(page_size)}")
    new.execute("PRAGMA journal_mode = OFF")
    old = sqlite3.connect(source)
    schema = old.execute(
        "SELECT type, name, sql FROM sqlite_schema"
        " WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    (version,) = old.execute("PRAGMA user_version").fetchone()
    old.close()
    new.execute("ATTACH ? AS old", (str(source),))
    new.execute("BEGIN")
    tables = [(name, sql) for kind, name, sql in schema if kind == "table"]
    for _name, sql in tables:
        new.execute(sql)
    for name, _sql_text in tables:
        new.execute(f'INSERT INTO main."{name}" SELECT * FROM old."{name}"')
    for kind, _name, sql in schema:
        if kind != "table":
            new.execute(sql)
    new.execute("COMMIT")
    new.execute("DETACH old")
    new.execute(f"PRAGMA user_version = {int(version)}")
    new.execute("PRAGMA journal_mode = WAL")
    new.close()


def page_sizes(
    stores: dict[int, Path], page_bytes: list[int], calls: int
) -> dict[int, dict[str, tuple[float, float]]]:
    """find-order's read on copies of each store, one copy per page size, by store size."""
    found: dict[int, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(dir=DATA) as folder:
        for size, store in stores.items():
            copies = {
                f"{each // 1024} KiB pages": Path(folder) / f"{each}-{store.name}"
                for each in page_bytes
            }
            for each, copy in zip(page_bytes, copies.values(), strict=True):
                copy_with_page_size(store, copy, each)
            found[size] = timed_reads(
                {name: connect(copy, []) for name, copy in copies.items()}, calls
            )
            for copy in copies.values():
                copy.unlink()
    return found


def table(sizes: list[int], found: dict[int, dict[str, tuple[float, float]]], what: str) -> None:
    """One row per setting: p50 / p99 at each store size, and the growth."""
    head = " | ".join(f"{size:,} p50 / p99" for size in sizes)
    print(f"\n| {what} | {head} | growth |")
    print("|---|" + "---:|" * (len(sizes) + 1))
    for name in found[sizes[0]]:
        cells = " | ".join(
            f"{found[size][name][0]:.1f} / {found[size][name][1]:.1f}" for size in sizes
        )
        growth = found[sizes[-1]][name][0] / found[sizes[0]][name][0]
        print(f"| {name} | {cells} | {growth:.2f}x |")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--calls", type=int, default=12000, help="reads per setting and size")
    parser.add_argument("--writes", type=int, default=4000, help="Look-Ups per connection")
    parser.add_argument("--page-sizes", default="", help="e.g. 4096,16384 (copies each store)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    stores = [DATA / f"orders-{size}.db" for size in sizes]
    missing = [str(store) for store in stores if not store.exists()]
    if missing:
        print(f"missing (build them with bench/run.py): {', '.join(missing)}", file=sys.stderr)
        return 1
    print(f"SQLite {sqlite3.sqlite_version}; load {Path('/proc/loadavg').read_text().split()[0]}")
    found = {size: reads(store, args.calls) for size, store in zip(sizes, stores, strict=True)}
    table(sizes, found, "find-order's read")
    print(f"\n| Order Look-Up's write, {sizes[0]:,} orders | p50 | p99 |")
    print("|---|---:|---:|")
    for name, p50, p99 in writes(stores[0], args.writes):
        print(f"| {name} | {p50:.1f} | {p99:.1f} |")
    if args.page_sizes:
        chosen = [int(each) for each in args.page_sizes.split(",")]
        by_size = page_sizes(dict(zip(sizes, stores, strict=True)), chosen, args.calls)
        table(sizes, by_size, "find-order's read, copied store")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
