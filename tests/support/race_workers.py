"""What the race tests run, in spawned processes or in threads (``spawn`` imports this
module by name, so everything a process needs is defined at module level).

A *role* is one party to a race: a guest cancelling, the warehouse opening or shipping a
package, a clerk deciding a cancel request, a courier reporting the package delivered. Each
role runs once per *round*; a round is one fresh order, and every role waits at a barrier
before it acts, so that they hit the order at the same moment. Each attempt ends as one
``(kind, detail)`` pair:

* ``("ok", detail)``: the command succeeded (``detail`` describes the answer);
* ``("refused", code)``: :class:`ActionRefusedError` (staff) or :class:`Refused` (a guest),
  the order's state said no (a legitimate
  loss: the other party got there first);
* ``("conflict", message)``: :class:`ConflictError`, the compare-and-set or the write lock
  said no (also a legitimate loss);
* ``("locked", repr)``: an ``sqlite3.OperationalError`` escaped, which SECURITY G3 forbids;
* ``("error", repr)``: anything else, a bug.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from orderstatus_core import (
    ActionRefusedError,
    CancelAnswer,
    ChangeAnswer,
    ConflictError,
    GuestSession,
    Order,
    OrderStatus,
    QuantityChange,
    Refused,
    TrackingMail,
    hookimpl,
)
from orderstatus_core.messages import GuestPassMail
from orderstatus_core.model.requests import Change
from orderstatus_core.services import GuestPassGranted
from orderstatus_core.testing.builders import line, make_order
from orderstatus_core.testing.fakes import queued_mail
from support.spawned import spawned_workers

Outcome = tuple[str, str]

#: How many units the raced line holds.
UNITS = 3
#: How long a party waits for the others at the barrier, and a clerk for work, in seconds.
PATIENCE = 30.0


class PassWaiver:
    """A store plugin: cancels and changes with the look-up pair alone, no guest pass (the
    public way to act as a guest without the mailed code; see
    ``examples/cancel_without_pass.py``)."""

    @hookimpl
    def orderstatus_pass_required(self, action: str) -> bool | None:
        return False if action in ("cancel", "change") else None


class AutoApproveFewer:
    """A store plugin: a guest's quantity reduction is approved and applied at once."""

    @hookimpl
    def orderstatus_auto_approve_change(self, order: Order, change: Change) -> bool | None:
        return True if isinstance(change, QuantityChange) else None


def email_of(number: str) -> str:
    """Every raced order has its own shopper, so no per-identifier rate limit is shared."""
    return f"shopper{number}@example.com"


def add_orders(desk: OrderStatus, numbers: Sequence[str]) -> None:
    """Orders of one line of :data:`UNITS` units (24.99 each) and a second line of one."""
    with desk.context.storage.unit_of_work(write=True) as uow:
        for number in numbers:
            uow.orders.add(
                make_order(
                    number,
                    email_of(number),
                    lines=[line(1, quantity=UNITS), line(2, "RT-77", price="5.00")],
                )
            )
        uow.commit()


def stored(desk: OrderStatus, number: str) -> Order:
    with desk.context.storage.unit_of_work() as uow:
        order = uow.orders.get(number)
    assert order is not None, number
    return order


def pending_intents(desk: OrderStatus) -> list[Any]:
    """Every unsent outbox item (nothing relays during these tests)."""
    later = desk.context.clock.now() + timedelta(days=1)
    with desk.context.storage.unit_of_work() as uow:
        return [message.intent for message in uow.outbox.due(later, 100_000)]


def tracking_mails(desk: OrderStatus, number: str) -> int:
    return sum(
        1
        for intent in pending_intents(desk)
        if isinstance(intent, TrackingMail) and intent.order_number == number
    )


def guest_pass(desk: OrderStatus, number: str) -> str:
    """A guest pass earned the public way: ask, read the code from the outbox mail (as the
    shopper reads it in her inbox), type it back."""
    desk.request_guest_pass(email_of(number), number, client=f"setup-{number}")
    codes = [
        intent.code
        for intent in queued_mail(desk.context)
        if isinstance(intent, GuestPassMail) and intent.order_number == number
    ]
    granted = desk.verify_guest_code(number, codes[-1], client=f"setup-{number}")
    assert isinstance(granted, GuestPassGranted), granted
    return granted.token


