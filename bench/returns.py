"""Returns on SQLite: latency, throughput, bytes and peak memory of each step of a return.

One fresh database file: ``--background`` orders of ``generate_orders(seed=1)``, then
``--orders`` bench orders for each of two paths, each placed ten days before the bench's
clock, shipped from Reno eight days before and delivered five days before, with two lines
(two brake pads, and a caliper with a 30.00 USD core charge), both sent back:

* **label**: ``return_options``, ``preview_return`` (the label quoted by
  ``labels://?cost=7.50%20USD``), ``request_return`` with the store's label, the papers
  made by ``desk.relay_outbox`` (one call per RMA package: PDF label, ZPL and instructions
  PDF kept in the database, the shopper's mail queued), ``warehouse.receive_return``,
  ``warehouse.inspect_return`` (everything accepted) and
  ``customer_service.settle_return`` to the payment (a ``RefundDue`` in the outbox);
* **own tracking**, on other orders: ``request_return`` shipped by the shopper, refund as
  store credit, the papers (instructions PDF only), ``enter_return_tracking`` (a valid UPS
  1Z number), receive, inspect, ``settle_return`` to store credit (a ledger entry in the
  same transaction) and ``store_credit.spend`` of 10.00 USD.

Guests prove the right with the look-up pair under a store plugin that waives the guest
pass for returns (as ``examples/cancel_without_pass.py`` does for cancels); every order has
its own shopper and client, so the default rate limits never refuse. The clock is a
``FixedClock``, moved on between the steps (a minute before the papers, days before the
warehouse's steps). A warm-up round on its own orders runs every step first; the outbox is
emptied before each round, so that each papers call takes exactly one job.

Three rounds, each on its own orders: the warm-up, the timing round (``perf_counter_ns``
around each call; commands per second is calls over the loop's wall time) and a separate
``tracemalloc`` round on ``--memory-orders`` orders per path (peak Python allocation during
each call above what was allocated before it; SQLite's own page cache and reportlab's C
code are not traced), which also counts the bytes each call passed to ``write()`` (Linux
``/proc/self/io``: the WAL frames of its commits, now and then a checkpoint). Bytes added
per return are ``page_count * page_size`` before and after the timing round, split by
table with the ``dbstat`` virtual table. Last, reading an order back (``get()`` and
``find_order``) is timed on the timing round's orders against as many bench orders that
were never returned, interleaved. Nothing asserts; the tables are Markdown for
``bench/RESULTS.md``.

    python bench/returns.py --orders 1000 --background 10000 --memory-orders 50
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import reportlab

from orderstatus_core import (
    ActionRefusedError,
    ConflictError,
    GuestSession,
    Money,
    OrderStatus,
    hookimpl,
    parse_email,
)
from orderstatus_core.events import DomainEvent, RefundDue
from orderstatus_core.policies.returns import ReturnDraft, ReturnOptions, ReturnPlan
from orderstatus_core.sample import generate_orders
from orderstatus_core.services import OrderNotFound, RelayReport, ReturnAnswer, TryLater
from orderstatus_core.testing import FixedClock

# Ten digits: never one of the nine-digit numbers of the generated background orders.
FIRST_NUMBER = 9_000_000_001
#: The bench's clock starts here; the orders are dated relative to it.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LABELS = "labels://?cost=7.50%20USD"
UNITS = {1: 2, 2: 1}
SPEND = Money("10.00", "USD")
WARM_UP = 20

Call = Callable[[], object]
Check = Callable[[object], bool]


class BenchStore:
    """The store's plugin: returns need no guest pass (as ``examples/cancel_without_pass.py``
    waives it for cancels), and a stand-in payment system counts the refund events."""

    def __init__(self) -> None:
        self.refunds = 0

    @hookimpl
    def orderstatus_pass_required(self, action: str) -> bool | None:
        return False if action == "return" else None

    @hookimpl
    def orderstatus_domain_event(self, event_id: str, event: DomainEvent) -> None:
        self.refunds += isinstance(event, RefundDue)


def _email(number: int) -> str:
    return f"bench{number}@example.com"


def _client(number: int) -> str:
    return f"bench-{number}"


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _ups(body: str) -> str:
    """A UPS 1Z number with its check digit: ``body`` is the 15 characters after ``1Z``."""
    values = [int(c) if c.isdigit() else (ord(c) - 63) % 10 for c in body]
    total = sum(values[0::2]) + 2 * sum(values[1::2])
    return f"1Z{body}{(10 - total % 10) % 10}"


def _record(number: int) -> dict[str, Any]:
    """Two lines (one with a core charge), delivered in one package five days before NOW."""
    return {
        "number": str(number),
        "placed_at": _stamp(NOW - timedelta(days=10)),
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
        "lines": [
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
        ],
        "packages": [
            {
                "package_id": "P1",
                "warehouse": "Reno, NV",
                "units": [{"line_no": 1, "quantity": 2}, {"line_no": 2, "quantity": 1}],
                "carrier": "UPS",
                "tracking_number": _ups(f"999AA1{number % 10**9:09d}"),
                "shipped_at": _stamp(NOW - timedelta(days=8)),
                "delivered_at": _stamp(NOW - timedelta(days=5)),
            }
        ],
        "shipping": "9.99 USD",
        "tax": "11.02 USD",
    }


def _lines(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, separators=(",", ":"))


@attrs.define
class Orders:
    """The bench orders of one round: one list per path."""

    label: list[int]
    own: list[int]


def build(db: Path, mail: str, background: int, rounds: Sequence[int]) -> list[Orders]:
    """A fresh database: the background orders, then ``2 * n`` bench orders per round."""
    plans: list[Orders] = []
    next_number = FIRST_NUMBER
    for count in rounds:
        label = list(range(next_number, next_number + count))
        own = list(range(next_number + count, next_number + 2 * count))
        next_number += 2 * count
        plans.append(Orders(label, own))
    numbers = [n for plan in plans for n in (*plan.label, *plan.own)]
    with OrderStatus.open(storage=f"sqlite:///{db}", mail=mail) as desk:
        desk.migrate()
        desk.import_orders(_lines(iter(generate_orders(background, seed=1))))
        desk.import_orders(_lines(_record(n) for n in numbers))
    return plans


# --- measuring -------------------------------------------------------------------------------


@attrs.define
class Row:
    """What one command measured: times (ns) in the timing round, peaks (bytes) in the
    memory round."""

    command: str
    times: list[int] = attrs.field(factory=list)
    wall_ns: int = 0
    peaks: list[int] = attrs.field(factory=list)
    written: list[int] = attrs.field(factory=list)
    refused: int = 0


class Recorder:
    """Runs each call of a step once; the subclasses measure them."""

    def __init__(self, rows: dict[str, Row]) -> None:
        self.rows = rows

    def row(self, command: str) -> Row:
        return self.rows.setdefault(command, Row(command))

    def run(self, command: str, calls: Sequence[Call], ok: Check) -> list[object]:
        answers = []
        refused = 0
        for call in calls:
            answer = _attempt(call)
            refused += not ok(answer)
            answers.append(answer)
        self.row(command).refused += refused
        return answers


def _guest(desk: OrderStatus, n: int) -> GuestSession:
    """Order ``n``'s guest, proving it by the look-up pair (the bench's store allows it)."""
    return desk.guest(client=_client(n), identifier=_email(n))


def _attempt(call: Call) -> object:
    try:
        return call()
    except (ActionRefusedError, ConflictError) as error:
        return error


class Timer(Recorder):
    def run(self, command: str, calls: Sequence[Call], ok: Check) -> list[object]:
        row = self.row(command)
        answers = []
        clock = time.perf_counter_ns
        began = clock()
        for call in calls:
            before = clock()
            answer = _attempt(call)
            row.times.append(clock() - before)
            answers.append(answer)
        row.wall_ns += clock() - began
        row.refused += sum(not ok(answer) for answer in answers)
        return answers


def written_bytes() -> int | None:
    """Bytes this process has passed to ``write()`` so far (Linux), else ``None``."""
    try:
        with open("/proc/self/io", encoding="ascii") as io:
            for line in io:
                if line.startswith("wchar:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class MemoryTracer(Recorder):
    """Peak Python allocation per call (``tracemalloc``), and the bytes the call wrote:
    the WAL frames of its commits, a checkpoint now and then, mail files."""

    def run(self, command: str, calls: Sequence[Call], ok: Check) -> list[object]:
        row = self.row(command)
        answers = []
        for call in calls:
            wrote = written_bytes()
            tracemalloc.reset_peak()
            current, _ = tracemalloc.get_traced_memory()
            answer = _attempt(call)
            _, peak = tracemalloc.get_traced_memory()
            after = written_bytes()
            row.peaks.append(peak - current)
            if wrote is not None and after is not None:
                row.written.append(after - wrote)
            answers.append(answer)
        row.refused += sum(not ok(answer) for answer in answers)
        return answers


def _is(kind: type) -> Check:
    return lambda answer: isinstance(answer, kind)


def _one_sent(answer: object) -> bool:
    return isinstance(answer, RelayReport) and answer.sent == 1 and answer.failed == 0


def drain(desk: OrderStatus) -> int:
    """Relay every due message (mail, refund events), so the next papers calls each take
    exactly one job."""
    total = 0
    while True:
        report = desk.relay_outbox(100)
        total += report.sent
        if not report.sent:
            return total


# --- one round of returns --------------------------------------------------------------------


def _rma(answer: object) -> str:
    return answer.request.packages[0].rma_number if isinstance(answer, ReturnAnswer) else ""


def lifecycle(
    desk: OrderStatus,
    clock: FixedClock,
    orders: Orders,
    recorder: Recorder,
    sizes: Callable[[str], None] = lambda _stage: None,
) -> None:
    """Every step of both paths, each over all orders of its path before the next step."""
    label, own = orders.label, orders.own
    label_draft = ReturnDraft("return", "does_not_fit", UNITS)
    own_draft = ReturnDraft(
        "return", "does_not_fit", UNITS, ship_by="own_tracking", refund_method="store_credit"
    )
    partial = functools.partial

    clock.advance(timedelta(hours=1))
    recorder.run(
        "return_options",
        [partial(_guest(desk, n).return_options, str(n), "return") for n in label],
        _is(ReturnOptions),
    )
    recorder.run(
        "preview_return (label quote)",
        [partial(_guest(desk, n).preview_return, str(n), label_draft) for n in label],
        _is(ReturnPlan),
    )
    sizes("before")
    requested = recorder.run(
        "request_return (label)",
        [partial(_guest(desk, n).request_return, str(n), label_draft) for n in label],
        _is(ReturnAnswer),
    )
    label_rmas = [_rma(answer) for answer in requested]
    # A second later: the own-tracking papers jobs come after the label ones.
    clock.advance(timedelta(seconds=1))
    requested = recorder.run(
        "request_return (own tracking, store credit)",
        [partial(_guest(desk, n).request_return, str(n), own_draft) for n in own],
        _is(ReturnAnswer),
    )
    own_rmas = [_rma(answer) for answer in requested]
    sizes("requested")
    # A minute later: the mail each job queues comes after every job.
    clock.advance(timedelta(minutes=1))
    relay_one = partial(desk.relay_outbox, 1)
    recorder.run(
        "papers: relay_outbox(1), label PDF + ZPL + instructions PDF",
        [relay_one] * len(label),
        _one_sent,
    )
    recorder.run(
        "papers: relay_outbox(1), instructions PDF only", [relay_one] * len(own), _one_sent
    )
    sizes("papers")

    clock.advance(timedelta(days=1))
    recorder.run(
        "enter_return_tracking",
        [
            partial(
                _guest(desk, n).enter_return_tracking, str(n), rma, _ups(f"999AA2{n % 10**9:09d}")
            )
            for n, rma in zip(own, own_rmas, strict=True)
        ],
        _is(ReturnAnswer),
    )
    clock.advance(timedelta(days=2))
    both = [*zip(label, label_rmas, strict=True), *zip(own, own_rmas, strict=True)]
    warehouse, service = desk.warehouse, desk.customer_service
    recorder.run(
        "warehouse.receive_return",
        [partial(warehouse.receive_return, str(n), rma) for n, rma in both],
        _accepted,
    )
    recorder.run(
        "warehouse.inspect_return",
        [partial(warehouse.inspect_return, str(n), rma, UNITS) for n, rma in both],
        _accepted,
    )
    clock.advance(timedelta(days=1))
    recorder.run(
        "settle_return to payment",
        [
            partial(service.settle_return, str(n), rma)
            for n, rma in zip(label, label_rmas, strict=True)
        ],
        _accepted,
    )
    recorder.run(
        "settle_return to store credit",
        [partial(service.settle_return, str(n), rma) for n, rma in zip(own, own_rmas, strict=True)],
        _accepted,
    )
    credit = desk.store_credit
    recorder.run(
        "store_credit.spend",
        [partial(credit.spend, parse_email(_email(n)), SPEND, f"bench-{n}") for n in own],
        lambda answer: answer is True,
    )
    sizes("settled")


def _accepted(answer: object) -> bool:
    return not isinstance(answer, ActionRefusedError | ConflictError)


def reads(
    desk: OrderStatus, plain: Sequence[int], returned: Sequence[int]
) -> dict[str, tuple[list[int], list[int]]]:
    """Reading an order back, one never returned against one with a settled return,
    interleaved pair by pair: ``get()`` in a read unit, and the guest's ``find_order``."""
    storage = desk.context.storage

    def get(number: int) -> object:
        with storage.unit_of_work() as uow:
            return uow.orders.get(str(number))

    def find(number: int) -> object:
        return desk.find_order(_email(number), str(number), client=f"read-{number}")

    times: dict[str, tuple[list[int], list[int]]] = {}
    clock = time.perf_counter_ns
    missed = 0
    for name, read in (("get() in a read unit", get), ("find_order (masked view)", find)):
        times[name] = ([], [])
        for pair in zip(plain, returned, strict=True):
            for number, kept in zip(pair, times[name], strict=True):
                before = clock()
                answer = read(number)
                kept.append(clock() - before)
                missed += answer is None or isinstance(answer, OrderNotFound | TryLater)
    print(f"Reads that found no order: {missed}", file=sys.stderr)
    return times


