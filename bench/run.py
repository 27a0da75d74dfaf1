"""Issue 11's speed comparison: every guest path of the library against raw queries that
return the same information, on SQLite and on PostgreSQL, in one run.

    python bench/run.py --sizes 10000,100000,1000000 \\
        --postgres postgresql://postgres@127.0.0.1:5432/test --postgres-sizes 100000

For each store (SQLite files of ``--sizes`` generated orders, kept in ``bench/data/``; and,
with ``--postgres``, schemas ``bench_orders_<size>`` of that server, see
``bench/postgres.py``) it picks ``--queries`` random orders of distinct shoppers and runs
each path on both sides:

=================  ==========================================  =================================
path               library                                     raw (plain driver, same answer)
=================  ==========================================  =================================
find-order, email  ``find_order(email, number, client=...)``   the order, its lines, its
                                                               packages with units, by number
                                                               and email key
find-order, phone  ``find_order(phone, number, client=...)``,  the same, by number and the
                   the phone typed in national format          stored E.164 phone
search, part       ``search_orders(email, part_number=...)``   one join, the first page's
                                                               orders and matching lines
search, category   ``search_orders(email, category=top)``      the same by category key range
Order Look-Up      ``send_order_list(email, client=...)``      one write transaction: the ten
                                                               newest numbers, an outbox row
import             ``import_orders(lines)``                    ``json.loads`` and
                                                               ``executemany`` of the rows
=================  ==========================================  =================================

**Same answers first.** Before anything is timed, a sample of targets runs on both sides
and the answers are compared as plain values: for find-order the order number, the set of
``(line_no, part number, quantity, unit price)`` and the packages with their units; for
search the page's order numbers with their matching line numbers; for Order Look-Up the
order numbers the library's relay mails (its outbox is relayed to a recording mailer) and
the numbers the raw transaction read; for import every row of every table of the two
stores. Any difference stops the run (exit status 1).

**Timing.** The library and the raw call of each target alternate call by call, the side
that goes first swapping every target (ABBA), so both see the same machine state; the
first tenth of the calls warms caches and is left out. With ``--keys own`` the raw side
reads, at each step, the target half the list away (the same targets in all, another
order), so neither side reads rows the other has just read: the second reader of a key
finds its pages warm in the processor's caches (about 1 µs at 1M orders), which ABBA
gives each side half the time; ``own`` shows whether that moves a ratio. Import is timed
in chunks of ``--import-chunk`` orders, alternating the same way, each side into its own
fresh store.

**Growth.** With more than one SQLite size, find-order's growth from the first to the last
is timed once more with both stores open, the stores taking turns :data:`TURN` targets at
a time (every other round in the reverse order), library and raw ABBA within each turn,
answers checked first. The per-store tables above are timed one store after the other, and
this machine's speed drifts by tens of per cent within a second: in one run the same
10,000-order store gave a find-order p50 of 131.0 µs and, timed again at once, 161.6 µs.
Taking turns puts both stores under the same drift (two copies of one store, so taking
turns, come out at 0.96x to 1.00x).

**Rate limits.** The library runs its real default limiter (``memory://``); every call
uses its own client and every target its own shopper, so no call is refused (a refusal
stops the run). Output is Markdown for ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, TypeVar

import phonenumbers
from raw_rows import SEPARATOR, amount, micros, part_key, record_rows

from orderstatus_core import OrderFound, OrderStatus, SearchPage, parse_email
from orderstatus_core.sample import generate_orders
from orderstatus_core.services import read_json_lines
from orderstatus_core.testing import RecordingMailer

HERE = Path(__file__).parent
DATA = HERE / "data"
CHECKED = 25  # targets whose answers are compared on both sides before timing
_ORDER_NUMBER = re.compile(r"\b[0-9]{9}\b")
K = TypeVar("K")  # how in_turns names its stores

#: A line as the comparison sees it: (line_no, part number, quantity, unit price).
Line = tuple[int, str, int, Decimal]
#: A package as the comparison sees it: (package_id, carrier, tracking, ((line_no, qty), ...)).
Package = tuple[str, str | None, str | None, tuple[tuple[int, int], ...]]
#: An order as the comparison sees it.
Found = tuple[str, frozenset[Line], tuple[Package, ...]]
#: A search page as the comparison sees it: (number, matching line numbers) newest first.
Matches = tuple[tuple[str, tuple[int, ...]], ...]


@dataclass(frozen=True)
class Target:
    """One order and what each path asks about it; the raw side gets stored keys."""

    number: str
    email: str
    phone: str | None  # E.164, as stored
    part_number: str  # as printed on the order
    category: str  # the top segment of one line's category, as shown
    category_key: str  # its stored key

    @property
    def phone_typed(self) -> str:
        """The phone as a shopper types it (national format)."""
        assert self.phone is not None
        return phonenumbers.format_number(
            phonenumbers.parse(self.phone), phonenumbers.PhoneNumberFormat.NATIONAL
        )


class RawStore(Protocol):
    """What the raw side of a store does: plain driver calls, plain values back."""

    engine: str

    def targets(self, count: int, seed: int) -> list[Target]: ...
    def find(self, number: str, contact: str) -> Found | None: ...
    def search_part(self, email_key: str, part_key: str, limit: int) -> Matches: ...
    def search_category(self, email_key: str, key: str, limit: int) -> Matches: ...
    def look_up(self, email_key: str, size: int) -> tuple[str, ...]: ...
    def clear_outbox(self) -> None: ...
    def close(self) -> None: ...


class RawImport(Protocol):
    """A fresh store the raw import loads into; ``rows`` reads every table back."""

    def load(self, texts: Sequence[str]) -> None: ...
    def rows(self) -> dict[str, list[tuple[Any, ...]]]: ...


class Mismatch(Exception):
    """The library and the raw side answered differently: the run stops."""


# --- plain values -------------------------------------------------------------------------


def found_of(result: object) -> Found | None:
    """The library's find-order answer as a plain value."""
    if not isinstance(result, OrderFound):
        return None
    view = result.view
    return (
        view.number,
        frozenset(
            (line.line_no, line.part_number, line.quantity, line.unit_price.amount)
            for line in view.lines
        ),
        tuple((p.package_id, p.carrier, p.tracking_number, tuple(p.units)) for p in view.packages),
    )


