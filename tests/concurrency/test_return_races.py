"""SECURITY G2: return ∥ return. Guests racing to return the same delivered units of one
order, from threads sharing one SQLite file: exactly one return takes them, the others
hear a refusal or a conflict, and the units in open returns never exceed those delivered.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from orderstatus_core import (
    ConflictError,
    OrderStatus,
    Refused,
    ReturnAnswer,
    ReturnDraft,
    hookimpl,
)
from orderstatus_core.testing import FixedClock
from orderstatus_core.testing.builders import line, make_order, package

RACERS = 6
ROUNDS = 4
UNITS = 2


class ReturnsWithoutPass:
    """A store plugin: returns with the look-up pair alone (so racers need no mailed code)."""

    @hookimpl
    def orderstatus_pass_required(self, action: str) -> bool | None:
        return False if action == "return" else None


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[OrderStatus]:
    clock = FixedClock()
    opened = OrderStatus.open(
        storage=f"sqlite:///{tmp_path / 'race.db'}",
        mail="mailbox:///" + str(tmp_path / "mail"),
        clock=clock,
        plugins=[ReturnsWithoutPass()],
    )
    opened.migrate()
    placed = clock.now() - timedelta(days=5)
    with opened.context.storage.unit_of_work(write=True) as uow:
        for round_no in range(ROUNDS):
            uow.orders.add(
                make_order(
                    f"70000000{round_no}",
                    f"racer{round_no}@example.com",
                    placed_at=placed,
                    lines=[line(1, quantity=UNITS)],
                    packages=[
                        package(
                            "P1",
                            [(1, UNITS)],
                            placed_at=placed,
                            shipped_after=timedelta(days=1),
                            delivered_after=timedelta(days=2),
                        )
                    ],
                )
            )
        uow.commit()
    yield opened
    opened.close()


def _race(desk: OrderStatus, number: str, draft: ReturnDraft) -> list[str]:
    """Every racer asks for the same return at the same moment; what each one heard."""
    barrier = threading.Barrier(RACERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def racer(index: int) -> None:
        barrier.wait(timeout=30)
        try:
            answer = desk.guest(
                client=f"racer-{index}", identifier=f"racer{number[-1]}@example.com"
            ).request_return(number, draft)
            if isinstance(answer, Refused):
                outcome = f"refused:{answer.reason}"
            else:
                outcome = "won" if isinstance(answer, ReturnAnswer) else type(answer).__name__
        except ConflictError:
            outcome = "conflict"
        except Exception as error:  # anything else is a bug, reported by the assertion
            outcome = f"error:{error!r}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_only_one_of_racing_returns_takes_the_units(desk: OrderStatus) -> None:
    draft = ReturnDraft("return", "does_not_fit", {1: UNITS}, ship_by="own_tracking")
    for round_no in range(ROUNDS):
        number = f"70000000{round_no}"
        outcomes = _race(desk, number, draft)
        assert len(outcomes) == RACERS
        assert outcomes.count("won") == 1, outcomes
        assert all(o in ("won", "conflict", "refused:in_open_return") for o in outcomes), outcomes
        with desk.context.storage.unit_of_work() as uow:
            order = uow.orders.get(number)
        assert order is not None
        assert len(order.returns) == 1
        assert order.units_in_open_returns(1) == UNITS <= order.ledger(1).delivered
