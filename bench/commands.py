"""Commands per second on SQLite: a guest's ``cancel_order`` and the warehouse's ``ship``.

Each command is one write transaction (``BEGIN IMMEDIATE``, read the order, decide, save
with compare-and-set, queue the outbox row, ``COMMIT``), so the figure that matters is how
many of them one database file takes per second, from one process and from two processes
contending for the file's write lock.

* **cancel**: ``desk.guest(client=..., identifier=email).cancel_order(number)`` cancels
  every unit of an order of two lines that no warehouse has touched, under a store plugin
  that waives the guest pass for cancels (as ``examples/cancel_without_pass.py`` does), so
  the guest proves the right with the look-up pair: three rate-limit buckets, the ownership
  check, then the cancel and a ``RefundDue`` in the outbox.
* **ship**: ``desk.warehouse.ship(number, "P1", carrier, tracking)`` ships an order's only
  package, the last one, so the tracking mail goes into the outbox too.

Every command acts on its own order (distinct shoppers and clients, so the default rate
limits never refuse). With two processes each takes half of the orders and both start
together at a barrier: they never touch the same order, only the same file. Nothing here
asserts; the table is Markdown for ``bench/RESULTS.md``.

    python bench/commands.py --commands 2000 --background 10000
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from orderstatus_core import ActionRefusedError, CancelAnswer, ConflictError, OrderStatus, hookimpl
from orderstatus_core.sample import generate_orders

# Ten digits: never one of the nine-digit numbers of the generated background orders.
FIRST_NUMBER = 9_000_000_001


class PassLessCancel:
    """The store plugin of ``examples/cancel_without_pass.py``: cancels need no guest pass."""

    @hookimpl
    def orderstatus_pass_required(self, action: str) -> bool | None:
        return False if action == "cancel" else None


def _email(number: int) -> str:
    return f"bench{number}@example.com"


def _record(number: int, packed: bool) -> dict[str, Any]:
    """An order of two lines, placed a day ago; ``packed`` puts both in package P1."""
    lines = [
        {
            "line_no": 1,
            "part_number": "BP-1234",
            "brand": "Wagner",
            "category": ["Brake & Wheel Hub", "Brake Pad"],
            "description": "ThermoQuiet Ceramic Brake Pad Set",
            "quantity": 2,
            "unit_price": "38.79 USD",
            "core_charge": "0.00 USD",
        },
        {
            "line_no": 2,
            "part_number": "CC-4471",
            "brand": "Cardone",
            "category": ["Brake & Wheel Hub", "Caliper"],
            "description": "Remanufactured Caliper; Front Left",
            "quantity": 1,
            "unit_price": "54.79 USD",
            "core_charge": "30.00 USD",
        },
    ]
    record: dict[str, Any] = {
        "number": str(number),
        "placed_at": "2026-11-25T09:00:00Z",
        "email": _email(number),
        "shipping_address": {
            "name": "Bench Shopper",
            "line1": "1 Main St",
            "city": "Reno",
            "region": "NV",
            "postal_code": "89501",
            "country": "US",
        },
        "currency": "USD",
        "lines": lines,
        "shipping": "9.99 USD",
        "tax": "11.02 USD",
    }
    if packed:
        record["packages"] = [
            {
                "package_id": "P1",
                "warehouse": "Reno, NV",
                "units": [{"line_no": 1, "quantity": 2}, {"line_no": 2, "quantity": 1}],
            }
        ]
    return record


def _lines(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, separators=(",", ":"))


def build(db: Path, background: int, per_run: int, runs: Sequence[str]) -> dict[str, list[int]]:
    """A fresh database: ``background`` generated orders, then ``per_run`` orders for each
    run (unpacked for cancel runs, one package in processing for ship runs)."""
    targets: dict[str, list[int]] = {}
    next_number = FIRST_NUMBER
    records: list[dict[str, Any]] = []
    for run in runs:
        numbers = list(range(next_number, next_number + per_run))
        next_number += per_run
        targets[run] = numbers
        records.extend(_record(n, packed=run.startswith("ship")) for n in numbers)
    with OrderStatus.open(storage=f"sqlite:///{db}", mail=f"mailbox:///{db.parent}/mail") as desk:
        desk.migrate()
        desk.import_orders(_lines(iter(generate_orders(background, seed=1))))
        desk.import_orders(_lines(iter(records)))
    return targets


def worker(
    url: str, mail_url: str, command: str, numbers: list[int], start: Any, results: Any
) -> None:
    """One process: open the store, wait for the others, run ``command`` on each order."""
    desk = OrderStatus.open(storage=url, mail=mail_url, plugins=[PassLessCancel()])
    latencies: list[float] = []
    lost = 0
    try:
        start.wait(60)
        began = time.perf_counter()
        for number in numbers:
            before = time.perf_counter()
            try:
                if command == "cancel":
                    guest = desk.guest(client=f"bench-{number}", identifier=_email(number))
                    lost += not isinstance(guest.cancel_order(str(number)), CancelAnswer)
                else:
                    desk.warehouse.ship(str(number), "P1", "UPS", f"1Z{number:016d}")
            except (ConflictError, ActionRefusedError):
                lost += 1
            latencies.append(time.perf_counter() - before)
        elapsed = time.perf_counter() - began
    finally:
        desk.close()
    results.put((elapsed, latencies, lost))


def measure(db: Path, command: str, numbers: list[int], processes: int) -> dict[str, Any]:
    """Run ``command`` over ``numbers`` split between ``processes`` spawned processes."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes)
    results = context.Queue()
    url, mail_url = f"sqlite:///{db}", f"mailbox:///{db.parent}/mail"
    shares = [numbers[index::processes] for index in range(processes)]
    workers = [
        context.Process(target=worker, args=(url, mail_url, command, share, start, results))
        for share in shares
    ]
    for process in workers:
        process.start()
    outcomes = [results.get(timeout=600) for _ in workers]
    for process in workers:
        process.join()
    wall = max(elapsed for elapsed, _, _ in outcomes)
    latencies = sorted(t for _, times, _ in outcomes for t in times)
    return {
        "command": command,
        "processes": processes,
        "commands": len(latencies),
        "seconds": wall,
        "per_second": len(latencies) / wall,
        "median_us": statistics.median(latencies) * 1e6,
        "p99_us": latencies[int(len(latencies) * 0.99) - 1] * 1e6,
        "lost": sum(lost for _, _, lost in outcomes),
    }


