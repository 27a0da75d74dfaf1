"""Views are ready to display: money, quantities, masked addresses, states and times as text."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from types import ModuleType

import attrs
import pytest

from orderstatus_core import InvalidFieldError, LineLedger, Money, OrderState
from orderstatus_core.model import display, money, views
from orderstatus_core.model.requests import Refund
from orderstatus_core.model.views import PackageView, RequestView, TimelineEntry
from orderstatus_core.policies import mask_address, masked_order_view
from orderstatus_core.serialization import make_converter
from orderstatus_core.testing.builders import PLACED_AT, address, line, make_order, package


def _no_tracking(_carrier: str, _number: str) -> str | None:
    return None


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        ("12.5", "USD", "12.50 USD"),
        ("0", "USD", "0.00 USD"),
        ("1234567.8", "EUR", "1,234,567.80 EUR"),
        ("-1", "USD", "-1.00 USD"),
        ("-1234.5", "GBP", "-1,234.50 GBP"),
        ("1500", "JPY", "1,500 JPY"),
        ("1499.5", "JPY", "1,500 JPY"),
        ("1.5", "BHD", "1.500 BHD"),
        ("0.1234", "CLF", "0.1234 CLF"),
        ("7", "XYZ", "7.00 XYZ"),
    ],
)
def test_money_text_has_the_currencys_decimals_and_thousands_grouped(
    amount: str, currency: str, text: str
) -> None:
    """JPY has no decimals, USD two, BHD three; an unlisted code two."""
    assert Money(amount, currency).text == text


@pytest.mark.parametrize("amount", ["-0", "-0.00", "-0.004", "-0.0049"])
def test_money_that_rounds_to_nothing_is_never_minus_zero(amount: str) -> None:
    """A negative amount that rounds away shows as plain zero."""
    assert Money(amount, "USD").text == "0.00 USD"


def test_money_rounds_half_up_for_display_only() -> None:
    """``0.005`` shows as ``0.01``; the stored amount and ``str`` stay exact."""
    cents = Money("0.005", "USD")
    assert cents.text == "0.01 USD"
    assert str(cents) == "0.005 USD"
    assert cents.amount == Decimal("0.005")


def test_the_serialized_form_of_money_is_unchanged_by_the_text() -> None:
    """The converter writes the exact amount, not the rounded, grouped text."""
    converter = make_converter()
    assert converter.unstructure(Money("-1234.0001", "USD")) == "-1234.0001 USD"


def test_the_largest_money_shows_whole() -> None:
    """An amount just below the limit rounds up to a grouped 13-digit text, no exponent."""
    assert Money("999999999999.9999", "USD").text == "1,000,000,000,000.00 USD"


@pytest.mark.parametrize(
    ("ledger", "text"),
    [
        (LineLedger(3, 0, 0, 0, 0, 0), "3 awaiting processing"),
        (LineLedger(3, 0, 3, 0, 0, 0), "3 in processing"),
        (LineLedger(3, 0, 0, 3, 3, 0), "3 delivered"),
        (LineLedger(3, 3, 0, 0, 0, 0), "3 cancelled"),
        (LineLedger(3, 1, 0, 2, 0, 0), "2 of 3 shipped, 1 of 3 cancelled"),
        (
            LineLedger(5, 1, 1, 3, 2, 1),
            "1 of 5 in processing, 1 of 5 shipped, 1 of 5 delivered, 1 of 5 returned, "
            "1 of 5 cancelled",
        ),
        (LineLedger(2, 0, 0, 2, 2, 2), "2 returned"),
    ],
)
def test_a_lines_quantity_text_counts_each_unit_once_where_it_is(
    ledger: LineLedger, text: str
) -> None:
    """Delivered units are not counted again as shipped, nor returned ones as delivered."""
    assert display.ledger_text(ledger) == text


def test_masked_address_lines_show_only_the_masked_parts() -> None:
    """Name initials, hidden street, city with region and the postal code's start, country."""
    masked = mask_address(address(line1="742 Evergreen Terrace", postal_code="62701-1234"))
    assert masked.lines == ("J••• D•••", "•••", "Springfield, IL 62•••", "US")
    assert masked.text == "J••• D•••, •••, Springfield, IL 62•••, US"
    assert "Evergreen" not in masked.text
    assert "701" not in masked.text


def test_an_address_without_a_region_leaves_no_stray_comma() -> None:
    """A country without regions shows ``city postal``."""
    masked = mask_address(address(city="Helsinki", region=None, postal_code="00100", country="FI"))
    assert masked.lines[2] == "Helsinki 00•••"


def test_address_text_keeps_markup_as_text_for_the_template_to_escape() -> None:
    """The view is text, not HTML: an injection attempt comes back unchanged, never
    half-escaped, so a template's escaping is the one place that decides."""
    masked = mask_address(address(city="<script>alert(1)</script>", region="'\"&"))
    assert "<script>alert(1)</script>, '\"& 62•••" in masked.text


def test_a_city_with_a_bidi_override_never_reaches_the_view() -> None:
    """The model refuses the controls that would reorder the shown text (Trojan Source)."""
    with pytest.raises(InvalidFieldError):
        address(city="Spring\u202efield")


def test_times_show_in_utc_to_the_minute() -> None:
    """A time in another offset is converted; seconds are dropped."""
    helsinki = timezone(timedelta(hours=2))
    assert display.when_text(datetime(2026, 11, 1, 14, 5, 59, tzinfo=helsinki)) == (
        "2026-11-01 12:05 UTC"
    )
    assert display.when_text(datetime(2026, 11, 1, 14, 5)) == "2026-11-01 14:05 UTC"


