"""examples/return_policy.py runs a store: a window per category, No Return rules, defective
alternators routed to their supplier, a restocking fee and the store's own warehouses,
each seen through ``OrderStatus`` as a storefront sees it; and hooks that answer the wrong
type are refused."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from types import ModuleType

import pytest

from orderstatus_core import (
    GuestPassMail,
    InvalidFieldError,
    LabelDocument,
    Money,
    Order,
    OrderStatus,
    Refused,
    ReturnAnswer,
    ReturnDraft,
    ReturnLabel,
    ReturnLabelRequest,
    ReturnOptions,
    ReturnPlan,
    hookimpl,
)
from orderstatus_core.services import GuestPassGranted
from orderstatus_core.testing import FixedClock, RecordingMailer, queued_mail
from orderstatus_core.testing.builders import PLACED_AT, line, make_order, package, usd
from support.paths import EXAMPLES

EXAMPLE = EXAMPLES / "return_policy.py"
NUMBER = "123456789"
JANE = "jane.doe@example.com"
SHIPPED = PLACED_AT + timedelta(days=1)
LABEL_QUOTE = usd("7.50")
BRAKE_PADS, TORQUE_WRENCH, MOTOR_OIL, GIFT_CARD, ALTERNATOR = 1, 2, 3, 4, 5


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("return_policy", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


EXAMPLE_MODULE = _example()


class _FlatRateLabels:
    """A label maker that quotes and charges 7.50 USD and makes one-byte files."""

    def quote(self, request: ReturnLabelRequest) -> Money:
        return LABEL_QUOTE

    def make_label(self, request: ReturnLabelRequest) -> ReturnLabel:
        return ReturnLabel(
            rma_number=request.rma_number,
            carrier=request.carrier,
            service=request.service,
            cost=LABEL_QUOTE,
            documents=tuple(
                LabelDocument(fmt, "application/octet-stream", f"label.{fmt}", b"x")
                for fmt in request.formats
            ),
        )

    def make_instructions(
        self, request: ReturnLabelRequest, label: ReturnLabel | None
    ) -> LabelDocument:
        return LabelDocument("pdf", "application/pdf", "instructions.pdf", b"x")


def _order(warehouse: str = "Reno, NV") -> Order:
    """Brake pads (2), a torque wrench, motor oil, a gift card and an alternator, shipped
    together from ``warehouse`` a day after the order and delivered two days later."""
    return make_order(
        NUMBER,
        lines=[
            line(BRAKE_PADS, "BP-1234", quantity=2),
            line(TORQUE_WRENCH, "TW-250", category="Tools & Equipment › Torque Wrench", price="89"),
            line(MOTOR_OIL, "OIL-5W30", category="Oil, Chemicals & Fluids › Motor Oil", price="8"),
            line(GIFT_CARD, "GC-50", category="Gift Cards", price="50"),
            line(
                ALTERNATOR,
                "ALT-9",
                category="Charging & Starting › Alternator",
                price="150",
                core="25",
                warranty_months=12,
            ),
        ],
        packages=[
            package(
                "P1",
                [
                    (BRAKE_PADS, 2),
                    (TORQUE_WRENCH, 1),
                    (MOTOR_OIL, 1),
                    (GIFT_CARD, 1),
                    (ALTERNATOR, 1),
                ],
                warehouse=warehouse,
                shipped_after=timedelta(days=1),
                delivered_after=timedelta(days=3),
            )
        ],
    )


def _open(plugin: object, order: Order, now: datetime) -> OrderStatus:
    desk = OrderStatus.open(
        storage="memory://",
        mail=RecordingMailer(),
        labels=_FlatRateLabels(),
        clock=FixedClock(now),
        plugins=[plugin],
    )
    with desk.context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(order)
        uow.commit()
    return desk


@pytest.fixture
def desk() -> Iterator[OrderStatus]:
    """The example store with the order above, ten days after it was placed."""
    with _open(EXAMPLE_MODULE.StorePolicy(), _order(), PLACED_AT + timedelta(days=10)) as opened:
        yield opened


def _pass(desk: OrderStatus) -> str:
    """A guest pass earned as a shopper earns it: the mailed code, typed back."""
    desk.request_guest_pass(JANE, NUMBER, client="c")
    mail = [i for i in queued_mail(desk.context) if isinstance(i, GuestPassMail)][-1]
    granted = desk.verify_guest_code(NUMBER, mail.code, client="c")
    assert isinstance(granted, GuestPassGranted)
    return granted.token


def _at(desk: OrderStatus, moment: datetime) -> None:
    clock = desk.context.clock
    assert isinstance(clock, FixedClock)
    clock.set(moment)


def _options(desk: OrderStatus, token: str, kind: str = "return") -> ReturnOptions:
    answer = desk.guest(client="c", guest_pass=token).return_options(NUMBER, kind)
    assert isinstance(answer, ReturnOptions)
    return answer


def _codes(options: ReturnOptions, line_no: int) -> dict[str, int]:
    answer = options.line(line_no)
    assert answer is not None
    return {refusal.code: refusal.quantity for refusal in answer.refusals}


def _preview(desk: OrderStatus, draft: ReturnDraft) -> ReturnPlan:
    plan = desk.guest(client="c", guest_pass=_pass(desk)).preview_return(NUMBER, draft)
    assert isinstance(plan, ReturnPlan)
    return plan


# --- orderstatus_return_window -----------------------------------------------------------


def test_tools_may_come_back_until_90_days_after_shipping(desk: OrderStatus) -> None:
    """The window hook gives tools 90 days: open at the last moment, closed just after."""
    _at(desk, SHIPPED + timedelta(days=90))
    token = _pass(desk)
    assert _options(desk, token).returnable(TORQUE_WRENCH) == 1
    _at(desk, SHIPPED + timedelta(days=90, microseconds=1))
    assert _options(desk, token).returnable(TORQUE_WRENCH) == 0
    assert _codes(_options(desk, token), TORQUE_WRENCH) == {"window_closed": 1}


def test_other_parts_keep_the_policys_30_days(desk: OrderStatus) -> None:
    """A ``None`` from the window hook leaves a line at the policy's 30 days."""
    _at(desk, SHIPPED + timedelta(days=30))
    token = _pass(desk)
    options = _options(desk, token)
    assert options.returnable(BRAKE_PADS) == 2
    assert options.line(BRAKE_PADS).until == SHIPPED + timedelta(days=30)  # type: ignore[union-attr]
    _at(desk, SHIPPED + timedelta(days=30, microseconds=1))
    assert _codes(_options(desk, token), BRAKE_PADS) == {"window_closed": 2}
    assert _options(desk, token).returnable(TORQUE_WRENCH) == 1


