"""The order aggregate refuses inconsistent data and derives what it does not store."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import attrs
import pytest

from orderstatus_core import (
    CurrencyMismatchError,
    FieldTooLongError,
    InvalidFieldError,
    LedgerError,
    Money,
    NegativeQuantityError,
    OrderState,
    ValidationError,
)
from orderstatus_core.testing.builders import PLACED_AT, address, line, make_order, package

DAY = timedelta(days=1)


def test_a_new_order_is_placed_with_every_unit_awaiting() -> None:
    """Nothing packed or shipped: status *placed*, every unit free to cancel."""
    order = make_order(lines=[line(1, quantity=3)])
    assert order.status is OrderState.PLACED
    assert order.ledger(1).awaiting == 3


def test_units_in_an_unshipped_package_are_in_processing() -> None:
    """A package without a ship date holds units *in processing*."""
    order = make_order(lines=[line(1, quantity=3)], packages=[package(units=[(1, 2)])])
    ledger = order.ledger(1)
    assert (ledger.processing, ledger.shipped, ledger.awaiting) == (2, 0, 1)
    assert order.status is OrderState.PROCESSING


def test_status_follows_packages_from_partial_shipment_to_delivery() -> None:
    """Status is derived from the ledger: partially shipped, shipped, delivered."""
    two = [line(1, quantity=2)]
    partial = make_order(lines=two, packages=[package("A", [(1, 1)], shipped_after=DAY)])
    shipped = make_order(lines=two, packages=[package("A", [(1, 2)], shipped_after=DAY)])
    delivered = make_order(
        lines=two, packages=[package("A", [(1, 2)], shipped_after=DAY, delivered_after=2 * DAY)]
    )
    assert partial.status is OrderState.PARTIALLY_SHIPPED
    assert shipped.status is OrderState.SHIPPED
    assert delivered.status is OrderState.DELIVERED


def test_an_order_with_every_unit_cancelled_is_cancelled() -> None:
    """All units cancelled: status *cancelled*."""
    assert make_order(lines=[line(1, quantity=2, cancelled=2)]).status is OrderState.CANCELLED


def test_cancelled_units_do_not_count_toward_shipped_status() -> None:
    """One unit cancelled, the other shipped: the order is fully shipped."""
    order = make_order(
        lines=[line(1, quantity=2, cancelled=1)],
        packages=[package(units=[(1, 1)], shipped_after=DAY)],
    )
    assert order.status is OrderState.SHIPPED


def test_totals_are_computed_from_lines_cores_shipping_and_tax() -> None:
    """Total = lines + core deposits + shipping + tax, in Decimal."""
    order = make_order(
        lines=[line(1, quantity=2, price="24.99", core="10"), line(2, "R-1", price="5.01")]
    )
    assert order.subtotal == Money("54.99", "USD")
    assert order.core_charges == Money("20", "USD")
    assert order.total == Money(Decimal("54.99") + 20 + Decimal("9.99") + 2, "USD")


def test_negative_quantity_is_refused() -> None:
    """A line cannot order fewer than zero units."""
    with pytest.raises(NegativeQuantityError):
        line(1, quantity=-1)


def test_zero_quantity_is_refused() -> None:
    """A line orders at least one unit."""
    with pytest.raises(InvalidFieldError):
        line(1, quantity=0)


def test_a_boolean_is_not_a_quantity() -> None:
    """``True`` is an int in Python but never a quantity."""
    with pytest.raises(InvalidFieldError):
        line(1, quantity=True)


def test_mixed_currencies_are_refused() -> None:
    """Every amount of an order is in the order's currency."""
    with pytest.raises(CurrencyMismatchError, match=r"lines\[0\]\.unit_price"):
        make_order(lines=[line(1, currency="EUR")])


def test_shipping_more_than_ordered_is_refused() -> None:
    """cancelled + processing + shipped <= ordered."""
    with pytest.raises(LedgerError):
        make_order(
            lines=[line(1, quantity=1)], packages=[package(units=[(1, 2)], shipped_after=DAY)]
        )


def test_cancelled_and_shipped_together_cannot_exceed_ordered() -> None:
    """A unit is either cancelled or shipped, never both."""
    with pytest.raises(LedgerError):
        make_order(
            lines=[line(1, quantity=2, cancelled=2)],
            packages=[package(units=[(1, 1)], shipped_after=DAY)],
        )


def test_returning_more_than_delivered_is_refused() -> None:
    """returned <= delivered."""
    with pytest.raises(LedgerError):
        make_order(
            lines=[line(1, quantity=2, returned=1)],
            packages=[package(units=[(1, 2)], shipped_after=DAY)],
        )


def test_delivery_before_shipping_is_refused() -> None:
    """A package is delivered only after it ships."""
    with pytest.raises(LedgerError):
        package(shipped_after=2 * DAY, delivered_after=DAY)