# --- the database file -----------------------------------------------------------------------


def file_bytes(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        (pages,) = connection.execute("PRAGMA page_count").fetchone()
        (size,) = connection.execute("PRAGMA page_size").fetchone()
    return int(pages) * int(size)


def table_bytes(db: Path) -> dict[str, int]:
    """Bytes of pages per table and index (``dbstat``), overflow pages apart."""
    with sqlite3.connect(db) as connection:
        owners = dict(connection.execute("SELECT name, tbl_name FROM sqlite_schema").fetchall())
        rows = connection.execute(
            "SELECT name, pagetype = 'overflow', sum(pgsize) FROM dbstat GROUP BY 1, 2"
        ).fetchall()
    sizes: dict[str, int] = {}
    for name, overflow, size in rows:
        table = owners.get(name, name)
        key = name if table == name else f"{table} (index {name})"
        sizes[key + (", overflow pages" if overflow else "")] = int(size)
    return sizes


def activity_bytes(db: Path, number: int) -> int:
    with sqlite3.connect(db) as connection:
        (size,) = connection.execute(
            "SELECT length(CAST(activity AS BLOB)) FROM orders WHERE number = ?", (str(number),)
        ).fetchone()
    return int(size or 0)


def paper_bytes(db: Path, numbers: Sequence[int]) -> dict[str, list[int]]:
    """The sizes of the papers kept for the orders ``numbers`` (consecutive), by kind."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT filename, length(content) FROM return_documents "
            "WHERE order_number BETWEEN ? AND ?",
            (str(min(numbers)), str(max(numbers))),
        ).fetchall()
    kinds: dict[str, list[int]] = {}
    for filename, size in rows:
        stem, _, extension = str(filename).rpartition(".")
        kind = f"{'instructions' if 'instruction' in stem else 'label'} {extension}"
        kinds.setdefault(kind, []).append(int(size))
    return dict(sorted(kinds.items()))


# --- the report ------------------------------------------------------------------------------


def _percentile(values: Sequence[int], share: float) -> float:
    ordered = sorted(values)
    return float(ordered[max(0, int(len(ordered) * share + 0.5) - 1)])


def machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"reportlab {reportlab.Version}"
    )


def print_commands(rows: Sequence[Row]) -> None:
    print(
        "| command | calls | median µs | p95 µs | commands/s | peak KiB median | "
        "peak KiB max | written KiB median | refused |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        peaks = sorted(row.peaks) or [0]
        written = f"{statistics.median(row.written) / 1024:,.1f}" if row.written else "-"
        print(
            f"| {row.command} | {len(row.times):,} | "
            f"{statistics.median(row.times) / 1e3:,.0f} | "
            f"{_percentile(row.times, 0.95) / 1e3:,.0f} | "
            f"{len(row.times) / (row.wall_ns / 1e9):,.0f} | "
            f"{statistics.median(peaks) / 1024:,.1f} | {peaks[-1] / 1024:,.1f} | "
            f"{written} | {row.refused} |"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1000, help="bench orders per path")
    parser.add_argument("--background", type=int, default=10_000, help="other orders stored")
    parser.add_argument(
        "--memory-orders", type=int, default=50, help="orders per path of the tracemalloc round"
    )
    args = parser.parse_args(argv)
    print(f"Machine: {machine()}", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="orderstatus-bench-") as folder:
        db = Path(folder) / "orders.db"
        mail = f"mailbox:///{folder}/mail"
        started = time.perf_counter()
        warm, timed, traced, untouched = build(
            db, mail, args.background, [WARM_UP, args.orders, args.memory_orders, args.orders]
        )
        print(f"Built {db} in {time.perf_counter() - started:.1f} s", file=sys.stderr)

        clock = FixedClock(NOW)
        rows: dict[str, Row] = {}
        marks: dict[str, int] = {}
        tables: dict[str, dict[str, int]] = {}

        def sizes(stage: str) -> None:
            marks[stage] = file_bytes(db)
            if stage in ("before", "settled"):
                tables[stage] = table_bytes(db)

        with OrderStatus.open(
            storage=f"sqlite:///{db}", mail=mail, labels=LABELS, clock=clock, plugins=[BenchStore()]
        ) as desk:
            started = time.perf_counter()
            lifecycle(desk, clock, warm, Recorder({}))
            drain(desk)
            lifecycle(desk, clock, timed, Timer(rows), sizes)
            print(f"Timing round in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            started = time.perf_counter()
            drained = drain(desk)
            print(
                f"Relayed the {drained:,} messages left by the timing round"
                f" in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
            read_times = reads(desk, [*untouched.label, *untouched.own], [*timed.label, *timed.own])
            started = time.perf_counter()
            tracemalloc.start()
            try:
                lifecycle(desk, clock, traced, MemoryTracer(rows))
            finally:
                tracemalloc.stop()
            print(f"Memory round in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        returns = len(timed.label) + len(timed.own)
        activity = {
            "label, settled to payment": activity_bytes(db, timed.label[0]),
            "own tracking, settled to store credit": activity_bytes(db, timed.own[0]),
        }
        papers = paper_bytes(db, timed.label)
        own_papers = paper_bytes(db, timed.own)

    print_commands(list(rows.values()))
    print()
    print("Reading an order back (the same two-line orders, interleaved), medians in µs:")
    print()
    print("| read | no return | one settled return | ratio |")
    print("|---|---:|---:|---:|")
    for name, (plain, returned) in read_times.items():
        a, b = statistics.median(plain) / 1e3, statistics.median(returned) / 1e3
        print(f"| {name} | {a:,.0f} | {b:,.0f} | {b / a:.2f}x |")
    print()
    print(f"Bytes added to the database file per return (over {returns:,} returns):")
    print()
    print("| stage | bytes per return |")
    print("|---|---:|")
    stages = ["before", "requested", "papers", "settled"]
    for earlier, later in itertools.pairwise(stages):
        added = (marks[later] - marks[earlier]) / returns
        print(f"| {earlier} → {later} | {added:,.0f} |")
    print(f"| total | {(marks['settled'] - marks['before']) / returns:,.0f} |")
    print()
    print("| table (index) | bytes per return |")
    print("|---|---:|")
    before, after = tables["before"], tables["settled"]
    grown = {name: after[name] - before.get(name, 0) for name in after}
    for name, added in sorted(grown.items(), key=lambda item: -item[1]):
        if added:
            print(f"| {name} | {added / returns:,.0f} |")
    print()
    print("| kept | bytes |")
    print("|---|---:|")
    for what, size in activity.items():
        print(f"| `orders.activity` JSON of one order, one return {what} | {size:,} |")
    for path, kinds in (("label path", papers), ("own-tracking path", own_papers)):
        for kind, lengths in kinds.items():
            mean = statistics.mean(lengths)
            print(f"| mean {kind}, {path} ({len(lengths):,} kept) | {mean:,.0f} |")
    content = sum(sum(lengths) for kinds in (papers, own_papers) for lengths in kinds.values())
    print(f"| content of all papers kept, per return | {content / returns:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
