"""Mail preferences through the facade against the raw SQL that gives the same answer.

    python bench/preferences.py [--calls 2000] [--subscribers 20000] [--sessions 100000]

Issue 14 item 6 (the brief's bench), on one SQLite file with ``--sessions`` sessions,
20,000 orders and ``--subscribers`` accounts subscribed to the newsletter:

* **set a preference**: ``shopper.set_mail_preferences({"newsletter": on})`` (the session
  check, then one write unit holding the account's lock: the subscribe or unsubscribe and
  the account's subscriptions read back), ``on`` alternating, against the same statements
  run raw (the session row, then in one ``BEGIN IMMEDIATE`` transaction the account row,
  ``INSERT ... ON CONFLICT DO NOTHING`` or ``DELETE``, the subscriptions, ``COMMIT``);
* **one-click unsubscribe**: ``desk.unsubscribe(token)`` (the HMAC checked, one write unit
  deleting the subscription) against the raw HMAC check and ``DELETE`` in one
  transaction. Each side unsubscribes an account of its own that is subscribed.

Each pair is interleaved call by call; the first tenth of each series warms up and is left
out; p50 and p99 in µs.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from account_store import SESSION_ROW, T0, _fill
from accounts import _interleaved, _row

from orderstatus_core import (
    MailPreferences,
    OrderStatus,
    ProfilePolicy,
    Unsubscribed,
    hookimpl,
)
from orderstatus_core.contacts import parse_email
from orderstatus_core.model.account import Account, AccountSession, hash_session_id
from orderstatus_core.model.mail_preferences import (
    MailSubscription,
    read_unsubscribe_token,
    unsubscribe_token,
)
from orderstatus_core.testing import FixedClock
from orderstatus_sqlite import SqliteStorage, _sql
from orderstatus_sqlite._rows import micros

ACCOUNT = "acct-history"
TOKEN = "bench-preferences-session-token-xxxxxxxxxxxx"  # noqa: S105 -- the bench's
KEY = b"bench unsubscribe key, at least 32 bytes"
ACCOUNT_ROW = "SELECT * FROM accounts WHERE account_id = ?"


class _Key:
    @hookimpl
    def orderstatus_profile_policy(self) -> ProfilePolicy:
        return ProfilePolicy(unsubscribe_key=KEY)


def _subscriber(n: int) -> str:
    return f"acct-news-{n:07d}"


def _accounts(storage: SqliteStorage, subscribers: int) -> None:
    """``subscribers`` active accounts subscribed to the newsletter, and the session."""
    with storage.unit_of_work(write=True) as uow:
        for n in range(subscribers):
            account_id = _subscriber(n)
            email = parse_email(f"news{n}@example.com")
            uow.accounts.add(Account.sign_up(account_id, email, T0).verified(T0))
            uow.accounts.subscribe(MailSubscription(account_id, "newsletter", T0))
        uow.sessions.put(
            AccountSession.start(TOKEN, ACCOUNT, T0, remember=True, lifetime=timedelta(days=14))
        )
        uow.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--sessions", type=int, default=100_000)
    options = parser.parse_args()
    assert options.subscribers >= 2 * options.calls, "each unsubscribe needs its own account"
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "preferences.db"
        url = f"sqlite:///{path}"
        storage = SqliteStorage.from_url(url)
        storage.migrate()
        _fill(storage, path, options.sessions, 50)
        _accounts(storage, options.subscribers)
        storage.close()
        clock = FixedClock(T0 + timedelta(seconds=10))  # within the touch minute: no write
        raw = sqlite3.connect(path, isolation_level=None)
        raw.execute("PRAGMA journal_mode = WAL")
        raw.execute("PRAGMA busy_timeout = 5000")
        raw.execute("PRAGMA synchronous = NORMAL")  # as the adapter's connections
        raw.execute("PRAGMA foreign_keys = ON")
        session_hash = hash_session_id(TOKEN)
        desk = OrderStatus.open(
            storage=url, mail=f"mailbox:///{Path(folder) / 'mail'}", clock=clock, plugins=[_Key()]
        )
        shopper = desk.shopper(client="198.51.100.1", session=TOKEN)
        at = micros(clock.now())

        def prefer(n: int) -> None:
            answer = shopper.set_mail_preferences({"newsletter": n % 2 == 0})
            assert isinstance(answer, MailPreferences), answer

        def raw_prefer(n: int) -> None:
            found = raw.execute(SESSION_ROW, (session_hash,)).fetchone()
            assert found is not None
            raw.execute("BEGIN IMMEDIATE")
            assert raw.execute(ACCOUNT_ROW, (ACCOUNT,)).fetchone() is not None
            if n % 2 == 0:
                raw.execute(_sql.SUBSCRIBE, (ACCOUNT, "newsletter", at))
            else:
                raw.execute(_sql.UNSUBSCRIBE, (ACCOUNT, "newsletter"))
            raw.execute(_sql.MAIL_SUBSCRIPTIONS, (ACCOUNT,)).fetchall()
            raw.execute("COMMIT")

        tokens = [
            unsubscribe_token(KEY, _subscriber(n), "newsletter") for n in range(2 * options.calls)
        ]

        def unsubscribe(n: int) -> None:
            assert desk.unsubscribe(tokens[2 * n]) == Unsubscribed(topic="newsletter")

        def raw_unsubscribe(n: int) -> None:
            read = read_unsubscribe_token(KEY, tokens[2 * n + 1])
            assert read is not None
            raw.execute("BEGIN IMMEDIATE")
            deleted = raw.execute(_sql.UNSUBSCRIBE, read).rowcount
            raw.execute("COMMIT")
            assert deleted == 1

        series = [
            ("set a preference (facade)", prefer, raw_prefer),
            ("one-click unsubscribe (desk, no session)", unsubscribe, raw_unsubscribe),
        ]
        for name, ours, bare in series:
            rows.append(_row(name, *_interleaved(options.calls, ours, bare), "-"))
        desk.close()
        raw.close()

    print(
        f"{options.sessions:,} sessions, 20,050 orders, {options.subscribers:,} newsletter "
        f"subscribers; load {os.getloadavg()[0]:.2f}; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}\n"
    )
    print(
        "| path | ours p50 (µs) | ours p99 | raw p50 (µs) | raw p99 | ours / raw "
        "| p50 over raw (µs) | goal |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    print(*rows, sep="\n")


if __name__ == "__main__":
    main()