def test_shipping_before_the_order_was_placed_is_refused() -> None:
    """A package cannot ship before its order exists."""
    with pytest.raises(LedgerError):
        make_order(packages=[package(shipped_after=-DAY)])


def test_a_package_naming_an_unknown_line_is_refused() -> None:
    """Packages hold units of the order's own lines."""
    with pytest.raises(InvalidFieldError, match="unknown line 7"):
        make_order(packages=[package(units=[(7, 1)])])


def test_two_lines_with_one_number_are_refused() -> None:
    """Line numbers are unique within an order."""
    with pytest.raises(InvalidFieldError):
        make_order(lines=[line(1), line(1, "OTHER")])


@pytest.mark.parametrize(("field", "limit"), [("brand", 64), ("description", 500)])
def test_overlong_text_is_refused_with_its_own_error(field: str, limit: int) -> None:
    """Every text field has a bound (SECURITY H3)."""
    with pytest.raises(FieldTooLongError, match=field):
        line(1, **{field: "x" * (limit + 1)})


@pytest.mark.parametrize(
    "text", ["Pads\r\nBcc: x@evil", "nul\x00byte", "\ud800lone", "\x1b[31mred"]
)
def test_control_characters_and_lone_surrogates_are_refused(text: str) -> None:
    """CR, LF, NUL, ESC and lone surrogates never enter stored text."""
    with pytest.raises(InvalidFieldError):
        line(1, description=text)


def test_unicode_text_is_kept_as_written() -> None:
    """Finnish, emoji and right-to-left text are ordinary descriptions."""
    text = "Jarrupala – äöå 🚗 مكابح"
    assert line(1, description=text).description == text


def test_a_naive_timestamp_is_refused() -> None:
    """A time without a zone would be a guess."""
    with pytest.raises(InvalidFieldError):
        make_order(placed_at=datetime(2026, 1, 1))


def test_timestamps_are_kept_in_utc() -> None:
    """An aware time in another zone is converted, not reinterpreted."""
    from zoneinfo import ZoneInfo

    helsinki = PLACED_AT.astimezone(ZoneInfo("Europe/Helsinki"))
    assert make_order(placed_at=helsinki).placed_at == PLACED_AT
    assert make_order(placed_at=helsinki).placed_at.utcoffset() == timedelta(0)


def test_an_order_number_is_canonicalised() -> None:
    """Spaces and dashes in an order number are dropped; letters are upper-cased."""
    assert make_order(number="123-456 789").number == "123456789"


@pytest.mark.parametrize("number", ["", "12345678901234567890123456789012X", "12#4", "١٢٣"])
def test_a_malformed_order_number_is_refused(number: str) -> None:
    """Order numbers are 1 to 32 ASCII letters and digits."""
    with pytest.raises(ValidationError):
        make_order(number=number)


def test_a_country_must_be_an_iso_code() -> None:
    """Countries are ISO 3166 alpha-2 codes."""
    with pytest.raises(InvalidFieldError):
        address(country="USA")


def test_changing_an_order_validates_again() -> None:
    """``attrs.evolve`` goes through the same checks as construction."""
    order = make_order(lines=[line(1, quantity=1)])
    with pytest.raises(LedgerError):
        attrs.evolve(order, packages=(package(units=[(1, 5)]),))


class TestMoney:
    """Money is Decimal plus currency, never float."""

    def test_a_float_is_refused(self) -> None:
        """0.1 + 0.2 is not 0.3; a float amount is refused, not rounded."""
        with pytest.raises(InvalidFieldError):
            Money(0.1, "USD")  # type: ignore[arg-type]

    def test_text_and_int_amounts_are_exact(self) -> None:
        """``"0.10"`` is exactly ten cents."""
        assert Money("0.10", "USD") + Money("0.20", "USD") == Money("0.30", "USD")

    def test_currencies_do_not_mix(self) -> None:
        """Adding dollars to euros is an error."""
        with pytest.raises(CurrencyMismatchError):
            Money(1, "USD") + Money(1, "EUR")

    @pytest.mark.parametrize("amount", ["NaN", "Infinity", "1e13", "0.00001", "1,00", "", "x" * 40])
    def test_non_amounts_are_refused(self, amount: str) -> None:
        """NaN, infinities, absurd sizes and sub-cent dust are not money."""
        with pytest.raises(InvalidFieldError):
            Money(amount, "USD")

    @pytest.mark.parametrize("currency", ["usd", "US", "USDD", "€", 840])
    def test_a_currency_is_an_iso_code(self, currency: object) -> None:
        """Currencies are three upper-case letters."""
        with pytest.raises(InvalidFieldError):
            Money(1, currency)  # type: ignore[arg-type]