def test_a_package_says_where_it_is() -> None:
    """In processing until shipped, then shipped, then delivered, each with its time."""
    shipped = PLACED_AT + timedelta(days=1)
    delivered = PLACED_AT + timedelta(days=3)

    def view(shipped_at: datetime | None, delivered_at: datetime | None) -> PackageView:
        return PackageView("P1", "Columbus, OH", "UPS", "1Z", None, shipped_at, delivered_at, ())

    assert view(None, None).state_text == "in warehouse processing"
    assert view(shipped, None).state_text == "shipped 2026-11-02 10:00 UTC"
    assert view(shipped, delivered).state_text == "delivered 2026-11-04 10:00 UTC"


def test_the_order_view_answers_every_text_a_template_shows() -> None:
    """The order page needs no formatting code: status, times, lines, packages, money."""
    order = make_order(
        lines=[line(1, quantity=3, price="1234.5"), line(2, "OF-1", quantity=1, price="4.99")],
        packages=[package("P1", ((1, 2), (2, 1)), shipped_after=timedelta(hours=5))],
    )
    view = masked_order_view(order, _no_tracking)
    assert view.status_text == "partially shipped"
    assert view.placed_text == "2026-11-01 10:00 UTC"
    assert view.lines[0].quantity_text == "1 of 3 awaiting processing, 2 of 3 shipped"
    assert view.lines[1].quantity_text == "1 shipped"
    assert view.lines[0].unit_price.text == "1,234.50 USD"
    assert view.packages[0].units_text == "line 1 × 2, line 2 × 1"
    assert view.packages[0].state_text == "shipped 2026-11-01 15:00 UTC"
    assert view.total.text == "3,720.48 USD"
    assert view.timeline[0].when_text == "2026-11-01 10:00 UTC"
    assert view.ship_to.text == "J••• D•••, •••, Springfield, IL 62•••, US"


def test_states_read_as_words() -> None:
    """Stable codes keep their underscores; the texts do not."""
    request = RequestView("cancel", "C1", "shipped_anyway", PLACED_AT, "Cancel 1 × BP-1234")
    assert request.state_text == "shipped anyway"
    assert display.state_text(OrderState.PARTIALLY_SHIPPED.value) == "partially shipped"
    assert TimelineEntry(datetime(2026, 1, 2, 3, 4, tzinfo=UTC), "placed", "x").when_text == (
        "2026-01-02 03:04 UTC"
    )


@pytest.mark.parametrize("module", [display, money, views])
def test_the_documented_examples_hold(module: ModuleType) -> None:
    """The docstrings' examples of the texts are what the code answers."""
    failed, attempted = doctest.testmod(module)
    assert (failed, attempted > 0) == (0, True)


@pytest.mark.parametrize(
    ("kind", "subject", "text"),
    [
        ("placed", "123456789", "Order 123456789 placed"),
        ("processing", "P1", "Package P1 in processing at Columbus, OH"),
        ("shipped", "P1", "Package P1 shipped from Columbus, OH by UPS"),
        ("delivered", "P1", "Package P1 delivered"),
        ("cancel_shipped_anyway", "C1", "C1 shipped anyway"),
        ("problem_resolved", "R1", "R1 resolved"),
    ],
)
def test_timeline_entries_read_as_sentences(kind: str, subject: str, text: str) -> None:
    """Each timeline kind has its sentence; a decision names its request and new state."""
    assert display.timeline_text(kind, subject, warehouse="Columbus, OH", carrier="UPS") == text


def test_a_package_shipped_without_a_named_carrier_says_only_where_from() -> None:
    """No ``by None`` when the warehouse did not name a carrier."""
    assert display.timeline_text("shipped", "P2", warehouse="Reno, NV") == (
        "Package P2 shipped from Reno, NV"
    )


@pytest.mark.parametrize(
    ("kind", "detail", "text"),
    [
        ("address", "Shelbyville", "Ship to another address in Shelbyville"),
        ("speed", "overnight", "Ship overnight"),
        ("quantity", 2, "Line 1 (BP-1234): 2 unit(s)"),
        ("removal", "", "Remove line 1 (BP-1234)"),
        ("swap", "BP-9999", "Line 1: BP-1234 → BP-9999"),
    ],
)
def test_change_requests_are_summed_up_by_kind(kind: str, detail: str | int, text: str) -> None:
    """Every kind of change reads as what the guest asked for."""
    assert display.change_summary(kind, line_no=1, part_number="BP-1234", detail=detail) == text


def test_cancel_and_problem_summaries_name_the_units() -> None:
    """A cancel names quantity, part, line and package; a report its kind and units."""
    assert (
        display.cancel_summary(2, "BP-1234", 1, "P1") == "Cancel 2 × BP-1234 (line 1) in package P1"
    )
    assert display.problem_summary("wrong_part", [(2, 1), (3, 2)]) == (
        "Wrong part, 1 × line 2, 2 × line 3"
    )
    assert display.problem_summary("not_delivered", []) == "Not delivered"


def test_a_refund_in_the_timeline_shows_its_money_text() -> None:
    """The refund entry shows the total with the currency's decimals, not the raw amount."""
    refund = Refund(
        "F1", PLACED_AT + timedelta(days=1), "problem_report", "R1",
        Money("12.5", "USD"), Money("0", "USD"), Money("0", "USD"), Money("0", "USD"),
    )  # fmt: skip
    order = attrs.evolve(make_order(), refunds=(refund,))
    entry = masked_order_view(order, _no_tracking).timeline[-1]
    assert (entry.kind, entry.text) == ("refund", "Refund of 12.50 USD due")
