"""Rate limiting: a find-order's three buckets, and a hit under a flood at the key limit.

Times, per call, with the library found on ``sys.path`` (this checkout's ``src``):

* **three buckets, memory**: ``check_limits`` with a client, an identifier and an order
  number on ``memory://``, a new shopper every call;
* **three buckets, Redis**: the same on ``redis://`` (skipped if no server answers);
* **flood at max_keys**: a ``memory://`` limiter filled with ``--max-keys`` busy keys (100,000
  by default, its default limit), then one hit per call on a key never seen before.

With ``--before PATH`` (a copy of another version's source tree, e.g. ``git archive main
src | tar -x -C /tmp/before``), every case also runs on that version: each round runs one
child process per version, alternating, so both see the same machine state; medians are of
the rounds' medians. ``check_limits`` has kept its call shape, and the single-key hit is
called in whichever form the version's port has. Nothing asserts; results are Markdown.

    python bench/limits.py --before /tmp/before/src --rounds 5
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
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REDIS_URL = os.environ.get("ORDERSTATUS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
HERE = Path(__file__).resolve().parent


def _hit_one(limiter: Any, key: str, quota: Any, now: datetime) -> object:
    """One hit on one key, in the port's form of the version under test."""
    import orderstatus_core

    bucket = getattr(orderstatus_core, "Bucket", None)
    if bucket is None:  # before issue 11: hit(key, quota, now)
        return limiter.hit(key, quota, now)
    return limiter.hit([bucket(key, quota)], now)


def _median_us(calls: int, call: Callable[[int], object]) -> dict[str, float]:
    times = []
    for n in range(calls):
        started = time.perf_counter_ns()
        call(n)
        times.append((time.perf_counter_ns() - started) / 1000)
    return {"median": statistics.median(times), "p99": statistics.quantiles(times, n=100)[98]}


def _three_buckets(limiter: Any, calls: int) -> dict[str, float]:
    from orderstatus_core import Quota
    from orderstatus_core.services._limits import check_limits

    client = Quota(20, timedelta(minutes=1))
    shopper = Quota(10, timedelta(minutes=5))
    run = uuid.uuid4().hex[:8]

    def call(n: int) -> object:
        now = T0 + timedelta(milliseconds=n)
        refused = check_limits(
            limiter,
            now,
            "find",
            client=(f"{run}c{n}", client),
            id=(f"{run}shopper{n}@example.com", shopper),
            order=(f"{run}{n}", shopper),
        )
        assert refused is None
        return refused

    return _median_us(calls, call)


def _flood(max_keys: int, calls: int) -> dict[str, float]:
    from orderstatus_core import Quota
    from orderstatus_memory import MemoryRateLimiter

    limiter = MemoryRateLimiter(max_keys=max_keys)
    minute = Quota(1, timedelta(minutes=1))
    for n in range(max_keys):
        _hit_one(limiter, f"busy{n}", minute, T0)
    later = T0 + timedelta(seconds=1)  # every key still busy
    figures = _median_us(calls, lambda n: _hit_one(limiter, f"flood{n}", minute, later))
    figures["keys_after"] = len(limiter._arrival)  # the table, old and new alike
    return figures


def child(args: argparse.Namespace) -> None:
    """Measure this process's version; print JSON."""
    from orderstatus_memory import MemoryRateLimiter

    results: dict[str, dict[str, float]] = {
        "three buckets, memory": _three_buckets(MemoryRateLimiter(), args.calls),
    }
    try:
        from orderstatus_redis import RedisRateLimiter

        redis_limiter = RedisRateLimiter.from_url(
            f"{REDIS_URL}?prefix=orderstatus-bench:{uuid.uuid4().hex[:8]}:"
        )
        _hit_one(redis_limiter, "warm-up", _quota(), T0)
        results["three buckets, Redis"] = _three_buckets(redis_limiter, args.calls)
        redis_limiter.close()
    except Exception as error:  # no server: the row is left out, and says why
        print(f"Redis skipped: {error!r}", file=sys.stderr)
    results[f"flood at max_keys={args.max_keys:,}"] = _flood(args.max_keys, args.flood_calls)
    print(json.dumps(results))


def _quota() -> Any:
    from orderstatus_core import Quota

    return Quota(1000, timedelta(minutes=1))


def _run_child(src: Path, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{src / 'adapters'}"}
    command = [sys.executable, __file__, "--child", "--calls", str(args.calls)]
    command += ["--max-keys", str(args.max_keys), "--flood-calls", str(args.flood_calls)]
    done = subprocess.run(  # noqa: S603  (this interpreter, this script)
        command, env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, dict[str, float]] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, help="another version's src/ to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=5000, help="three-bucket calls a round")
    parser.add_argument("--max-keys", type=int, default=100_000)
    parser.add_argument("--flood-calls", type=int, default=200, help="flood hits a round")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    versions = {"this": HERE.parent / "src"}
    if args.before is not None:
        versions = {"before": args.before.resolve(), **versions}
    rounds: dict[str, list[dict[str, dict[str, float]]]] = {name: [] for name in versions}
    for _ in range(args.rounds):
        for name, src in versions.items():  # alternating: both see the same machine
            rounds[name].append(_run_child(src, args))
    print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"load {os.getloadavg()[0]:.2f}, {args.rounds} rounds alternating, "
        f"{args.calls} three-bucket calls and {args.flood_calls} flood hits a round\n"
    )
    print("| case | version | median µs | p99 µs | keys held after |")
    print("|---|---|---:|---:|---:|")
    for case in rounds["this"][0]:
        for name in versions:
            per_round = [r[case] for r in rounds[name] if case in r]
            if not per_round:
                continue
            median = statistics.median(r["median"] for r in per_round)
            p99 = statistics.median(r["p99"] for r in per_round)
            keys = per_round[0].get("keys_after")
            held = f"{keys:,.0f}" if keys is not None else ""
            print(f"| {case} | {name} | {median:,.1f} | {p99:,.1f} | {held} |")


if __name__ == "__main__":
    main()
