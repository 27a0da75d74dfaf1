"""A core deposit goes back once: a core return inspected but not yet refunded still
claims its units' deposits, so a second core return of the same units is refused with a
reason code instead of making the first one impossible to settle (issue 9, item 8). A
deposit belongs to the return that claimed it first: a return of the parts whose preview
paid the deposits back holds them against a later core return, and the reverse."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

from orderstatus_core import (
    Refused,
    ReturnAnswer,
    ReturnDraft,
    ReturnOptions,
    RmaState,
)
from orderstatus_core.model import Order
from orderstatus_core.services import (
    GuestProof,
    ServiceContext,
    enter_return_tracking,
    inspect_return,
    mark_return_in_transit,
    receive_return,
    relay_outbox,
    request_return,
    return_options,
    settle_return,
)
from orderstatus_core.testing import FixedClock, fake_context
from orderstatus_core.testing.builders import line, make_order, package
from orderstatus_sqlite import SqliteStorage
from support.store_plugins import NoGuestPass

NUMBER = "123456789"
JANE = "jane.doe@example.com"
UPS = "1Z999AA10123456784"
GUEST = GuestProof(client="c", identifier=JANE)


@pytest.fixture(params=["memory", "sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceContext]:
    """Jane's order on each bundled storage: line 1, two brake pads with a 10.00 core
    charge each, delivered five days ago; guests act with the look-up pair."""
    context = fake_context(plugins=[NoGuestPass()])
    if request.param == "sqlite":
        storage = SqliteStorage.from_url(f"sqlite:///{tmp_path / 'orders.db'}")
        storage.migrate()
        context = attrs.evolve(context, storage=storage)
    placed = FixedClock.START - timedelta(days=10)
    with context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(
            make_order(
                NUMBER,
                placed_at=placed,
                lines=[line(1, quantity=2, core="10")],
                packages=[
                    package(
                        "P1",
                        [(1, 2)],
                        placed_at=placed,
                        shipped_after=timedelta(days=1),
                        delivered_after=timedelta(days=5),
                    )
                ],
            )
        )
        uow.commit()
    yield context
    context.storage.close()


def _ask(ctx: ServiceContext, kind: str, reason: str, ship_by: str, units: int = 1) -> str:
    """Request a return of ``units`` of line 1; its RMA number."""
    draft = ReturnDraft(kind, reason, {1: units}, ship_by=ship_by)
    answer = request_return(ctx, GUEST, NUMBER, draft)
    assert isinstance(answer, ReturnAnswer)
    (rma,) = answer.request.packages
    return rma.rma_number


def _arrives(ctx: ServiceContext, rma: str, accepted: int = 1) -> None:
    """The package travels (on its label or with the shopper's own tracking), arrives and
    is inspected."""
    with ctx.storage.unit_of_work() as uow:
        order = uow.orders.get(NUMBER)
    assert order is not None
    request, _ = order.rma(rma)
    if request.ship_by == "label":
        relay_outbox(ctx)
        mark_return_in_transit(ctx, NUMBER, rma)
    else:
        enter_return_tracking(ctx, GUEST, NUMBER, rma, UPS)
    receive_return(ctx, NUMBER, rma)
    inspect_return(ctx, NUMBER, rma, {1: accepted})


def _core_returnable(ctx: ServiceContext) -> tuple[int, tuple[str, ...]]:
    options = return_options(ctx, GUEST, NUMBER, "core")
    assert isinstance(options, ReturnOptions)
    answer = options.line(1)
    assert answer is not None
    return answer.returnable, tuple(r.code for r in answer.refusals)


def _state(order: Order, rma: str) -> RmaState:
    request, index = order.rma(rma)
    return request.packages[index].state


def test_the_second_core_return_of_a_unit_is_refused_and_the_first_settles(
    ctx: ServiceContext,
) -> None:
    """A core return with own tracking inspected, then a core return on a label of the
    same units is refused as ``in_open_return``, and the first settles with the deposits.
    (The machine found this after a wrong part's return of the same units; that return now
    claims both deposits with the parts first, see the last test.)"""
    first_core = _ask(ctx, "core", "core", "own_tracking", units=2)
    _arrives(ctx, first_core, accepted=2)
    refused = request_return(ctx, GUEST, NUMBER, ReturnDraft("core", "core", {1: 1}))
    assert isinstance(refused, Refused)
    assert refused.reason == "in_open_return"
    assert _core_returnable(ctx) == (0, ("in_open_return",))
    order = settle_return(ctx, NUMBER, first_core)
    assert _state(order, first_core) is RmaState.REFUNDED
    assert order.refunds[-1].cores.amount == 20
    assert _core_returnable(ctx) == (0, ("core_already_refunded",))


def test_an_inspected_core_return_claims_only_the_units_it_accepted(
    ctx: ServiceContext,
) -> None:
    """A core return of two old parts, one accepted: the other one's deposit may still
    come back in a new core return."""
    first_core = _ask(ctx, "core", "core", "label", units=2)
    _arrives(ctx, first_core, accepted=1)
    assert _core_returnable(ctx) == (1, ("in_open_return",))
    second_core = _ask(ctx, "core", "core", "own_tracking", units=1)
    refused = request_return(ctx, GUEST, NUMBER, ReturnDraft("core", "core", {1: 1}))
    assert isinstance(refused, Refused)
    assert refused.reason == "in_open_return"
    settle_return(ctx, NUMBER, first_core)
    _arrives(ctx, second_core, accepted=1)
    order = settle_return(ctx, NUMBER, second_core)
    assert [r.cores.amount for r in order.refunds] == [10, 10]


def test_a_rejected_core_return_claims_no_deposit(ctx: ServiceContext) -> None:
    """Nothing accepted rejects the package: its old parts may be sent again."""
    first_core = _ask(ctx, "core", "core", "own_tracking", units=2)
    _arrives(ctx, first_core, accepted=0)
    assert _core_returnable(ctx) == (2, ())


def test_a_part_returned_after_its_core_was_inspected_does_not_pay_the_deposit_again(
    ctx: ServiceContext,
) -> None:
    """The sequence the lifecycle machine found: a core return of both old parts is
    inspected and accepted (its deposits claimed, not refunded yet), then the new parts come
    back as a wrong part. Their refund pays the parts and no deposit; the core return then
    pays both deposits, so each deposit goes back exactly once."""
    core = _ask(ctx, "core", "core", "label", units=2)
    _arrives(ctx, core, accepted=2)
    wrong = _ask(ctx, "return", "wrong_part_shipped", "own_tracking", units=2)
    _arrives(ctx, wrong, accepted=2)
    order = settle_return(ctx, NUMBER, wrong)
    assert order.refunds[-1].cores.amount == 0
    assert order.refunds[-1].core_units == ()
    order = settle_return(ctx, NUMBER, core)
    assert order.refunds[-1].cores.amount == 20
    assert sum(r.cores.amount for r in order.refunds) == 20


def test_a_deposit_previewed_with_the_part_is_not_claimed_by_a_later_core_return(
    ctx: ServiceContext,
) -> None:
    """The sequence the lifecycle machine found with a random seed: a wrong part's return
    previews both deposits with the parts, so a core return of the same old parts asked
    for before it arrives is refused, and the return then refunds what it previewed."""
    wrong = _ask(ctx, "return", "wrong_part_shipped", "own_tracking", units=2)
    with ctx.storage.unit_of_work() as uow:
        order = uow.orders.get(NUMBER)
    assert order is not None
    preview = order.rma(wrong)[0].preview
    assert preview.cores.amount == 20
    assert _core_returnable(ctx) == (0, ("in_open_return",))
    refused = request_return(ctx, GUEST, NUMBER, ReturnDraft("core", "core", {1: 2}))
    assert isinstance(refused, Refused)
    assert refused.reason == "in_open_return"
    _arrives(ctx, wrong, accepted=2)
    assert _core_returnable(ctx) == (0, ("in_open_return",))
    order = settle_return(ctx, NUMBER, wrong)
    assert order.refunds[-1].total == preview.total
    assert order.refunds[-1].cores.amount == 20
    assert _core_returnable(ctx) == (0, ("core_already_refunded",))


def test_a_core_return_first_keeps_its_deposit_and_the_part_previews_the_other(
    ctx: ServiceContext,
) -> None:
    """One old part goes back first: the return of both new parts then previews the one
    deposit left, no core return may take it, and each return pays what it previewed."""
    core = _ask(ctx, "core", "core", "own_tracking", units=1)
    wrong = _ask(ctx, "return", "wrong_part_shipped", "own_tracking", units=2)
    with ctx.storage.unit_of_work() as uow:
        order = uow.orders.get(NUMBER)
    assert order is not None
    request, index = order.rma(wrong)
    assert request.packages[index].units[0].deposits == 1
    assert request.preview.cores.amount == 10
    assert _core_returnable(ctx) == (0, ("in_open_return",))
    _arrives(ctx, wrong, accepted=2)
    _arrives(ctx, core, accepted=1)
    order = settle_return(ctx, NUMBER, core)
    assert order.refunds[-1].cores.amount == 10
    order = settle_return(ctx, NUMBER, wrong)
    assert order.refunds[-1].total == request.preview.total
    assert [r.cores.amount for r in order.refunds] == [10, 10]


def test_a_deposit_of_a_unit_inspection_refused_is_free_again(ctx: ServiceContext) -> None:
    """A return of both new parts claimed both deposits; inspection accepts one. The
    refund pays that one's deposit, and the other old part may then come back as a core."""
    wrong = _ask(ctx, "return", "wrong_part_shipped", "own_tracking", units=2)
    _arrives(ctx, wrong, accepted=1)
    assert _core_returnable(ctx) == (1, ("in_open_return",))
    order = settle_return(ctx, NUMBER, wrong)
    assert order.refunds[-1].cores.amount == 10
    assert _core_returnable(ctx) == (1, ("core_already_refunded",))
    core = _ask(ctx, "core", "core", "label", units=1)
    _arrives(ctx, core, accepted=1)
    order = settle_return(ctx, NUMBER, core)
    assert sum(r.cores.amount for r in order.refunds) == 20


def test_a_return_recorded_before_claims_were_kept_is_reckoned_as_before(
    ctx: ServiceContext,
) -> None:
    """A return stored by an older version has no claims (``deposits`` is ``None``): it
    holds no deposit against a core return, and its refund leaves the deposits a core
    return claimed since, so each deposit still goes back once."""
    wrong = _ask(ctx, "return", "wrong_part_shipped", "own_tracking", units=2)
    with ctx.storage.unit_of_work(write=True) as uow:
        order = uow.orders.get(NUMBER)
        assert order is not None
        request, index = order.rma(wrong)
        package = request.packages[index]
        old = attrs.evolve(package, units=[attrs.evolve(u, deposits=None) for u in package.units])
        old_request = attrs.evolve(request, packages=[old])
        uow.orders.save(
            order.changed(returns=[old_request if r is request else r for r in order.returns])
        )
        uow.commit()
    assert _core_returnable(ctx) == (2, ())
    core = _ask(ctx, "core", "core", "label", units=2)
    _arrives(ctx, wrong, accepted=2)
    order = settle_return(ctx, NUMBER, wrong)
    assert order.refunds[-1].cores.amount == 0
    _arrives(ctx, core, accepted=2)
    order = settle_return(ctx, NUMBER, core)
    assert sum(r.cores.amount for r in order.refunds) == 20
