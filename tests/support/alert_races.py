"""The store reporting one part back in stock from eight threads or four processes at
once, on any storage: the race tests of SQLite and PostgreSQL share these. Each watcher
must be mailed exactly once (``spawn`` imports this module by name, so what a process runs
is defined at module level)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import orderstatus_mailbox
import orderstatus_memory
import orderstatus_postgres
import orderstatus_sqlite
from orderstatus_core import OrderStatus, PartBackInStockMail, PartNumber, get_plugin_manager
from orderstatus_core.contacts import parse_email
from orderstatus_core.model.account import Account
from orderstatus_core.model.alerts import PartWatch
from orderstatus_core.ports import Storage
from support.spawned import spawned_workers

THREADS = 8
PROCESSES = 4
WATCHERS = 30
PART = "BP-1234"
_AT = datetime(2026, 12, 1, tzinfo=UTC)
_PATIENCE = 60.0


def watchers(storage: Storage, count: int = WATCHERS) -> set[str]:
    """``count`` verified accounts on ``storage`` watching :data:`PART` (and one other part
    each, which no report may touch); their email keys."""
    with storage.unit_of_work(write=True) as uow:
        for n in range(count):
            account = Account.sign_up(
                f"acct-{n:04}", parse_email(f"shopper{n}@example.com"), _AT
            ).verified(_AT)
            uow.accounts.add(account)
            uow.accounts.put_watch(PartWatch(account.account_id, PartNumber(PART), _AT))
            uow.accounts.put_watch(PartWatch(account.account_id, PartNumber("BP-9"), _AT))
        uow.commit()
    return {f"shopper{n}@example.com" for n in range(count)}


def alerted(storage: Storage) -> Counter[str]:
    """How many alerts of :data:`PART` the outbox holds for each address."""
    with storage.unit_of_work() as uow:
        waiting = uow.outbox.pending(100_000)
    return Counter(
        m.intent.to.canonical
        for m in waiting
        if isinstance(m.intent, PartBackInStockMail) and m.intent.part_number == PART
    )


def report_in_threads(desk: OrderStatus) -> list[object]:
    """:data:`THREADS` threads report the part back in stock at one moment; each one's
    alert count (or the exception it raised)."""
    barrier = threading.Barrier(THREADS)
    answers: list[object] = [None] * THREADS

    def run(n: int) -> None:
        barrier.wait(_PATIENCE)
        try:
            answers[n] = desk.catalog.part_back_in_stock(PART).alerts
        except Exception as error:  # the caller's assertions report it, as the answer
            answers[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _open_desk(url: str, mail_url: str) -> OrderStatus:
    bundled = [orderstatus_sqlite, orderstatus_postgres, orderstatus_mailbox, orderstatus_memory]
    manager = get_plugin_manager(load_entrypoints=False, plugins=bundled)
    return OrderStatus.open(storage=url, mail=mail_url, plugin_manager=manager)


def _process_main(url: str, mail_url: str, start: Any, results: Any) -> None:
    """A spawned process: its own desk on the shared database, one report."""
    try:
        desk = _open_desk(url, mail_url)
    except Exception as error:  # reported as this process's answer
        results.put(repr(error))
        return
    try:
        start.wait(_PATIENCE)
        results.put(desk.catalog.part_back_in_stock(PART).alerts)
    except Exception as error:  # reported as this process's answer
        results.put(repr(error))
    finally:
        desk.close()


def report_in_processes(url: str, mail_url: str) -> list[object]:
    """:data:`PROCESSES` spawned processes, each with its own storage on ``url``, report the
    part back in stock at one moment; each one's alert count (or its error's repr)."""
    with spawned_workers(PROCESSES) as race:
        race.start(_process_main, [(url, mail_url, race.barrier, race.results)] * PROCESSES)
        answers = race.collect(PROCESSES)
        race.join()
    return answers
