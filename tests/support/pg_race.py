"""The race ground of ``tests/concurrency`` on PostgreSQL: the same parties, rounds and
checks, with every party's ``OrderStatus`` on one PostgreSQL schema (spawned processes
each open their own storage and pool; threads share one desk)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orderstatus_mailbox
import orderstatus_memory
import orderstatus_postgres
from orderstatus_core import OrderStatus, get_plugin_manager
from support.race_workers import (
    PATIENCE,
    AutoApproveFewer,
    Outcomes,
    PassWaiver,
    act,
    add_orders,
    guest_pass,
    head_start,
    run_in_threads,
)
from support.spawned import spawned_workers


def open_desk(url: str, mail_url: str, plugins: list[object]) -> OrderStatus:
    """An OrderStatus on the PostgreSQL storage at ``url``, its adapters registered here so
    that the test does not depend on the installed entry points; ``desk.close()`` closes
    the storage's pool, since the desk opened it from its URL."""
    bundled = [orderstatus_postgres, orderstatus_mailbox, orderstatus_memory]
    manager = get_plugin_manager(load_entrypoints=False, plugins=[*bundled, *plugins])
    return OrderStatus.open(storage=url, mail=mail_url, plugin_manager=manager)


def process_main(
    url: str,
    mail_url: str,
    roles: Sequence[str],
    position: int,
    numbers: Sequence[str],
    start: Any,
    results: Any,
) -> None:
    """A spawned process: its own storage on the shared schema, one attempt a round."""
    role = roles[position]
    try:
        desk = open_desk(url, mail_url, [AutoApproveFewer(), PassWaiver()])
    except Exception as error:  # reported as every round's outcome
        for round_no in range(len(numbers)):
            results.put((role, round_no, ("error", repr(error))))
        return
    try:
        for round_no, number in enumerate(numbers):
            try:
                start.wait(PATIENCE)
            except threading.BrokenBarrierError:
                results.put((role, round_no, ("error", "the barrier broke")))
                continue
            time.sleep(head_start(position, len(roles), round_no))
            results.put((role, round_no, act(desk, role, number, round_no)))
    finally:
        desk.close()


def run_in_processes(
    url: str, mail_url: str, roles: Sequence[str], numbers: Sequence[str]
) -> Outcomes:
    """One spawned process per role; every round they meet at a barrier, then act."""
    with spawned_workers(len(roles)) as race:
        race.start(
            process_main,
            [
                (url, mail_url, list(roles), position, list(numbers), race.barrier, race.results)
                for position in range(len(roles))
            ],
            names=[f"race-{role}" for role in roles],
        )
        reports = race.collect(len(roles) * len(numbers))
        assert race.join() == [0] * len(roles)
    return {(role, round_no): outcome for role, round_no, outcome in reports}


class PostgresRace:
    """The interface of ``race_workers.Race`` on a PostgreSQL schema."""

    def __init__(self, url: str, folder: Path, mode: str) -> None:
        self.mode = mode
        self.url = url
        self.mail_url = f"mailbox:///{(folder / 'mail').resolve().as_posix()}"
        self.desk = open_desk(url, self.mail_url, [AutoApproveFewer()])
        self._next = 500_000_001

    def orders(self, count: int) -> list[str]:
        """``count`` fresh orders, one per round."""
        numbers = [str(self._next + offset) for offset in range(count)]
        self._next += count
        add_orders(self.desk, numbers)
        return numbers

    def run(self, roles: Sequence[str], numbers: Sequence[str]) -> Outcomes:
        """Race ``roles`` over the rounds, one order each."""
        if self.mode == "processes":
            return run_in_processes(self.url, self.mail_url, roles, numbers)
        tokens = {number: guest_pass(self.desk, number) for number in numbers}
        return run_in_threads(self.desk, roles, numbers, tokens)

    def close(self) -> None:
        """Close the desk and its storage."""
        self.desk.close()
