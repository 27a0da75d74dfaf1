"""The sample generator with order-line vehicles against the generator before them, interleaved.

    python bench/sample_speed.py [--orders 20000] [--rounds 16] [--before eaa616d]
    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \
        python bench/sample_speed.py --orders 2000 --only vehicles   # or before, or --orders 0

``--before`` names the commit whose ``src/orderstatus_core/sample/_history.py`` (read with
``git show``) is the baseline: the generator before lines had vehicles. Each round makes
``--orders`` orders with seed 1 on both sides and writes each as one JSON line to nowhere,
as ``orderstatus sample`` writes them (``json.dumps`` is most of a line's cost); the sides
alternate which goes first. Before timing, both sides' records are checked equal with the
vehicles taken out (the vehicles come from a stream of their own). The first two rounds
of each side warm up and are left out; p50 and p99 of the rest, in µs per order.

``--only SIDE`` makes one round of that side and nothing else, for callgrind: its
instruction count, less that of ``--orders 0``, is the side's work, whatever the load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orderstatus_core.sample import generate_orders

ROOT = Path(__file__).resolve().parents[1]
HISTORY = "src/orderstatus_core/sample/_history.py"
WARM = 2

Generator = Callable[..., Iterator[dict[str, Any]]]


def baseline(ref: str) -> Generator:
    """``generate_orders`` of the generator at ``ref``, loaded as a module of its own."""
    source = subprocess.run(  # noqa: S603  (git, on this repository's own file)
        ["git", "show", f"{ref}:{HISTORY}"],  # noqa: S607  (git from PATH, as a developer runs it)
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("history_before")
    exec(compile(source, f"{ref}:{HISTORY}", "exec"), module.__dict__)  # noqa: S102 -- our own file
    made: Generator = module.generate_orders
    return made


def without_vehicles(record: dict[str, Any]) -> dict[str, Any]:
    lines = [{k: v for k, v in line.items() if k != "vehicle"} for line in record["lines"]]
    return {**record, "lines": lines}


def one_round(make: Generator, orders: int) -> float:
    """Seconds to make and serialize ``orders`` orders."""
    started = time.perf_counter()
    for record in make(orders, seed=1):
        json.dumps(record)
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument("--before", default="eaa616d")
    parser.add_argument("--only", choices=("before", "vehicles"))
    args = parser.parse_args()
    before = baseline(args.before)
    if args.only:
        one_round(before if args.only == "before" else generate_orders, args.orders)
        return 0
    checked = 2_000
    old, new = list(before(checked, seed=1)), list(generate_orders(checked, seed=1))
    assert old == [without_vehicles(record) for record in new], "the sides differ"
    share = sum("vehicle" in line for r in new for line in r["lines"]) / sum(
        len(r["lines"]) for r in new
    )
    print(f"{platform.python_version()} {sys.platform}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"load before: {os.getloadavg()}")
    print(f"answers equal without vehicles ({checked} orders); lines with a vehicle: {share:.1%}")
    times: dict[str, list[float]] = {"before": [], "vehicles": []}
    for round_no in range(args.rounds):
        sides = [("before", before), ("vehicles", generate_orders)]
        for name, make in sides if round_no % 2 == 0 else sides[::-1]:
            times[name].append(one_round(make, args.orders))
    print(f"load after: {os.getloadavg()}")
    medians = {}
    for name, seconds in times.items():
        per_order = [s / args.orders * 1e6 for s in seconds[WARM:]]  # µs
        medians[name] = statistics.median(per_order)
        print(
            f"{name:9} p50 {medians[name]:.2f} µs/order ({1e6 / medians[name]:,.0f} orders/s),"
            f" p99 {percentile(per_order, 0.99):.2f}; runs: "
            + ", ".join(f"{value:.2f}" for value in per_order)
        )
    print(f"vehicles / before (p50): {medians['vehicles'] / medians['before']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
