"""SECURITY G2/G3 on PostgreSQL: writers of one order wait for each other and read what the
first committed; a save built from a stale read loses with ConflictError; deadlocks become
ConflictError; no psycopg error ever reaches the caller."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from orderstatus_core import (
    ConflictError,
    GuestPassGranted,
    GuestPassMail,
    GuestPassRefused,
    OrderStatus,
)
from orderstatus_core.services import (
    ServiceContext,
    request_guest_pass,
    verify_guest_code,
    verify_guest_link,
)
from orderstatus_core.testing import RecordingMailer, fake_context, queued_mail
from orderstatus_core.testing.builders import package, usd
from orderstatus_postgres import PostgresStorage
from support.pg_helpers import order
from support.pg_workers import save_what_was_read
from support.spawned import spawned_workers


def run_together(*targets: Callable[[], object]) -> list[BaseException]:
    """Start every target at once; return what they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(targets))

    def wrap(target: Callable[[], object]) -> None:
        start.wait()
        try:
            target()
        except BaseException as error:  # collected and asserted by the test
            errors.append(error)

    threads = [threading.Thread(target=wrap, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def add(storage: PostgresStorage, *numbers: str) -> None:
    with storage.unit_of_work(write=True) as uow:
        for number in numbers:
            uow.orders.add(order(number))
        uow.commit()


def version_of(storage: PostgresStorage, number: str = "100001") -> int:
    with storage.unit_of_work() as uow:
        stored = uow.orders.get(number)
    assert stored is not None
    return stored.version


# --- save: compare-and-set on the version (SECURITY G2) -------------------------------------


def check_one_winner(storage: PostgresStorage, outcomes: list[tuple[str, str]]) -> None:
    """One save won, the other lost with the version conflict, and the stored order is the
    winner's, at version 2."""
    assert sorted(kind for kind, _detail in outcomes) == ["conflict", "saved"], outcomes
    (won,) = [detail for kind, detail in outcomes if kind == "saved"]
    (lost,) = [detail for kind, detail in outcomes if kind == "conflict"]
    assert "changed since it was read" in lost
    with storage.unit_of_work() as uow:
        stored = uow.orders.get("100001")
    assert stored is not None
    assert stored.version == 2
    assert str(stored.tax.amount) == won


def test_two_processes_saving_what_they_read_one_wins(
    pg_storage: PostgresStorage, pg_url: str
) -> None:
    """Two spawned processes, each with its own storage and pool on the one database, read
    version 1 and save version 2: one wins, the other gets ConflictError."""
    add(pg_storage, "100001")
    with spawned_workers(2) as race:
        race.start(
            save_what_was_read,
            [
                (pg_url, "100001", tax, race.barrier, race.results, f"worker-{tax}")
                for tax in ("3.00", "4.00")
            ],
        )
        outcomes = race.collect(2)
        assert race.join() == [0, 0]
    check_one_winner(pg_storage, [(kind, detail) for _name, kind, detail in outcomes])


def test_a_waiting_writer_reads_the_first_writers_order_with_its_children(
    pg_storage: PostgresStorage,
) -> None:
    """The second writer of an order waits for the first, then reads the order as the first
    committed it: its new package included (the read starts after the wait)."""
    add(pg_storage, "100001")
    holding = threading.Event()
    seen: list[object] = []
    changed_order: list[object] = []

    def first() -> None:
        with pg_storage.unit_of_work(write=True) as uow:
            stored = uow.orders.get("100001")
            assert stored is not None
            changed = stored.changed(packages=[package("P1", [(1, 2)])])
            uow.orders.save(changed)
            changed_order.append(changed)
            holding.set()
            time.sleep(0.3)  # the second writer is waiting for the lock by now
            uow.commit()

    def second() -> None:
        assert holding.wait(10)
        with pg_storage.unit_of_work(write=True) as uow:
            seen.append(uow.orders.get("100001"))

    assert run_together(first, second) == []
    assert seen == changed_order


def test_units_locking_two_orders_in_opposite_order_end_in_one_conflict(
    pg_storage: PostgresStorage,
) -> None:
    """A deadlock (40P01) between two units is not an escape: one unit gets ConflictError
    ("retry the command"), the other commits."""
    add(pg_storage, "100001", "100002")
    first_locks = threading.Barrier(2)
    outcomes: list[str] = []

    def worker(one: str, other: str) -> Callable[[], None]:
        def run() -> None:
            try:
                with pg_storage.unit_of_work(write=True) as uow:
                    uow.orders.get(one)
                    first_locks.wait(10)
                    uow.orders.get(other)
                    uow.commit()
                outcomes.append("ok")
            except ConflictError as error:
                outcomes.append(str(error))

        return run

    assert run_together(worker("100001", "100002"), worker("100002", "100001")) == []
    assert "ok" in outcomes
    (lost,) = [outcome for outcome in outcomes if outcome != "ok"]
    assert "deadlock" in lost
    assert "retry the command" in lost


def test_a_duplicate_command_with_one_idempotency_key_runs_once(
    pg_storage: PostgresStorage,
) -> None:
    """Two threads send the same warehouse command with the same idempotency key at once:
    the key's lock makes the second wait and replay the first answer (SECURITY G5)."""
    add(pg_storage, "100001")
    desk = OrderStatus.open(storage=pg_storage, mail=RecordingMailer())
    answers: list[object] = []

    def open_package() -> None:
        answers.append(
            desk.warehouse.start_processing(
                "100001", "P1", "Reno, NV", {1: 1}, idempotency_key="K-1"
            )
        )

    assert run_together(open_package, open_package) == []
    assert len(answers) == 2
    assert answers[0] == answers[1]
    assert version_of(pg_storage) == 2


def test_a_code_and_a_link_racing_for_one_challenge_grant_one_pass(
    pg_storage: PostgresStorage,
) -> None:
    """The mailed code and the mailed link are two keys to one challenge: sent at once,
    one earns the pass and the other is refused (the challenge row is locked as read)."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order("123456789", "jane.doe@example.com"))
        uow.commit()
    for round_no in range(5):
        ctx = fake_context(pg_storage)  # fresh rate limits each round
        request_guest_pass(ctx, "jane.doe@example.com", "123456789", client=f"c{round_no}")
        mail = queued_mail(ctx)[-1]
        assert isinstance(mail, GuestPassMail)
        token = mail.link.partition("token=")[2]
        answers = race_code_and_link(ctx, mail.code, token, round_no)
        assert sum(isinstance(answer, GuestPassGranted) for answer in answers) == 1, answers
        assert GuestPassRefused() in answers
        with pg_storage.unit_of_work(write=True) as uow:
            for message in uow.outbox.due(ctx.clock.now(), 100):
                uow.outbox.mark_sent(message.message_id, ctx.clock.now())
            uow.commit()


def race_code_and_link(ctx: ServiceContext, code: str, token: str, round_no: int) -> list[object]:
    """Send the code and the link of one challenge at the same moment; both answers."""
    answers: list[object] = []
    errors = run_together(
        lambda: answers.append(verify_guest_code(ctx, "123456789", code, client=f"code{round_no}")),
        lambda: answers.append(verify_guest_link(ctx, token, client=f"link{round_no}")),
    )
    assert errors == []
    return answers


@pytest.mark.parametrize("threads", [8])
def test_many_threads_adding_one_number_if_absent_add_it_once(
    pg_storage: PostgresStorage, threads: int
) -> None:
    """Threads that add an order only when get() says it is absent: one adds it, the
    others wait for its commit and see it (the lock exists before the order does)."""
    outcomes: list[bool] = []

    def claim() -> None:
        with pg_storage.unit_of_work(write=True) as uow:
            if uow.orders.get("100001") is not None:
                outcomes.append(False)
                return
            uow.orders.add(order("100001"))
            uow.commit()
            outcomes.append(True)

    assert run_together(*([claim] * threads)) == []
    assert sorted(outcomes) == [False] * (threads - 1) + [True]


def test_a_command_waiting_too_long_for_a_lock_gets_a_conflict_error(pg_url: str) -> None:
    """With lock_timeout=200 (milliseconds), a command waiting for an order another one holds
    gives up with ConflictError (SQLSTATE 55P03, the lock wait ran out) while the holder
    still holds it, and the holder then commits."""
    storage = PostgresStorage.from_url(pg_url + "&lock_timeout=200")
    try:
        add(storage, "100001")
        holding, release = threading.Event(), threading.Event()

        def hold() -> None:
            with storage.unit_of_work(write=True) as uow:
                stored = uow.orders.get("100001")
                assert stored is not None
                holding.set()
                release.wait(30)
                uow.orders.save(stored.changed(phone=None))
                uow.commit()

        def wait() -> None:
            assert holding.wait(10)
            try:
                with (
                    pytest.raises(ConflictError, match=r"held too long.*55P03"),
                    storage.unit_of_work(write=True) as uow,
                ):
                    uow.orders.get("100001")
            finally:
                release.set()

        assert run_together(hold, wait) == []
        assert version_of(storage) == 2
    finally:
        storage.close()


def test_a_write_unit_reading_a_balance_holds_it_until_its_end(pg_url: str) -> None:
    """A write unit that reads a store-credit balance locks it (SECURITY G6: a spend reads
    its clock after the wait): another write unit's read of that balance waits, and with
    lock_timeout=200 gives up with ConflictError while the holder still holds it. A read
    unit is never held up."""
    storage = PostgresStorage.from_url(pg_url + "&lock_timeout=200")
    try:
        holding, release = threading.Event(), threading.Event()

        def hold() -> None:
            with storage.unit_of_work(write=True) as uow:
                assert uow.credit.balance("jane@example.com", "USD") == usd("0")
                holding.set()
                release.wait(30)

        def wait() -> None:
            assert holding.wait(10)
            try:
                with storage.unit_of_work() as uow:
                    assert uow.credit.balance("jane@example.com", "USD") == usd("0")
                with (
                    pytest.raises(ConflictError, match=r"held too long.*55P03"),
                    storage.unit_of_work(write=True) as uow,
                ):
                    uow.credit.balance("jane@example.com", "USD")
            finally:
                release.set()

        assert run_together(hold, wait) == []
    finally:
        storage.close()
