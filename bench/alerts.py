"""Availability alerts on SQLite (issue 14 items 5 and 11): reporting a part back in stock
with ``--watchers`` watchers, and listing one account's watches, each against raw SQL that
gives the same information, in one run.

* **report**: a SQLite file holds ``--watchers`` verified accounts watching the part, each
  also watching four other parts. Each round copies it twice and times, on one copy,
  ``desk.catalog.part_back_in_stock(part)`` (one unit of work: the alerts written by one
  ``INSERT ... SELECT`` from the core's template, ``AccountStore.queue_part_alerts``, the
  ``DELETE`` of the part's watches, the commit) and, on the other, the raw floor: one
  ``INSERT INTO outbox ... SELECT`` joining the part's watches to their accounts (the same
  kind and JSON payload, the id drawn by SQLite), the ``DELETE`` of the part's watches and
  the commit. A third side, **raw Python**, is what a developer writes by hand with
  ``sqlite3`` alone: the same ``SELECT`` of the watchers, one row per watcher built in
  Python (an id from ``os.urandom``, the payload by ``json.dumps``), one ``executemany``,
  the ``DELETE`` and the commit. Every side runs with the library's connection settings
  (``synchronous = NORMAL`` on the file's WAL journal). The sides rotate round by round;
  each must queue exactly one mail per watcher.
* **list**: ``shopper.part_watches()`` for an account watching 20 parts (the session
  check and the list, values built) against the raw session row and the raw ``SELECT`` of
  the watches, interleaved call by call; p50 and p99 in µs.

    PYTHONPATH=src:src/adapters python bench/alerts.py --watchers 1000 --rounds 9

``--counted ours`` (or ``raw``) runs one report of that side on a fresh copy of
``bench/data/alerts-<watchers>.db`` (built on the first run), the report alone inside
``itertools.starmap``, for callgrind to count its instructions, which the neighbours'
load does not move (run it once without valgrind first, to build the file)::

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=starmap_next \\
        --callgrind-out-file=/tmp/cg.out python bench/alerts.py --watchers 10000 --counted ours
    callgrind_annotate /tmp/cg.out | grep 'PROGRAM TOTALS'
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from account_store import SESSION_ROW, T0
from accounts import _interleaved, _row

from orderstatus_core import OrderStatus, PartNumber, PartWatches, parse_email
from orderstatus_core.model.account import Account, AccountSession, hash_session_id
from orderstatus_core.model.alerts import PartWatch
from orderstatus_core.testing import FixedClock
from orderstatus_sql.statements import qmark
from orderstatus_sql.watches import PART_WATCHES
from orderstatus_sqlite import SqliteStorage
from orderstatus_sqlite._rows import micros

PART = "BP-1234"
KEY = "bp1234"
LINK = "https://shop.example/account/alerts"
LISTER = "acct-lister"
TOKEN = "bench-alerts-session-token-xxxxxxxxxxxxxxxxx"  # noqa: S105 -- the bench's

# The raw floor: what the report writes, in two statements (SQLite draws the ids).
_RAW_QUEUE = """
INSERT INTO outbox (message_id, created_at, kind, payload, attempts, next_attempt_at,
    last_error, sent_at, dead_at)
SELECT lower(hex(randomblob(16))), ?, 'part_back_in_stock',
    json_object('to', a.email, 'part_number', w.part_number, 'link', ?,
                'language', a.language, 'kind', 'part_back_in_stock'),
    0, NULL, NULL, NULL, NULL
FROM part_watches AS w JOIN accounts AS a ON a.account_id = w.account_id
WHERE w.part_key = ? AND a.state = 'active'
"""
_RAW_UNWATCH = "DELETE FROM part_watches WHERE part_key = ?"
# The hand-written side: the watchers read, their rows built in Python.
_RAW_WATCHERS = """
SELECT a.email, w.part_number, a.language
FROM part_watches AS w JOIN accounts AS a ON a.account_id = w.account_id
WHERE w.part_key = ? AND a.state = 'active'
"""
_RAW_PUT = """
INSERT INTO outbox (message_id, created_at, kind, payload, attempts, next_attempt_at,
    last_error, sent_at, dead_at)
