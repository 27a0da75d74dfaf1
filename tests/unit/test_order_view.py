"""The order view is one object graph with the order: it holds the order's own lines and
packages, works out the rest when first read by the order's own rules, and never holds
anything unmasked (SECURITY F3)."""

from __future__ import annotations

import enum
import types
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import (
    Catalogs,
    InvalidFieldError,
    LineView,
    Money,
    Order,
    OrderFound,
    OrderView,
    PackageView,
    Translator,
    hookimpl,
)
from orderstatus_core.contacts import parse_phone
from orderstatus_core.model import Address, EmailAddress, PhoneNumber
from orderstatus_core.model.requests import (
    AddressChange,
    CancelRequest,
    ChangeRequest,
    ProblemReport,
    Refund,
    ReportedUnits,
)
from orderstatus_core.policies import carrier_tracking_url, masked_order_view
from orderstatus_core.serialization import converter
from orderstatus_core.services import find_order
from orderstatus_core.testing import fake_context
from orderstatus_core.testing.builders import PLACED_AT, address, line, make_order, package
from orderstatus_core.testing.strategies import orders

EN = Catalogs.builtin().translator("en")
FI = Catalogs.builtin().translator("fi")
DAY = timedelta(days=1)

# Personal data that only its masked form may show: each text below is in no mask.
NAME, STREET, SECOND_LINE, POSTAL = (
    "Zebulon Quaxworth",
    "8421 Wintergreen Hollow",
    "Suite 4417",
    "97814-3321",
)
NEW_NAME, NEW_STREET, NEW_POSTAL = "Philippa Marchbanks", "19 Cobblestone Mews", "30339"
EMAIL, PHONE = "Zebulon.Quaxworth@example.com", "+14155552671"
SECRETS = (
    "Zebulon",
    "Quaxworth",
    "Wintergreen",
    "Suite 4417",
    "97814",
    "Philippa",
    "Marchbanks",
    "Cobblestone",
    "30339",
    "zebulon.quaxworth",
    "4155552671",
    "555-2671",
    "I live at",  # the problem report's own words
)


def _personal_order() -> Order:
    """An order with every kind of personal data, every kind of request and a refund."""
    order = make_order(
        email=EMAIL,
        phone=PHONE,
        shipping_address=address(name=NAME, line1=STREET, line2=SECOND_LINE, postal_code=POSTAL),
        lines=[line(1, quantity=3), line(2, "RT-77", quantity=2, price="5.5", core="2")],
        packages=[
            package("P1", ((1, 2),), shipped_after=DAY, delivered_after=3 * DAY),
            package("P2", ((1, 1),), carrier=None, tracking_number=None),
        ],
    )
    moved = address(name=NEW_NAME, line1=NEW_STREET, postal_code=NEW_POSTAL, city="Shelbyville")
    return attrs.evolve(
        order,
        cancel_requests=(CancelRequest("C1", 1, 1, "P2", PLACED_AT + DAY),),
        change_requests=(ChangeRequest("X1", AddressChange(moved), PLACED_AT + DAY),),
        problem_reports=(
            ProblemReport(
                "R1",
                "damaged_in_transit",
                (ReportedUnits(1, 1),),
                "I live at 8421 Wintergreen Hollow, call 415 555 2671",
                PLACED_AT + 4 * DAY,
                package_id="P1",
            ),
        ),
        refunds=(
            Refund(
                "F1",
                PLACED_AT + 5 * DAY,
                "problem_report",
                "R1",
                Money("24.99", "USD"),
                Money("0", "USD"),
                Money("0", "USD"),
                Money("0", "USD"),
            ),
        ),
    )


def _read_everything(view: OrderView) -> None:
    """Read every value and text a page can show, so what is worked out is worked out."""
    for name in dir(view):
        if not name.startswith("_"):
            getattr(view, name)
    for part in (*view.lines, *view.packages, *view.timeline, *view.requests, view.ship_to):
        for name in dir(part):
            if not name.startswith("_"):
                getattr(part, name)


_LEAVES = (str, bytes, int, float, Decimal, datetime, date, timedelta, enum.Enum, type(None))
_CODE = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.ModuleType, type)


