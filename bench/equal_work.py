"""Equal answers, equal time (SECURITY A6): the existing and the missing case of each guest
entry point, timed call by call in one process, with the ratio of their medians.

For each path the two cases are interleaved (existing, missing, missing, existing, ...) so
that both see the same machine state, on a store of generated orders:

* **find-order, wrong email**: an existing order number vs an unknown one, both with an
  email that owns neither;
* **Order Look-Up**: a customer's email vs an email with no orders;
* **guest-pass request**: the order's own pair vs the same email with an unknown number;
* **code check**: a wrong code for an order with an open challenge vs one without;
* **log-in, wrong password**: a customer's address (an account with a password) vs an
  address with no account, both with a wrong password, hashed by a cheap counting hasher
  (``CountingPasswordHasher``): Argon2id's own tens of milliseconds, the same in both cases
  by SECURITY A2, would hide the storage work that this compares.

Rate limits are switched off (a limiter that allows everything): the limiter is asked the
same way in both cases (tests/security/test_enumeration.py), and without it the storage
work is a larger share of each call, so the ratio shown is the harsher one. The relay's
work (deciding a request, issuing a code, sending mail) runs off the request path and is
not timed. Nothing here asserts; the goal is a ratio of at most 1.2.

    python bench/equal_work.py --orders 5000 --queries 2000
    python bench/equal_work.py --postgres postgresql://postgres@127.0.0.1:5432/test
    python bench/equal_work.py --only log-in --postgres postgresql://...
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import attrs

from orderstatus_core import OrderStatus, OutgoingMail, RateDecision, parse_email
from orderstatus_core.model.account import Account
from orderstatus_core.sample import generate_orders
from orderstatus_core.services import (
    ServiceContext,
    find_order,
    relay_outbox,
    request_guest_pass,
    send_order_list,
    verify_guest_code,
)
from orderstatus_core.testing import CountingPasswordHasher

sys.path.insert(0, str(Path(__file__).parent))
from run import interleaved  # the same ABBA timing as the comparison of issue 11

Case = Callable[[int], object]


class _NoLimits:
    """A rate limiter that allows every hit (see the module docstring for why)."""

    def hit(self, buckets: object, now: datetime) -> RateDecision:
        return RateDecision(allowed=True)

    def close(self) -> None:
        pass


class _NoMail:
    """A mailer that drops every mail: the relay's delivery is not what is measured."""

    def send(self, mail: OutgoingMail) -> None:
        pass

    def close(self) -> None:
        pass


