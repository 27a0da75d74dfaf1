"""The purge of stale failed log-in counts on SQLite (issue 13, SECURITY C2, D5).

A SQLite file holds ``--stale`` counts below the lock last failed 31 days ago, ``--fresh``
counts failed an hour ago and ``--locked`` counts at the lock (100) a year old. Each round
copies that file twice and times, on one copy, the whole purge (``desk.purge()``: every
purge of the store in one transaction, the counts included) and, on the other, the raw
``DELETE`` alone with ``sqlite3``; the order alternates round by round, so both see the same
machine state. Nothing here asserts; both must delete exactly the stale counts.

    PYTHONPATH=src:src/adapters python bench/failure_purge.py --stale 100000 --rounds 5
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from orderstatus_core import OrderStatus
from orderstatus_core.testing import FixedClock
from orderstatus_sqlite._rows import micros

_NOW = FixedClock.START
_FORGET = "DELETE FROM login_failures WHERE last_at < ? AND failures < ?"


def _key(n: int) -> str:
    return hashlib.sha256(f"made.up.{n}@example.com".encode()).hexdigest()


def _build(path: Path, stale: int, fresh: int, locked: int) -> None:
    with OrderStatus.open(storage=f"sqlite:///{path}", mail="mailbox:///unused") as desk:
        desk.migrate()
    old, new = micros(_NOW - timedelta(days=31)), micros(_NOW - timedelta(hours=1))
    year = micros(_NOW - timedelta(days=365))
    rows = [(_key(n), 1 + n % 99, old) for n in range(stale)]
    rows += [(_key(stale + n), 1 + n % 99, new) for n in range(fresh)]
    rows += [(_key(stale + fresh + n), 100, year) for n in range(locked)]
    with sqlite3.connect(path) as connection:
        connection.executemany("INSERT INTO login_failures VALUES (?, ?, ?)", rows)


def _ours(path: Path) -> tuple[float, int]:
    clock = FixedClock(_NOW)
    with OrderStatus.open(
        storage=f"sqlite:///{path}", mail="mailbox:///unused", clock=clock
    ) as desk:
        start = time.perf_counter()
        forgotten = desk.purge().failed_logins
        return time.perf_counter() - start, forgotten


def _raw(path: Path) -> tuple[float, int]:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        start = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        forgotten = connection.execute(_FORGET, (micros(_NOW - timedelta(days=30)), 100)).rowcount
        connection.execute("COMMIT")
        return time.perf_counter() - start, forgotten
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stale", type=int, default=100_000)
    parser.add_argument("--fresh", type=int, default=10_000)
    parser.add_argument("--locked", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"ours": [], "raw": []}
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch) / "base.db"
        _build(base, args.stale, args.fresh, args.locked)
        for round_no in range(args.rounds):
            order = ("ours", "raw") if round_no % 2 == 0 else ("raw", "ours")
            for side in order:
                copy = Path(scratch) / f"{side}-{round_no}.db"
                shutil.copyfile(base, copy)
                took, forgotten = (_ours if side == "ours" else _raw)(copy)
                assert forgotten == args.stale, (side, forgotten)
                with sqlite3.connect(copy) as check:
                    (left,) = check.execute("SELECT count(*) FROM login_failures").fetchone()
                assert left == args.fresh + args.locked, (side, left)
                times[side].append(took)
                copy.unlink()
    for side, taken in times.items():
        ms = ", ".join(f"{t * 1000:.0f}" for t in taken)
        print(f"{side}: median {statistics.median(taken) * 1000:.0f} ms ({ms})")
    ratio = statistics.median(times["ours"]) / statistics.median(times["raw"])
    print(f"ours / raw: {ratio:.2f}x")


if __name__ == "__main__":
    main()