# --- orderstatus_return_refusal ----------------------------------------------------------


def test_fluids_are_refused_with_the_stores_code(desk: OrderStatus) -> None:
    """Motor oil is a No Return item by the store's rule, with its own code and reason."""
    options = _options(desk, _pass(desk))
    assert options.returnable(MOTOR_OIL) == 0
    assert _codes(options, MOTOR_OIL) == {"fluids_no_return": 1}
    refusal = options.line(MOTOR_OIL).refusals[0]  # type: ignore[union-attr]
    assert "report a problem" in refusal.message


@pytest.mark.parametrize("kind", ["return", "warranty", "core"])
def test_gift_cards_never_come_back(desk: OrderStatus, kind: str) -> None:
    """The gift-card rule answers for every kind of return."""
    assert _codes(_options(desk, _pass(desk), kind), GIFT_CARD) == {"gift_card": 1}


def test_a_refused_line_cannot_be_requested(desk: OrderStatus) -> None:
    """A request for a refused line is refused with the store's code."""
    draft = ReturnDraft("return", "no_longer_needed", {MOTOR_OIL: 1})
    refused = desk.guest(client="c", guest_pass=_pass(desk)).request_return(NUMBER, draft)
    assert isinstance(refused, Refused)
    assert refused.reason == "fluids_no_return"


# --- orderstatus_return_destination and the policy's warehouses --------------------------


def test_a_defective_alternator_goes_to_its_supplier_in_its_own_package(
    desk: OrderStatus,
) -> None:
    """Two destinations, two RMA packages: the alternator to the supplier, the pads to the
    warehouse that shipped them."""
    draft = ReturnDraft("return", "defective", {BRAKE_PADS: 1, ALTERNATOR: 1})
    answer = desk.guest(client="c", guest_pass=_pass(desk)).request_return(NUMBER, draft)
    assert isinstance(answer, ReturnAnswer)
    packages = answer.request.packages
    assert [(p.destination.code, p.rma_number) for p in packages] == [
        ("reno", f"R{NUMBER}-1"),
        ("supplier-voltline", f"R{NUMBER}-2"),
    ]
    assert [[u.line_no for u in p.units] for p in packages] == [[BRAKE_PADS], [ALTERNATOR]]


