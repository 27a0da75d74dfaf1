"""An upsert from the store's feed racing a guest's cancel on one SQLite file: whichever
commits first, the other reads it and keeps it (SECURITY G2)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orderstatus_core import CancelAnswer, Order, RefundDue
from orderstatus_core.services import (
    GuestProof,
    ServiceContext,
    UpsertReport,
    cancel_order,
    upsert_orders,
)
from orderstatus_core.testing import FixedClock, fake_context
from orderstatus_core.testing.builders import line, make_order
from orderstatus_sqlite import SqliteStorage
from support.feeds import record_of
from support.guest_passes import earn_guest_pass

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
ROUNDS = 6


def _order(number: str, price: str = "5.00") -> Order:
    # Every raced order has its own shopper, so no per-address rate limit is shared.
    return make_order(
        number,
        f"shopper{number}@example.com",
        lines=[line(1, quantity=3, price="10.00"), line(2, "RT-77", price=price)],
    )


@pytest.fixture
def parties(tmp_path: Path) -> Iterator[tuple[ServiceContext, ServiceContext]]:
    """Two contexts, each with its own connection to one migrated SQLite file."""
    url = f"sqlite:///{(tmp_path / 'orders.db').as_posix()}"
    opened = [SqliteStorage.from_url(url) for _ in range(2)]
    opened[0].migrate()
    try:
        yield (
            fake_context(opened[0], clock=FixedClock(NOW)),
            fake_context(opened[1], clock=FixedClock(NOW)),
        )
    finally:
        for storage in opened:
            storage.close()


def _guest_pass(ctx: ServiceContext, number: str) -> str:
    return earn_guest_pass(ctx, number, f"shopper{number}@example.com").token


def _stored(ctx: ServiceContext, number: str) -> Order:
    with ctx.storage.unit_of_work() as uow:
        order = uow.orders.get(number)
    assert order is not None
    return order


def _refund_events(ctx: ServiceContext, number: str) -> int:
    with ctx.storage.unit_of_work() as uow:
        due = uow.outbox.due(NOW + timedelta(days=1), 1000)
    return sum(
        1 for m in due if isinstance(m.intent, RefundDue) and m.intent.order_number == number
    )


def _race(first: Callable[[], object], second: Callable[[], object], lead: int) -> list[object]:
    """Run both at once after a barrier; party ``lead`` goes 1 ms ahead (-1: a dead heat)."""
    barrier = threading.Barrier(2)
    answers: list[object] = [None, None]

    def run(position: int, action: Callable[[], object]) -> None:
        barrier.wait(30)
        if lead not in (-1, position):
            time.sleep(0.001)
        try:
            answers[position] = action()
        except Exception as error:  # reported to the assertion below
            answers[position] = error

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def _check_both_kept(ctx: ServiceContext, number: str, upserted: object, cancelled: object) -> None:
    assert isinstance(upserted, UpsertReport), upserted
    assert upserted.updated == (number,), upserted
    assert isinstance(cancelled, CancelAnswer), cancelled
    order = _stored(ctx, number)
    assert order.line(1).cancelled == 1, "the guest's cancel was lost"
    assert str(order.line(2).unit_price.amount) == "4.50", "the store's price was lost"
    assert order.version == 3
    assert [r.refund_id for r in order.refunds] == ["R1"]
    assert _refund_events(ctx, number) == 1


def _round(feed: ServiceContext, guest: ServiceContext, number: str, lead: int | None) -> Order:
    """One fresh order; the feed's stale record (a new price for line 2, no cancel) and the
    guest's cancel of one unit of line 1, raced (``lead`` as in :func:`_race`) or run in
    turn (``lead`` is ``"upsert"`` or ``"cancel"``, the one that goes first)."""
    upsert_orders(feed, [record_of(_order(number))])
    token = _guest_pass(guest, number)
    stale = record_of(_order(number, price="4.50"))

    def upsert() -> object:
        return upsert_orders(feed, [stale])

    def cancel() -> object:
        return cancel_order(
            guest, GuestProof(client=f"g{number}", guest_pass=token), number, {1: 1}
        )

    if lead == "upsert":
        upserted, cancelled = upsert(), cancel()
    elif lead == "cancel":
        cancelled, upserted = cancel(), upsert()
    else:
        assert isinstance(lead, int)
        upserted, cancelled = _race(upsert, cancel, lead)
    _check_both_kept(feed, number, upserted, cancelled)
    return _stored(feed, number)


@pytest.mark.parametrize("lead", [0, 1, -1], ids=["upsert-first", "cancel-first", "dead-heat"])
def test_an_upsert_and_a_cancel_both_land_whoever_goes_first(
    parties: tuple[ServiceContext, ServiceContext], lead: int
) -> None:
    """In every round the cancel and the new price are both stored, one version each."""
    feed, guest = parties
    for round_no in range(ROUNDS):
        _round(feed, guest, f"{lead + 2}0000{round_no}", lead)


def test_in_sequence_both_orders_store_the_same(
    parties: tuple[ServiceContext, ServiceContext],
) -> None:
    """Upsert then cancel, and cancel then upsert: the same lines either way."""
    feed, guest = parties
    upsert_first = _round(feed, guest, "300001", "upsert")
    cancel_first = _round(feed, guest, "300002", "cancel")
    assert upsert_first.lines == cancel_first.lines
