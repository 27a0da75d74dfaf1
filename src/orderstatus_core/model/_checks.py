"""Field checks shared by the model's modules."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import attrs

from orderstatus_core.errors import InvalidFieldError, NegativeQuantityError

__all__ = [
    "MAX_QUANTITY",
    "CountRule",
    "PatternRule",
    "count",
    "currency_code",
    "matching",
    "one_entry_per_line",
    "optional_utc",
    "short_id",
    "utc",
]

MAX_QUANTITY = 100_000


def utc(value: Any) -> datetime:
    """Return an aware ``datetime`` in UTC; refuse a naive one (its zone would be a guess)."""
    if type(value) is datetime and value.tzinfo is UTC:
        # Already UTC, as a parsed "...Z" and every stored instant is: what astimezone()
        # would return (this very object), without the checks.
        return value
    if not isinstance(value, datetime):
        raise InvalidFieldError("timestamp", f"must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidFieldError("timestamp", "must carry a time zone")
    return value.astimezone(UTC)


def optional_utc(value: Any) -> datetime | None:
    """:func:`utc`, with ``None`` allowed."""
    return None if value is None else utc(value)


@attrs.frozen
class CountRule:
    """An attrs validator for a whole number between ``low`` and ``high``.

    A value rather than a closure (see :class:`~orderstatus_core.model._text.TextRule`): the
    import's generated structure functions compare in place and call it only to refuse.
    """

    low: int
    high: int

    def __call__(self, _instance: Any, attribute: Any, value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidFieldError(attribute.name, "must be a whole number")
        if value < 0:
            raise NegativeQuantityError(attribute.name, "must not be negative")
        if not self.low <= value <= self.high:
            raise InvalidFieldError(attribute.name, f"must be between {self.low} and {self.high}")


def count(low: int, high: int = MAX_QUANTITY) -> CountRule:
    """An attrs validator for a whole number between ``low`` and ``high``."""
    return CountRule(low, high)


def one_entry_per_line(box: str) -> Any:
    """An attrs validator for the units a box holds (a package, an RMA package): at least
    one entry, and each line once, so a line's units are never counted twice."""

    def validate(_instance: Any, attribute: Any, value: tuple[Any, ...]) -> None:
        if not value:
            raise InvalidFieldError(attribute.name, f"{box} holds at least one unit")
        lines = [u.line_no for u in value]
        if len(set(lines)) != len(lines):
            raise InvalidFieldError(attribute.name, "names a line twice")

    return validate


@attrs.frozen
class PatternRule:
    """An attrs validator for a code written in one fixed form (an id, a currency, a
    country): text that ``pattern`` matches whole, else ``message`` for the field.

    A value rather than a closure (see :class:`CountRule`).
    """

    pattern: re.Pattern[str]
    message: str

    def __call__(self, _instance: Any, attribute: Any, value: Any) -> None:
        if not isinstance(value, str) or not self.pattern.fullmatch(value):
            raise InvalidFieldError(attribute.name, self.message)


def matching(pattern: re.Pattern[str], message: str) -> PatternRule:
    """An attrs validator for a code written in one fixed form (an id, a currency, a
    country): text that ``pattern`` matches whole, else ``message`` for the field."""
    return PatternRule(pattern, message)


#: An ISO 4217 code: the currency of an order and of every amount in it.
currency_code = matching(re.compile(r"[A-Z]{3}"), "must be an ISO 4217 code such as USD")
#: The ids of packages, requests, reports, refunds and returns: safe in a URL and a file name.
short_id = matching(re.compile(r"[A-Za-z0-9_-]{1,32}"), "must be 1 to 32 letters, digits, - or _")
