"""Money: a ``Decimal`` amount with its currency. Never a float (DOMAIN.md section 4)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from orderstatus_core.errors import CurrencyMismatchError, InvalidFieldError, NegativeQuantityError
from orderstatus_core.model._checks import currency_code

__all__ = ["Money", "NotNegativeMoney"]

# Larger amounts are a typo or an attack, not a parts order.
_LIMIT = Decimal("1e12")


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool | float):
        # A float has already lost the cents; refuse it rather than guess.
        raise InvalidFieldError(
            "amount", f"must be a Decimal, int or text, not {type(value).__name__}"
        )
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and len(value) <= 32:
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            pass
    raise InvalidFieldError("amount", "is not an amount of money")


def _check_amount(_instance: Any, _attribute: Any, value: Decimal) -> None:
    if not value.is_finite() or abs(value) >= _LIMIT:
        raise InvalidFieldError("amount", "is not an amount of money")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        raise InvalidFieldError("amount", "has more than 4 decimal places")


@attrs.frozen(order=False)
class Money:
    """An amount in one currency.

    >>> Money("24.99", "USD") + Money("5.01", "USD")
    Money(amount=Decimal('30.00'), currency='USD')
    >>> Money("1", "USD") + Money("1", "EUR")
    Traceback (most recent call last):
    ...
    orderstatus_core.errors.CurrencyMismatchError: cannot combine USD and EUR @ currency
    """

    amount: Decimal = attrs.field(converter=_to_decimal, validator=_check_amount)
    currency: str = attrs.field(validator=currency_code)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """No money in ``currency``."""
        return cls(Decimal(0), currency)

    @classmethod
    def _trusted(cls, amount: Decimal, currency: str) -> Money:
        # Sums and multiples of valid amounts in one valid currency are valid: skip the
        # checks, which otherwise dominate building an order view.
        money = object.__new__(cls)
        object.__setattr__(money, "amount", amount)
        object.__setattr__(money, "currency", currency)
        return money

    @classmethod
    def total(cls, amounts: Iterable[Money], currency: str) -> Money:
        """The sum of ``amounts``, all in ``currency`` (zero for none)."""
        total = Decimal(0)
        for money in amounts:
            if money.currency != currency:
                raise CurrencyMismatchError(
                    "currency", f"cannot combine {currency} and {money.currency}"
                )
            total += money.amount
        return cls._trusted(total, currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatchError(
                "currency", f"cannot combine {self.currency} and {other.currency}"
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money._trusted(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money._trusted(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int) or isinstance(factor, bool):
            return NotImplemented
        return Money._trusted(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    @property
    def is_negative(self) -> bool:
        """True for an amount below zero."""
        return self.amount < 0

    def __str__(self) -> str:
        # The exact Decimal, not the display text: the converter writes money with str().
        return f"{self.amount} {self.currency}"


@attrs.frozen
class NotNegativeMoney:
    """An attrs validator for a price or charge: :class:`Money`, not below zero.

    A value rather than a function (see :class:`~orderstatus_core.model._checks.CountRule`),
    so that the import's generated structure functions pass the common case in place.
    """

    def __call__(self, _instance: Any, attribute: Any, value: Any) -> None:
        if not isinstance(value, Money):
            raise InvalidFieldError(attribute.name, "must be Money")
        if value.is_negative:
            raise NegativeQuantityError(attribute.name, "must not be negative")
