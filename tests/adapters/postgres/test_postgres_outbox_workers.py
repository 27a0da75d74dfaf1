"""Issue 5 item 4: several relay workers at once never send a message twice.

Workers in threads and in spawned processes relay the same 200 queued messages; every
delivery is recorded (a shared list, or lines appended to a shared file), and each message
id must appear exactly once. ``claim`` takes its batch ``FOR UPDATE SKIP LOCKED``, so a
worker also never waits for another's batch.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from orderstatus_core import OrderListMail, OutboxMessage, OutgoingMail, parse_email
from orderstatus_core.testing import fake_context
from orderstatus_postgres import PostgresStorage
from support.pg_helpers import T0
from support.pg_workers import FileMailer, relay_loop, relay_until_empty
from support.spawned import spawned_workers

MESSAGES = 200


class SlowListMailer:
    """Records each delivery in a shared list, taking a millisecond per mail so that the
    workers' batches overlap in time."""

    def __init__(self, delivered: list[str], lock: threading.Lock) -> None:
        self.delivered = delivered
        self.lock = lock

    def send(self, mail: OutgoingMail) -> None:
        """Record ``mail`` after a short pause."""
        time.sleep(0.001)
        with self.lock:
            self.delivered.append(mail.message_id)


def queue(storage: PostgresStorage, count: int = MESSAGES) -> list[str]:
    """``count`` order-list mails, all due, created a millisecond apart; their ids."""
    ids = [f"relay-{index:04d}" for index in range(count)]
    with storage.unit_of_work(write=True) as uow:
        for index, message_id in enumerate(ids):
            mail = OrderListMail(
                to=parse_email(f"shopper{index}@example.com"), order_numbers=("1",)
            )
            created = T0 - timedelta(minutes=10) + timedelta(milliseconds=index)
            uow.outbox.put(OutboxMessage(message_id, created, mail))
        uow.commit()
    return ids


def test_four_threads_relay_two_hundred_messages_exactly_once(
    pg_storage: PostgresStorage,
) -> None:
    """Four relay workers on four threads share one storage: each message is delivered
    once, and every worker got some of them."""
    ids = queue(pg_storage)
    delivered: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def worker(_index: int) -> tuple[int, int]:
        ctx = fake_context(pg_storage, mailer=SlowListMailer(delivered, lock))
        barrier.wait(30)
        return relay_loop(ctx)

    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(worker, range(4)))
    assert Counter(delivered) == Counter(ids)
    assert sum(sent for sent, _batches in reports) == MESSAGES
    assert all(sent > 0 for sent, _batches in reports), reports


def test_two_processes_and_two_threads_relay_two_hundred_messages_exactly_once(
    pg_storage: PostgresStorage, pg_url: str, tmp_path: Path
) -> None:
    """Two spawned processes (each with its own storage and pool) and two threads of this
    one relay the same messages into one file: every id appears exactly once."""
    ids = queue(pg_storage)
    mail_file = tmp_path / "delivered.txt"
    with spawned_workers(4) as race:

        def thread_worker(_index: int) -> tuple[int, int]:
            ctx = fake_context(pg_storage, mailer=FileMailer(mail_file))
            race.barrier.wait(60)
            return relay_loop(ctx)

        race.start(
            relay_until_empty,
            [
                (pg_url, str(mail_file), race.barrier, race.results, f"p{index}")
                for index in range(2)
            ],
        )
        with ThreadPoolExecutor(max_workers=2) as pool:
            threads = list(pool.map(thread_worker, range(2)))
        reports = race.collect(2)
        assert race.join(timeout=30) == [0, 0], reports
    lines = mail_file.read_text(encoding="utf-8").split()
    assert Counter(lines) == Counter(ids)
    assert sum(report[1] for report in reports) + sum(s for s, _b in threads) == MESSAGES
    with pg_storage.unit_of_work() as uow:
        assert uow.outbox.pending_count() == 0


def test_a_claim_skips_what_another_worker_is_taking_without_waiting(
    pg_storage: PostgresStorage, pg_url: str
) -> None:
    """While one worker's claim is uncommitted (its rows locked), another worker's claim
    takes the next messages instead of waiting or taking the same ones. (Waiting would be
    a failure here: the second worker's lock_timeout is short, and the first one cannot
    commit before the second returns, on the same thread.)"""
    queue(pg_storage, 6)
    later = T0 + timedelta(days=1)
    lease = later + timedelta(minutes=5)
    impatient = PostgresStorage.from_url(pg_url + "&lock_timeout=500")
    try:
        with pg_storage.unit_of_work(write=True) as first:
            taken_first = [m.message_id for m in first.outbox.claim(later, 3, lease)]
            with impatient.unit_of_work(write=True) as second:
                taken_second = [m.message_id for m in second.outbox.claim(later, 10, lease)]
                second.commit()
            first.commit()
    finally:
        impatient.close()
    assert taken_first == ["relay-0000", "relay-0001", "relay-0002"]
    assert taken_second == ["relay-0003", "relay-0004", "relay-0005"]


def test_a_worker_that_dies_leaves_its_messages_to_the_next_after_the_lease(
    pg_storage: PostgresStorage,
) -> None:
    """A claim committed by a worker that then dies: nobody takes those messages until the
    lease ends, then another worker does (at-least-once delivery)."""
    queue(pg_storage, 3)
    now = T0
    lease = now + timedelta(minutes=5)
    with pg_storage.unit_of_work(write=True) as uow:
        assert len(uow.outbox.claim(now, 10, lease)) == 3
        uow.commit()
    with pg_storage.unit_of_work(write=True) as uow:
        assert list(uow.outbox.claim(lease - timedelta(microseconds=1), 10, lease)) == []
    with pg_storage.unit_of_work(write=True) as uow:
        again = uow.outbox.claim(lease, 10, lease + timedelta(minutes=5))
        uow.commit()
    assert [m.message_id for m in again] == ["relay-0000", "relay-0001", "relay-0002"]
    assert all(m.next_attempt_at == lease + timedelta(minutes=5) for m in again)