VALUES (?, ?, 'part_back_in_stock', ?, 0, NULL, NULL, NULL, NULL)
"""
_RAW_LIST = qmark(PART_WATCHES)
_ALERTS = "SELECT count(*) FROM outbox WHERE kind = 'part_back_in_stock'"

#: How a side's report is run: ``(seconds, what it answered)``.
Measure = Callable[[Callable[[], int]], tuple[float, int]]


def _timed(report: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    alerts = report()
    return time.perf_counter() - start, alerts


def _counted(report: Callable[[], int]) -> tuple[float, int]:
    """The report alone inside ``itertools.starmap``, which callgrind is told to count."""
    return 0.0, collections.deque(itertools.starmap(report, ((),)), maxlen=1)[0]


def _build(path: Path, watchers: int) -> None:
    """The accounts and their watches, the lister's 20 watches and session."""
    storage = SqliteStorage.from_url(f"sqlite:///{path}")
    storage.migrate()
    with storage.unit_of_work(write=True) as uow:
        for n in range(watchers):
            account_id = f"acct-{n:07d}"
            email = parse_email(f"shopper{n}@example.com")
            uow.accounts.add(Account.sign_up(account_id, email, T0).verified(T0))
            for part in (PART, f"BP-{n % 97}", f"OT-{n % 89}", f"FL-{n % 83}", f"XX-{n % 79}"):
                uow.accounts.put_watch(PartWatch(account_id, PartNumber(part), T0))
        lister = Account.sign_up(LISTER, parse_email("lister@example.com"), T0).verified(T0)
        uow.accounts.add(lister)
        for n in range(20):
            watched = T0 + timedelta(seconds=n)
            uow.accounts.put_watch(PartWatch(LISTER, PartNumber(f"LI-{n}"), watched))
        uow.sessions.put(
            AccountSession.start(TOKEN, LISTER, T0, remember=True, lifetime=timedelta(days=14))
        )
        uow.commit()
    storage.close()


def _ours(path: Path, measure: Measure = _timed) -> tuple[float, int]:
    clock = FixedClock(T0 + timedelta(hours=1))
    with OrderStatus.open(
        storage=f"sqlite:///{path}", mail="mailbox:///unused", clock=clock
    ) as desk:
        # A report of a part nobody watches first, as the raw side's: the connection is
        # open and the statements prepared before the clock starts, on both sides.
        assert desk.catalog.part_back_in_stock("NO-SUCH-PART").alerts == 0
        return measure(lambda: desk.catalog.part_back_in_stock(PART).alerts)