def test_an_alternator_returned_for_another_reason_goes_to_the_warehouse(
    desk: OrderStatus,
) -> None:
    """Only a defect routes to the supplier."""
    draft = ReturnDraft("return", "does_not_fit", {ALTERNATOR: 1})
    plan = _preview(desk, draft)
    assert [p.destination.code for p in plan.packages] == ["reno"]


def test_a_warranty_claim_for_an_alternator_goes_to_the_supplier_too(desk: OrderStatus) -> None:
    """After the return window, a defective alternator is a warranty claim, routed alike."""
    _at(desk, SHIPPED + timedelta(days=31))
    plan = _preview(desk, ReturnDraft("warranty", "defective", {ALTERNATOR: 1}))
    assert [p.destination.code for p in plan.packages] == ["supplier-voltline"]


def test_units_from_an_unlisted_warehouse_go_to_the_returns_center() -> None:
    """A package from a warehouse the policy does not name goes back to Columbus."""
    with _open(
        EXAMPLE_MODULE.StorePolicy(), _order("Dallas, TX"), PLACED_AT + timedelta(days=10)
    ) as desk:
        plan = _preview(desk, ReturnDraft("return", "does_not_fit", {BRAKE_PADS: 1}))
    assert [p.destination for p in plan.packages] == [EXAMPLE_MODULE.COLUMBUS]


# --- orderstatus_return_policy: the restocking fee --------------------------------------


def test_the_shoppers_choice_pays_the_restocking_fee_and_the_label(desk: OrderStatus) -> None:
    """15 % of the torque wrench's 89.00 and the label's quote come off the preview."""
    plan = _preview(desk, ReturnDraft("return", "ordered_wrong_part", {TORQUE_WRENCH: 1}))
    preview = plan.preview
    assert Decimal(15) == EXAMPLE_MODULE.RESTOCKING_FEE_PERCENT
    assert preview.parts == usd("89")
    assert preview.restocking_fee == usd("13.35")
    assert preview.label_deduction == LABEL_QUOTE
    assert preview.total == preview.gross - usd("13.35") - LABEL_QUOTE


def test_the_stores_fault_pays_no_restocking_fee(desk: OrderStatus) -> None:
    """A defective part comes back without a fee or a label deduction."""
    plan = _preview(desk, ReturnDraft("return", "defective", {TORQUE_WRENCH: 1}))
    assert plan.preview.restocking_fee == usd("0")
    assert plan.preview.label_deduction == usd("0")


# --- hooks that answer the wrong type ---------------------------------------------------


class _WindowAsText:
    @hookimpl
    def orderstatus_return_window(self) -> object:
        return "90"


class _WindowAsBool:
    @hookimpl
    def orderstatus_return_window(self) -> object:
        return True


class _NegativeWindow:
    @hookimpl
    def orderstatus_return_window(self) -> object:
        return -1


class _RefusalAsText:
    @hookimpl
    def orderstatus_return_refusal(self) -> object:
        return "no returns"


class _PolicyAsDict:
    @hookimpl
    def orderstatus_return_policy(self) -> object:
        return {"window_days": 90}


class _DestinationAsCode:
    @hookimpl
    def orderstatus_return_destination(self) -> object:
        return "supplier-voltline"


@pytest.mark.parametrize(
    "plugin",
    [
        pytest.param(_WindowAsText(), id="window-text"),
        pytest.param(_WindowAsBool(), id="window-bool"),
        pytest.param(_NegativeWindow(), id="window-negative"),
        pytest.param(_RefusalAsText(), id="refusal-text"),
        pytest.param(_PolicyAsDict(), id="policy-dict"),
        pytest.param(_DestinationAsCode(), id="destination-text"),
    ],
)
def test_a_hook_answering_the_wrong_type_is_an_invalid_field(plugin: object) -> None:
    """A store hook's malformed answer fails loudly as InvalidFieldError, never as a
    silently closed window or a stray TypeError."""
    with pytest.raises(InvalidFieldError):  # a policy of the wrong type fails at open
        _open_and_ask(plugin)


def _open_and_ask(plugin: object) -> None:
    with _open(plugin, _order(), PLACED_AT + timedelta(days=10)) as desk:
        _ask_for_a_return(desk, _pass(desk))


def _ask_for_a_return(desk: OrderStatus, token: str) -> None:
    """What a storefront does first: show the options, then preview a defective part."""
    _options(desk, token)
    draft = ReturnDraft("return", "defective", {BRAKE_PADS: 1})
    desk.guest(client="c", guest_pass=token).preview_return(NUMBER, draft)