# --- one attempt -------------------------------------------------------------------------


def describe(answer: object) -> str:
    if isinstance(answer, CancelAnswer):
        return " ".join(
            f"line{line.line_no}:{line.code}:{line.cancelled}/{line.requested}/{line.refused}"
            for line in answer.lines
        )
    if isinstance(answer, ChangeAnswer):
        return f"{answer.request.request_id}:{answer.request.state.value}"
    if isinstance(answer, Order):
        return f"version {answer.version}"
    return type(answer).__name__  # TryLater would show up here, and fail the test


def attempt(action: Callable[[], object]) -> Outcome:
    try:
        answer = action()
    except sqlite3.OperationalError as error:
        return ("locked", repr(error))
    except ConflictError as error:
        return ("conflict", str(error))
    except ActionRefusedError as error:  # a staff command's refusal
        return ("refused", error.code)
    except Exception as error:  # reported to the test, which fails on it
        return ("error", repr(error))
    if isinstance(answer, Refused):  # a guest command's refusal, a value
        return ("refused", answer.reason)
    return ("ok", describe(answer))


# --- the roles ---------------------------------------------------------------------------


def _guest(desk: OrderStatus, number: str, token: str | None) -> GuestSession:
    """How this guest proves the right to act: a pass, or the look-up pair."""
    if token is not None:
        return desk.guest(client=f"guest-{number}", guest_pass=token)
    return desk.guest(client=f"guest-{number}", identifier=email_of(number))


def _decide(desk: OrderStatus, number: str, request_id: str, confirm: bool) -> Outcome:
    if confirm:
        return attempt(lambda: desk.warehouse.confirm_cancel(number, request_id))
    return attempt(lambda: desk.warehouse.refuse_cancel(number, request_id, "packed"))