def _connect(path: Path) -> sqlite3.Connection:
    """A raw connection with the library's settings (``orderstatus_sqlite.connections``)."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous = NORMAL")
    return connection


def _raw_python(path: Path, measure: Measure = _timed) -> tuple[float, int]:
    connection = _connect(path)

    def report(key: str) -> int:
        connection.execute("BEGIN IMMEDIATE")
        created = micros(T0 + timedelta(hours=1))
        rows = [
            (
                os.urandom(16).hex(),
                created,
                json.dumps(
                    {
                        "to": email,
                        "part_number": part,
                        "link": LINK,
                        "language": language,
                        "kind": "part_back_in_stock",
                    },
                    separators=(",", ":"),
                    ensure_ascii=False,
                ),
            )
            for email, part, language in connection.execute(_RAW_WATCHERS, (key,))
        ]
        connection.executemany(_RAW_PUT, rows)
        connection.execute(_RAW_UNWATCH, (key,))
        connection.execute("COMMIT")
        return len(rows)

    try:
        report("nosuchpart")
        return measure(lambda: report(KEY))
    finally:
        connection.close()


def _raw(path: Path, measure: Measure = _timed) -> tuple[float, int]:
    connection = _connect(path)

    def report(key: str) -> int:
        connection.execute("BEGIN IMMEDIATE")
        queued: int = connection.execute(
            _RAW_QUEUE, (micros(T0 + timedelta(hours=1)), LINK, key)
        ).rowcount
        connection.execute(_RAW_UNWATCH, (key,))
        connection.execute("COMMIT")
        return queued

    try:
        report("nosuchpart")
        return measure(lambda: report(KEY))
    finally:
        connection.close()


_SIDES: dict[str, Callable[..., tuple[float, int]]] = {
    "ours": _ours,
    "raw": _raw,
    "raw-python": _raw_python,
}


def _one_counted(side: str, watchers: int) -> None:
    """One report of ``side`` on a fresh copy of the kept file, counted (``--counted``)."""
    data = Path(__file__).parent / "data"
    template = data / f"alerts-{watchers}.db"
    if not template.exists():
        _build(template, watchers)
    copy = data / f"alerts-{watchers}-{side}.db"
    shutil.copyfile(template, copy)
    try:
        _took, alerts = _SIDES[side](copy, _counted)
        assert alerts == watchers, (side, alerts)
        print(f"{side}: {alerts:,} alerts queued (one report counted)")
    finally:
        for leftover in data.glob(f"{copy.name}*"):
            leftover.unlink()


def _report(template: Path, folder: Path, watchers: int, rounds: int) -> list[str]:
    times: dict[str, list[float]] = {side: [] for side in _SIDES}
    names = list(_SIDES)
    for round_no in range(rounds):
        shift = round_no % len(names)
        for side in names[shift:] + names[:shift]:
            copy = folder / f"{side}.db"
            shutil.copyfile(template, copy)
            took, alerts = _SIDES[side](copy)
            assert alerts == watchers, (side, alerts)
            with sqlite3.connect(copy) as check:
                assert check.execute(_ALERTS).fetchone()[0] == watchers, side
            check.close()
            times[side].append(took)
            copy.unlink()
    lines = []
    for side, taken in times.items():
        ms = ", ".join(f"{t * 1000:.1f}" for t in taken)
        lines.append(f"{side}: median {statistics.median(taken) * 1000:.1f} ms ({ms})")
    ours = statistics.median(times["ours"])
    for side in ("raw", "raw-python"):
        raw = statistics.median(times[side])
        lines.append(
            f"ours / {side}: {ours / raw:.2f}x; rate {watchers / ours:,.0f} alerts/s against "
            f"{watchers / raw:,.0f}/s {side} ({raw / ours:.0%} of its rate)"
        )
    return lines


def _listing(template: Path, calls: int) -> str:
    url = f"sqlite:///{template}"
    clock = FixedClock(T0 + timedelta(seconds=10))  # within the touch minute: no write
    raw = sqlite3.connect(template)
    session_hash = hash_session_id(TOKEN)
    with OrderStatus.open(storage=url, mail="mailbox:///unused", clock=clock) as desk:
        shopper = desk.shopper(client="198.51.100.1", session=TOKEN)

        def ours(_n: int) -> None:
            answer = shopper.part_watches()
            assert isinstance(answer, PartWatches), answer
            assert len(answer.watches) == 20

        def bare(_n: int) -> None:
            assert raw.execute(SESSION_ROW, (session_hash,)).fetchone() is not None
            assert len(raw.execute(_RAW_LIST, (LISTER,)).fetchall()) == 20

        mine, base = _interleaved(calls, ours, bare)
    raw.close()
    skip = calls // 10  # the first tenth warms up
    return _row("watches (facade): 20 parts", mine[skip:], base[skip:], "<= 2x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--counted", choices=tuple(_SIDES), help="one report, for callgrind")
    options = parser.parse_args()
    if options.counted:
        _one_counted(options.counted, options.watchers)
        return
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        template = folder / "alerts.db"
        _build(template, options.watchers)
        report = _report(template, folder, options.watchers, options.rounds)
        listing = _listing(template, options.calls)
    print(
        f"{options.watchers:,} watchers of the part (each watching 5 parts); load "
        f"{load:.2f} before, {os.getloadavg()[0]:.2f} after; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    print("\n".join(report))
    print()
    print("| call | ours p50 | ours p99 | raw p50 | raw p99 | ratio | diff | goal |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    print(listing)


if __name__ == "__main__":
    main()
