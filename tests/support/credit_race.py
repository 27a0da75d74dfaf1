"""The store-credit race (SECURITY G2: "store credit never goes negative"), shared by the
SQLite test here and the PostgreSQL one in ``tests/adapters/postgres``.

A shopper holds 30.00 of credit. Eight threads, released together by a barrier, each spend
10.00 of it in their own write unit, while a ninth reads the balance in read units until
they are done. Whatever the interleaving, exactly three spends may succeed.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import attrs

from orderstatus_core import ConflictError, InsufficientCreditError, Money
from orderstatus_core.ports import Storage
from orderstatus_core.records import CreditEntry
from orderstatus_core.testing.builders import PLACED_AT

#: How many threads spend at once.
SPENDERS = 8
#: The holder whose balance they race for.
HOLDER = "jane.doe@example.com"
#: What the holder has, and what each thread spends of it.
CREDIT = Money("30.00", "USD")
SPEND = Money("-10.00", "USD")
#: How long a thread waits for the others at the barrier, in seconds (never asserted).
PATIENCE = 30.0


@attrs.frozen
class CreditRace:
    """What happened: each spender's outcome, the balances the reader saw in the order it
    saw them, and the ledger afterwards."""

    outcomes: list[str]
    balances_seen: list[Money]
    final_balance: Money
    entries: list[CreditEntry]


def grant(storage: Storage) -> None:
    """The holder's credit, committed before the race."""
    with storage.unit_of_work(write=True) as uow:
        uow.credit.append(CreditEntry("grant:1", HOLDER, CREDIT, PLACED_AT, "refund as credit"))
        uow.commit()


def spend(storage: Storage, index: int) -> str:
    """One checkout spending :data:`SPEND`: ``spent``, ``refused`` (the balance did not
    cover it), ``conflict`` (the storage gave up waiting), or ``error: ...`` (a bug)."""
    entry = CreditEntry(
        f"spend:{index}", HOLDER, SPEND, PLACED_AT + timedelta(minutes=index), "checkout"
    )
    try:
        with storage.unit_of_work(write=True) as uow:
            appended = uow.credit.append(entry)
            uow.commit()
    except InsufficientCreditError:
        return "refused"
    except ConflictError:
        return "conflict"
    except Exception as error:  # reported to the test, which fails on it
        return f"error: {error!r}"
    return "spent" if appended else "error: a new entry id was taken for a duplicate"


def balance(storage: Storage) -> Money:
    with storage.unit_of_work() as uow:
        return uow.credit.balance(HOLDER, CREDIT.currency)


def race_spends(storage: Storage) -> CreditRace:
    """Grant the credit, then release :data:`SPENDERS` spenders and one reader at once."""
    grant(storage)
    start = threading.Barrier(SPENDERS + 1)
    spenders_done = threading.Event()

    def at_start(task: Callable[[], object]) -> object:
        start.wait(PATIENCE)
        return task()

    def watch() -> list[Money]:
        seen = []
        while not spenders_done.is_set():
            seen.append(balance(storage))
        seen.append(balance(storage))
        return seen

    with ThreadPoolExecutor(max_workers=SPENDERS + 1) as pool:
        watcher = pool.submit(at_start, watch)
        spends = [
            pool.submit(at_start, functools.partial(spend, storage, index))
            for index in range(SPENDERS)
        ]
        try:
            outcomes = [str(future.result()) for future in spends]
        finally:
            spenders_done.set()
        seen = watcher.result()
    assert isinstance(seen, list)
    with storage.unit_of_work() as uow:
        entries = list(uow.credit.entries(HOLDER, 100))
    return CreditRace(outcomes, seen, balance(storage), entries)


def check_exactly_three_spends(race: CreditRace) -> None:
    """Three spends succeeded and five were refused; the balance is zero; every balance a
    reader saw was a committed one, never below zero, never growing again."""
    assert sorted(race.outcomes) == ["refused"] * 5 + ["spent"] * 3, race.outcomes
    assert race.final_balance == Money("0", "USD")
    spent = {f"spend:{i}" for i, outcome in enumerate(race.outcomes) if outcome == "spent"}
    assert {e.entry_id for e in race.entries} == {"grant:1", *spent}
    allowed = [Money(amount, "USD") for amount in ("30.00", "20.00", "10.00", "0")]
    assert all(seen in allowed for seen in race.balances_seen), race.balances_seen
    amounts = [seen.amount for seen in race.balances_seen]
    assert amounts == sorted(amounts, reverse=True), amounts


def running_totals_never_negative(amounts_in_append_order: list[str]) -> bool:
    """Whether the ledger, replayed in the order it was appended, never went below zero."""
    total = Money.zero("USD")
    for amount in amounts_in_append_order:
        total += Money(amount, "USD")
        if total.is_negative:
            return False
    return True
