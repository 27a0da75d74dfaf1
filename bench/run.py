"""Latency of the guest features on SQLite, side by side with raw ``sqlite3`` (the floor).

For each store size it builds (or reuses) a SQLite database of generated orders, then
times, interleaved call by call so that both sides see the same machine state:

* **find-order**: ``OrderStatus.find_order`` (canonical key, three rate-limit buckets,
  one read unit, the model, the masked view) against three raw queries fetching the same
  rows (order, lines, packages with units);
* **search**: ``OrderStatus.search_orders`` by part number against one raw join;
* **Order Look-Up**: ``OrderStatus.send_order_list`` (limits, a write unit, the outbox
  row) against raw ``BEGIN IMMEDIATE`` / select the ten newest / insert / ``COMMIT``.

Import throughput and peak memory are measured in a child process per size, so the
figure is the import's own. Nothing here asserts; results are printed as Markdown for
``bench/RESULTS.md``. Databases are kept in ``bench/data/`` (ignored by git) for reuse.

    python bench/run.py --sizes 10000,100000,1000000 --queries 2000
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from orderstatus_core import OrderStatus, parse_email
from orderstatus_core.model import part_number_key
from orderstatus_core.sample import generate_orders
from orderstatus_core.services import read_json_lines

HERE = Path(__file__).parent
DATA = HERE / "data"

RAW_ORDER = "SELECT * FROM orders WHERE number = ?"
RAW_LINES = "SELECT * FROM order_lines WHERE order_number = ?"
RAW_PACKAGES = (
    "SELECT p.*, u.line_no, u.quantity FROM packages p JOIN package_units u"
    " ON u.order_number = p.order_number AND u.package_position = p.position"
    " WHERE p.order_number = ? ORDER BY p.position, u.position"
)
RAW_SEARCH = (
    "SELECT o.number, o.placed_at, o.email, l.* FROM orders o"
    " JOIN order_lines l ON l.order_number = o.number"
    " WHERE o.email_key = ? AND l.part_key = ?"
    " ORDER BY o.placed_at DESC, o.number DESC LIMIT 21"
)
RAW_RECENT = (
    "SELECT number, email FROM orders WHERE email_key = ?"
    " ORDER BY placed_at DESC, number DESC LIMIT 10"
)
RAW_OUTBOX = (
    "INSERT INTO outbox (message_id, created_at, kind, payload, attempts) VALUES (?, ?, ?, ?, 0)"
)


def _import(size: int, db: Path) -> dict[str, float]:
    """Generate ``size`` orders as JSON Lines and import them; runs in a child process."""
    source = db.with_suffix(".jsonl")
    with source.open("w", encoding="utf-8") as out:
        for record in generate_orders(size, seed=1):
            out.write(json.dumps(record, separators=(",", ":")))
            out.write("\n")
    with OrderStatus.open(storage=f"sqlite:///{db}", mail="mailbox:///bench/data/mail") as desk:
        desk.migrate()
        started = time.perf_counter()
        with source.open("rb") as stream:
            report = desk.import_orders(read_json_lines(stream))
        seconds = time.perf_counter() - started
    source.unlink()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"orders": report.imported, "seconds": seconds, "peak_mib": peak_kib / 1024}


def _database(size: int) -> tuple[Path, dict[str, float] | None]:
    DATA.mkdir(exist_ok=True)
    db = DATA / f"orders-{size}.db"
    if db.exists():
        return db, None
    child = subprocess.run(  # noqa: S603  (this interpreter, this script)
        [sys.executable, __file__, "--import-into", str(db), "--sizes", str(size)],
        check=True,
        capture_output=True,
        text=True,
    )
    return db, json.loads(child.stdout)


def _targets(db: Path, count: int, seed: int) -> list[tuple[str, str, str]]:
    """``count`` random (number, email, part number) triples with distinct emails.

    Each pick seeks the first order at or after a random 9-digit number through the
    primary key: uniform enough, and O(log n) per pick at any store size.
    """
    rng = random.Random(seed)
    connection = sqlite3.connect(db)
    targets: dict[str, tuple[str, str, str]] = {}
    for _attempt in range(count * 20):
        if len(targets) == count:
            break
        row = connection.execute(
            "SELECT number, email, email_key FROM orders WHERE number >= ? ORDER BY number LIMIT 1",
            (f"{rng.randrange(10**8, 10**9)}",),
        ).fetchone()
        if row is None or row[2] in targets:
            continue
        (part,) = connection.execute(
            "SELECT part_number FROM order_lines WHERE order_number = ? LIMIT 1", (row[0],)
        ).fetchone()
        targets[row[2]] = (row[0], row[1], part)
    connection.close()
    return list(targets.values())


def _time(call: Callable[..., object], *args: object) -> float:
    started = time.perf_counter_ns()
    call(*args)
    return (time.perf_counter_ns() - started) / 1000


def _summary(ours: list[float], raw: list[float]) -> dict[str, float]:
    def p99(values: list[float]) -> float:
        return statistics.quantiles(values, n=100)[98]

    return {
        "median": statistics.median(ours),
        "p99": p99(ours),
        "raw_median": statistics.median(raw),
        "raw_p99": p99(raw),
        "ratio": statistics.median(ours) / statistics.median(raw),
    }


def _bench(db: Path, queries: int) -> dict[str, dict[str, float]]:
    targets = _targets(db, queries, seed=7)
    raw = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    raw.execute("PRAGMA busy_timeout = 5000")
    raw.execute("PRAGMA synchronous = NORMAL")  # as the adapter sets it: same durability
    results: dict[str, dict[str, float]] = {}
    with OrderStatus.open(storage=f"sqlite:///{db}", mail="mailbox:///bench/data/mail") as desk:
        desk.migrate()  # a database kept from a run of an older version
        verified = {email: parse_email(email) for _n, email, _p in targets}

        def raw_find(number: str) -> None:
            raw.execute(RAW_ORDER, (number,)).fetchone()
            raw.execute(RAW_LINES, (number,)).fetchall()
            raw.execute(RAW_PACKAGES, (number,)).fetchall()

        def raw_look_up(email: str) -> None:
            raw.execute("BEGIN IMMEDIATE")
            rows = raw.execute(RAW_RECENT, (email.lower(),)).fetchall()
            payload = json.dumps({"to": rows[0][1], "order_numbers": [r[0] for r in rows]})
            raw.execute(
                RAW_OUTBOX, (uuid.uuid4().hex, time.time_ns() // 1000, "order_list", payload)
            )
            raw.execute("COMMIT")

        plans: dict[
            str, tuple[Callable[[int, str, str, str], object], Callable[[str, str, str], object]]
        ] = {
            "find-order": (
                lambda i, n, e, _p: desk.find_order(e, n, client=f"10.1.{i // 250}.{i % 250}"),
                lambda n, _e, _p: raw_find(n),
            ),
            "search": (
                lambda _i, _n, e, p: desk.search_orders(verified[e], part_number=p),
                lambda _n, e, p: raw.execute(
                    RAW_SEARCH, (e.lower(), part_number_key(p))
                ).fetchall(),
            ),
            "order-look-up": (
                lambda i, _n, e, _p: desk.send_order_list(e, client=f"10.2.{i // 250}.{i % 250}"),
                lambda _n, e, _p: raw_look_up(e),
            ),
        }
        for name, (service, floor) in plans.items():
            ours: list[float] = []
            bare: list[float] = []
            for index, (number, email, part) in enumerate(targets):
                # Alternate which side goes first so neither always gets the warm cache.
                if index % 2:
                    bare.append(_time(floor, number, email, part))
                    ours.append(_time(service, index, number, email, part))
                else:
                    ours.append(_time(service, index, number, email, part))
                    bare.append(_time(floor, number, email, part))
            warm = len(targets) // 10  # the first tenth warms caches and is left out
            results[name] = _summary(ours[warm:], bare[warm:])
    raw.close()
    return results


def _machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for row in cpuinfo.read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    return (
        f"{cpu}, {platform.machine()}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--import-into", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    if args.import_into is not None:
        print(json.dumps(_import(sizes[0], args.import_into)))
        return 0

    print(f"Machine: {_machine()}\n")
    print(
        "| orders | feature | ours median µs | ours p99 µs | raw median µs | raw p99 µs | ratio |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    imports: list[str] = []
    medians: dict[str, list[float]] = {}
    for size in sizes:
        db, imported = _database(size)
        if imported is not None:
            rate = imported["orders"] / imported["seconds"]
            imports.append(
                f"| {size:,} | {imported['seconds']:.1f} s | {rate:,.0f} orders/s | "
                f"{imported['peak_mib']:.0f} MiB |"
            )
        for name, row in _bench(db, args.queries).items():
            medians.setdefault(name, []).append(row["median"])
            print(
                f"| {size:,} | {name} | {row['median']:.1f} | {row['p99']:.1f} | "
                f"{row['raw_median']:.1f} | {row['raw_p99']:.1f} | {row['ratio']:.2f}x |",
                flush=True,
            )
    if len(sizes) > 1:
        print(f"\nGrowth of our median from {sizes[0]:,} to {sizes[-1]:,} orders:")
        for name, values in medians.items():
            print(f"- {name}: {values[-1] / values[0]:.2f}x")
    if imports:
        print("\n| orders | import time | throughput | peak memory (RSS) |\n|---:|---:|---:|---:|")
        print("\n".join(imports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
