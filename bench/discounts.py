"""Discount codes through the facade against their raw SQL, in one run.

    python bench/discounts.py [--calls 2000] [--others 5000]

Issue 14 item 4 (the brief's bench): on one SQLite file with 20,000 orders, an account
(Jane's, 500 linked orders) holding ``2 * calls`` open codes, and ``--others`` accounts with
10 codes each:

* **redeem**: ``desk.discounts.redeem(code, email, reference, subtotal)`` (the code read
  as typed, the account by its email key, the code's row, the decision, one conditional
  update, commit) against the raw ``BEGIN IMMEDIATE; UPDATE discount_codes SET ... WHERE
  code = ? AND account_id = (the account of the email key) AND used_at IS NULL AND
  revoked_at IS NULL AND expires_at >= ?; COMMIT`` and its row count; each call uses a
  code of its own;
* **list**: ``shopper.discount_codes()`` (the session check and the 50 newest codes, each
  with its status) against the raw session row and ``SELECT ... ORDER BY issued_at DESC,
  code DESC LIMIT 50``, rows fetched and nothing built;
* the listing through the storage port alone (``uow.accounts.discount_codes``) against
  the raw SELECT.

Each pair is interleaved call by call; the first tenth of each series warms up and is left
out; p50 and p99 in µs.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import sqlite3
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from account_store import SESSION_ROW, T0, _fill
from accounts import _interleaved, _row

from orderstatus_core import DiscountApplied, DiscountCodes, Money, OrderStatus
from orderstatus_core.contacts import parse_email
from orderstatus_core.model.account import AccountSession, hash_session_id
from orderstatus_core.model.discounts import CODE_ALPHABET
from orderstatus_core.testing import FixedClock
from orderstatus_sqlite import SqliteStorage
from orderstatus_sqlite._rows import micros

ACCOUNT = "acct-history"
EMAIL = "jane@example.com"
TOKEN = "bench-discount-session-token-xxxxxxxxxxxxxxx"  # noqa: S105 -- the bench's
SUBTOTAL = Money("80.00", "USD")
RAW_USE = """UPDATE discount_codes
   SET used_at = ?, order_reference = ?, discount_currency = ?, discount_amount = ?
 WHERE code = ?
   AND account_id = (SELECT account_id FROM accounts
                      WHERE email_key = ? AND state = 'active')
   AND used_at IS NULL AND revoked_at IS NULL AND expires_at >= ?"""
RAW_LIST = """SELECT code, account_id, currency, amount, percent, issued_at, expires_at,
    used_at, order_reference, discount_currency, discount_amount, revoked_at
FROM discount_codes WHERE account_id = ? ORDER BY issued_at DESC, code DESC LIMIT ?"""


def _draw() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))


def _codes(path: Path, mine: int, others: int) -> list[str]:
    """Jane's ``mine`` open codes (10 % each, issued a second apart) and ``others``
    accounts' 10 each, inserted raw (the rows the adapter writes); Jane's texts."""
    texts = [_draw() for _ in range(mine)]
    end = micros(T0 + timedelta(days=90))
    rows = [
        (text, ACCOUNT, None, None, 10, micros(T0 - timedelta(seconds=n)), end)
        for n, text in enumerate(texts)
    ] + [
        (_draw(), f"acct-other-{a:06d}", "USD", "5.00", None, micros(T0), end)
        for a in range(others)
        for _n in range(10)
    ]
    with sqlite3.connect(path) as connection:
        connection.executemany(
            "INSERT INTO discount_codes (code, account_id, currency, amount, percent, "
            "issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    connection.close()
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--others", type=int, default=5000)
    options = parser.parse_args()
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "discounts.db"
        url = f"sqlite:///{path}"
        storage = SqliteStorage.from_url(url)
        storage.migrate()
        _fill(storage, path, 10_000, 500)
        with storage.unit_of_work(write=True) as uow:
            uow.sessions.put(
                AccountSession.start(TOKEN, ACCOUNT, T0, remember=True, lifetime=timedelta(days=14))
            )
            uow.commit()
        storage.close()
        texts = _codes(path, 2 * options.calls, options.others)
        ours_codes, raw_codes = texts[0::2], texts[1::2]
        clock = FixedClock(T0 + timedelta(seconds=10))  # within the touch minute: no write
        now = micros(clock.now())
        raw = sqlite3.connect(path, isolation_level=None)
        # The adapter's settings (WAL is the file's already): the same durability.
        raw.execute("PRAGMA busy_timeout = 5000")
        raw.execute("PRAGMA synchronous = NORMAL")
        session_hash = hash_session_id(TOKEN)
        port = SqliteStorage.from_url(url)
        desk = OrderStatus.open(
            storage=url, mail=f"mailbox:///{Path(folder) / 'mail'}", clock=clock
        )
        shopper = desk.shopper(client="198.51.100.1", session=TOKEN)
        jane = parse_email(EMAIL)

        def redeem(n: int) -> None:
            answer = desk.discounts.redeem(ours_codes[n], jane, f"order-{n}", SUBTOTAL)
            assert isinstance(answer, DiscountApplied), answer

        def raw_redeem(n: int) -> None:
            raw.execute("BEGIN IMMEDIATE")
            parameters = (now, f"order-{n}", "USD", "8.00", raw_codes[n], jane.canonical, now)
            assert raw.execute(RAW_USE, parameters).rowcount == 1
            raw.execute("COMMIT")

        def listing(_n: int) -> None:
            answer = shopper.discount_codes()
            assert isinstance(answer, DiscountCodes), answer
            assert len(answer.codes) == 50

        def raw_listing(_n: int) -> None:
            assert raw.execute(SESSION_ROW, (session_hash,)).fetchone() is not None
            raw_select(_n)

        def port_listing(_n: int) -> None:
            with port.unit_of_work() as uow:
                assert len(uow.accounts.discount_codes(ACCOUNT, 50)) == 50

        def raw_select(_n: int) -> None:
            assert len(raw.execute(RAW_LIST, (ACCOUNT, 50)).fetchall()) == 50

        series = [
            ("redeem (facade): one code, one order", redeem, raw_redeem, "-"),
            # Issue 14 item 11 asks <= 2x of the whole profile page (bench/profile.py), not of
            # this one list: no goal of its own.
            ("list an account's codes (facade): 50 newest", listing, raw_listing, "-"),
            ("list an account's codes (storage port)", port_listing, raw_select, "-"),
        ]
        for name, ours, bare, goal in series:
            rows.append(_row(name, *_interleaved(options.calls, ours, bare), goal))
        desk.close()
        port.close()
        raw.close()

    print(
        f"20,000 orders (500 linked), Jane's {2 * options.calls:,} codes, "
        f"{options.others:,} other accounts' 10 codes each; "
        f"load {os.getloadavg()[0]:.2f}; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}\n"
    )
    print(
        "| path | ours p50 (µs) | ours p99 | raw p50 (µs) | raw p99 | ours / raw "
        "| p50 over raw (µs) | goal |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    print(*rows, sep="\n")


if __name__ == "__main__":
    main()
