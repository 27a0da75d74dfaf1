"""The profile page's lists through the facade against their raw SELECTs, in one run.

    python bench/profile.py [--calls 2000] [--others 5000] [--page-only] [--db FILE]

Instructions of the whole page, one side at a time (immune to the machine's load)::

    python bench/profile.py --db bench/data/profile.db --page-only --calls 100  # fills it
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=starmap_next \\
        --callgrind-out-file=/tmp/cg.out python bench/profile.py \\
        --db bench/data/profile.db --count ours --calls 50      # or --count raw
    callgrind_annotate /tmp/cg.out | grep 'PROGRAM TOTALS'      # divide by --calls

Issue 14 items 1, 2 and 11 (the brief's bench): on one SQLite file with 20,000 orders, an
account with 500 linked orders, 20 saved addresses, 10 vehicles, 20 store-credit entries,
20 discount codes, 20 watched parts and 2 store-mail topics, and ``--others`` accounts
with 5 addresses and 2 vehicles each:

* **the whole page**: ``shopper.profile()`` (one session check, one read unit: the address
  book, garage, credit, codes, watches, mail preferences and language) against the raw
  statements of the same page: the session row by its primary key, then each list's
  SELECT (the saved addresses, the 50 newest orders' addresses, the garage, the account's
  email key and its linked orders' keys, each holder's balance rows and 50 newest
  entries, the 50 newest codes, the watches, the topics), rows fetched and nothing built;
  the sizes of both answers are checked equal;
* **address book**: ``shopper.addresses()`` (the session check, the saved addresses and
  the shipping addresses of the newest 50 linked orders, each once) against the same three
  statements run raw (the session row by its primary key, the saved addresses, the order
  addresses), rows fetched and nothing built;
* **garage**: ``shopper.garage()`` against the raw session row and the garage's rows;
* **address book + garage**: both facade calls against the raw statements of one page (one session
  read, the three listings);
* the two listings through the storage port alone (``uow.accounts.saved_addresses`` and
  ``garage``) against the raw statement each.

Each pair is interleaved call by call; the first tenth of each series warms up and is left
out; p50 and p99 in µs.
"""

from __future__ import annotations

import argparse
import itertools
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
    Address,
    AddressBook,
    Garage,
    Money,
    OrderStatus,
    ProfilePage,
    Vehicle,
)
from orderstatus_core.model.account import (
    AccountSession,
    SecurityEvent,
    SecurityEventKind,
    hash_session_id,
)
from orderstatus_core.model.alerts import PartWatch
from orderstatus_core.model.discounts import DiscountCode
from orderstatus_core.model.identifiers import PartNumber
from orderstatus_core.model.mail_preferences import MailSubscription
from orderstatus_core.model.profile import GarageVehicle, SavedAddress
from orderstatus_core.records import CreditEntry
from orderstatus_core.testing import FixedClock
from orderstatus_sqlite import SqliteStorage, _sql
from orderstatus_sqlite._discounts import _CODES_OF, _LINKED_EMAIL_KEYS
from orderstatus_sqlite._repositories import _CREDIT_BALANCE_ROWS
from orderstatus_sqlite._watches import _PART_WATCHES

ACCOUNT = "acct-history"
TOKEN = "bench-profile-session-token-xxxxxxxxxxxxxxxx"  # noqa: S105 -- the bench's


def _street(account: int, n: int) -> Address:
    return Address("Jane Roe", f"{n} Main St", f"Springfield {account}", "12345", "US")


def _profile(storage: SqliteStorage, others: int) -> None:
    """The account's 20 addresses and 10 vehicles, and ``others`` accounts' 5 and 2."""
    car = Vehicle(2019, "Ford", "F-150", "5.0L V8", nickname="Truck", vin="1M8GDM9AXKP042788")
    owners = [(ACCOUNT, 20, 10)] + [(f"acct-other-{n:06d}", 5, 2) for n in range(others)]
    with storage.unit_of_work(write=True) as uow:
        for number, (owner, addresses, vehicles) in enumerate(owners):
            for n in range(addresses):
                saved = SavedAddress(owner, f"addr-{n:08d}", _street(number, n), n == 0, T0)
                uow.accounts.put_address(saved)
            for n in range(vehicles):
                kept = GarageVehicle(owner, f"vehicle-{n:05d}", car, "catalog-F150", T0)
                uow.accounts.put_vehicle(kept)
        uow.sessions.put(
            AccountSession.start(TOKEN, ACCOUNT, T0, remember=True, lifetime=timedelta(days=14))
        )
        uow.commit()


