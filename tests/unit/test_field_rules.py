"""The model's field rules are values (bounds a generated structure function can read) that
refuse exactly as the validators they replaced: the same error class, field and message."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from orderstatus_core import FieldTooLongError, InvalidFieldError, ValidationError
from orderstatus_core.errors import NegativeQuantityError
from orderstatus_core.model import Money
from orderstatus_core.model._checks import CountRule, PatternRule, count, currency_code
from orderstatus_core.model._text import TextRule, bounded_text, optional_bounded_text
from orderstatus_core.model.money import NotNegativeMoney
from orderstatus_core.testing.builders import line


@attrs.frozen
class _Form:
    """A class with one field per rule, to see each refusal as a model class raises it."""

    name: Any = attrs.field(validator=bounded_text(3))
    note: Any = attrs.field(validator=optional_bounded_text(3))
    count: Any = attrs.field(validator=count(1, 5))
    currency: Any = attrs.field(validator=currency_code)
    price: Any = attrs.field(validator=NotNegativeMoney())


_GOOD: dict[str, Any] = {
    "name": "abc",
    "note": None,
    "count": 5,
    "currency": "USD",
    "price": Money("0", "USD"),
}


@pytest.mark.parametrize(
    ("field", "value", "error", "message"),
    [
        ("name", "abcd", FieldTooLongError, "must be at most 3 characters"),
        ("name", 5, InvalidFieldError, "must be text, not int"),
        ("name", None, InvalidFieldError, "must be text, not NoneType"),
        ("name", "  ", InvalidFieldError, "must not be empty"),
        ("name", "a\u202eb", InvalidFieldError, "contains a refused character U+202E"),
        ("note", "abcd", FieldTooLongError, "must be at most 3 characters"),
        ("count", True, InvalidFieldError, "must be a whole number"),
        ("count", "2", InvalidFieldError, "must be a whole number"),
        ("count", -1, NegativeQuantityError, "must not be negative"),
        ("count", 6, InvalidFieldError, "must be between 1 and 5"),
        ("count", 0, InvalidFieldError, "must be between 1 and 5"),
        ("currency", "usd", InvalidFieldError, "must be an ISO 4217 code such as USD"),
        ("currency", 840, InvalidFieldError, "must be an ISO 4217 code such as USD"),
        ("price", Money("-0.01", "USD"), NegativeQuantityError, "must not be negative"),
        ("price", "1.00 USD", InvalidFieldError, "must be Money"),
    ],
)
def test_each_rule_refuses_with_its_error_field_and_message(
    field: str, value: Any, error: type[ValidationError], message: str
) -> None:
    """A bad value raises the rule's error, naming the field, with the rule's sentence."""
    with pytest.raises(error) as refused:
        _Form(**{**_GOOD, field: value})
    assert (refused.value.field, refused.value.message) == (field, message)


def test_values_at_the_bounds_pass() -> None:
    """The bounds themselves are allowed; ``None`` is allowed for an optional text."""
    assert _Form(**_GOOD).count == 5
    assert _Form(**{**_GOOD, "count": 1, "note": "xyz", "name": "é"}).note == "xyz"


def test_rules_are_values_with_their_bounds() -> None:
    """The same rule twice is one value, and its bounds can be read."""
    assert bounded_text(64) == TextRule(64)
    assert optional_bounded_text(64) == TextRule(64, optional=True)
    assert count(0, 1200) == CountRule(0, 1200)
    assert isinstance(currency_code, PatternRule)
    assert currency_code.pattern.fullmatch("EUR")


def test_an_order_line_refuses_a_negative_price_at_its_field() -> None:
    """The price rule on a model class: the field is named, the error is the same as before."""
    with pytest.raises(NegativeQuantityError) as refused:
        line(price="-1")
    assert refused.value.field == "unit_price"
