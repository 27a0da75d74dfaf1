"""The RMA transitions are one table: every step of an RMA package is allowed from the states
the table lists and refused, with the package's state as the code, from every other one
(issue 10, item 4)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

from orderstatus_core import ActionRefusedError, ReturnDraft, ReturnKind, ReturnReason, RmaState
from orderstatus_core.model import Order
from orderstatus_core.policies import returns as rules_of
from orderstatus_core.policies.returns import RMA_TRANSITIONS, ReturnRules, RmaStep
from orderstatus_core.testing.builders import PLACED_AT, line, make_order, package

NOW = PLACED_AT + timedelta(days=10)
RULES = ReturnRules()
UPS = "1Z999AA10123456784"
DOCS = Path(__file__).parents[2] / "docs" / "returns.md"

#: Each step called as a test calls it, answering the changed order.
STEPS: dict[RmaStep, Callable[[Order, str], Order]] = {
    RmaStep.AUTHORIZE: lambda o, rma: rules_of.authorize_return(o, rma, NOW),
    RmaStep.DENY: lambda o, rma: rules_of.deny_return(o, rma, NOW, "not ours"),
    RmaStep.ENTER_OWN_TRACKING: lambda o, rma: rules_of.enter_own_tracking(o, rma, "UPS", UPS, NOW),
    RmaStep.MARK_IN_TRANSIT: lambda o, rma: rules_of.mark_in_transit(o, rma, NOW),
    RmaStep.RECEIVE: lambda o, rma: rules_of.receive_package(o, rma, NOW),
    RmaStep.INSPECT: lambda o, rma: rules_of.inspect_package(o, rma, {1: 1}, NOW),
    RmaStep.SETTLE: lambda o, rma: rules_of.settle_package(o, rma, "rf", NOW, RULES.policy)[0],
}


def _package_in(state: RmaState) -> tuple[Order, str]:
    """An order with one return of one brake pad, shipped on the shopper's own tracking,
    whose RMA package stands in ``state`` (inspected packages accepted the unit)."""
    order = make_order(
        lines=[line(1, quantity=2)],
        packages=[
            package(
                "P1", [(1, 2)], shipped_after=timedelta(days=1), delivered_after=timedelta(days=3)
            )
        ],
    )
    draft = ReturnDraft(ReturnKind.RETURN, ReturnReason.DEFECTIVE, {1: 1}, ship_by="own_tracking")
    plan = rules_of.plan_return(order, draft, RULES, {}, NOW)
    order, request = rules_of.request_return(order, plan, "ret1", RULES.policy, NOW)
    accepted = None if state.before_inspection else 1
    placed = attrs.evolve(
        request.packages[0],
        state=state,
        units=tuple(attrs.evolve(u, accepted=accepted) for u in request.packages[0].units),
    )
    moved = attrs.evolve(request, packages=(placed,))
    return attrs.evolve(order, returns=(moved,)), placed.rma_number


ALLOWED = [(s, step) for step, t in RMA_TRANSITIONS.items() for s in sorted(t.from_states)]
REFUSED = [
    (s, step) for step in RmaStep for s in RmaState if s not in RMA_TRANSITIONS[step].from_states
]


def test_every_step_is_in_the_table() -> None:
    """The table names each step once, and every state is reachable from some step or is
    where a package starts."""
    assert set(RMA_TRANSITIONS) == set(RmaStep)
    reached = {s for t in RMA_TRANSITIONS.values() for s in t.to_states}
    assert reached | {RmaState.REQUESTED} == set(RmaState)


@pytest.mark.parametrize(("state", "step"), ALLOWED)
def test_a_step_the_table_allows_moves_the_package_to_a_state_it_lists(
    state: RmaState, step: RmaStep
) -> None:
    """From each state the table lists for a step, the step succeeds and lands in one of
    the states the table says it leads to."""
    order, rma = _package_in(state)
    changed = STEPS[step](order, rma)
    request, index = changed.rma(rma)
    assert request.packages[index].state in RMA_TRANSITIONS[step].to_states


@pytest.mark.parametrize(("state", "step"), REFUSED)
def test_a_step_the_table_does_not_allow_is_refused_by_the_packages_state(
    state: RmaState, step: RmaStep
) -> None:
    """From every other state the step is refused with ``rma_<state>`` and a sentence naming
    the RMA and its state, the same refusal whichever step was tried."""
    order, rma = _package_in(state)
    with pytest.raises(ActionRefusedError) as refused:
        STEPS[step](order, rma)
    assert type(refused.value) is ActionRefusedError
    assert refused.value.code == f"rma_{state.value}"
    assert str(refused.value.message) == f"RMA {rma} is {state.value.replace('_', ' ')}"


def test_the_docs_show_the_table() -> None:
    """docs/returns.md's table of steps is the table the steps consult."""
    section = DOCS.read_text(encoding="utf-8").split("## RMA states", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| `[\w.]+` \| ([^|]+) \| ([^|]+) \|$", section, re.M)
    shown = {}
    for step, sources, targets in rows:
        shown[step] = (
            frozenset(RmaState(s) for s in re.findall(r"`(\w+)`", sources)),
            frozenset(RmaState(s) for s in re.findall(r"`(\w+)`", targets)),
        )
    assert shown == {
        step.value: (t.from_states, t.to_states) for step, t in RMA_TRANSITIONS.items()
    }


@pytest.mark.parametrize("step", list(RmaStep))
@pytest.mark.parametrize("rma", ["R000-9", "R1'; DROP TABLE orders;--" + "9" * 60, "Ｒ１２３-１"])
def test_every_step_refuses_an_unknown_rma_before_reading_the_table(
    step: RmaStep, rma: str
) -> None:
    """An RMA number the order does not have is ``unknown_rma`` from every step, quoted at
    most 40 characters long, whatever the package's state."""
    order, _ = _package_in(RmaState.INSPECTED)
    with pytest.raises(ActionRefusedError) as refused:
        STEPS[step](order, rma)
    assert refused.value.code == "unknown_rma"
    assert refused.value.message == f"order {order.number} has no RMA {rma[:40]}"
