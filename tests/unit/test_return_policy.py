"""The return rules as pure functions: eligibility with reason codes, reasons and fault,
the refund preview and the refund that follows it, routing, cores, warranty, states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

from orderstatus_core import (
    ActionRefusedError,
    InvalidFieldError,
    ReturnDestination,
    ReturnDraft,
    ReturnKind,
    ReturnPolicy,
    ReturnReason,
    ReturnRefusal,
    ReturnRules,
    RmaState,
    ValidationError,
    WindowStart,
)
from orderstatus_core.model import Order, OrderLine
from orderstatus_core.model.fulfilment import deliver_package, open_package, ship_package
from orderstatus_core.policies import returns as rules_of
from orderstatus_core.policies.cancellation import cancel_units
from orderstatus_core.policies.returns import add_months, plan_return, return_options
from orderstatus_core.testing.builders import PLACED_AT, address, line, make_order, package, usd

SHIPPED = PLACED_AT + timedelta(days=1)
DELIVERED = PLACED_AT + timedelta(days=3)
NOW = PLACED_AT + timedelta(days=10)
RULES = ReturnRules()
QUOTE = {"returns-center": usd("7.50")}
SUPPLIER = ReturnDestination("supplier-acme", "Acme Alternators", address(name="Acme"))


def _order(**overrides: Any) -> Order:
    """Line 1: two brake pads at 24.99 with a 10.00 core; line 2: a No Return oil at 5.00;
    line 3: an alternator at 150.00 with a 12-month warranty. All delivered in one package."""
    fields: dict[str, Any] = {
        "lines": [
            line(1, quantity=2, core="10"),
            line(2, "OIL-1", price="5", returnable=False),
            line(3, "ALT-9", price="150", warranty_months=12),
        ],
        "packages": [
            package(
                "P1",
                [(1, 2), (2, 1), (3, 1)],
                shipped_after=timedelta(days=1),
                delivered_after=timedelta(days=3),
            )
        ],
    }
    fields.update(overrides)
    return make_order(**fields)


def _codes(order: Order, kind: ReturnKind, line_no: int, now: datetime = NOW) -> dict[str, int]:
    answer = return_options(order, kind, RULES, now).line(line_no)
    assert answer is not None
    return {r.code: r.quantity for r in answer.refusals}


def _through_inspection(
    order: Order, draft: ReturnDraft, accepted: dict[int, int] | None = None
) -> tuple[Order, str]:
    plan = plan_return(order, draft, RULES, QUOTE, NOW)
    order, request = rules_of.request_return(order, plan, "ret1", RULES.policy, NOW)
    rma = request.packages[0].rma_number
    if request.packages[0].state is RmaState.REQUESTED:
        order = rules_of.authorize_return(order, rma, NOW)
    order = rules_of.receive_package(order, rma, NOW)
    wanted = accepted if accepted is not None else dict(draft.units)
    return rules_of.inspect_package(order, rma, wanted, NOW), rma


# --- eligibility -------------------------------------------------------------------------


def test_delivered_units_may_come_back_within_the_window() -> None:
    options = return_options(_order(), ReturnKind.RETURN, RULES, NOW)
    assert [line.returnable for line in options.lines] == [2, 0, 1]
    assert options.line(1) is not None
    assert options.line(1).until == SHIPPED + timedelta(days=30)  # type: ignore[union-attr]


def test_the_window_is_open_at_its_last_moment_and_closed_a_microsecond_later() -> None:
    deadline = SHIPPED + timedelta(days=30)
    order = _order()
    assert return_options(order, ReturnKind.RETURN, RULES, deadline).returnable(1) == 2
    late = deadline + timedelta(microseconds=1)
    assert return_options(order, ReturnKind.RETURN, RULES, late).returnable(1) == 0
    assert _codes(order, ReturnKind.RETURN, 1, late) == {"window_closed": 2}


@pytest.mark.parametrize(
    ("start", "origin"),
    [
        (WindowStart.ORDER, PLACED_AT),
        (WindowStart.SHIP, SHIPPED),
        (WindowStart.DELIVERY, DELIVERED),
    ],
)
def test_the_window_counts_from_the_configured_date(start: WindowStart, origin: datetime) -> None:
    rules = ReturnRules(ReturnPolicy(window_start=start))
    deadline = origin + timedelta(days=30)
    assert return_options(_order(), ReturnKind.RETURN, rules, deadline).returnable(1) == 2
    after = deadline + timedelta(seconds=1)
    assert return_options(_order(), ReturnKind.RETURN, rules, after).returnable(1) == 0


def test_a_window_per_category_comes_from_the_store() -> None:
    def days(_order: Order, line: OrderLine) -> int:
        return 90 if line.part_number.display.startswith("ALT") else 30

    rules = ReturnRules(window_days=days)
    later = SHIPPED + timedelta(days=60)
    options = return_options(_order(), ReturnKind.RETURN, rules, later)
    assert (options.returnable(1), options.returnable(3)) == (0, 1)


def test_no_return_items_are_refused_with_a_reason() -> None:
    assert _codes(_order(), ReturnKind.RETURN, 2) == {"no_return_item": 1}


def test_a_store_rule_refuses_with_its_own_code() -> None:
    def refuse(_order: Order, line: OrderLine, _kind: ReturnKind) -> ReturnRefusal | None:
        if line.line_no == 1:
            return ReturnRefusal("special_order", "special orders cannot be returned")
        return None

    options = return_options(_order(), ReturnKind.RETURN, ReturnRules(refuse=refuse), NOW)
    assert options.returnable(1) == 0
    assert options.line(1).refusals[0].code == "special_order"  # type: ignore[union-attr]
    assert options.line(1).refusals[0].quantity == 2  # type: ignore[union-attr]


def test_units_not_delivered_cannot_come_back() -> None:
    order = make_order(
        lines=[line(1, quantity=3)],
        packages=[package("P1", [(1, 1)], shipped_after=timedelta(days=1), delivered_after=None)],
    )
    assert return_options(order, ReturnKind.RETURN, RULES, NOW).returnable(1) == 0
    assert _codes(order, ReturnKind.RETURN, 1)["not_delivered"] == 3


def test_units_in_an_open_return_and_returned_units_are_counted() -> None:
    order = _order()
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DOES_NOT_FIT, {1: 1})
    plan = plan_return(order, draft, RULES, QUOTE, NOW)
    order, request = rules_of.request_return(order, plan, "ret1", RULES.policy, NOW)
    assert _codes(order, ReturnKind.RETURN, 1) == {"in_open_return": 1}
    assert return_options(order, ReturnKind.RETURN, RULES, NOW).returnable(1) == 1
    rma = request.packages[0].rma_number
    order = rules_of.receive_package(order, rma, NOW)
    order = rules_of.inspect_package(order, rma, {1: 1}, NOW)
    assert _codes(order, ReturnKind.RETURN, 1) == {"already_returned": 1}
    with pytest.raises(ActionRefusedError) as refused:
        plan_return(order, attrs.evolve(draft, units={1: 2}), RULES, QUOTE, NOW)
    assert refused.value.code == "already_returned"


def test_a_line_of_two_packages_has_two_deadlines() -> None:
    order = make_order(
        lines=[line(1, quantity=2)],
        packages=[
            package("P1", [(1, 1)], shipped_after=timedelta(days=1), delivered_after=timedelta(2)),
            package(
                "P2", [(1, 1)], shipped_after=timedelta(days=20), delivered_after=timedelta(21)
            ),
        ],
    )
    between = PLACED_AT + timedelta(days=40)
    assert return_options(order, ReturnKind.RETURN, RULES, between).returnable(1) == 1
    assert _codes(order, ReturnKind.RETURN, 1, between) == {"window_closed": 1}


# --- reasons, fault and the preview ----------------------------------------------------------


def test_the_shoppers_choice_pays_for_the_label_and_keeps_the_shipping() -> None:
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DOES_NOT_FIT, {1: 1})
    preview = plan_return(_order(), draft, RULES, QUOTE, NOW).preview
    assert preview.parts == usd("24.99")
    assert preview.cores == usd("10")
    assert preview.shipping == usd("0")
    assert preview.label_deduction == usd("7.50")
    assert preview.total == preview.gross - usd("7.50")


def test_the_stores_fault_refunds_shipping_and_the_label_is_free() -> None:
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.WRONG_PART_SHIPPED, {1: 1})
    preview = plan_return(_order(), draft, RULES, QUOTE, NOW).preview
    assert preview.shipping.amount > 0
    assert preview.label_deduction == usd("0")


def test_own_tracking_deducts_no_label() -> None:
    draft = ReturnDraft(
        ReturnKind.RETURN, ReturnReason.DOES_NOT_FIT, {1: 1}, ship_by="own_tracking"
    )
    assert plan_return(_order(), draft, RULES, {}, NOW).preview.label_deduction == usd("0")


def test_a_restocking_fee_applies_to_the_shoppers_choice_only() -> None:
    rules = ReturnRules(ReturnPolicy(restocking_fee_percent=Decimal(15)))
    wrong = ReturnDraft(ReturnKind.RETURN, ReturnReason.ORDERED_WRONG_PART, {3: 1})
    assert plan_return(_order(), wrong, rules, QUOTE, NOW).preview.restocking_fee == usd("22.50")
    broken = ReturnDraft(ReturnKind.RETURN, ReturnReason.DAMAGED_IN_SHIPPING, {3: 1})
    assert plan_return(_order(), broken, rules, QUOTE, NOW).preview.restocking_fee == usd("0")


def test_deductions_never_make_a_refund_negative() -> None:
    order = make_order(
        lines=[line(1, price="2.00")],
        packages=[
            package("P1", [(1, 1)], shipped_after=timedelta(1), delivered_after=timedelta(2))
        ],
    )
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.NO_LONGER_NEEDED, {1: 1})
    preview = plan_return(order, draft, RULES, QUOTE, NOW).preview
    assert preview.total == usd("0")
    assert preview.label_deduction == preview.gross


def test_the_refund_of_a_fully_accepted_package_is_its_preview() -> None:
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DOES_NOT_FIT, {1: 2, 3: 1})
    preview = plan_return(_order(), draft, RULES, QUOTE, NOW).preview
    order, rma = _through_inspection(_order(), draft)
    order = rules_of.record_label(order, rma, "UPS", None, usd("7.50"), NOW)
    settled, refund = rules_of.settle_package(order, rma, "rf1", NOW, RULES.policy)
    assert refund is not None
    assert refund.total == preview.total
    assert refund.label_fee == usd("7.50")
    assert settled.rma(rma)[0].packages[0].state is RmaState.REFUNDED
    assert settled.ledger(1).returned == 2


def test_the_label_deduction_is_never_more_than_the_label_cost() -> None:
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DOES_NOT_FIT, {1: 1})
    order, rma = _through_inspection(_order(), draft)
    order = rules_of.record_label(order, rma, "UPS", None, usd("5.00"), NOW)
    _, refund = rules_of.settle_package(order, rma, "rf1", NOW, RULES.policy)
    assert refund is not None
    assert refund.label_fee == usd("5.00")


def test_a_partly_accepted_package_refunds_the_accepted_units() -> None:
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DEFECTIVE, {1: 2})
    order, rma = _through_inspection(_order(), draft, {1: 1})
    _, refund = rules_of.settle_package(order, rma, "rf1", NOW, RULES.policy)
    assert refund is not None
    assert refund.parts == usd("24.99")
    assert [(u.line_no, u.quantity) for u in refund.units] == [(1, 1)]


def test_nothing_accepted_rejects_the_package_without_a_refund() -> None:
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DEFECTIVE, {1: 1})
    order, rma = _through_inspection(_order(), draft, {})
    assert order.rma(rma)[0].packages[0].state is RmaState.REJECTED
    with pytest.raises(ActionRefusedError) as refused:
        rules_of.settle_package(order, rma, "rf1", NOW, RULES.policy)
    assert refused.value.code == "rma_rejected"
    assert order.ledger(1).returned == 0


def test_store_credit_is_marked_on_the_refund() -> None:
    draft = ReturnDraft(
        ReturnKind.RETURN, ReturnReason.DEFECTIVE, {1: 1}, refund_method="store_credit"
    )
    order, rma = _through_inspection(_order(), draft)
    settled, refund = rules_of.settle_package(order, rma, "rf1", NOW, RULES.policy)
    assert refund is not None
    assert refund.to_store_credit
    assert settled.rma(rma)[0].packages[0].state is RmaState.CREDITED


def test_a_free_return_needs_a_cancel_that_shipped_anyway() -> None:
    order = make_order(lines=[line(1, quantity=2)])
    order = open_package(order, "P1", "Columbus, OH", {1: 2}, PLACED_AT)
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.CANCELLED_BUT_SHIPPED, {1: 1})
    order = cancel_units(order, {1: 1}, PLACED_AT).order
    order = ship_package(order, "P1", "UPS", "1Z999AA10123456784", SHIPPED)
    order = deliver_package(order, "P1", DELIVERED)
    assert plan_return(order, draft, RULES, QUOTE, NOW).preview.label_deduction == usd("0")
    with pytest.raises(ActionRefusedError) as refused:
        plan_return(order, attrs.evolve(draft, units={1: 2}), RULES, QUOTE, NOW)
    assert refused.value.code == "not_cancelled"


# --- routing --------------------------------------------------------------------------------


def test_routing_splits_a_return_into_one_rma_package_per_destination() -> None:
    def route(
        _order: Order, line: OrderLine, reason: ReturnReason, shipped_from: str
    ) -> ReturnDestination:
        if reason is ReturnReason.DEFECTIVE and line.line_no == 3:
            return SUPPLIER
        return RULES.policy.returns_center

    rules = ReturnRules(route=route)
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DEFECTIVE, {1: 1, 3: 1})
    plan = plan_return(_order(), draft, rules, {}, NOW)
    assert [p.destination.code for p in plan.packages] == ["returns-center", "supplier-acme"]
    order, request = rules_of.request_return(_order(), plan, "ret1", rules.policy, NOW)
    assert [p.rma_number for p in request.packages] == ["R123456789-1", "R123456789-2"]
    assert request.preview == plan.preview
    assert order.version == _order().version + 1


def test_the_default_routing_sends_units_to_their_warehouse() -> None:
    east = ReturnDestination("east", "East warehouse", address(name="East"))
    rules = ReturnRules(ReturnPolicy(warehouses={"Columbus, OH": east}))
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DOES_NOT_FIT, {1: 1})
    plan = plan_return(_order(), draft, rules, {"east": usd("3")}, NOW)
    assert plan.packages[0].destination == east


def test_a_routing_hook_must_answer_a_destination() -> None:
    rules = ReturnRules(route=lambda *_: "warehouse")  # type: ignore[arg-type]
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DOES_NOT_FIT, {1: 1})
    with pytest.raises(InvalidFieldError):
        plan_return(_order(), draft, rules, QUOTE, NOW)


def test_a_missing_label_quote_is_an_error_not_a_free_label() -> None:
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DOES_NOT_FIT, {1: 1})
    with pytest.raises(InvalidFieldError):
        plan_return(_order(), draft, RULES, {}, NOW)


# --- cores ----------------------------------------------------------------------------------


def test_a_core_return_refunds_the_deposit_once() -> None:
    draft = ReturnDraft(ReturnKind.CORE, ReturnReason.CORE, {1: 2}, ship_by="own_tracking")
    plan = plan_return(_order(), draft, RULES, {}, NOW)
    assert plan.preview.total == usd("20")
    order, rma = _through_inspection(_order(), draft)
    settled, refund = rules_of.settle_package(order, rma, "rf1", NOW, RULES.policy)
    assert refund is not None
    assert refund.cores == usd("20")
    assert refund.parts == usd("0")
    assert settled.ledger(1).returned == 0  # the old part came back, not the new one
    assert _codes(settled, ReturnKind.CORE, 1) == {"core_already_refunded": 2}
    # Returning the new part later refunds its price, not the deposit again.
    part = ReturnDraft(ReturnKind.RETURN, ReturnReason.DEFECTIVE, {1: 1})
    assert plan_return(settled, part, RULES, QUOTE, NOW).preview.cores == usd("0")


def test_the_core_window_is_six_calendar_months_from_shipping() -> None:
    deadline = add_months(SHIPPED, 6)
    assert deadline == datetime(2027, 5, 2, 10, 0, tzinfo=UTC)
    assert return_options(_order(), ReturnKind.CORE, RULES, deadline).returnable(1) == 2
    late = deadline + timedelta(seconds=1)
    assert _codes(_order(), ReturnKind.CORE, 1, late) == {"core_window_closed": 2}


def test_parts_without_a_core_charge_have_no_core_return() -> None:
    assert _codes(_order(), ReturnKind.CORE, 3) == {"no_core_charge": 1}


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 8, 31, tzinfo=UTC), 6, datetime(2027, 2, 28, tzinfo=UTC)),
        (datetime(2027, 8, 31, tzinfo=UTC), 6, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 12, 15, tzinfo=UTC), 1, datetime(2027, 1, 15, tzinfo=UTC)),
        (datetime(2026, 1, 31, tzinfo=UTC), 0, datetime(2026, 1, 31, tzinfo=UTC)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(
    moment: datetime, months: int, expected: datetime
) -> None:
    assert add_months(moment, months) == expected


# --- warranty -------------------------------------------------------------------------------


def test_a_warranty_claim_waits_for_the_return_window_to_close() -> None:
    assert _codes(_order(), ReturnKind.WARRANTY, 3) == {"within_return_window": 1}
    after = SHIPPED + timedelta(days=31)
    assert return_options(_order(), ReturnKind.WARRANTY, RULES, after).returnable(3) == 1


def test_a_warranty_ends_after_its_months_from_delivery() -> None:
    end = add_months(DELIVERED, 12)
    assert return_options(_order(), ReturnKind.WARRANTY, RULES, end).returnable(3) == 1
    late = end + timedelta(seconds=1)
    assert _codes(_order(), ReturnKind.WARRANTY, 3, late) == {"warranty_expired": 1}
    assert _codes(_order(), ReturnKind.WARRANTY, 1, late) == {"no_warranty": 2}


def test_a_warranty_claim_waits_for_staff_then_is_replaced_or_refunded() -> None:
    after = SHIPPED + timedelta(days=40)
    draft = ReturnDraft(ReturnKind.WARRANTY, ReturnReason.DEFECTIVE, {3: 1})
    plan = plan_return(_order(), draft, RULES, QUOTE, after)
    assert plan.preview.shipping == usd("0")  # the original shipping stays with a claim
    assert plan.preview.label_deduction == usd("0")
    order, request = rules_of.request_return(_order(), plan, "w1", RULES.policy, after)
    rma = request.packages[0].rma_number
    assert request.packages[0].state is RmaState.REQUESTED
    with pytest.raises(ActionRefusedError) as refused:
        rules_of.receive_package(order, rma, after)
    assert refused.value.code == "rma_requested"
    order = rules_of.authorize_return(order, rma, after)
    order = rules_of.receive_package(order, rma, after)
    order = rules_of.inspect_package(order, rma, {3: 1}, after)
    replaced, refund = rules_of.settle_package(order, rma, "rf", after, RULES.policy, replace=True)
    assert refund is None
    assert replaced.rma(rma)[0].packages[0].state is RmaState.REPLACED
    _, money_back = rules_of.settle_package(order, rma, "rf", after, RULES.policy)
    assert money_back is not None
    assert money_back.parts == usd("150")


def test_only_a_warranty_claim_is_settled_by_replacement() -> None:
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DEFECTIVE, {1: 1})
    order, rma = _through_inspection(_order(), draft)
    with pytest.raises(ActionRefusedError) as refused:
        rules_of.settle_package(order, rma, "rf", NOW, RULES.policy, replace=True)
    assert refused.value.code == "not_warranty"


# --- states ---------------------------------------------------------------------------------


def test_each_step_refuses_the_wrong_state_with_a_code() -> None:
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DEFECTIVE, {1: 1}, ship_by="own_tracking")
    plan = plan_return(_order(), draft, RULES, {}, NOW)
    order, request = rules_of.request_return(_order(), plan, "ret1", RULES.policy, NOW)
    rma = request.packages[0].rma_number
    with pytest.raises(ActionRefusedError) as refused:
        rules_of.inspect_package(order, rma, {1: 1}, NOW)
    assert refused.value.code == "rma_awaiting_shipment"
    moving = rules_of.enter_own_tracking(order, rma, "UPS", "1Z999AA10123456784", NOW)
    with pytest.raises(ActionRefusedError) as again:
        rules_of.enter_own_tracking(moving, rma, "UPS", "1Z999AA10123456784", NOW)
    assert again.value.code == "rma_in_transit"
    with pytest.raises(ActionRefusedError) as unknown:
        rules_of.receive_package(order, "R000-9", NOW)
    assert unknown.value.code == "unknown_rma"


def test_own_tracking_is_refused_for_a_package_on_the_stores_label() -> None:
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DEFECTIVE, {1: 1})
    plan = plan_return(_order(), draft, RULES, QUOTE, NOW)
    order, request = rules_of.request_return(_order(), plan, "ret1", RULES.policy, NOW)
    with pytest.raises(ActionRefusedError) as refused:
        rules_of.enter_own_tracking(
            order, request.packages[0].rma_number, "UPS", "1Z999AA10123456784", NOW
        )
    assert refused.value.code == "label_provided"


def test_inspection_accepts_no_more_than_came_back() -> None:
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DEFECTIVE, {1: 1})
    plan = plan_return(_order(), draft, RULES, QUOTE, NOW)
    order, request = rules_of.request_return(_order(), plan, "ret1", RULES.policy, NOW)
    rma = request.packages[0].rma_number
    order = rules_of.receive_package(order, rma, NOW)
    for accepted in ({1: 2}, {1: -1}, {1: True}, {3: 1}):
        with pytest.raises(ActionRefusedError):
            rules_of.inspect_package(order, rma, accepted, NOW)


def test_a_second_label_record_keeps_the_first() -> None:
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DOES_NOT_FIT, {1: 1})
    plan = plan_return(_order(), draft, RULES, QUOTE, NOW)
    order, request = rules_of.request_return(_order(), plan, "ret1", RULES.policy, NOW)
    rma = request.packages[0].rma_number
    once = rules_of.record_label(order, rma, "UPS", None, usd("7.50"), NOW)
    assert rules_of.record_label(once, rma, "UPS", None, usd("9.00"), NOW) is once


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "return", "reason": "core", "units": {1: 1}},
        {"kind": "core", "reason": "defective", "units": {1: 1}},
        {"kind": "warranty", "reason": "does_not_fit", "units": {1: 1}},
        {"kind": "exchange", "reason": "defective", "units": {1: 1}},
        {"kind": "return", "reason": "DROP TABLE orders;", "units": {1: 1}},
        {"kind": "return", "reason": "defective", "units": {}},
        {"kind": "return", "reason": "defective", "units": [(1, 1)]},
        {"kind": "return", "reason": "defective", "units": {1: True}},
        {"kind": "return", "reason": "defective", "units": {"1": 1}},
        {"kind": "return", "reason": "defective", "units": {1: 10**9}},
        {"kind": "return", "reason": "defective", "units": {1: 1}, "language": "sv"},
        {"kind": "return", "reason": "defective", "units": {1: 1}, "comment": "x" * 501},
        {"kind": "return", "reason": "defective", "units": {1: 1}, "comment": "a\x00b"},
        {"kind": "return", "reason": "defective", "units": {1: 1}, "ship_by": "drone"},
        {"kind": "return", "reason": "defective", "units": {1: 1}, "refund_method": "cash"},
    ],
)
def test_a_bad_draft_is_refused_on_construction(fields: dict[str, Any]) -> None:
    with pytest.raises((ValidationError, ValueError)):
        ReturnDraft(**fields)


def test_an_unknown_line_is_refused_by_code() -> None:
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DEFECTIVE, {9: 1})
    with pytest.raises(ActionRefusedError) as refused:
        plan_return(_order(), draft, RULES, QUOTE, NOW)
    assert refused.value.code == "unknown_line"


def test_a_part_returned_while_its_core_is_on_the_way_keeps_the_deposit_for_the_core() -> None:
    """The old part's core return is open: returning the new part refunds its price, and
    the deposit is left to the core return (never paid twice)."""
    order = make_order(
        lines=[line(1, quantity=1, core="30")],
        packages=[
            package("P1", [(1, 1)], shipped_after=timedelta(1), delivered_after=timedelta(3))
        ],
    )
    core = ReturnDraft(ReturnKind.CORE, ReturnReason.CORE, {1: 1}, ship_by="own_tracking")
    plan = plan_return(order, core, RULES, {}, NOW)
    order, request = rules_of.request_return(order, plan, "core1", RULES.policy, NOW)
    part = ReturnDraft(ReturnKind.RETURN, ReturnReason.DEFECTIVE, {1: 1})
    preview = plan_return(order, part, RULES, QUOTE, NOW).preview
    assert preview.cores == usd("0")
    assert preview.parts == usd("24.99")
    order, _ = rules_of.request_return(
        order, plan_return(order, part, RULES, QUOTE, NOW), "p1", RULES.policy, NOW
    )
    rma = request.packages[0].rma_number
    order = rules_of.receive_package(order, rma, NOW)
    order = rules_of.inspect_package(order, rma, {1: 1}, NOW)
    order, refund = rules_of.settle_package(order, rma, "rf1", NOW, RULES.policy)
    assert refund is not None
    assert refund.cores == usd("30")
    assert order.refunded_cores == {1: 1}


@pytest.mark.parametrize(
    "fields",
    [
        {"code": "Window Closed", "message": "x"},
        {"code": "", "message": "x"},
        {"code": "x" * 41, "message": "x"},
        {"code": "special_order", "message": ""},
        {"code": "special_order", "message": "x" * 301},
        {"code": "special_order", "message": "a\x00b"},
        {"code": "special_order", "message": "ok", "quantity": -1},
        {"code": 7, "message": "ok"},
    ],
)
def test_a_bad_refusal_is_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ReturnRefusal(**fields)


def test_a_draft_can_be_evolved() -> None:
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DEFECTIVE, {2: 1, 1: 1})
    assert attrs.evolve(draft, ship_by="own_tracking").units == ((1, 1), (2, 1))
    with pytest.raises(InvalidFieldError):
        ReturnDraft(ReturnKind.RETURN, ReturnReason.DEFECTIVE, ((1, 1, 1),))