def _history(storage: SqliteStorage, codes: int = 20) -> None:
    """The account's credit (20 entries), security log (40 lines), ``codes`` discount
    codes, 20 watched parts and 2 store-mail topics."""
    with storage.unit_of_work(write=True) as uow:
        for n in range(20):
            amount = Money("-5.00" if n % 4 == 3 else "12.50", "USD")
            at = T0 - timedelta(days=20 - n)
            uow.credit.append(CreditEntry(f"gift:{n}", "jane@example.com", amount, at, f"g{n}"))
        for n in range(40):
            uow.accounts.record_event(
                SecurityEvent(
                    SecurityEventKind.LOGGED_IN,
                    T0 - timedelta(hours=n),
                    ACCOUNT,
                    "j•••@example.com",
                    "198.51.100.1",
                )
            )
        for n in range(codes):
            issued = T0 - timedelta(days=n)
            code = DiscountCode(f"{n:013d}", ACCOUNT, None, 10, issued, issued + timedelta(days=90))
            uow.accounts.put_discount_code(code)
        for n in range(20):
            uow.accounts.put_watch(PartWatch(ACCOUNT, PartNumber(f"BP-{n}"), T0))
        for topic in ("newsletter", "offers"):
            uow.accounts.subscribe(MailSubscription(ACCOUNT, topic, T0))
        uow.commit()


def _sizes(page: ProfilePage) -> tuple[int, ...]:
    """How many rows each list of the page holds, to check the raw side read as many."""
    return (
        len(page.addresses.saved),
        len(page.garage.vehicles),
        len(page.store_credit.entries),
        len(page.discount_codes.codes),
        len(page.part_watches.watches),
        len(page.mail_preferences.subscribed),
    )


def raw_profile(raw: sqlite3.Connection, session_hash: str) -> tuple[int, ...]:
    """The whole Profile page's statements, as the adapter runs them, rows fetched."""
    session = raw.execute(SESSION_ROW, (session_hash,)).fetchone()
    assert session is not None
    account_id = session[1]
    saved = raw.execute(_sql.SAVED_ADDRESSES, (account_id,)).fetchall()
    assert len(raw.execute(_sql.ORDER_ADDRESSES, (account_id, 50)).fetchall()) == 50
    vehicles = raw.execute(_sql.GARAGE, (account_id,)).fetchall()
    (own,) = raw.execute(_OWN_KEY, (account_id,)).fetchone()
    linked = raw.execute(_LINKED_EMAIL_KEYS, (account_id,)).fetchall()
    entries = []
    for holder in sorted({own, *(key for (key,) in linked)}):
        raw.execute(_CREDIT_BALANCE_ROWS, (holder,)).fetchall()
        entries += raw.execute(_sql.CREDIT_ENTRIES, (holder, 50)).fetchall()
    codes = raw.execute(_CODES_OF, (account_id, 50)).fetchall()
    watches = raw.execute(_PART_WATCHES, (account_id,)).fetchall()
    topics = raw.execute(_sql.MAIL_SUBSCRIPTIONS, (account_id,)).fetchall()
    sizes = (len(saved), len(vehicles), min(len(entries), 50), len(codes), len(watches))
    return (*sizes, len(topics))


#: The account's own email key: the one column of the account the credit needs.
_OWN_KEY = "SELECT email_key FROM accounts WHERE account_id = ?"


