"""The profile page's lists through the facade against their raw SELECTs, in one run.

    python bench/profile.py [--calls 2000] [--others 5000]

Issue 14 items 1 and 2 (the brief's bench): on one SQLite file with 20,000 orders, an
account with 500 linked orders, 20 saved addresses and 10 vehicles, and ``--others``
accounts with 5 addresses and 2 vehicles each:

* **address book**: ``shopper.addresses()`` (the session check, the saved addresses and
  the shipping addresses of the newest 50 linked orders, each once) against the same three
  statements run raw (the session row by its primary key, the saved addresses, the order
  addresses), rows fetched and nothing built;
* **garage**: ``shopper.garage()`` against the raw session row and the garage's rows;
* **the page**: both facade calls against the raw statements of one page (one session
  read, the three listings);
* the two listings through the storage port alone (``uow.accounts.saved_addresses`` and
  ``garage``) against the raw statement each.

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

from orderstatus_core import Address, AddressBook, Garage, OrderStatus, Vehicle
from orderstatus_core.model.account import AccountSession, hash_session_id
from orderstatus_core.model.profile import GarageVehicle, SavedAddress
from orderstatus_core.testing import FixedClock
from orderstatus_sqlite import SqliteStorage, _sql

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--others", type=int, default=5000)
    options = parser.parse_args()
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "profile.db"
        url = f"sqlite:///{path}"
        storage = SqliteStorage.from_url(url)
        storage.migrate()
        _fill(storage, path, 10_000, 500)
        _profile(storage, options.others)
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

        def page(_n: int) -> None:
            book(_n)
            garage(_n)

        def raw_page(_n: int) -> None:
            raw_book(_n)  # one session read: a page checks the session once
            raw_vehicles(_n)

        series = [
            ("profile page (facade): address book + garage", page, raw_page),
            ("address book (facade): 20 saved + 50 orders", book, raw_book),
            ("garage (facade): 10 vehicles", garage, raw_garage),
            ("saved addresses (storage port)", port_addresses, raw_addresses),
            ("garage (storage port)", port_garage, raw_vehicles),
        ]
        for name, ours, bare in series:
            rows.append(_row(name, *_interleaved(options.calls, ours, bare), "<= 2x"))
        desk.close()
        port.close()
        raw.close()

    print(
        f"20,000 orders (500 linked), {options.others:,} other accounts' profiles; "
        f"load {os.getloadavg()[0]:.2f}; {platform.processor() or platform.machine()}, "
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
