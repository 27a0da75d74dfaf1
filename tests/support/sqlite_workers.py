"""What the concurrency tests run in other processes (``spawn`` imports it by name)."""

from __future__ import annotations

from typing import Any

from orderstatus_core import ConflictError, Money
from orderstatus_sqlite import SqliteStorage


def save_what_was_read(
    path: str, number: str, tax: str, read: Any, results: Any, name: str = ""
) -> tuple[str, str]:
    """Read order ``number`` in a read unit, wait at ``read`` (a barrier) until every worker
    has read it, then save it changed to ``tax`` in a write unit.

    Answers ``("saved", tax)``, ``("conflict", message)`` or ``("error", repr)``, and puts
    the same into ``results`` (a queue) when one is given.
    """
    storage = SqliteStorage(path)
    try:
        with storage.unit_of_work() as uow:
            order = uow.orders.get(number)
        read.wait(60)
        if order is None:
            outcome = ("error", f"order {number} not found")
        else:
            changed = order.changed(tax=Money(tax, order.currency))
            try:
                with storage.unit_of_work(write=True) as uow:
                    uow.orders.save(changed)
                    uow.commit()
                outcome = ("saved", tax)
            except ConflictError as error:
                outcome = ("conflict", str(error))
    except BaseException as error:  # reported to the test, which asserts on it
        outcome = ("error", repr(error))
    finally:
        storage.close()
    if results is not None:
        results.put((name, *outcome))
    return outcome
