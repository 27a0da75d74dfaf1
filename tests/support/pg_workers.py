"""What the PostgreSQL tests run in spawned processes (``spawn`` imports it by name, so
everything a process needs is defined at module level)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from orderstatus_core import ConflictError, Money
from orderstatus_postgres import PostgresStorage


def migrate_at_barrier(url: str, start: Any, results: Any) -> None:
    """Open a storage, wait for the others, migrate; put ("ok", version) or ("error", ...)."""
    try:
        storage = PostgresStorage.from_url(url)
        try:
            start.wait(60)
            results.put(("ok", storage.migrate()))
        finally:
            storage.close()
    except BaseException as error:  # reported to the test, which asserts on it
        results.put(("error", repr(error)))


def save_what_was_read(
    url: str, number: str, tax: str, read: Any, results: Any, name: str = ""
) -> tuple[str, str]:
    """Read order ``number`` in a read unit, wait at ``read`` (a barrier) until every worker
    has read it, then save it changed to ``tax`` in a write unit.

    Answers ``("saved", tax)``, ``("conflict", message)`` or ``("error", repr)``, and puts
    the same into ``results`` (a queue) when one is given.
    """
    storage: PostgresStorage | None = None
    try:
        storage = PostgresStorage.from_url(url)
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
        if storage is not None:
            storage.close()
    if results is not None:
        results.put((name, *outcome))
    return outcome


class FileMailer:
    """A mailer that appends each message id to a file, one line per delivery (one
    ``write`` of a short line to a file opened for appending: whole lines, whatever the
    number of writers)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, mail: Any) -> None:
        """Record the delivery of ``mail`` (after a millisecond, so that workers overlap)."""
        time.sleep(0.001)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{mail.message_id}\n".encode())
        finally:
            os.close(fd)


def relay_until_empty(url: str, mail_path: str, start: Any, results: Any, name: str) -> None:
    """A relay worker in its own process: wait for the others, then relay in batches of
    ten until nothing is pending; put (name, sent, batches) or (name, "error", repr)."""
    from orderstatus_core.testing import fake_context

    try:
        storage = PostgresStorage.from_url(url)
        try:
            ctx = fake_context(storage, mailer=FileMailer(Path(mail_path)))
            start.wait(60)
            sent, batches = relay_loop(ctx)
        finally:
            storage.close()
        results.put((name, sent, batches))
    except BaseException as error:  # reported to the test, which asserts on it
        results.put((name, "error", repr(error)))


def relay_loop(ctx: Any) -> tuple[int, int]:
    """Relay in batches of ten until no message is pending; (messages sent, batches)."""
    from orderstatus_core.services.relay import relay_outbox

    sent = batches = 0
    while True:
        report = relay_outbox(ctx, limit=10)
        sent += report.sent
        batches += 1
        with ctx.storage.unit_of_work() as uow:
            if uow.outbox.pending_count() == 0:
                return sent, batches
