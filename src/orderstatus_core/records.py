"""Records the storage ports read and write besides orders: search queries and their
matches, order headers, store-credit entries and idempotent replies.

Values only; the ports that carry them are in :mod:`orderstatus_core.ports`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import attrs

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.model import (
    CategoryPath,
    EmailAddress,
    Money,
    OrderLine,
    PartNumber,
)
from orderstatus_core.model._checks import matching, utc
from orderstatus_core.model._text import bounded_text, optional_bounded_text
from orderstatus_core.model.profile import Vehicle, vehicle_key, vehicle_path

__all__ = [
    "CategoryQuery",
    "CreditEntry",
    "HistoryQuery",
    "IdempotentReply",
    "OrderHeader",
    "OrderMatch",
    "PartNumberQuery",
    "SearchCursor",
    "SearchQuery",
    "VehicleQuery",
]


@attrs.frozen
class OrderHeader:
    """The few fields that identify an order in a list."""

    number: str
    placed_at: datetime
    email: EmailAddress


@attrs.frozen
class PartNumberQuery:
    """Lines whose part number has the same canonical key as ``part_number``."""

    part_number: PartNumber


@attrs.frozen
class CategoryQuery:
    """Lines in ``category`` or any category below it."""

    category: CategoryPath


#: What an order search looks for.
SearchQuery = PartNumberQuery | CategoryQuery

_VEHICLE = attrs.fields(Vehicle)


@attrs.frozen
class VehicleQuery:
    """Lines bought for a vehicle of this year, make and model, and of ``engine`` when it
    is given (any engine when it is ``None``).

    Each name is checked as the garage's :class:`~orderstatus_core.model.profile.Vehicle`
    checks it and matched as :func:`~orderstatus_core.model.profile.vehicle_key` folds it:
    case and runs of white space do not matter, anything else does (``F-150`` is not
    ``F150``, a fullwidth ``Ｆｏｒｄ`` is not ``Ford``). The nickname and the VIN are never
    compared.

    >>> truck = Vehicle(2019, "Ford", "F-150", "5.0L V8")
    >>> VehicleQuery(2019, "ford", " f-150").matches(truck)
    True
    >>> VehicleQuery(2019, "Ford", "F-150", "3.5L V6").matches(truck)
    False
    """

    year: int = attrs.field(validator=_VEHICLE.year.validator)
    make: str = attrs.field(validator=_VEHICLE.make.validator)
    model: str = attrs.field(validator=_VEHICLE.model.validator)
    engine: str | None = attrs.field(default=None, validator=optional_bounded_text(60))

    @classmethod
    def of(cls, vehicle: Vehicle) -> VehicleQuery:
        """The query for ``vehicle`` itself: its year, make, model and engine."""
        return cls(vehicle.year, vehicle.make, vehicle.model, vehicle.engine)

    @property
    def key(self) -> str:
        """The folded path the query names: year, make and model, and the engine when it
        is given (:func:`~orderstatus_core.model.profile.vehicle_path`). A stored line's
        vehicle matches when its ``vehicle_key`` is this key (an engine given), or starts
        with this key and U+001F (any engine)."""
        engine = () if self.engine is None else (self.engine,)
        return vehicle_path(self.year, self.make, self.model, *engine)

    def matches(self, vehicle: Vehicle | None) -> bool:
        """Whether a line bought for ``vehicle`` (``None``: for none) is found."""
        if vehicle is None:
            return False
        key = vehicle_key(vehicle)
        return key == self.key if self.engine is not None else key.startswith(self.key + "\x1f")


#: What an account's history search looks for: what the guest search does, or a vehicle.
HistoryQuery = PartNumberQuery | CategoryQuery | VehicleQuery


@attrs.frozen
class SearchCursor:
    """Where a page of search results ended: the last order's time and number.

    Results are ordered newest first by ``(placed_at, number)`` descending; the next page
    holds the orders strictly after this pair in that order.
    """

    placed_at: datetime
    number: str


@attrs.frozen
class OrderMatch:
    """One order found by a search, with the lines that matched."""

    header: OrderHeader
    lines: tuple[OrderLine, ...]


_ENTRY_ID = re.compile(r"[A-Za-z0-9:_-]{1,80}")
_HOLDER = re.compile(r"[^\x00-\x1f\x7f]{1,320}")


_check_entry_id = matching(_ENTRY_ID, "must be 1 to 80 letters, digits, :, - or _")


def _check_holder(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not _HOLDER.fullmatch(value):
        raise InvalidFieldError(attribute.name, "must be 1 to 320 printable characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidFieldError(attribute.name, "is not valid Unicode text") from None


def _check_nonzero_money(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, Money):
        raise InvalidFieldError(attribute.name, f"must be Money, not {type(value).__name__}")
    if value.amount == 0:
        raise InvalidFieldError(attribute.name, "must not be zero")


@attrs.frozen
class CreditEntry:
    """One line of a shopper's store-credit ledger: money in (positive ``amount``, such as a
    refund taken as credit) or out (negative: credit spent at checkout).

    Append-only: an entry is never changed or removed; a correction is another entry.
    ``entry_id`` makes appending idempotent (a refund's credit is ``refund:<order>:<refund
    id>``, so the same refund can never credit twice). ``holder`` is the shopper's canonical
    email key (:attr:`EmailAddress.canonical`); ``reference`` names what caused the entry.
    """

    entry_id: str = attrs.field(validator=_check_entry_id)
    holder: str = attrs.field(validator=_check_holder)
    amount: Money = attrs.field(validator=_check_nonzero_money)
    at: datetime = attrs.field(converter=utc)
    reference: str = attrs.field(validator=bounded_text(80))


@attrs.frozen
class IdempotentReply:
    """The first answer of a command run with an idempotency key, kept to replay it."""

    key: str
    fingerprint: str
    """A hash of the command and its input: a replay must match it."""
    reply: str
    """The answer as a JSON document (the library's converter wrote it)."""
    created_at: datetime
