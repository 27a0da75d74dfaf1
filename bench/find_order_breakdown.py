"""Where find-order's time goes: the steps of ``find_order`` timed where they run.

For each target, the raw three-query read of ``run.py`` runs first, then the steps of
``services.lookup.find_order`` one after the other on the same call, each timed in place:
the preparation (client, clock, canonical number, the typed identifier's key), the rate-limit
buckets (one limiter call), the read unit with ``get_for_contact()`` (the statement and the
model built from its rows), and the masked view. Timing the steps inside one call, with the
raw read between calls, keeps the machine state of ``run.py``'s interleaved comparison;
timing a piece alone in a tight loop reports two to three times less for the Python pieces
(their code and data stay in the CPU caches), which is not what a request sees.

    python bench/find_order_breakdown.py --db bench/data/orders-1000000.db --queries 2000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from orderstatus_core import OrderFound, OrderStatus
from orderstatus_core.model import canonical_order_number
from orderstatus_core.policies import masked_order_view
from orderstatus_core.services import lookup
from orderstatus_core.services._texts import shopper_texts
from orderstatus_core.services.proof import client_key
from orderstatus_core.testing import RecordingMailer

sys.path.insert(0, str(Path(__file__).parent))
from run import SqliteRaw  # the same targets and raw read as the comparison

STEPS = ("raw three queries", "prepare", "rate limits", "read unit + get()", "masked view")


def main() -> int:
    """Print the median of each step in microseconds, and their sum."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path("bench/data/orders-100000.db"))
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--phone", action="store_true", help="find by phone, not by email")
    args = parser.parse_args()
    raw = SqliteRaw(args.db)
    targets = raw.targets(args.queries, seed=13)
    if args.phone:
        targets = [t for t in targets if t.phone is not None]
    times: dict[str, list[int]] = {step: [] for step in STEPS}
    clock = time.perf_counter_ns
    with OrderStatus.open(storage=f"sqlite:///{args.db}", mail=RecordingMailer()) as desk:
        ctx = desk.context
        for index, target in enumerate(targets):
            typed = target.phone_typed if args.phone else target.email
            key = target.phone if args.phone else target.email.lower()
            started = clock()
            raw.find(target.number, key or "")
            t0 = clock()
            # find_order's steps, in its order (services/lookup.py).
            client = client_key(f"breakdown-{index}")
            policies = ctx.policies
            now = ctx.clock.now()
            texts = shopper_texts(ctx, "en")
            number = canonical_order_number(target.number)
            contact = lookup._contact(typed, policies.lookup_policy().phone_region)
            t1 = clock()
            refused = lookup.pair_limits(ctx, now, client, lookup._identity(typed, contact), number)
            t2 = clock()
            with ctx.storage.unit_of_work() as uow:
                order = uow.orders.get_for_contact(number, contact or "")
            t3 = clock()
            assert refused is None, target
            assert order is not None, target
            OrderFound(masked_order_view(order, policies.tracking_url, texts))
            t4 = clock()
            for step, (begin, end) in zip(
                STEPS, ((started, t0), (t0, t1), (t1, t2), (t2, t3), (t3, t4)), strict=True
            ):
                times[step].append(end - begin)
    raw.close()
    warm = len(targets) // 10
    medians = {step: statistics.median(values[warm:]) / 1000 for step, values in times.items()}
    for step, micros in medians.items():
        print(f"{step:22} {micros:7.1f} µs")
    library = sum(micros for step, micros in medians.items() if step != STEPS[0])
    print(f"{'library, sum of steps':22} {library:7.1f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
