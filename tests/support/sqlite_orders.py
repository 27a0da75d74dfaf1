"""The SQLite tests' defaults (two lines of quantity 2, order 100001 of jane@example.com),
on top of the shared builders in :mod:`orderstatus_core.testing.builders`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from orderstatus_core import Package
from orderstatus_core.testing.builders import (
    PLACED_AT,
    line_of_two,
    order_of_two_lines,
    package,
)

T0 = PLACED_AT


#: One line of two units; any field can be overridden.
order_line = line_of_two


#: Order 100001 of jane@example.com, two lines of two units; any field can be overridden.
order = order_of_two_lines


def shipped_package(
    package_id: str = "P1", units: Sequence[tuple[int, int]] = ((1, 1),), days: int = 1
) -> Package:
    """A package shipped ``days`` after T0 and delivered a day later."""
    return package(
        package_id,
        units,
        shipped_after=timedelta(days=days),
        delivered_after=timedelta(days=days + 1),
    )
