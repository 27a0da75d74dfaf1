"""The data export through the facade against raw SELECTs and ``json.dumps`` of the same
data, in one run.

    python bench/export.py [--rounds 30] [--others 2000]

Issue 14 item 8 (the brief's bench): on one SQLite file with 20,000 other orders, an
account with 500 linked orders, 20 saved addresses, 10 vehicles, 20 store-credit entries,
40 lines of security log, 30 discount codes, 20 watched parts and 2 store-mail topics,
and ``--others`` accounts with a profile of their own:

* **ours**: ``shopper.export_data()``: the session check, the password window, the write
  unit holding the account's lock, every section (the orders one ``get`` each), the
  security-log line and its commit, and the document encoded;
* **raw**: the same information with ``sqlite3``: the session row, the account row, the
  saved addresses, the garage, the linked orders' rows with their lines, packages and units
  (one statement each, joined through ``order_links``), the credit entries of the
  account's address and of each linked order's, the codes, watches, topics, the log and the
  open sessions, each row made a dict, the orders nested, and ``json.dumps`` of the whole.

The two sides alternate round by round; the first two rounds of each warm up and are left
out; the median and the spread in ms, and the document sizes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from account_store import SESSION_ROW, T0, _fill

from orderstatus_core import AccountPolicy, DataExport, OrderStatus, hookimpl
from orderstatus_core.model.account import hash_session_id
from orderstatus_core.policies.limits import Quota
from orderstatus_core.testing import FixedClock
from orderstatus_sqlite import SqliteStorage


def _bench_profile() -> Any:
    """bench/profile.py (its profile fill, account and session token), loaded by path: its
    name is the standard library profiler's."""
    spec = importlib.util.spec_from_file_location(
        "bench_profile", Path(__file__).with_name("profile.py")
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_PROFILE = _bench_profile()
ACCOUNT: str = _PROFILE.ACCOUNT
TOKEN: str = _PROFILE.TOKEN

_OF_ACCOUNT = "FROM order_links AS k JOIN {table} AS t ON t.order_number = k.order_number"
RAW: dict[str, str] = {
    "account": "SELECT * FROM accounts WHERE account_id = ?",
    "addresses": "SELECT * FROM saved_addresses WHERE account_id = ? ORDER BY saved_at",
    "garage": "SELECT * FROM garage_vehicles WHERE account_id = ? ORDER BY added_at",
    "orders": """SELECT o.* FROM order_links AS k JOIN orders AS o ON o.number = k.order_number
        WHERE k.account_id = ? ORDER BY o.placed_at DESC, o.number DESC""",
    **{
        table: f"SELECT t.* {_OF_ACCOUNT.format(table=table)} WHERE k.account_id = ?"
        for table in ("order_lines", "packages", "package_units")
    },
    "holders": """SELECT DISTINCT o.email_key FROM order_links AS k
        JOIN orders AS o ON o.number = k.order_number WHERE k.account_id = ?""",
    "credit": "SELECT * FROM store_credit WHERE holder = ? ORDER BY at DESC, entry_id DESC",
    "codes": """SELECT * FROM discount_codes WHERE account_id = ?
        ORDER BY issued_at DESC, code DESC""",
    "watches": "SELECT * FROM part_watches WHERE account_id = ? ORDER BY watched_at, part_key",
    "topics": "SELECT * FROM mail_subscriptions WHERE account_id = ? ORDER BY topic",
    "log": "SELECT * FROM security_events WHERE account_id = ? ORDER BY at DESC, seq DESC",
    "sessions": "SELECT * FROM account_sessions WHERE account_id = ? AND ended_at IS NULL",
}


def _dicts(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def raw_export(raw: sqlite3.Connection, session_hash: str) -> bytes:
    """The same information as the export, by hand: rows as dicts, orders nested."""
    session = raw.execute(SESSION_ROW, (session_hash,)).fetchone()
    assert session is not None
    account_id = session[1]

    def rows(name: str, key: str = account_id) -> list[dict[str, Any]]:
        return _dicts(raw.execute(RAW[name], (key,)))

    [account] = rows("account")
    orders = rows("orders")
    by_number = {order["number"]: {**order, "lines": [], "packages": []} for order in orders}
    for line in rows("order_lines"):
        by_number[line["order_number"]]["lines"].append(line)
    packages: dict[tuple[str, str], dict[str, Any]] = {}
    for package in rows("packages"):
        kept = packages[package["order_number"], package["package_id"]] = {**package, "units": []}
        by_number[package["order_number"]]["packages"].append(kept)
    for unit in rows("package_units"):
        packages[unit["order_number"], unit["package_id"]]["units"].append(unit)
    document = {
        "schema": 2,
        "exported_at": time.time(),
        "account": account,
        "addresses": rows("addresses"),
        "garage": rows("garage"),
        "orders": list(by_number.values()),
        "store_credit": [
            entry
            for holder in sorted({account["email_key"], *(r["email_key"] for r in rows("holders"))})
            for entry in rows("credit", holder)
        ],
        "discount_codes": rows("codes"),
        "part_watches": rows("watches"),
        "mail_preferences": rows("topics"),
        "security_log": rows("log"),
        "sessions": rows("sessions"),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _EveryExport:
    """The bench exports many times a minute: the per-account limit (3 in 15 min) lifted."""

    @hookimpl
    def orderstatus_account_policy(self) -> AccountPolicy:
        return AccountPolicy(data_export_per_account=Quota(10**6, timedelta(seconds=1)))


def _alternating(rounds: int, ours: Callable[[], int], raw: Callable[[], int]) -> Any:
    times: dict[str, list[float]] = {"ours": [], "raw": []}
    sizes: dict[str, int] = {}
    for _round in range(rounds):
        for side, call in (("ours", ours), ("raw", raw)):
            started = time.perf_counter()
            sizes[side] = call()
            times[side].append((time.perf_counter() - started) * 1000)
    return {side: series[2:] for side, series in times.items()}, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--others", type=int, default=2000)
    options = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.db"
        url = f"sqlite:///{path}"
        storage = SqliteStorage.from_url(url)
        storage.migrate()
        _fill(storage, path, 1000, 500)
        _PROFILE._profile(storage, options.others)
        _PROFILE._history(storage, codes=30)
        storage.close()
        # Within the session's first minute: no touch; within its five: the export is allowed.
        clock = FixedClock(T0 + timedelta(seconds=10))
        raw = sqlite3.connect(path)
        desk = OrderStatus.open(
            storage=url,
            mail=f"mailbox:///{Path(folder) / 'mail'}",
            clock=clock,
            plugins=[_EveryExport()],
        )
        shopper = desk.shopper(client="198.51.100.1", session=TOKEN)
        session_hash = hash_session_id(TOKEN)

        def ours() -> int:
            answer = shopper.export_data()
            assert isinstance(answer, DataExport), answer
            return len(answer.document)

        def bare() -> int:
            return len(raw_export(raw, session_hash))

        document = shopper.export_data()
        assert isinstance(document, DataExport)
        parsed = json.loads(document.document)
        counts = {key: len(parsed[key]) for key in ("addresses", "garage", "orders")}
        assert counts == {"addresses": 20, "garage": 10, "orders": 500}, counts
        times, sizes = _alternating(options.rounds, ours, bare)
        desk.close()
        raw.close()
    mine, base = statistics.median(times["ours"]), statistics.median(times["raw"])
    print(
        f"500 linked orders, 20 addresses, 10 vehicles, 20 credit entries, 40 log lines, "
        f"30 codes, 20 watches, 2 topics; "
        f"20,000 other orders, {options.others:,} other profiles; load "
        f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}\n"
    )
    print("| side | median (ms) | min – max (ms) | document (bytes) | ours / raw |")
    print("|---|---:|---|---:|---:|")
    for side, median in (("ours", mine), ("raw", base)):
        series = times[side]
        print(
            f"| {side} | {median:.1f} | {min(series):.1f} – {max(series):.1f} | "
            f"{sizes[side]:,} | {median / base:.2f}x |"
        )


if __name__ == "__main__":
    main()