def matches_of(page: SearchPage) -> Matches:
    """The library's search page as a plain value."""
    return tuple(
        (match.header.number, tuple(sorted(line.line_no for line in match.lines)))
        for match in page.matches
    )


def fold(rows: Iterator[Sequence[Any]], limit: int) -> Matches:
    """Rows (number, line_no, ...) newest order first -> the first ``limit`` orders' lines."""
    orders: dict[str, list[int]] = {}
    for number, line_no, *_rest in rows:
        lines = orders.get(number)
        if lines is None:
            if len(orders) == limit:
                break
            lines = orders[number] = []
        lines.append(line_no)
    return tuple((number, tuple(sorted(lines))) for number, lines in orders.items())


def mailed_numbers(mailer: RecordingMailer, to: str) -> tuple[str, ...]:
    """The order numbers in the last mail to ``to``, in the mail's order."""
    mails = [mail for mail in mailer.sent if mail.to.lower() == to.lower()]
    return tuple(_ORDER_NUMBER.findall(mails[-1].text)) if mails else ()


def recent_for_mailbox(rows: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """The newest numbers placed with the newest order's address, as the relay mails them."""
    if not rows:
        return ()
    to = rows[0][1].lower()
    return tuple(number for number, email in rows if email.lower() == to)


# --- SQLite -------------------------------------------------------------------------------

PICK = (
    "SELECT number, email, email_key, phone FROM orders WHERE number >= ? ORDER BY number LIMIT 1"
)
PICK_LINE = (
    "SELECT part_number, category, category_key FROM order_lines"
    " WHERE order_number = ? ORDER BY position LIMIT 1"
)
# Every column, as a page showing the order needs them (address, amounts, dates); the
# comparison then looks at the lines and packages.
SQLITE_ORDER = "SELECT * FROM orders WHERE number = ? AND (email_key = ? OR phone = ?)"
SQLITE_LINES = "SELECT * FROM order_lines WHERE order_number = ?"
SQLITE_PACKAGES = (
    "SELECT p.*, u.line_no, u.quantity FROM packages p JOIN package_units u"
    " ON u.order_number = p.order_number AND u.package_position = p.position"
    " WHERE p.order_number = ? ORDER BY p.position, u.position"
)
_SEARCH = (
    "SELECT o.number, l.line_no, o.placed_at, o.email, l.* FROM orders o"
    " JOIN order_lines l ON l.order_number = o.number"
    " WHERE o.email_key = ? AND {match} ORDER BY o.placed_at DESC, o.number DESC"
)
SEARCH_PART = _SEARCH.format(match="l.part_key = ?")
SEARCH_CATEGORY = _SEARCH.format(
    match="(l.category_key = ? OR (l.category_key >= ? AND l.category_key < ?))"
)
RECENT = (
    "SELECT number, email FROM orders WHERE email_key = ?"
    " ORDER BY placed_at DESC, number DESC LIMIT ?"
)
OUTBOX = (
    "INSERT INTO outbox (message_id, created_at, kind, payload, attempts) VALUES (?, ?, ?, ?, 0)"
)


def pick_targets(
    one: Callable[[str, tuple[Any, ...]], Sequence[Any] | None], count: int, seed: int
) -> list[Target]:
    """``count`` random orders of distinct shoppers (and distinct phones).

    Each pick seeks the first order at or after a random nine-digit number through the
    primary key: uniform enough, and O(log n) per pick at any store size. ``one`` runs a
    statement written with ``?`` placeholders and returns its first row.
    """
    rng = random.Random(seed)
    picked: dict[str, Target] = {}
    phones: set[str] = set()
    for _attempt in range(count * 20):
        if len(picked) == count:
            break
        row = one(PICK, (f"{rng.randrange(10**8, 10**9)}",))
        if row is None or row[2] in picked or (row[3] is not None and row[3] in phones):
            continue
        line = one(PICK_LINE, (row[0],))
        assert line is not None, row
        top = line[1].split(SEPARATOR)[0]
        picked[row[2]] = Target(
            number=row[0],
            email=row[1],
            phone=row[3],
            part_number=line[0],
            category=top,
            category_key=line[2].split(SEPARATOR)[0],
        )
        if row[3] is not None:
            phones.add(row[3])
    return list(picked.values())


class SqliteRaw:
    """The raw side on one SQLite file: ``sqlite3``, autocommit, nothing built but tuples."""

    engine = "SQLite"

    def __init__(self, db: Path) -> None:
        self._db = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA busy_timeout = 5000")
        self._db.execute("PRAGMA synchronous = NORMAL")  # as the adapter sets it

    def targets(self, count: int, seed: int) -> list[Target]:
        return pick_targets(lambda sql, p: self._db.execute(sql, p).fetchone(), count, seed)

    def find(self, number: str, contact: str) -> Found | None:
        db = self._db
        if db.execute(SQLITE_ORDER, (number, contact, contact)).fetchone() is None:
            return None
        lines = frozenset(
            (row[1], row[3], row[9], Decimal(row[10]))
            for row in db.execute(SQLITE_LINES, (number,))
        )
        packages: dict[str, tuple[str | None, str | None, list[tuple[int, int]]]] = {}
        for row in db.execute(SQLITE_PACKAGES, (number,)):
            packages.setdefault(row[2], (row[4], row[5], []))[2].append((row[9], row[10]))
        return (
            number,
            lines,
            tuple((pid, c, t, tuple(units)) for pid, (c, t, units) in packages.items()),
        )

    def search_part(self, email_key: str, part_key: str, limit: int) -> Matches:
        return fold(iter(self._db.execute(SEARCH_PART, (email_key, part_key))), limit)

    def search_category(self, email_key: str, key: str, limit: int) -> Matches:
        rows = self._db.execute(
            SEARCH_CATEGORY, (email_key, key, key + SEPARATOR, key + chr(ord(SEPARATOR) + 1))
        )
        return fold(iter(rows), limit)

    def look_up(self, email_key: str, size: int) -> tuple[str, ...]:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        numbers = recent_for_mailbox(db.execute(RECENT, (email_key, size)).fetchall())
        payload = json.dumps({"email_key": email_key, "order_numbers": numbers})
        db.execute(OUTBOX, (uuid.uuid4().hex, time.time_ns() // 1000, "order_list", payload))
        db.execute("COMMIT")
        return numbers

    def clear_outbox(self) -> None:
        self._db.execute("DELETE FROM outbox")

    def close(self) -> None:
        self._db.close()


SQLITE_INSERTS = {
    "orders": (
        "INSERT INTO orders (number, placed_at, email, email_key, phone, currency, ship_name,"
        " ship_line1, ship_line2, ship_city, ship_region, ship_postal_code, ship_country,"
        " shipping, tax, version, shipping_speed, activity)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, NULL)"
    ),
    "order_lines": (
        "INSERT INTO order_lines (order_number, line_no, position, part_number, part_key, brand,"
        " category, category_key, description, quantity, unit_price, core_charge, returnable,"
        " warranty_months, cancelled, returned, vehicle, vehicle_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ),
    "packages": (
        "INSERT INTO packages (order_number, position, package_id, warehouse, carrier,"
        " tracking_number, shipped_at, delivered_at, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ),
    "package_units": (
        "INSERT INTO package_units (order_number, package_position, position, line_no, quantity)"
        " VALUES (?, ?, ?, ?, ?)"
    ),
}


class SqliteImport:
    """A fresh SQLite file (the library's schema) that raw ``executemany`` loads into."""

    def __init__(self, db: Path) -> None:
        self._db = sqlite3.connect(db, isolation_level=None)
        # As the adapter's connections are set (and import_speed.py's raw loader): the same
        # durability and the same checks, foreign keys included.
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA synchronous = NORMAL")

    def load(self, texts: Sequence[str]) -> None:
        tables: dict[str, list[tuple[Any, ...]]] = {name: [] for name in SQLITE_INSERTS}
        for text in texts:
            order, lines, packages, units = record_rows(json.loads(text), micros, amount)
            tables["orders"].append(order)
            tables["order_lines"] += lines
            tables["packages"] += packages
            tables["package_units"] += units
        self._db.execute("BEGIN IMMEDIATE")
        for name, sql in SQLITE_INSERTS.items():
            self._db.executemany(sql, tables[name])
        self._db.execute("COMMIT")

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        return {
            name: self._db.execute(f"SELECT * FROM {name} ORDER BY 1, 2, 3").fetchall()
            for name in SQLITE_INSERTS
        }


def sqlite_rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the order tables of ``db``."""
    return SqliteImport(db).rows()


def import_into(size: int, db: Path) -> dict[str, float]:
    """Generate ``size`` orders as JSON Lines and import them; runs in a child process."""
    source = db.with_suffix(".jsonl")
    with source.open("w", encoding="utf-8") as out:
        for record in generate_orders(size, seed=1):
            out.write(json.dumps(record, separators=(",", ":")))
            out.write("\n")
    with OrderStatus.open(storage=f"sqlite:///{db}", mail=RecordingMailer()) as desk:
        desk.migrate()
        started = time.perf_counter()
        with source.open("rb") as stream:
            report = desk.import_orders(read_json_lines(stream))
        seconds = time.perf_counter() - started
    source.unlink()
    return {"orders": report.imported, "seconds": seconds}


def sqlite_store(size: int) -> Path:
    """The kept SQLite store of ``size`` orders, imported by the library if missing."""
    DATA.mkdir(exist_ok=True)
    db = DATA / f"orders-{size}.db"
    if not db.exists():
        print(f"Importing {size:,} orders into {db} ...", file=sys.stderr, flush=True)
        child = subprocess.run(  # noqa: S603  (this interpreter, this script)
            [sys.executable, __file__, "--import-into", str(db), "--sizes", str(size)],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        seconds = json.loads(child.stdout)["seconds"]
        print(f"  imported in {seconds:.0f} s", file=sys.stderr, flush=True)
    return db


# --- the comparison -----------------------------------------------------------------------


def micros_of(call: Callable[[], object]) -> float:
    """How long ``call`` took, in microseconds."""
    started = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - started) / 1000


def p99(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def summary(ours: Sequence[float], raw: Sequence[float]) -> dict[str, float]:
    """Medians, p99s and the ratio of medians of two interleaved samples."""
    return {
        "median": statistics.median(ours),
        "p99": p99(ours),
        "raw_median": statistics.median(raw),
        "raw_p99": p99(raw),
        "ratio": statistics.median(ours) / statistics.median(raw),
    }


def interleaved(
    count: int, ours: Callable[[int], object], raw: Callable[[int], object], shift: int = 0
) -> dict[str, float]:
    """Time ``ours(i)`` and ``raw((i + shift) % count)`` for each i, ABBA, the first tenth
    left out. ``shift`` 0: both sides read the same key back to back; otherwise each
    reads its own key at that moment (the same keys in all, in another order)."""
    return in_turns(count, {"": (ours, raw)}, count, shift)[""]


def in_turns(
    count: int,
    stores: dict[K, tuple[Callable[[int], object], Callable[[int], object]]],
    turn: int,
    shift: int = 0,
) -> dict[K, dict[str, float]]:
    """:func:`interleaved` for several stores taking turns, ``turn`` calls at a time.

    Each store's library and raw call alternate as in :func:`interleaved`; after ``turn``
    targets the next store takes over, and so on round the stores (every other round in the
    reverse order) until each has run ``count``. The first tenth of every turn warms that
    store's caches again and is left out. Short turns put every store under the same
    machine state: this machine's speed drifts by tens of per cent within a second (see
    "Growth" above), so stores timed one after the other differ by the drift as much as by
    their size.
    """
    mine: dict[K, list[float]] = {name: [] for name in stores}
    theirs: dict[K, list[float]] = {name: [] for name in stores}
    warm = turn // 10
    order = list(stores.items())
    for start in range(0, count, turn):
        # ABBA again, round by round: no store always follows the same one.
        for name, (ours, raw) in order if start // turn % 2 == 0 else order[::-1]:
            for index in range(start, min(start + turn, count)):
                other = (index + shift) % count
                if index % 2:
                    raw_time = micros_of(lambda: raw(other))  # noqa: B023 - called at once
                    our_time = micros_of(lambda: ours(index))  # noqa: B023
                else:
                    our_time = micros_of(lambda: ours(index))  # noqa: B023
                    raw_time = micros_of(lambda: raw(other))  # noqa: B023
                if index - start >= warm:
                    mine[name].append(our_time)
                    theirs[name].append(raw_time)
    return {name: summary(mine[name], theirs[name]) for name in stores}


def same(path: str, target: Target, ours: object, raw: object) -> None:
    if ours != raw or raw in (None, ()):
        raise Mismatch(f"{path}, order {target.number}: library {ours!r} != raw {raw!r}")


class Clients:
    """A new client name for every call: no call meets another's per-client limit."""

    def __init__(self) -> None:
        self._count = 0

    def __call__(self) -> str:
        self._count += 1
        return f"bench-client-{self._count}"


#: One read path: (its targets, the library's call, the raw call).
ReadPath = tuple[list[Target], Callable[[Target], Any], Callable[[Target], Any]]

#: The library's answer of each read path as the plain value the raw side returns.
PLAIN: dict[str, Callable[[Any], object]] = {
    "find-order, email": found_of,
    "find-order, phone": found_of,
    "search, part": matches_of,
    "search, category": matches_of,
}


def read_paths(
    desk: OrderStatus, raw: RawStore, queries: int, client: Clients
) -> dict[str, ReadPath]:
    """Every read path on ``desk`` and ``raw``, for ``queries`` random targets (seed 7),
    each library call with a new name from ``client``."""
    policy = desk.context.policies.lookup_policy()
    page, recent = policy.search_page_size, policy.order_list_size
    targets = raw.targets(queries, seed=7)
    phoned = [t for t in targets if t.phone is not None]
    typed = {t.number: t.phone_typed for t in phoned}
    verified = {t.email: parse_email(t.email) for t in targets}

    def find(identifier: str, number: str) -> object:
        result = desk.find_order(identifier, number, client=client())
        if not isinstance(result, OrderFound):
            raise Mismatch(f"find-order {number}: {result!r}")  # a refusal stops the run
        return result

    return {
        "find-order, email": (
            targets,
            lambda t: find(t.email, t.number),
            lambda t: raw.find(t.number, t.email.lower()),
        ),
        "find-order, phone": (
            phoned,
            lambda t: find(typed[t.number], t.number),
            lambda t: raw.find(t.number, t.phone or ""),
        ),
        "search, part": (
            targets,
            lambda t: desk.search_orders(verified[t.email], part_number=t.part_number),
            lambda t: raw.search_part(t.email.lower(), part_key(t.part_number), page),
        ),
        "search, category": (
            targets,
            lambda t: desk.search_orders(verified[t.email], category=t.category),
            lambda t: raw.search_category(t.email.lower(), t.category.lower(), page),
        ),
        "Order Look-Up": (
            targets,
            lambda t: desk.send_order_list(t.email, client=client()),
            lambda t: raw.look_up(t.email.lower(), recent),
        ),
    }


def by_index(read: ReadPath) -> tuple[Callable[[int], object], Callable[[int], object]]:
    """The library's and the raw call of ``read`` on its i-th target."""
    chosen, ours, raw = read
    return (lambda i: ours(chosen[i]), lambda i: raw(chosen[i]))


def check_answers(paths: dict[str, ReadPath]) -> None:
    """The first :data:`CHECKED` targets of each path answer alike on both sides."""
    for path, (chosen, ours, floor) in paths.items():
        if path in PLAIN:
            for target in chosen[:CHECKED]:
                same(path, target, PLAIN[path](ours(target)), floor(target))


def compare(
    desk: OrderStatus, raw: RawStore, queries: int, own_keys: bool = False
) -> dict[str, dict[str, float]]:
    """Check a sample of answers equal, then time every read path, library against raw;
    ``own_keys``: at each step the raw side reads another target than the library
    (:func:`interleaved`'s ``shift``, half the targets away)."""
    raw.clear_outbox()  # earlier runs' requests: the relay below must see only this run's
    recent = desk.context.policies.lookup_policy().order_list_size
    client = Clients()
    paths = read_paths(desk, raw, queries, client)
    check_answers(paths)
    _check_look_up(desk, raw, paths["Order Look-Up"][0][:CHECKED], client, recent)
    results: dict[str, dict[str, float]] = {}
    for path, read in paths.items():
        count = len(read[0])
        results[path] = interleaved(count, *by_index(read), count // 2 if own_keys else 0)
    raw.clear_outbox()  # the raw side's rows are no messages the relay knows
    return results


#: Calls of one store before the next takes its turn, in :func:`growth`.
TURN = 50


def growth(
    stores: dict[int, Path], queries: int, own_keys: bool = False
) -> dict[str, dict[int, dict[str, float]]]:
    """find-order on every SQLite store at once, the stores taking turns (:func:`in_turns`),
    answers checked first: by path, each store's library and raw medians."""
    found: dict[str, dict[int, dict[str, float]]] = {}
    with ExitStack() as stack:
        paths: dict[int, dict[str, ReadPath]] = {}
        for size, db in stores.items():
            desk = stack.enter_context(sqlite_desk(db))
            raw = SqliteRaw(db)
            stack.callback(raw.close)
            paths[size] = {
                path: chosen
                for path, chosen in read_paths(desk, raw, queries, Clients()).items()
                if path.startswith("find-order")
            }
            check_answers(paths[size])
        for path in paths[next(iter(stores))]:
            count = min(len(paths[size][path][0]) for size in stores)
            turns = {size: by_index(paths[size][path]) for size in stores}
            found[path] = in_turns(count, turns, TURN, count // 2 if own_keys else 0)
    return found


def _check_look_up(
    desk: OrderStatus, raw: RawStore, targets: list[Target], client: Clients, recent: int
) -> None:
    """The numbers the library's relay mails equal those the raw transaction reads."""
    mailer = desk.context.mailer
    assert isinstance(mailer, RecordingMailer)
    for target in targets:
        desk.send_order_list(target.email, client=client())
    desk.relay_outbox(limit=2 * len(targets) + 1)  # each request, then its mail
    for target in targets:
        same(
            "Order Look-Up",
            target,
            mailed_numbers(mailer, target.email),
            raw.look_up(target.email.lower(), recent),
        )


@contextmanager
def sqlite_desk(db: Path) -> Iterator[OrderStatus]:
    with OrderStatus.open(storage=f"sqlite:///{db}", mail=RecordingMailer()) as desk:
        desk.migrate()  # a store kept from a run of an older version
        yield desk


def compare_import(
    library: Callable[[list[str]], object],
    raw: RawImport,
    library_rows: Callable[[], dict[str, list[tuple[Any, ...]]]],
    orders: int,
    chunk: int,
) -> dict[str, float]:
    """Orders per second of each side, chunk by chunk (ABBA), then every row compared."""
    texts = [
        json.dumps(record, separators=(",", ":")) for record in generate_orders(orders, seed=3)
    ]
    chunks = [texts[start : start + chunk] for start in range(0, len(texts), chunk)]
    times = interleaved_chunks(chunks, library, raw.load)
    ours, theirs = library_rows(), raw.rows()
    for table, rows in ours.items():
        if rows != theirs[table]:
            differ = next((a, b) for a, b in zip(rows, theirs[table], strict=False) if a != b)
            raise Mismatch(f"import: table {table} differs, first {differ[0]!r} != {differ[1]!r}")
    return times


def interleaved_chunks(
    chunks: list[list[str]],
    library: Callable[[list[str]], object],
    raw: Callable[[list[str]], object],
) -> dict[str, float]:
    """Rates of each chunk in orders/s; medians, p99s (the slow end: p1 of rates) and ratio."""
    mine: list[float] = []
    theirs: list[float] = []
    for index, chunk in enumerate(chunks):
        sides = [(mine, library), (theirs, raw)]
        for rates, load in sides if index % 2 == 0 else sides[::-1]:
            rates.append(len(chunk) / (micros_of(lambda: load(chunk)) / 1e6))  # noqa: B023
    warm = max(1, len(chunks) // 10)
    mine, theirs = mine[warm:], theirs[warm:]

    def slow(values: list[float]) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[0]

    return {
        "median": statistics.median(mine),
        "p99": slow(mine),
        "raw_median": statistics.median(theirs),
        "raw_p99": slow(theirs),
        "ratio": statistics.median(mine) / statistics.median(theirs),
    }


def sqlite_import(orders: int, chunk: int) -> dict[str, float]:
    """Import into two fresh SQLite files, the library's and the raw loader's."""
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        ours_db, raw_db = Path(folder) / "library.db", Path(folder) / "raw.db"
        with sqlite_desk(raw_db):
            pass  # the same schema, made by the library's migrations
        with sqlite_desk(ours_db) as desk:
            return compare_import(
                lambda texts: desk.import_orders(texts),
                SqliteImport(raw_db),
                lambda: sqlite_rows(ours_db),
                orders,
                chunk,
            )


# --- report -------------------------------------------------------------------------------


def cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for row in info:
                if row.startswith("model name"):
                    return row.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def row(store: str, path: str, result: dict[str, float], unit: str = "µs") -> str:
    if unit == "orders/s":
        return (
            f"| {store} | {path} | {result['median']:,.0f} | {result['p99']:,.0f} | "
            f"{result['raw_median']:,.0f} | {result['raw_p99']:,.0f} | "
            f"{result['ratio'] * 100:.0f} % |"
        )
    return (
        f"| {store} | {path} | {result['median']:.1f} | {result['p99']:.1f} | "
        f"{result['raw_median']:.1f} | {result['raw_p99']:.1f} | {result['ratio']:.2f}x |"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print it as Markdown; 1 if any answer differed."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="SQLite stores")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to compare on")
    parser.add_argument("--postgres-sizes", default="100000")
    parser.add_argument("--queries", type=int, default=2000, help="targets per store")
    parser.add_argument(
        "--keys",
        choices=("same", "own"),
        default="same",
        help="same: both sides read one target back to back (ABBA); own: each its own",
    )
    parser.add_argument("--import-orders", type=int, default=5000, help="0: no import")
    parser.add_argument("--import-chunk", type=int, default=250)
    parser.add_argument("--import-into", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",") if size]
    if args.import_into is not None:
        print(json.dumps(import_into(sizes[0], args.import_into)))
        return 0
    postgres: Any = None
    if args.postgres:
        import postgres as postgres_side  # only with --postgres: it needs psycopg

        reason = postgres_side.unreachable(args.postgres)
        if reason is None:
            postgres = postgres_side
        else:
            print(f"PostgreSQL skipped: {reason}\n", flush=True)
    try:
        return report(args, sizes, postgres)
    except Mismatch as error:
        print(f"\nDIFFERENT ANSWERS, run stopped: {error}", file=sys.stderr)
        return 1


def report(args: argparse.Namespace, sizes: list[int], postgres: Any) -> int:
    started = time.time()
    machine = (
        f"{cpu()} ({os.cpu_count()} cores), {platform.machine()}, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    if postgres is not None:
        machine += f", {postgres.version(args.postgres)}"
    print(f"Machine: {machine}")
    print(f"Load average (1 / 5 / 15 min) at the start: {load_average()}")
    keys = "each its own target" if args.keys == "own" else "the same target, back to back"
    print(f"Keys: {args.keys} (at each step library and raw read {keys})\n")
    print("| store | path | library p50 | library p99 | raw p50 | raw p99 | library / raw |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for size in sizes:
        db = sqlite_store(size)
        raw = SqliteRaw(db)
        with sqlite_desk(db) as desk:
            results = compare(desk, raw, args.queries, args.keys == "own")
        raw.close()
        for path, result in results.items():
            print(row(f"SQLite {size:,}", path, result), flush=True)
    if postgres is not None:
        for size in (int(size) for size in args.postgres_sizes.split(",") if size):
            schema = postgres.store(args.postgres, size)
            raw_pg = postgres.PostgresRaw(args.postgres, schema)
            with postgres.desk(args.postgres, schema) as desk:
                results = compare(desk, raw_pg, args.queries, args.keys == "own")
            raw_pg.close()
            for path, result in results.items():
                print(row(f"PostgreSQL {size:,}", path, result), flush=True)
    if args.import_orders:
        # Ten chunks at least: the first warms up, the rest give a median and a slowest.
        args.import_chunk = max(1, min(args.import_chunk, args.import_orders // 10))
        print(
            f"\nImport of {args.import_orders:,} orders into a fresh store, in chunks of "
            f"{args.import_chunk} (orders/s; p99 is the slowest 1 % of chunks; raw: "
            "json.loads + executemany):\n"
        )
        print("| store | path | library p50 | library p99 | raw p50 | raw p99 | library / raw |")
        print("|---|---|---:|---:|---:|---:|---:|")
        result = sqlite_import(args.import_orders, args.import_chunk)
        print(row("SQLite", "import", result, "orders/s"), flush=True)
        if postgres is not None:
            result = postgres.compare_import(args.postgres, args.import_orders, args.import_chunk)
            print(row("PostgreSQL", "import", result, "orders/s"), flush=True)
    if len(sizes) > 1:
        first, last = sizes[0], sizes[-1]
        print(
            f"\nFind-order growth, {first:,} -> {last:,} orders, the two stores taking turns"
            f" {TURN} calls at a time (medians; the raw read's growth beside the library's,"
            " bench/page_cache.py):"
        )
        stores = {size: sqlite_store(size) for size in (first, last)}
        for path, by_size in growth(stores, args.queries, args.keys == "own").items():
            small, large = by_size[first], by_size[last]
            print(
                f"- {path}: library {small['median']:.1f} -> {large['median']:.1f} µs,"
                f" {large['median'] / small['median']:.2f}x; raw {small['raw_median']:.1f} ->"
                f" {large['raw_median']:.1f} µs, {large['raw_median'] / small['raw_median']:.2f}x"
            )
    print(f"\nLoad average at the end: {load_average()}; {time.time() - started:.0f} s in all.")
    print(f"Command: python bench/run.py {' '.join(sys.argv[1:])}")
    return 0


if __name__ == "__main__":
    # Run as the module ``run`` that bench/postgres.py imports, so both share one Mismatch.
    import run

    sys.exit(run.main())
