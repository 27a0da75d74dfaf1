"""Immutable model values shared by every row that names them, text checks, and which
order of a bulk add is a duplicate.

The catalogue has a few hundred categories and a hot set of part numbers and prices, and
these values are immutable, so one instance can serve every row that names it: that skips
re-running NFKC case folding for each line read. The caches are keyed by the stored text
(never by a ``Decimal``: 24.99 and 24.990 are equal Decimals, and the model keeps each
one's scale), bounded, and thread-safe (functools' C implementation).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Final, TypeGuard

from orderstatus_core.model import CategoryPath, Money, PartNumber, Vehicle, restorer
from orderstatus_core.model.identifiers import CATEGORY_SEPARATOR
from orderstatus_core.model.profile import vehicle_key
from orderstatus_core.model.requests import ShippingSpeed

__all__ = [
    "SPEEDS",
    "category",
    "encodable",
    "first_taken",
    "joined_segments",
    "joined_vehicle",
    "money",
    "part_number",
    "stored_vehicle",
    "vehicle_columns",
]

#: Stored ``shipping_speed`` text to its enum member.
SPEEDS: Final = {speed.value: speed for speed in ShippingSpeed}


@functools.lru_cache(maxsize=4096)
def category(joined: str, key: str) -> CategoryPath:
    """The category stored as its display segments joined by U+001F, and its key."""
    return restorer(CategoryPath)(tuple(joined.split(CATEGORY_SEPARATOR)), key)


def joined_segments(path: CategoryPath) -> str:
    """The display segments of ``path`` as stored: joined by U+001F (reversible, since the
    model refuses control characters inside a segment)."""
    return CATEGORY_SEPARATOR.join(path.segments)


def joined_vehicle(value: Vehicle) -> str:
    """An order line's vehicle as stored in one column: its year, make, model and engine
    joined by U+001F, as a category's segments are (reversible: no field can hold a control
    character; a line's vehicle has no nickname or VIN)."""
    return CATEGORY_SEPARATOR.join((str(value.year), value.make, value.model, value.engine))


def vehicle_columns(value: Vehicle | None) -> tuple[str | None, str | None]:
    """The ``vehicle`` and ``vehicle_key`` columns of an order line (``NULL`` for a line
    without one: the partial index on the key leaves those lines out)."""
    if value is None:
        return None, None
    return joined_vehicle(value), vehicle_key(value)


@functools.lru_cache(maxsize=4096)
def stored_vehicle(joined: str | None) -> Vehicle | None:
    """The vehicle that :func:`joined_vehicle` stored (``None`` for ``NULL``); the store's
    lines name the same few vehicles again and again, and a vehicle is immutable."""
    if joined is None:
        return None
    year, make, model, engine = joined.split(CATEGORY_SEPARATOR)
    return restorer(Vehicle)(int(year), make, model, engine, None, None)


@functools.lru_cache(maxsize=16384)
def part_number(display: str, key: str) -> PartNumber:
    """The part number stored as its display form and its canonical key."""
    return restorer(PartNumber)(display, key)


@functools.lru_cache(maxsize=4096)
def money(amount: str, currency: str) -> Money:
    """The amount stored as exact decimal text, in ``currency``."""
    return restorer(Money)(Decimal(amount), currency)


def encodable(text: object) -> TypeGuard[str]:
    """Whether ``text`` is a string a database driver can send as UTF-8 (no lone surrogate).

    Keys that are not can never have been stored, so a look-up by one finds nothing (the
    memory reference answers the same) instead of failing.
    """
    if type(text) is not str:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def first_taken(numbers: Sequence[str], stored: Collection[str]) -> str | None:
    """The first of ``numbers`` that is in ``stored`` or came earlier in ``numbers``:
    the order ``add_many`` refuses (see :meth:`orderstatus_core.OrderRepository.add_many`),
    or ``None`` when all are free."""
    seen: set[str] = set()
    for number in numbers:
        if number in stored or number in seen:
            return number
        seen.add(number)
    return None
