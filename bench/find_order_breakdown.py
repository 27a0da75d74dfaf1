"""Where find-order's time goes: each piece timed alone on a database built by run.py.

python bench/find_order_breakdown.py --db bench/data/orders-100000.db
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from orderstatus_core import Order, OrderStatus
from orderstatus_core.policies import masked_order_view
from orderstatus_core.services.lookup import pair_limits

sys.path.insert(0, str(Path(__file__).parent))
from run import SqliteRaw  # the same target picker as the comparison


def _median(targets: list[tuple[str, str, str]], piece: Callable[[int, str, str], object]) -> float:
    times = []
    for index, (number, email, _part) in enumerate(targets):
        started = time.perf_counter_ns()
        piece(index, number, email)
        times.append(time.perf_counter_ns() - started)
    return statistics.median(times) / 1000


def main() -> int:
    """Print the median of each piece in microseconds."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path("bench/data/orders-100000.db"))
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    picker = SqliteRaw(args.db)
    targets = [(t.number, t.email, t.part_number) for t in picker.targets(args.queries, seed=3)]
    picker.close()
    desk = OrderStatus.open(storage=f"sqlite:///{args.db}", mail="mailbox:///bench/data/mail")
    desk.migrate()  # a database built by an older version
    storage, ctx = desk.context.storage, desk.context

    def get(_i: int, number: str, _e: str) -> Order | None:
        with storage.unit_of_work() as uow:
            return uow.orders.get(number)

    def fresh_view(_i: int, number: str, _e: str) -> object:
        order = get(0, number, "")
        assert order is not None
        return masked_order_view(order, ctx.policies.tracking_url)

    def limits(i: int, number: str, email: str) -> object:
        # The three buckets find-order hits (client, identifier, order number).
        return pair_limits(ctx, ctx.clock.now(), f"b{i}", email, number)

    _median(targets, get)  # warm the page cache first: every piece then reads warm pages
    rows = {
        "read unit + get()": _median(targets, get),
        "get() + masked view": _median(targets, fresh_view),
        "three rate-limit hits": _median(targets, limits),
        "find_order end to end": _median(
            targets, lambda i, n, e: desk.find_order(e, n, client=f"f{i}")
        ),
    }
    for name, micros in rows.items():
        print(f"{name:28} {micros:7.1f} µs")
    desk.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
