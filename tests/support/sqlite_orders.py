"""The SQLite tests' defaults (two lines of quantity 2, order 100001 of jane@example.com),
on top of the shared builders in :mod:`orderstatus_core.testing.builders`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from orderstatus_core import EmailAddress, Order, OrderLine, Package
from orderstatus_core.testing.builders import PLACED_AT, line, make_order, package

T0 = PLACED_AT


def order_line(
    line_no: int = 1,
    part: str = "BP-1234",
    category: Sequence[str] = ("Brake & Wheel Hub", "Brake Pad"),
    **fields: Any,
) -> OrderLine:
    """One line of two units; any field can be overridden."""
    fields.setdefault("quantity", 2)
    return line(line_no, part, category=tuple(category), **fields)


def order(
    number: str = "100001",
    email: str | EmailAddress = "jane@example.com",
    *,
    placed_at: datetime = T0,
    lines: Sequence[OrderLine] | None = None,
    packages: Sequence[Package] = (),
    **fields: Any,
) -> Order:
    """A valid order; any field can be overridden."""
    return make_order(
        number,
        email.display if isinstance(email, EmailAddress) else email,
        lines=lines if lines is not None else (order_line(1), order_line(2, "R-77")),
        packages=packages,
        placed_at=placed_at,
        **fields,
    )


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
