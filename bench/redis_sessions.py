"""The session check with the sessions in Redis, against a raw Redis read, in one run.

    python bench/redis_sessions.py [--redis redis://127.0.0.1:6379/0] [--sessions 10000]
                                   [--calls 3000]

The store: a SQLite file holding the account, and ``--sessions`` live sessions of it in
Redis (``OrderStatus.open(..., sessions="redis://...")``, a key prefix of its own, deleted
at the end). Interleaved call by call, on random sessions:

* **facade, Redis sessions**: ``desk.shopper(...).view()``, the page-view check: the
  session read from Redis (one ``HMGET``), the account read from SQLite, the view value;
  no write (within the touch minute);
* **storage port, Redis sessions**: ``uow.sessions.get`` in a read unit of the wrapped
  storage (opens and closes a SQLite read unit too);
* **raw Redis read**: redis-py's ``HMGET`` of the same session key, the same seven fields;
* **raw Redis GET**: a ``GET`` of a string key of the same size, the cheapest round trip;
* **facade, SQLite sessions**: the same page view on a second file holding the same
  sessions in SQLite, for comparison.

The first tenth of each series warms up and is left out; p50 and p99 in µs, and each path's
p50 over the raw ``HMGET``'s.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis

from orderstatus_core import AccountView, OrderStatus
from orderstatus_core.contacts import parse_email
from orderstatus_core.model.account import Account, AccountSession, hash_session_id
from orderstatus_core.ports import Storage
from orderstatus_core.testing import FixedClock
from orderstatus_redis import RedisSessionStore
from orderstatus_sqlite import SqliteStorage

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ACCOUNT = "acct-bench-0001"
FIELDS = ("account", "remember", "created", "seen", "expires", "reauth", "ended")


def _pq(times: list[float]) -> tuple[float, float]:
    kept = sorted(times[len(times) // 10 :])
    return statistics.median(kept), kept[min(len(kept) - 1, int(len(kept) * 0.99))]


def _interleaved(runs: int, calls: list[Callable[[int], object]]) -> list[list[float]]:
    times: list[list[float]] = [[] for _ in calls]
    for n in range(runs):
        for call, series in zip(calls, times, strict=True):
            started = time.perf_counter_ns()
            call(n)
            series.append((time.perf_counter_ns() - started) / 1000)
    return times


def _fill(storage: Storage, tokens: list[str]) -> None:
    with storage.unit_of_work(write=True) as uow:
        account = Account.sign_up(ACCOUNT, parse_email("jane@example.com"), T0).verified(T0)
        uow.accounts.add(account)
        for token in tokens:
            uow.sessions.put(
                AccountSession.start(token, ACCOUNT, T0, remember=True, lifetime=timedelta(days=14))
            )
        uow.commit()


def _sqlite(path: Path) -> SqliteStorage:
    storage = SqliteStorage.from_url(f"sqlite:///{path}")
    storage.migrate()
    return storage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=3000)
    options = parser.parse_args()
    prefix = f"orderstatus-bench:{uuid.uuid4().hex[:8]}:"
    redis_url = f"{options.redis}?prefix={prefix}"
    raw = redis.Redis.from_url(options.redis)
    tokens = [f"bench-session-token-{n:06d}-xxxxxxxxxxxxxxxxxxxx" for n in range(options.sessions)]
    picks = random.Random(1).choices(tokens, k=options.calls)
    keys = [f"{prefix}session:{hash_session_id(token)}" for token in picks]
    clock = FixedClock(T0 + timedelta(seconds=10))  # within the touch minute: no write
    try:
        with tempfile.TemporaryDirectory() as folder:
            apart, together = Path(folder) / "apart.db", Path(folder) / "together.db"
            shared = RedisSessionStore.from_url(redis_url)
            inner = _sqlite(apart)
            _fill(shared.with_storage(inner), tokens)
            inner.close()
            shared.close()
            in_sql = _sqlite(together)
            _fill(in_sql, tokens)
            in_sql.close()
            raw.set(f"{prefix}plain", "x" * 200)
            mail = f"mailbox:///{Path(folder) / 'mail'}"
            with (
                OrderStatus.open(
                    storage=f"sqlite:///{apart}",
                    mail=mail,
                    sessions=redis_url,
                    clock=clock,
                    password_hasher=None,
                ) as desk,
                OrderStatus.open(
                    storage=f"sqlite:///{together}", mail=mail, clock=clock, password_hasher=None
                ) as sql_desk,
            ):
                port = desk.context.storage

                def facade(n: int) -> None:
                    page = desk.shopper(client="198.51.100.1", session=picks[n]).view()
                    assert isinstance(page, AccountView), page

                def through_port(n: int) -> None:
                    with port.unit_of_work() as uow:
                        assert uow.sessions.get(hash_session_id(picks[n])) is not None

                def raw_hmget(n: int) -> None:
                    assert raw.hmget(keys[n], FIELDS)[0] is not None

                def raw_get(_n: int) -> None:
                    assert raw.get(f"{prefix}plain") is not None

                def facade_sql(n: int) -> None:
                    page = sql_desk.shopper(client="198.51.100.1", session=picks[n]).view()
                    assert isinstance(page, AccountView), page

                names = [
                    "session check, facade, Redis sessions",
                    "session check, storage port, Redis sessions",
                    "raw Redis HMGET of the session",
                    "raw Redis GET (200 bytes)",
                    "session check, facade, SQLite sessions",
                ]
                series = _interleaved(
                    options.calls, [facade, through_port, raw_hmget, raw_get, facade_sql]
                )
    finally:
        stale = list(raw.scan_iter(match=prefix.replace("*", r"\*") + "*", count=1000))
        for start in range(0, len(stale), 500):
            raw.delete(*stale[start : start + 500])
        raw.close()
    base = _pq(series[2])[0]
    print(
        f"{options.sessions:,} sessions in Redis, {options.calls:,} calls; "
        f"load {os.getloadavg()[0]:.2f}; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"redis-py {redis.__version__}\n"
    )
    print("| path | p50 (µs) | p99 (µs) | p50 / raw HMGET | p50 over raw HMGET (µs) |")
    print("|---|---:|---:|---:|---:|")
    for name, times in zip(names, series, strict=True):
        p50, p99 = _pq(times)
        print(f"| {name} | {p50:,.1f} | {p99:,.1f} | {p50 / base:.2f}x | {p50 - base:+,.1f} |")


if __name__ == "__main__":
    sys.exit(main())