def _targets(size: int, count: int) -> list[tuple[str, str]]:
    """``count`` (number, email) pairs of distinct generated orders, spread over the store."""
    pairs = [(record["number"], record["email"]) for record in generate_orders(size, seed=1)]
    step = max(1, len(pairs) // count)
    return (pairs[::step] * (count // len(pairs) + 1))[:count]


def _paths(ctx: ServiceContext, targets: list[tuple[str, str]]) -> dict[str, tuple[Case, Case]]:
    """Each path's (existing, missing) case, called with the iteration number."""
    desk = OrderStatus(ctx)

    def unknown(i: int) -> str:
        # Next to a stored number in every index, so that both cases touch the same pages.
        return f"{targets[i][0]}X"

    return {
        "find-order, wrong email": (
            lambda i: find_order(ctx, f"nobody{i}@example.com", targets[i][0], client="b"),
            lambda i: find_order(ctx, f"nobody{i}@example.com", unknown(i), client="b"),
        ),
        "Order Look-Up": (
            lambda i: send_order_list(ctx, targets[i][1], client="b"),
            lambda i: send_order_list(ctx, f"nobody{i}@example.com", client="b"),
        ),
        "guest-pass request": (
            lambda i: request_guest_pass(ctx, targets[i][1], targets[i][0], client="b"),
            lambda i: request_guest_pass(ctx, targets[i][1], unknown(i), client="b"),
        ),
        "code check, wrong code": (
            lambda i: verify_guest_code(ctx, targets[i][0], "000000", client="b"),
            lambda i: verify_guest_code(ctx, unknown(i), "000000", client="b"),
        ),
        "log-in, wrong password": (
            lambda i: desk.log_in(targets[i][1], _WRONG, client="b"),
            lambda i: desk.log_in(f"nobody{i}@example.com", _WRONG, client="b"),
        ),
    }


_PASSWORD = "the bench's own password"  # noqa: S105 -- a bench account's
_WRONG = "not the bench's password"


def _register(ctx: ServiceContext, targets: list[tuple[str, str]]) -> None:
    """An active account with a password for every target's address (not timed)."""
    assert ctx.password_hasher is not None
    now = ctx.clock.now()
    stored = ctx.password_hasher.hash(_PASSWORD)
    with ctx.storage.unit_of_work(write=True) as uow:
        for n, email in enumerate(sorted({email for _number, email in targets})):
            account = Account.sign_up(f"bench-account-{n:06d}", parse_email(email), now)
            uow.accounts.add(account.verified(now).with_password(stored, now))
        uow.commit()


def _open_challenges(ctx: ServiceContext, targets: list[tuple[str, str]]) -> None:
    """Give every target order an open challenge (requested and relayed, not timed)."""
    for number, email in targets:
        request_guest_pass(ctx, email, number, client="setup")
    while _pending(ctx):
        relay_outbox(ctx, limit=1000)


def _pending(ctx: ServiceContext) -> int:
    with ctx.storage.unit_of_work() as uow:
        return uow.outbox.pending_count()


def _measure(existing: Case, missing: Case, queries: int) -> dict[str, float]:
    """Interleaved, in ABBA order so that a drift of the machine hits both cases alike."""
    # run.py's summary of "library" against "raw": here the existing case against the missing.
    return interleaved(queries, existing, missing)


def _run(
    desk: OrderStatus, size: int, queries: int, only: list[str]
) -> dict[str, dict[str, float]]:
    records = (json.dumps(record) for record in generate_orders(size, seed=1))
    desk.import_orders(records)
    ctx = attrs.evolve(
        desk.context,
        rate_limiter=_NoLimits(),
        mailer=_NoMail(),
        password_hasher=CountingPasswordHasher(),
    )
    targets = _targets(size, queries)
    paths = _paths(ctx, targets)
    results = {}
    for name, (existing, missing) in paths.items():
        if only and not any(name.startswith(wanted) for wanted in only):
            continue
        if name.startswith("log-in"):
            _register(ctx, targets)
        if name.startswith("code check"):
            _open_challenges(ctx, targets)
        for i in range(min(200, queries)):  # warm the caches and the page cache
            existing(i)
            missing(i)
        if name.startswith("code check"):
            _open_challenges(ctx, targets)  # the warm-up used tries up
        results[name] = _measure(existing, missing, queries)
    return results


@contextmanager
def _sqlite(size: int) -> Iterator[OrderStatus]:
    with (
        tempfile.TemporaryDirectory(prefix="equal-work-") as folder,
        OrderStatus.open(
            storage=f"sqlite:///{folder}/orders.db", mail=f"mailbox:///{folder}"
        ) as desk,
    ):
        desk.migrate()
        yield desk


@contextmanager
def _postgres(server: str) -> Iterator[OrderStatus]:
    import psycopg  # only when asked for: the SQLite run needs no server

    schema = f"bench_equal_work_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            separator = "&" if "?" in server else "?"
            with tempfile.TemporaryDirectory(prefix="equal-work-") as folder:
                storage = f"{server}{separator}schema={schema}"
                with OrderStatus.open(storage=storage, mail=f"mailbox:///{folder}") as desk:
                    desk.migrate()
                    yield desk
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def _table(title: str, results: dict[str, dict[str, float]]) -> str:
    rows = [
        f"#### {title}",
        "",
        "| path | existing p50 µs | existing p99 µs | missing p50 µs | missing p99 µs"
        " | existing / missing |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        rows.append(
            f"| {name} | {r['median']:.0f} | {r['p99']:.0f}"
            f" | {r['raw_median']:.0f} | {r['raw_p99']:.0f} | {r['ratio']:.2f}x |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Print one Markdown table per storage, for ``bench/RESULTS.md``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000, help="orders in the store")
    parser.add_argument("--queries", type=int, default=2000, help="calls per case and path")
    parser.add_argument("--postgres", help="also run on this PostgreSQL server URL")
    parser.add_argument(
        "--only", action="append", default=[], help="only the paths whose name starts so"
    )
    args = parser.parse_args(argv)
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, load {os.getloadavg()}")
    print(f"{args.orders} orders, {args.queries} calls per case\n")
    with _sqlite(args.orders) as desk:
        print(_table("SQLite", _run(desk, args.orders, args.queries, args.only)), end="\n\n")
    if args.postgres:
        with _postgres(args.postgres) as desk:
            print(_table("PostgreSQL", _run(desk, args.orders, args.queries, args.only)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
