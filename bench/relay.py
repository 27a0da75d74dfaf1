"""Relay throughput: outbox messages delivered per second, by batch size, to a null mailer
and to the mailbox adapter, on SQLite (and PostgreSQL when given).

    python bench/relay.py [--messages 2000] [--batches 1,10,100] [--postgres URL]

Each case queues ``--messages`` Order Look-Up mails in one transaction, then times
``OrderStatus.relay_outbox(limit=batch)`` calls until the outbox is empty: one claim
transaction per batch, then per message the rendering (text and HTML templates), the
mailer, and one transaction marking it sent. The null mailer measures the relay and the
storage alone; ``mailbox://`` adds composing the RFC 5322 message and writing a file
(fsync included). Every delivered mail is counted, and the outbox must end empty.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from orderstatus_core import OrderListMail, OrderStatus, OutboxMessage, OutgoingMail, parse_email
from orderstatus_core.testing import FixedClock


class NullMailer:
    """Takes every mail and counts it: the relay's own cost."""

    def __init__(self) -> None:
        self.count = 0

    def send(self, mail: OutgoingMail) -> None:
        self.count += 1

    def close(self) -> None:
        """Nothing to release."""


def queue_order_lists(desk: OrderStatus, count: int, prefix: str) -> None:
    """Put ``count`` Order Look-Up mails in the outbox, ids ``prefix`` + a number."""
    intent = OrderListMail(
        to=parse_email("jane@example.com"), order_numbers=("123456789", "123456790")
    )
    with desk.context.storage.unit_of_work(write=True) as uow:
        for index in range(count):
            uow.outbox.put(OutboxMessage(f"{prefix}{index:06d}", FixedClock.START, intent))
        uow.commit()


def _run(storage: str, mail: str | NullMailer, count: int, batch: int, prefix: str) -> float:
    """Mails per second delivering ``count`` queued mails ``batch`` at a time."""
    with OrderStatus.open(storage=storage, mail=mail) as desk:
        desk.migrate()
        queue_order_lists(desk, count, prefix)
        started = time.perf_counter()
        sent = 0
        while report := desk.relay_outbox(batch):
            if not report.sent and not report.failed:
                break
            assert report.failed == 0, report.failures[:1]
            sent += report.sent
        elapsed = time.perf_counter() - started
        with desk.context.storage.unit_of_work() as uow:
            assert uow.outbox.pending_count() == 0
    assert sent == count, (sent, count)
    if isinstance(mail, NullMailer):
        assert mail.count == count
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--batches", default="1,10,100")
    parser.add_argument("--postgres", metavar="URL", help="also a PostgreSQL database")
    args = parser.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"# load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| storage | mailer | batch | mails/s | ms per batch |")
    print("|---|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        storages = [("sqlite", f"sqlite:///{(root / 'orders.db').as_posix()}")]
        if args.postgres:
            storages.append(("postgresql", args.postgres))
        for name, storage in storages:
            for batch in batches:
                for label in ("null", "mailbox"):
                    mailer: str | NullMailer = (
                        NullMailer()
                        if label == "null"
                        else f"mailbox:///{(root / f'mail-{name}-{batch}').as_posix()}"
                    )
                    prefix = f"{name[0]}{label[0]}{batch}x"
                    rate = _run(storage, mailer, args.messages, batch, prefix)
                    print(
                        f"| {name} | {label} | {batch} | {rate:,.0f} | {1000 * batch / rate:.1f} |",
                        flush=True,
                    )
    print(f"# load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