def _reachable(root: object) -> Iterator[object]:
    """Every object reachable from ``root`` through containers, instance dicts and slots
    (not through code: a function's globals reach the whole program, not the view)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        yield obj
        if isinstance(obj, _LEAVES + _CODE):
            continue
        if isinstance(obj, Mapping):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, tuple | list | set | frozenset):
            stack.extend(obj)
        else:
            stack.extend(getattr(obj, "__dict__", {}).values())
            for klass in type(obj).__mro__:
                for slot in klass.__dict__.get("__slots__", ()):
                    if slot not in ("__dict__", "__weakref__") and hasattr(obj, slot):
                        stack.append(getattr(obj, slot))


def _unmasked(objects: Iterator[object]) -> list[tuple[str, object]]:
    found = []
    for obj in objects:
        if isinstance(obj, Address | EmailAddress | PhoneNumber | Order):
            found.append(("an unmasked value", obj))
        elif isinstance(obj, str):
            found.extend((secret, obj) for secret in SECRETS if secret.lower() in obj.lower())
    return found


def test_the_view_holds_the_orders_own_lines_and_packages() -> None:
    """One object graph: the view's lines and packages are the order's objects, not copies,
    and each line's and package's view holds its stored line or package."""
    order = _personal_order()
    view = masked_order_view(order, carrier_tracking_url, EN)
    assert view.stored_lines is order.lines
    assert view.stored_packages is order.packages
    assert all(v.line is stored for v, stored in zip(view.lines, order.lines, strict=True))
    assert all(v.package is stored for v, stored in zip(view.packages, order.packages, strict=True))


@pytest.mark.parametrize("texts", [EN, FI], ids=["en", "fi"])
def test_nothing_unmasked_is_reachable_from_the_view(texts: Translator) -> None:
    """Neither the view's fields and slots nor anything worked out from them, nor its
    serialized form, holds an unmasked name, street, postal code, email, phone, new address
    of a change request or a report's own words; only their masks (SECURITY F3)."""
    order = _personal_order()
    # The walk finds every secret where it is: in the order itself.
    assert {secret for secret, _text in _unmasked(_reachable(order))} >= {
        s for s in SECRETS if s != "555-2671"
    }
    view = masked_order_view(order, carrier_tracking_url, texts)
    assert _unmasked(_reachable(view)) == []
    _read_everything(view)
    assert _unmasked(_reachable(view)) == []
    assert _unmasked(_reachable(converter.unstructure(view))) == []
    assert _unmasked(_reachable(OrderFound(view))) == []
    assert _unmasked(iter([repr(view), str(vars(view))])) == []


def test_the_masks_and_the_new_address_city_are_what_the_view_shows() -> None:
    """What the walk above allows is there: the masks, and a change request's new city."""
    view = masked_order_view(_personal_order(), carrier_tracking_url, EN)
    assert (view.email, view.phone) == ("Z•••@example.com", "+•••71")
    assert view.ship_to.lines == ("Z••• Q•••", "•••", "Springfield, IL 97•••", "US")
    change = next(request for request in view.requests if request.kind == "change")
    assert change.summary == "Ship to another address in Shelbyville"


@given(order=orders(max_lines=4, max_packages=3), data=st.data())
def test_what_the_view_works_out_is_what_the_order_says(order: Order, data: st.DataObject) -> None:
    """Status, ledgers, totals and the line and package values are the order's own, by
    the same rules, in the order's order."""
    view = masked_order_view(order, carrier_tracking_url, data.draw(st.sampled_from([EN, FI])))
    assert view.status is order.status
    assert view.ledgers == order.ledgers
    assert [v.ledger for v in view.lines] == [order.ledger(line.line_no) for line in order.lines]
    assert (view.subtotal, view.core_charges, view.total) == (
        order.subtotal,
        order.core_charges,
        order.total,
    )
    assert (view.shipping, view.tax, view.currency) == (order.shipping, order.tax, order.currency)
    assert view.refunded is None
    assert [
        (v.line_no, v.part_number, v.category, v.quantity, v.unit_price, v.core_charge)
        for v in view.lines
    ] == [
        (
            line.line_no,
            line.part_number.display,
            str(line.category),
            line.quantity,
            line.unit_price,
            line.core_charge,
        )
        for line in order.lines
    ]
    assert [(v.package_id, v.shipped_at, v.delivered_at, v.units) for v in view.packages] == [
        (
            package.package_id,
            package.shipped_at,
            package.delivered_at,
            tuple((units.line_no, units.quantity) for units in package.units),
        )
        for package in order.packages
    ]
    assert [entry.at for entry in view.timeline] == sorted(entry.at for entry in view.timeline)


def test_a_refund_is_summed_in_the_orders_currency() -> None:
    """``refunded`` is every refund's total, and ``None`` when there is none."""
    order = _personal_order()
    assert masked_order_view(order, carrier_tracking_url, EN).refunded == Money("24.99", "USD")
    assert (
        masked_order_view(attrs.evolve(order, refunds=()), carrier_tracking_url, EN).refunded
        is None
    )


