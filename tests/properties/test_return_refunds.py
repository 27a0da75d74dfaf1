"""Refunds of returns over generated orders (DOMAIN.md section 3, issue 4 item 3):

* never more than was paid, whatever the sequence of returns, cores and claims;
* the refund issued for a fully accepted package equals the preview the shopper saw.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderstatus_core import (
    ActionRefusedError,
    Money,
    ReturnDraft,
    ReturnKind,
    ReturnPolicy,
    ReturnReason,
    ReturnRules,
    RmaState,
    WindowStart,
)
from orderstatus_core.model import Order
from orderstatus_core.policies import returns as rules_of
from orderstatus_core.testing.contracts._support import examples
from orderstatus_core.testing.strategies import orders

# Every delivered unit is in its window: the property is about money, not dates.
RULES = ReturnRules(
    ReturnPolicy(
        window_days=3650,
        window_start=WindowStart.ORDER,
        core_window_months=120,
        restocking_fee_percent=Decimal(10),
        staff_authorize=frozenset(),
    )
)
REASONS: dict[ReturnKind, list[ReturnReason]] = {
    ReturnKind.RETURN: [r for r in ReturnReason if r is not ReturnReason.CORE],
    ReturnKind.CORE: [ReturnReason.CORE],
}


def _now(order: Order) -> datetime:
    moments = [p.delivered_at for p in order.packages if p.delivered_at is not None]
    return max(moments, default=order.placed_at) + timedelta(seconds=1)


def _refunded(order: Order) -> Decimal:
    return sum((r.total.amount for r in order.refunds), Decimal(0))


@settings(max_examples=examples(150), deadline=None)
@given(order=orders(max_lines=3), data=st.data())
def test_returns_never_refund_more_than_was_paid_and_pay_their_preview(
    order: Order, data: st.DataObject
) -> None:
    now = _now(order)
    for step in range(4):
        kind = data.draw(st.sampled_from([ReturnKind.RETURN, ReturnKind.CORE]))
        options = rules_of.return_options(order, kind, RULES, now)
        open_lines = [line for line in options.lines if line.returnable]
        if not open_lines:
            continue
        chosen = data.draw(st.lists(st.sampled_from(open_lines), min_size=1, unique=True))
        units = {line.line_no: data.draw(st.integers(1, line.returnable)) for line in chosen}
        reason = data.draw(st.sampled_from(REASONS[kind]))
        if reason is ReturnReason.CANCELLED_BUT_SHIPPED:
            continue
        ship_by = data.draw(st.sampled_from(["label", "own_tracking"]))
        draft = ReturnDraft(kind, reason, units, ship_by=ship_by)
        quote = Money(data.draw(st.decimals(0, 20, places=2)), order.currency)
        quotes = dict.fromkeys(("returns-center",), quote)
        plan = rules_of.plan_return(order, draft, RULES, quotes, now)
        order, request = rules_of.request_return(
            order,
            plan,
            f"r{step}",
            RULES.policy,
            now,
        )
        for package in request.packages:
            rma = package.rma_number
            order = rules_of.receive_package(order, rma, now)
            accept_all = data.draw(st.booleans())
            accepted = {
                u.line_no: u.quantity if accept_all else data.draw(st.integers(0, u.quantity))
                for u in package.units
            }
            order = rules_of.inspect_package(order, rma, accepted, now)
            settled = order.rma(rma)[0].packages[order.rma(rma)[1]]
            if settled.state is RmaState.REJECTED:
                continue
            before = order
            order, refund = rules_of.settle_package(
                order,
                rma,
                f"f{step}{rma[-2:]}".replace("-", "x"),
                now,
                RULES.policy,
            )
            assert refund is not None
            assert refund.total.amount >= 0
            if settled.fully_accepted:
                assert refund.total == package.preview.total
            assert _refunded(order) <= before.total.amount
        assert _refunded(order) <= order.total.amount


@settings(max_examples=examples(60), deadline=None)
@given(order=orders(max_lines=3), data=st.data())
def test_a_refused_return_changes_nothing(order: Order, data: st.DataObject) -> None:
    now = _now(order)
    options = rules_of.return_options(order, ReturnKind.RETURN, RULES, now)
    line = data.draw(st.sampled_from(options.lines))
    too_many = line.returnable + data.draw(st.integers(1, 5))
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DEFECTIVE, {line.line_no: too_many})
    with pytest.raises(ActionRefusedError) as refused:
        rules_of.plan_return(order, draft, RULES, {}, now)
    assert refused.value.code