def head_start(position: int, parties: int, round_no: int) -> float:
    """How long a party waits after the barrier. In the first ``parties`` rounds each party
    in turn goes 1 ms ahead of the others, so that each gets a chance to be first whatever
    the scheduler prefers; the next ``parties`` rounds are dead heats; and so on."""
    if (round_no // parties) % 2 == 1:
        return 0.0
    return 0.0 if round_no % parties == position else 0.001


def decide_open_request(desk: OrderStatus, number: str, confirm: bool) -> Outcome:
    """The clerk's part of race (b): wait until the guest's cancel request appears, then
    confirm (or refuse) it; give up when the package has shipped first."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        order = stored(desk, number)
        requests = [r for r in order.cancel_requests if r.open]
        if requests:
            return _decide(desk, number, requests[0].request_id, confirm)
        package = next((p for p in order.packages if p.package_id == "P1"), None)
        if package is None or package.shipped_at is not None:
            return ("idle", "nothing left to decide")
        time.sleep(0.001)
    return ("error", "no cancel request and no shipment")


def deliver_when_shipped(desk: OrderStatus, number: str) -> Outcome:
    """The courier's part of race (f): the carrier reports package P1 delivered, again and
    again while the warehouse has not shipped it (as a carrier's webhook retries)."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        outcome = attempt(lambda: desk.warehouse.mark_delivered(number, "P1"))
        if outcome != ("refused", "not_shipped"):
            return outcome
    return ("error", "the package never shipped")


def act(
    desk: OrderStatus, role: str, number: str, round_no: int, token: str | None = None
) -> Outcome:
    """One attempt of ``role`` on order ``number``."""
    if role == "cancel":  # every unit of line 1
        return attempt(lambda: _guest(desk, number, token).cancel_order(number, {1: UNITS}))
    if role == "change":  # fewer units of line 1, auto-approved and applied
        return attempt(
            lambda: _guest(desk, number, token).request_change(number, QuantityChange(1, 1))
        )
    if role == "approve":  # staff approve and apply the guest's recorded change CH1
        return attempt(lambda: desk.customer_service.approve_change(number, "CH1"))
    if role == "open":
        return attempt(
            lambda: desk.warehouse.start_processing(number, "P1", "Reno, NV", {1: UNITS})
        )
    if role.startswith("ship"):
        tracking = f"1Z{round_no:06d}{role[-1:]}X"
        return attempt(lambda: desk.warehouse.ship(number, "P1", "UPS", tracking))
    if role == "clerk":
        return decide_open_request(desk, number, confirm=round_no % 4 < 2)
    if role == "courier":
        return deliver_when_shipped(desk, number)
    return ("error", f"unknown role {role}")


def process_main(
    url: str,
    mail_url: str,
    roles: Sequence[str],
    position: int,
    numbers: Sequence[str],
    waive_pass: bool,
    start: Any,
    results: Any,
) -> None:
    """A spawned process: its own ``OrderStatus`` on the shared file, one attempt a round."""
    role = roles[position]
    plugins: list[object] = [AutoApproveFewer()]
    if waive_pass:
        plugins.append(PassWaiver())
    try:
        desk = OrderStatus.open(storage=url, mail=mail_url, plugins=plugins)
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


# --- running a race ----------------------------------------------------------------------

Outcomes = dict[tuple[str, int], Outcome]


def run_in_processes(
    url: str,
    mail_url: str,
    roles: Sequence[str],
    numbers: Sequence[str],
    *,
    waive_pass: bool = True,
) -> Outcomes:
    """One spawned process per role, all on the database file at ``url``; every round they
    meet at a barrier, then act on that round's order."""
    with spawned_workers(len(roles)) as race:
        race.start(
            process_main,
            [
                (
                    url,
                    mail_url,
                    list(roles),
                    position,
                    list(numbers),
                    waive_pass,
                    race.barrier,
                    race.results,
                )
                for position in range(len(roles))
            ],
            names=[f"race-{role}" for role in roles],
        )
        reports = race.collect(len(roles) * len(numbers))
        assert race.join() == [0] * len(roles)
    return {(role, round_no): outcome for role, round_no, outcome in reports}


def run_in_threads(
    desk: OrderStatus,
    roles: Sequence[str],
    numbers: Sequence[str],
    tokens: dict[str, str] | None = None,
) -> Outcomes:
    """One thread per role, all sharing ``desk``; the same rounds as in processes. Guests
    act with the guest pass in ``tokens`` (order number: token) when one is given."""
    start = threading.Barrier(len(roles))
    outcomes: Outcomes = {}
    lock = threading.Lock()

    def run(position: int, role: str) -> None:
        for round_no, number in enumerate(numbers):
            try:
                start.wait(PATIENCE)
            except threading.BrokenBarrierError:
                outcome: Outcome = ("error", "the barrier broke")
            else:
                time.sleep(head_start(position, len(roles), round_no))
                token = (tokens or {}).get(number)
                outcome = act(desk, role, number, round_no, token)
            with lock:
                outcomes[(role, round_no)] = outcome

    threads = [
        threading.Thread(target=run, args=(position, role), name=f"race-{role}")
        for position, role in enumerate(roles)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def check_no_escapes(outcomes: Outcomes) -> None:
    """SECURITY G3: no "database is locked" (nor any other surprise) reached a caller."""
    bad = {key: outcome for key, outcome in outcomes.items() if outcome[0] in ("locked", "error")}
    assert not bad, bad
    locked = {key: outcome for key, outcome in outcomes.items() if "locked" in outcome[1]}
    assert not locked, locked


def kinds(outcomes: Outcomes, role: str, rounds: int) -> list[str]:
    return [outcomes[(role, round_no)][0] for round_no in range(rounds)]


class Race:
    """A database file with a desk for setting up and checking, and a runner for the
    parties: spawned processes (``mode="processes"``, each opening its own ``OrderStatus``
    on the file; guests use the look-up pair under a pass-waiving store plugin) or threads
    sharing ``desk`` (``mode="threads"``; guests use a guest pass earned the public way)."""

    def __init__(self, folder: Path, mode: str) -> None:
        self.mode = mode
        self.url = f"sqlite:///{(folder / 'orders.db').resolve().as_posix()}"
        self.mail_url = f"mailbox:///{(folder / 'mail').resolve().as_posix()}"
        self.desk = OrderStatus.open(
            storage=self.url, mail=self.mail_url, plugins=[AutoApproveFewer()]
        )
        self.desk.migrate()
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
        self.desk.close()
