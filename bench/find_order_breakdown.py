"""Where find-order's time goes: the steps of ``find_order`` timed where they run.

For each target, the raw read of ``run.py`` runs first, then the steps of
``services.lookup.find_order`` one after the other on the same call, each timed in place:
the preparation (client, clock, canonical number, the typed identifier's key), the rate-limit
buckets (one limiter call), the read-once unit with ``get_for_contact()`` (the statement and
the model built from its rows), and the masked view. Timing the steps inside one call, with the
raw read between calls, keeps the machine state of ``run.py``'s interleaved comparison;
timing a piece alone in a tight loop reports two to three times less for the Python pieces
(their code and data stay in the CPU caches), which is not what a request sees.

    python bench/find_order_breakdown.py --db bench/data/orders-1000000.db --queries 2000
    python bench/find_order_breakdown.py --postgres postgresql://postgres@127.0.0.1:5432/test \\
        --size 100000 --queries 2000

``--postgres URL`` runs it on the schema of ``bench/postgres.py`` (``--size`` orders, loaded
first if missing) against that side's raw read, the adapter's own statement. The steps
outside the read unit are then Python that find-order's goal on PostgreSQL (<= 100 us
over the round trip) counts whole; the read unit less the raw read is the unit and the
decoding, but as a difference of two medians each holding a round trip it is only as
steady as the server's time (tens of us either way from run to run): ``run.py``'s
library-against-raw comparison, call by call, is the measure of the whole.
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
import postgres
from run import SqliteRaw  # the same targets and raw reads as the comparison

STEPS = ("raw read", "prepare", "rate limits", "read-once unit + get()", "masked view")


def main() -> int:
    """Print the median of each step in microseconds, and their sum."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path("bench/data/orders-100000.db"))
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--phone", action="store_true", help="find by phone, not by email")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server, not --db")
    parser.add_argument("--size", type=int, default=100_000, help="orders, with --postgres")
    args = parser.parse_args()
    raw: SqliteRaw | postgres.PostgresRaw
    if args.postgres:
        problem = postgres.unreachable(args.postgres)
        if problem:
            parser.error(problem)
        schema = postgres.store(args.postgres, args.size)
        raw, storage = (
            postgres.PostgresRaw(args.postgres, schema),
            postgres.url_of(args.postgres, schema),
        )
    else:
        raw, storage = SqliteRaw(args.db), f"sqlite:///{args.db}"
    targets = raw.targets(args.queries, seed=13)
    if args.phone:
        targets = [t for t in targets if t.phone is not None]
    times: dict[str, list[int]] = {step: [] for step in STEPS}
    clock = time.perf_counter_ns
    with OrderStatus.open(storage=storage, mail=RecordingMailer()) as desk:
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
            with ctx.storage.unit_of_work(read_once=True) as uow:
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
    outside = library - medians[STEPS[3]]
    print(f"{'  outside the read unit':22} {outside:7.1f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