def test_what_is_worked_out_is_kept() -> None:
    """A value worked out once is the same object when read again."""
    view = masked_order_view(_personal_order(), carrier_tracking_url, EN)
    for name in ("lines", "packages", "ledgers", "status", "timeline"):
        assert getattr(view, name) is getattr(view, name), name


def test_the_tracking_rule_is_asked_when_packages_are_first_read_and_once() -> None:
    """Building the view asks no tracking page; reading ``packages`` asks one per package
    with a carrier and a tracking number, once, whatever is read after."""
    asked: list[tuple[str, str]] = []

    def rule(carrier: str, number: str) -> str | None:
        asked.append((carrier, number))
        return f"https://track.example/{number}"

    view = masked_order_view(_personal_order(), rule, EN)
    assert asked == []
    assert [p.tracking_url for p in view.packages] == [
        "https://track.example/1Z999AA10123456784",
        None,
    ]
    _read_everything(view)
    assert asked == [("UPS", "1Z999AA10123456784")]


def test_a_failing_tracking_rule_fails_where_the_packages_are_read() -> None:
    """The rule's error is not swallowed: it comes out of reading ``packages``, and the
    rest of the view still reads."""

    def rule(carrier: str, number: str) -> str | None:
        raise RuntimeError("the carrier's page is down")

    view = masked_order_view(_personal_order(), rule, EN)
    with pytest.raises(RuntimeError, match="page is down"):
        view.packages  # noqa: B018 - reading it is the act
    assert view.status.value == "partially_shipped"
    assert [entry.kind for entry in view.timeline] == [
        "placed",
        "shipped",
        "cancel_requested",
        "change_requested",
        "delivered",
        "problem_requested",
        "refund",
    ]


class _WrongTracking:
    @hookimpl(tryfirst=True)
    def orderstatus_tracking_url(self, carrier: str, tracking_number: str) -> object:
        return 42


def test_a_plugins_wrong_tracking_answer_names_the_hook_when_the_packages_are_read() -> None:
    """Find-order answers; reading the packages raises the facade's check of the answer,
    naming the hook, never a view with a number for a URL."""
    ctx = fake_context(plugins=[_WrongTracking()])
    order = make_order(packages=[package("P1", shipped_after=DAY)])
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.orders.add(order)
        uow.commit()
    found = find_order(ctx, "jane.doe@example.com", order.number, client="203.0.113.5")
    assert isinstance(found, OrderFound)
    with pytest.raises(InvalidFieldError, match="orderstatus_tracking_url"):
        found.view.packages  # noqa: B018 - reading it is the act


def test_two_views_of_one_order_are_equal_whatever_was_read() -> None:
    """Equality is by what the view shows: its language, its rule and what was read so
    far do not count."""
    order = _personal_order()
    read = masked_order_view(order, carrier_tracking_url, EN)
    _read_everything(read)
    assert read == masked_order_view(order, lambda carrier, number: None, FI)
    assert hash(read) == hash(masked_order_view(order, carrier_tracking_url, FI))
    assert read != masked_order_view(
        attrs.evolve(order, lines=(order.lines[0], attrs.evolve(order.lines[1], cancelled=1))),
        carrier_tracking_url,
        EN,
    )


def test_line_and_package_views_answer_their_stored_values() -> None:
    """A line's and a package's view read through to what they hold."""
    stored_line = line(3, "OF-9", quantity=2, price="4.5", core="1", returnable=False)
    view = LineView(stored_line, make_order().ledger(1), texts=EN)
    assert (view.line_no, view.part_number, view.brand, view.description) == (
        3,
        "OF-9",
        "Wagner",
        "Part OF-9",
    )
    assert (view.quantity, view.returnable, view.warranty_months) == (2, False, 0)
    assert (view.unit_price_text, view.core_charge_text) == ("$4.50", "$1.00")
    assert view.category == "Brake & Wheel Hub › Brake Pad"
    stored = package("P7", ((1, 2), (3, 1)), shipped_after=DAY)
    shown = PackageView(stored, None, texts=EN)
    assert (shown.package_id, shown.warehouse, shown.carrier) == ("P7", "Columbus, OH", "UPS")
    assert (shown.units, shown.units_text) == (((1, 2), (3, 1)), "line 1 × 2, line 3 × 1")
    assert shown.tracking_number == "1Z999AA10123456784"
    assert parse_phone(PHONE).e164 == PHONE  # the fixture's phone is a real one
