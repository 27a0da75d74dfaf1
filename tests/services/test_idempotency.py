"""SECURITY G5: a repeated command with its idempotency key replays the first answer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from orderstatus_core import (
    CancelAnswer,
    IdempotencyKeyReusedError,
    InvalidFieldError,
    OrderStatus,
    RefundDue,
    SpeedChange,
    hookimpl,
)
from orderstatus_core.testing import FixedClock
from orderstatus_core.testing.builders import line, make_order

NUMBER = "123456789"
JANE = "jane.doe@example.com"


class _PairMayAct:
    """This store lets the look-up pair act, so the tests need no guest pass."""

    @hookimpl
    def orderstatus_pass_required(self, action: str) -> bool:
        return False


@pytest.fixture(params=["memory", "sqlite"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OrderStatus]:
    """A store on each bundled storage, with Jane's order of three units."""
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'o.db'}"
    store = OrderStatus.open(
        storage=url, mail="mailbox:///mail", plugins=[_PairMayAct()], clock=FixedClock()
    )
    store.migrate()
    with store.context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order(NUMBER, lines=[line(1, quantity=3)]))
        uow.commit()
    yield store
    store.close()


def _refunds(desk: OrderStatus) -> int:
    now = desk.context.clock.now()
    with desk.context.storage.unit_of_work() as uow:
        return sum(isinstance(m.intent, RefundDue) for m in uow.outbox.due(now, 100))


def _cancel(desk: OrderStatus, key: str | None, units: dict[int, int]) -> object:
    return desk.guest(client="c", identifier=JANE).cancel_order(NUMBER, units, idempotency_key=key)


def test_a_replay_answers_the_first_result_and_changes_nothing(desk: OrderStatus) -> None:
    """The same cancel twice: one cancellation, one refund, two equal answers."""
    first = _cancel(desk, "key-1", {1: 1})
    second = _cancel(desk, "key-1", {1: 1})
    assert isinstance(first, CancelAnswer)
    assert second == first
    with desk.context.storage.unit_of_work() as uow:
        order = uow.orders.get(NUMBER)
    assert order is not None
    assert (order.ledger(1).cancelled, order.version) == (1, 2)
    assert _refunds(desk) == 1


def test_without_a_key_a_repeat_runs_again(desk: OrderStatus) -> None:
    """No key, no memory: two cancels of one unit cancel two units."""
    _cancel(desk, None, {1: 1})
    _cancel(desk, None, {1: 1})
    with desk.context.storage.unit_of_work() as uow:
        order = uow.orders.get(NUMBER)
    assert order is not None
    assert order.ledger(1).cancelled == 2


def test_the_same_key_with_other_input_is_an_error(desk: OrderStatus) -> None:
    """A key belongs to one command and its input."""
    _cancel(desk, "key-1", {1: 1})
    with pytest.raises(IdempotencyKeyReusedError):
        _cancel(desk, "key-1", {1: 2})
    with pytest.raises(IdempotencyKeyReusedError):
        desk.guest(client="c", identifier=JANE).request_change(
            NUMBER, SpeedChange("overnight"), idempotency_key="key-1"
        )


def test_a_key_is_forgotten_after_a_day(desk: OrderStatus) -> None:
    """After 24 h and a second, the key is new again (SECURITY G5: 24 h)."""
    _cancel(desk, "key-1", {1: 1})
    clock = desk.context.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(hours=24))
    _cancel(desk, "key-1", {1: 1})
    clock.advance(timedelta(seconds=1))
    _cancel(desk, "key-1", {1: 1})
    with desk.context.storage.unit_of_work() as uow:
        order = uow.orders.get(NUMBER)
    assert order is not None
    assert order.ledger(1).cancelled == 2


def test_a_refused_command_keeps_no_key(desk: OrderStatus) -> None:
    """A command that fails commits nothing, its key included: the retry really runs."""
    desk.warehouse.start_processing(NUMBER, "P1", "Columbus, OH", {1: 3})
    desk.warehouse.ship(NUMBER, "P1", "UPS", "1Z1", idempotency_key="ship-1")
    replay = desk.warehouse.ship(NUMBER, "P1", "UPS", "1Z1", idempotency_key="ship-1")
    assert replay.package("P1").shipped_at is not None
    from orderstatus_core import ActionRefusedError

    with pytest.raises(ActionRefusedError):
        desk.warehouse.mark_delivered("123456789", "NOPE", idempotency_key="deliver-1")
    delivered = desk.warehouse.mark_delivered(NUMBER, "P1", idempotency_key="deliver-2")
    assert delivered.package("P1").delivered_at is not None


def test_staff_replays_answer_the_order_as_it_was(desk: OrderStatus) -> None:
    """A repeated staff command returns the order its first run produced."""
    first = desk.warehouse.start_processing(
        NUMBER, "P1", "Columbus, OH", {1: 2}, idempotency_key="open-1"
    )
    again = desk.warehouse.start_processing(
        NUMBER, "P1", "Columbus, OH", {1: 2}, idempotency_key="open-1"
    )
    assert again == first


@pytest.mark.parametrize("key", ["", "x" * 101, "with space", "ключ", 42])
def test_a_malformed_key_is_refused(desk: OrderStatus, key: object) -> None:
    """Keys are 1 to 100 printable ASCII characters, as an HTTP header carries."""
    with pytest.raises(InvalidFieldError):
        _cancel(desk, key, {1: 1})  # type: ignore[arg-type]


def test_concurrent_duplicates_take_effect_once(desk: OrderStatus) -> None:
    """Four threads send one cancel with one key: one cancellation, four equal answers."""
    barrier = threading.Barrier(4)
    answers: list[object] = []
    lock = threading.Lock()

    def send() -> None:
        barrier.wait()
        answer = _cancel(desk, "dup-1", {1: 1})
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 4
    assert all(answer == answers[0] for answer in answers)
    assert _refunds(desk) == 1
