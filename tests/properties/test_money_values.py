"""Money: Decimal with a currency, never a float (DOMAIN.md section 4)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import CurrencyMismatchError, InvalidFieldError, Money
from orderstatus_core.testing import strategies as ost


@given(st.floats(), ost.currencies())
def test_money_never_accepts_a_float(amount: float, currency: str) -> None:
    """Any float amount, even a whole one, raises ``InvalidFieldError``."""
    with pytest.raises(InvalidFieldError):
        Money(amount, currency)


@given(st.booleans())
def test_money_never_accepts_a_bool(amount: bool) -> None:
    """``True`` is not one dollar."""
    with pytest.raises(InvalidFieldError):
        Money(amount, "USD")


@given(ost.money("USD"), ost.money("EUR"))
def test_money_in_two_currencies_never_combines(dollars: Money, euros: Money) -> None:
    """Adding, subtracting or comparing across currencies raises ``CurrencyMismatchError``."""
    with pytest.raises(CurrencyMismatchError):
        dollars + euros
    with pytest.raises(CurrencyMismatchError):
        dollars - euros
    with pytest.raises(CurrencyMismatchError):
        dollars < euros  # noqa: B015 - the comparison itself must raise


@given(st.lists(ost.money("SEK"), max_size=10))
def test_a_total_is_the_sum_of_its_amounts(amounts: list[Money]) -> None:
    """``Money.total`` equals adding the amounts one by one."""
    expected = sum((m.amount for m in amounts), Decimal(0))
    assert Money.total(amounts, "SEK") == Money(expected, "SEK")


@given(ost.money("USD"), st.integers(0, 1000))
def test_multiplying_is_repeated_addition(price: Money, quantity: int) -> None:
    """``price * n`` is ``price`` added ``n`` times."""
    assert price * quantity == Money.total([price] * quantity, "USD")