def _load(load: tuple[float, float, float]) -> str:
    return "/".join(f"{figure:.2f}" for figure in load)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--others", type=int, default=5000)
    parser.add_argument(
        "--page-only", action="store_true", help="only the whole page against its raw statements"
    )
    parser.add_argument("--db", type=Path, help="keep the SQLite file here (filled if missing)")
    parser.add_argument(
        "--count",
        choices=("ours", "raw"),
        help="run only this side of the whole page, --calls times inside itertools.starmap "
        "after 30 warm-up calls, for callgrind (see bench/instructions.py)",
    )
    options = parser.parse_args()
    load_before = os.getloadavg()
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        path = options.db or Path(folder) / "profile.db"
        url = f"sqlite:///{path}"
        if not path.exists():
            storage = SqliteStorage.from_url(url)
            storage.migrate()
            _fill(storage, path, 10_000, 500)
            _profile(storage, options.others)
            _history(storage)
            storage.close()
        clock = FixedClock(T0 + timedelta(seconds=10))  # within the touch minute: no write
        raw = sqlite3.connect(path)
        session_hash = hash_session_id(TOKEN)
        port = SqliteStorage.from_url(url)
        desk = OrderStatus.open(
            storage=url, mail=f"mailbox:///{Path(folder) / 'mail'}", clock=clock
        )
        shopper = desk.shopper(client="198.51.100.1", session=TOKEN)

        def book(_n: int) -> None:
            answer = shopper.addresses()
            assert isinstance(answer, AddressBook), answer
            assert len(answer.saved) == 20

        def raw_book(_n: int) -> None:
            assert raw.execute(SESSION_ROW, (session_hash,)).fetchone() is not None
            raw_addresses(_n)
            assert len(raw.execute(_sql.ORDER_ADDRESSES, (ACCOUNT, 50)).fetchall()) == 50

        def garage(_n: int) -> None:
            answer = shopper.garage()
            assert isinstance(answer, Garage), answer
            assert len(answer.vehicles) == 10

        def raw_garage(_n: int) -> None:
            assert raw.execute(SESSION_ROW, (session_hash,)).fetchone() is not None
            raw_vehicles(_n)

        def port_addresses(_n: int) -> None:
            with port.unit_of_work() as uow:
                assert len(uow.accounts.saved_addresses(ACCOUNT)) == 20

        def raw_addresses(_n: int) -> None:
            assert len(raw.execute(_sql.SAVED_ADDRESSES, (ACCOUNT,)).fetchall()) == 20

        def port_garage(_n: int) -> None:
            with port.unit_of_work() as uow:
                assert len(uow.accounts.garage(ACCOUNT)) == 10

        def raw_vehicles(_n: int) -> None:
            assert len(raw.execute(_sql.GARAGE, (ACCOUNT,)).fetchall()) == 10

        expected = (20, 10, 20, 20, 20, 2)

        def whole(_n: int) -> None:
            answer = shopper.profile()
            assert isinstance(answer, ProfilePage), answer
            assert _sizes(answer) == expected, _sizes(answer)

        def raw_whole(_n: int) -> None:
            assert raw_profile(raw, session_hash) == expected

        def page(_n: int) -> None:
            book(_n)
            garage(_n)

        def raw_page(_n: int) -> None:
            raw_book(_n)  # one session read: a page checks the session once
            raw_vehicles(_n)

        if options.count:
            counted = whole if options.count == "ours" else raw_whole
            for n in range(30):
                counted(n)
            list(itertools.starmap(counted, zip(range(options.calls), strict=True)))
            return

        series = [
            ("the whole Profile page: `shopper.profile()`", whole, raw_whole),
            ("address book + garage (two facade calls)", page, raw_page),
            ("address book (facade): 20 saved + 50 orders", book, raw_book),
            ("garage (facade): 10 vehicles", garage, raw_garage),
            ("saved addresses (storage port)", port_addresses, raw_addresses),
            ("garage (storage port)", port_garage, raw_vehicles),
        ]
        for name, ours, bare in series[:1] if options.page_only else series:
            rows.append(_row(name, *_interleaved(options.calls, ours, bare), "<= 2x"))
        desk.close()
        port.close()
        raw.close()

    print(
        f"20,000 orders (500 linked), 20 addresses, 10 vehicles, 20 credit entries, "
        f"20 codes, 20 watches, 2 topics; {options.others:,} other accounts' profiles; "
        f"load {_load(load_before)} before, {_load(os.getloadavg())} after; "
        f"{platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}\n"
    )
    print(
        "| path | ours p50 (µs) | ours p99 | raw p50 (µs) | raw p99 | ours / raw "
        "| p50 over raw (µs) | goal (issue 14 item 11) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    print(*rows, sep="\n")


if __name__ == "__main__":
    main()