def machine() -> str:
    cpus = multiprocessing.cpu_count()
    return (
        f"{platform.machine()}, {cpus} CPUs, {platform.system()}, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=2000, help="commands per run")
    parser.add_argument("--background", type=int, default=10_000, help="other orders stored")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    args = parser.parse_args(argv)

    plan = [(command, processes) for command in ("cancel", "ship") for processes in (1, 2)]
    runs = [f"{command}-{processes}-{r}" for command, processes in plan for r in range(args.repeat)]
    print(f"Machine: {machine()}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="orderstatus-bench-") as folder:
        db = Path(folder) / "orders.db"
        started = time.perf_counter()
        targets = build(db, args.background, args.commands, runs)
        print(f"Built {db} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        rows = []
        for command, processes in plan:
            tries = [
                measure(db, command, targets[f"{command}-{processes}-{r}"], processes)
                for r in range(args.repeat)
            ]
            best = max(tries, key=lambda row: row["per_second"])
            best["runs"] = " / ".join(f"{row['per_second']:,.0f}" for row in tries)
            rows.append(best)

    print(
        "| command | processes | commands | seconds | commands/s (best) | every run |"
        " median µs | p99 µs | lost |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['command']} | {row['processes']} | {row['commands']:,} | "
            f"{row['seconds']:.2f} | {row['per_second']:,.0f} | {row['runs']} | "
            f"{row['median_us']:,.0f} | {row['p99_us']:,.0f} | {row['lost']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
