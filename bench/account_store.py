"""The account store on SQLite against its raw queries, in one run, side by side.

Two reads of issue 13's goals, at the storage port (the services on top add their own work):

* **session check**: ``uow.sessions.get(id_hash)`` in a read unit, against a raw primary-key
  ``SELECT`` of the same row on the same file, with ``--sessions`` stored (1,000,000 by
  default); goal: at most 2x;
* **history page**: ``uow.accounts.linked_orders(account, 500)`` for an account with
  ``--orders`` linked orders (500 by default, among 20,000 of other shoppers), against the
  raw join it runs; goal: at most 2x.

Each round times the library and the raw query alternately, ``--calls`` calls each, on
random keys; the answers are checked equal first. Medians of the rounds' medians, in µs.
Nothing asserts; the result is Markdown.

    python bench/account_store.py --sessions 1000000 --rounds 5
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orderstatus_core.contacts import parse_email
from orderstatus_core.model.account import Account, AccountSession, LinkedBy, OrderLink
from orderstatus_core.testing.builders import make_order
from orderstatus_sqlite import SqliteStorage
from orderstatus_sqlite._rows import micros

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SESSION_ROW = """SELECT id_hash, account_id, remember, created_at, last_seen_at, expires_at,
    reauthenticated_at, ended_at FROM account_sessions WHERE id_hash = ?"""
HISTORY = """SELECT o.number, o.placed_at, o.email, o.email_key
FROM order_links AS k JOIN orders AS o ON o.number = k.order_number
WHERE k.account_id = ? ORDER BY o.placed_at DESC, o.number DESC LIMIT ?"""


def _fill(storage: SqliteStorage, path: Path, sessions: int, orders: int) -> list[str]:
    """Store the sessions (raw, for speed: the rows the adapter writes) and the account's
    linked orders among others' orders; the id hashes."""
    hashes = [hashlib.sha256(f"session {n}".encode()).hexdigest() for n in range(sessions)]
    start, end = micros(T0), micros(T0 + timedelta(days=14))
    with sqlite3.connect(path) as connection:
        connection.executemany(
            "INSERT INTO account_sessions VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
            (
                (h, f"acct-{n % 50_000:06d}", n % 2, start, start, end, start)
                for n, h in enumerate(hashes)
            ),
        )
    account = Account.sign_up("acct-history", parse_email("jane@example.com"), T0).verified(T0)
    with storage.unit_of_work(write=True) as uow:
        uow.accounts.add(account)
        mine = [
            make_order(f"5{n:08d}", "jane@example.com", placed_at=T0 - timedelta(hours=n))
            for n in range(orders)
        ]
        others = [
            make_order(f"6{n:08d}", f"shopper{n % 7000}@example.com", placed_at=T0)
            for n in range(20_000)
        ]
        uow.orders.add_many(mine + others)
        for order in mine:
            uow.accounts.link_order(
                OrderLink("acct-history", order.number, T0, LinkedBy.VERIFIED_EMAIL)
            )
        uow.commit()
    return hashes


#: The session tokens :func:`session_store` gives the history account (keep me logged in):
#: 43 characters, as long as a minted id (``secrets.token_urlsafe(32)``), so that hashing
#: one costs what it costs on a real page view.
TOKENS = [f"bench-session-token-{n:06d}-xxxxxxxxxxxxxxxx" for n in range(1000)]


def session_store(path: Path, sessions: int, orders: int = 500) -> SqliteStorage:
    """A migrated SQLite file at ``path`` with ``sessions`` sessions of 50,000 accounts
    (:func:`_fill`), the history account's ``orders`` linked orders and its 1,000 live
    sessions of :data:`TOKENS`: what ``accounts.py`` and ``instructions.py`` check."""
    storage = SqliteStorage.from_url(f"sqlite:///{path}")
    storage.migrate()
    _fill(storage, path, sessions, orders)
    with storage.unit_of_work(write=True) as uow:
        for token in TOKENS:
            uow.sessions.put(
                AccountSession.start(
                    token, "acct-history", T0, remember=True, lifetime=timedelta(days=14)
                )
            )
        uow.commit()
    return storage


def _median(calls: int, call: Callable[[int], object]) -> float:
    times = []
    for n in range(calls):
        started = time.perf_counter_ns()
        call(n)
        times.append((time.perf_counter_ns() - started) / 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "accounts.db"
        storage = SqliteStorage.from_url(f"sqlite:///{path}")
        storage.migrate()
        started = time.perf_counter()
        hashes = _fill(storage, path, options.sessions, options.orders)
        filled = time.perf_counter() - started
        raw = sqlite3.connect(path)
        picks = random.Random(1).choices(hashes, k=options.calls)

        def library_session(n: int) -> AccountSession | None:
            with storage.unit_of_work() as uow:
                return uow.sessions.get(picks[n])

        def raw_session(n: int) -> object:
            return raw.execute(SESSION_ROW, (picks[n],)).fetchone()

        def library_history(_n: int) -> object:
            with storage.unit_of_work() as uow:
                return uow.accounts.linked_orders("acct-history", options.orders)

        def raw_history(_n: int) -> object:
            return raw.execute(HISTORY, ("acct-history", options.orders)).fetchall()

        session = library_session(0)
        assert session is not None
        assert session.id_hash == raw_session(0)[0]
        assert [h.number for h in library_history(0)] == [r[0] for r in raw_history(0)]  # type: ignore[attr-defined]
        cases = {
            "session check": (library_session, raw_session, options.calls),
            "history page": (library_history, raw_history, max(options.calls // 20, 50)),
        }
        results: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in cases}
        for _round in range(options.rounds):
            for name, (library, baseline, calls) in cases.items():
                results[name][0].append(_median(calls, library))
                results[name][1].append(_median(calls, baseline))
        print(
            f"{options.sessions:,} sessions, {options.orders} linked orders among 20,000 "
            f"(filled in {filled:.0f} s); {options.rounds} rounds\n"
        )
        print("| path | library p50 (µs) | raw p50 (µs) | library / raw |")
        print("|---|---:|---:|---:|")
        for name, (library_times, raw_times) in results.items():
            lib, base = statistics.median(library_times), statistics.median(raw_times)
            print(f"| {name} | {lib:.1f} | {base:.1f} | {lib / base:.2f}x |")
        raw.close()
        storage.close()


if __name__ == "__main__":
    main()
